{{ config(materialized='incremental', unique_key=['source', 'source_id'], incremental_strategy='delete+insert') }}
{# Every identifier other than a uscc, resolved. previous_usccs: the enterprises it resolved to
   before; when resolution moves an identifier, its records move from one enterprise to another
   and the models downstream recompute both. Only changed identifiers are rewritten. #}
with resolved as (
    select source, source_id, uscc, method, cast(confidence as decimal(4, 2)) as confidence
    from {{ ref('int_identity__legacy_numbers') }}
    union all
    select source, source_id, uscc, method, cast(confidence as decimal(4, 2))
    from {{ ref('int_identity__utility_accounts') }}
    union all
    select source, source_id, uscc, method, cast(confidence as decimal(4, 2))
    from {{ ref('int_identity__invoice_buyers') }}
),

new_rows as (
    select
        r.*,
        {%- if is_incremental() %}
        case
            when stored.uscc is not null and stored.uscc is distinct from r.uscc
                then list_sort(list_distinct(list_concat(coalesce(stored.previous_usccs, []), [stored.uscc])))
            else coalesce(stored.previous_usccs, [])
        end as previous_usccs
    from resolved as r
    left join {{ this }} as stored using (source, source_id)
        {%- else %}
        cast([] as varchar[]) as previous_usccs
    from resolved as r
        {%- endif %}
)

{{ only_changes('new_rows', ['source', 'source_id'], 'method') }}
