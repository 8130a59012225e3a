{{ config(materialized='incremental', unique_key=['taxpayer_id', 'period', 'tax_type'], incremental_strategy='delete+insert') }}
{# Tax filings under the enterprise's uscc (taxpayer ids are a uscc or a legacy number).
   Incremental: filings changed since the last run and those of legacy numbers that resolve
   differently (previous_usccs: the enterprises they resolved to before). #}
with legacy_map as (
    select source_id as taxpayer_id, uscc, previous_usccs, _built_at
    from {{ ref('int_identity_map') }}
    where source = 'legacy_reg_no'
)

{%- if is_incremental() %},

changed_filings as (
    select taxpayer_id, period, tax_type from {{ changed(ref('stg_tax__tax_filings')) }}
    union
    select f.taxpayer_id, f.period, f.tax_type
    from {{ ref('stg_tax__tax_filings') }} as f
    semi join {{ changed('legacy_map') }} as m using (taxpayer_id)
)
{%- endif %}

select
    coalesce(m.uscc, case when length(f.taxpayer_id) = 18 then f.taxpayer_id end) as uscc,
    coalesce(m.previous_usccs, []) as previous_usccs,
    f.* exclude (_built_at),
    {{ run_stamp() }} as _built_at
from {{ ref('stg_tax__tax_filings') }} as f
{%- if is_incremental() %}
semi join changed_filings using (taxpayer_id, period, tax_type)
{%- endif %}
left join legacy_map as m using (taxpayer_id)
