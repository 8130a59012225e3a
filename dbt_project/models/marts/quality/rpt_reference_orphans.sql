{# References that lead nowhere, one row per kind (macros/reference_orphans.sql declares them):
   how many rows of the child hold one, how many of them name no parent, and whether that share
   passes the threshold (the test on this mart then fails the build, so nothing is published).
   A table rebuilt each run: each kind is one anti-join count over its child, whose orphans can
   appear or go with any record of either side. #}
{%- set threshold = orphan_share_threshold() %}
{%- set min_rows = orphan_min_child_rows() %}
{%- set kinds = reference_orphan_kinds() %}

with
{%- for k in kinds %}
{{ k.kind }} as (
    select
        count(*) as child_rows,
        count(*) filter (where p.ref is null) as orphan_rows,
        count(distinct coalesce(c.ref, '(unresolved)')) filter (where p.ref is null) as orphan_keys,
        -- a few to start looking from
        array_to_string(list_sort(list(distinct coalesce(c.ref, '(unresolved)')) filter (where p.ref is null))[1:3], ', ')
            as example_keys
    from (
        select cast({{ k.child_column }} as varchar) as ref
        from {{ ref(k.child) }}
        where {{ k.get('where', 'true') }}
        {%- if not k.get('unresolved', false) %}
          and {{ k.child_column }} is not null
        {%- endif %}
    ) as c
    left join (
        select distinct cast({{ k.parent_column }} as varchar) as ref
        from {{ ref(k.parent) }}
        where {{ k.parent_column }} is not null
    ) as p on p.ref = c.ref
){{ ',' if not loop.last }}
{%- endfor %}

{%- for k in kinds %}
select
    '{{ k.kind }}' as kind,
    '{{ k.description | replace("'", "''") }}' as description,
    '{{ k.child }}' as child,
    '{{ k.child_column }}' as child_column,
    '{{ k.parent }}' as parent,
    '{{ k.parent_column }}' as parent_column,
    cast(child_rows as bigint) as child_rows,
    cast(orphan_rows as bigint) as orphan_rows,
    cast(orphan_keys as bigint) as orphan_keys,
    cast(coalesce(orphan_rows / nullif(child_rows, 0), 0) as decimal(7, 4)) as orphan_share,
    nullif(example_keys, '') as example_keys,
    cast({{ threshold }} as decimal(7, 4)) as threshold,
    cast({{ min_rows }} as bigint) as min_child_rows,
    coalesce(child_rows >= {{ min_rows }} and orphan_rows / nullif(child_rows, 0) > {{ threshold }}, false) as exceeded
from {{ k.kind }}
{% if not loop.last %}union all{% endif %}
{%- endfor %}
