{{ config(materialized='incremental', unique_key='uscc', incremental_strategy='delete+insert') }}
{# Each enterprise's GB/T 4754 division, with the divisions it was in before: when a registry
   correction moves an enterprise, the peer yardsticks of both divisions change. Only new or
   moved enterprises are rewritten. #}
with new_rows as (
    select
        e.uscc,
        e.industry_division,
        {%- if is_incremental() %}
        case
            when stored.industry_division is not null and stored.industry_division is distinct from e.industry_division
                then list_sort(list_distinct(list_concat(coalesce(stored.previous_divisions, []), [stored.industry_division])))
            else coalesce(stored.previous_divisions, [])
        end as previous_divisions
    from {{ ref('stg_commerce__enterprises') }} as e
    left join {{ this }} as stored using (uscc)
        {%- else %}
        cast([] as varchar[]) as previous_divisions
    from {{ ref('stg_commerce__enterprises') }} as e
        {%- endif %}
)

{{ only_changes('new_rows', 'uscc', 'previous_divisions') }}
