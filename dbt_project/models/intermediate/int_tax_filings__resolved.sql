{{ config(materialized='incremental', unique_key=['taxpayer_id', 'period', 'tax_type'], incremental_strategy='delete+insert') }}
{# Tax filings under the enterprise's uscc (taxpayer ids are a uscc or a legacy number).
   Incremental: filings changed since the last run and those of legacy numbers that resolve
   differently (previous_usccs: the enterprises they resolved to before). #}
with legacy_map as (
    select
        source_id as taxpayer_id,
        uscc,
        previous_usccs,
        _built_at
    from {{ ref('int_identity__map') }}
    where source = 'legacy_reg_no'
)

select
    coalesce(m.uscc, case when length(f.taxpayer_id) = 18 then f.taxpayer_id end) as uscc,
    coalesce(m.previous_usccs, []) as previous_usccs,
    f.* exclude (_built_at),
    {{ run_stamp() }} as _built_at
from {{ changed_or_keyed(ref('stg_tax__tax_filings'), 'taxpayer_id', changed('legacy_map')) }} as f
left join legacy_map as m using (taxpayer_id)
