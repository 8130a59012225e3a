{{ config(materialized='incremental', unique_key='invoice_no', incremental_strategy='delete+insert') }}
{# Invoices with the buyer resolved. Cancelled and reversed invoices carry no trade (is_trade
   false) but stay, so that the models summing trade see those sums change. Incremental: the
   invoices changed since the last run and those whose buyer name now resolves differently. #}
with buyer_map as (
    select
        source_id as buyer_name,
        uscc,
        method,
        previous_usccs,
        _built_at
    from {{ ref('int_identity__map') }}
    where source = 'invoice_buyer'
)

select
    i.* exclude (_built_at),
    i.status in ('issued', 'paid') as is_trade,
    coalesce(i.buyer_uscc, m.uscc) as buyer_uscc_resolved,
    case when i.buyer_uscc is not null then 'source_uscc' else coalesce(m.method, 'unresolved_no_match') end
        as buyer_match_method,
    -- enterprises the buyer name resolved to before (their purchases lose this invoice)
    case when i.buyer_uscc is null then coalesce(m.previous_usccs, []) else [] end as buyer_previous_usccs,
    {{ run_stamp() }} as _built_at
from {{ changed_or_keyed(ref('stg_supply_chain__invoices'), 'buyer_name', changed('buyer_map'), 'buyer_uscc is null') }} as i
left join buyer_map as m
    on i.buyer_uscc is null and i.buyer_name = m.buyer_name
