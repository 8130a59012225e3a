{{ config(materialized='view') }}
{# Quarantined records of every platform, one row per record and reason code. #}
{%- set platforms = ['commerce', 'tax', 'social_security', 'utility', 'supply_chain', 'bank'] %}
with records as (
    {%- for p in platforms %}
    select '{{ p }}' as platform, dataset, batch_id, row_number, reason_codes, quarantined_at
    from {{ source('bronze', 'quarantine_' ~ p) }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
)

select platform, dataset, batch_id, row_number, trim(reason) as reason_code, quarantined_at
from records, unnest(string_split(reason_codes, ',')) as r(reason)
