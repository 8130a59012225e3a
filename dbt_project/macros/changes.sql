{# Change tracking for incremental models. Every row an incremental model writes carries
   _built_at, the start of the dbt invocation that wrote it. A downstream model reads only the
   rows its inputs wrote after its own newest _built_at (its watermark) and recomputes the keys
   those rows touch, so a daily run costs in proportion to what changed; a run that failed or
   was skipped is caught up by the next one, whose watermark is older. `--full-refresh`
   recomputes everything (and stamps every row). #}

{% macro run_stamp() -%}
cast('{{ run_started_at.isoformat() }}' as timestamptz)
{%- endmacro %}

{# This model's newest _built_at, as a literal: a constant filter lets DuckDB skip the row
   groups written before it (new rows are appended), which a subquery would not. #}
{% macro watermark() -%}
{%- if is_incremental() and execute -%}
{%- set newest = run_query("select coalesce(max(_built_at), timestamptz '-infinity') from " ~ this).columns[0].values()[0] -%}
{%- if newest is none or newest is string -%}
timestamptz '-infinity'
{%- else -%}
timestamptz '{{ newest.isoformat() }}'
{%- endif -%}
{%- else -%}
timestamptz '-infinity'
{%- endif -%}
{%- endmacro %}

{# The rows of `relation` written since this model's last run (all of them on a full build). #}
{% macro changed(relation) -%}
{%- if is_incremental() -%}
(select * from {{ relation }} where _built_at > {{ watermark() }})
{%- else -%}
{{ relation }}
{%- endif -%}
{%- endmacro %}

{# For models cheap to compute in full that feed incremental models: compute everything, write
   only the rows that differ from the stored ones. A key that vanished stays as an empty row
   (every column but the key null), so downstream models see it change; `not_null` names a
   column that is never null in a real row, which tells the two apart. #}
{% macro only_changes(new_rows, key, not_null) -%}
{%- set keys = [key] if key is string else key -%}
{%- if is_incremental() %}
select *, {{ run_stamp() }} as _built_at
from (
    select * from {{ new_rows }}
    except
    select * exclude (_built_at) from {{ this }}
)
union all by name
select {{ keys | join(', ') }}, {{ run_stamp() }} as _built_at
from {{ this }}
anti join {{ new_rows }} using ({{ keys | join(', ') }})
where {{ not_null }} is not null
{%- else %}
select *, {{ run_stamp() }} as _built_at from {{ new_rows }}
{%- endif %}
{%- endmacro %}

{# The output of an incremental model that recomputes the keys its inputs touched. Only rows
   that differ from the stored ones are written, so that models downstream recompute only what
   really changed; a stored key whose inputs are gone becomes an empty row (every column but
   the key null) for the same reason. A full build writes `result` as it is. #}
{% macro recomputed(result, touched, key) -%}
{%- set keys = ([key] if key is string else key) | join(', ') -%}
{%- if is_incremental() %}
{%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | reject('equalto', '_built_at') | map('tojson') | join(', ') %}
select *, {{ run_stamp() }} as _built_at
from (
    select {{ columns }}
    from (
        select distinct {{ keys }} from {{ touched }}
        semi join (select {{ keys }} from {{ result }} union all select {{ keys }} from {{ this }}) using ({{ keys }})
    ) as touched_keys
    left join {{ result }} using ({{ keys }})
    except
    select {{ columns }} from {{ this }} semi join {{ touched }} using ({{ keys }})
)
{%- else %}
select *, {{ run_stamp() }} as _built_at from {{ result }}
{%- endif %}
{%- endmacro %}

{# Monthly models keyed by enterprise start at its month of establishment: when a registry
   correction moves that later, the months before it go (pre-hook of the incremental marts). #}
{% macro delete_months_before_establishment() -%}
{%- if is_incremental() %}
delete from {{ this }} as stored
using {{ ref('stg_commerce__enterprises') }} as e
where stored.uscc = e.uscc
  and e._built_at > (select max(_built_at) from {{ this }})
  and stored.month < date_trunc('month', e.established_on)
{%- endif %}
{%- endmacro %}

{# `relation` cut to the (uscc, month) keys an incremental run recomputes (a CTE `keys`): a semi
   join probing the big table beats a hash table built from all of it. #}
{% macro recomputed_keys(relation, keys) -%}
{%- if is_incremental() -%}
(select * from {{ relation }} semi join {{ keys }} using (uscc, month))
{%- else -%}
{{ relation }}
{%- endif -%}
{%- endmacro %}

{# DuckDB's planner cannot know how few keys an incremental run touches, and would build its
   hash tables from the big inputs rather than from the touched keys. The incremental models
   are written with the small side of each join on the right (the build side), and keep that
   order (a pre-hook of every model; the post-hook resets it). #}
{% macro keep_join_sides() -%}
{%- if is_incremental() -%}
set disabled_optimizers = 'build_side_probe_side'
{%- else -%}
reset disabled_optimizers
{%- endif -%}
{%- endmacro %}

{# The rows of `relation` to recompute: those written since this model's last run, read through
   the _built_at watermark (DuckDB skips the row groups written before it), and the older rows
   whose `key` is in `keys` (e.g. identifiers that now resolve differently) and that meet
   `condition`. Cheaper than finding the changed rows again with a join over the whole table. #}
{% macro changed_or_keyed(relation, key, keys, condition='true') -%}
{%- if is_incremental() -%}
{%- set since = watermark() -%}
(
    select * from {{ relation }} where _built_at > {{ since }}
    union all
    select r.* from {{ relation }} as r semi join {{ keys }} as k using ({{ key }})
    where r._built_at <= {{ since }} and {{ condition }}
)
{%- else -%}
{{ relation }}
{%- endif -%}
{%- endmacro %}
