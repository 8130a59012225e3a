{# Invoices with the buyer resolved; cancelled and reversed invoices carry no trade. #}
select
    i.*,
    coalesce(i.buyer_uscc, m.uscc) as buyer_uscc_resolved,
    case when i.buyer_uscc is not null then 'source_uscc' else coalesce(m.method, 'unresolved_no_match') end
        as buyer_match_method
from {{ ref('stg_supply_chain__invoices') }} as i
left join {{ ref('int_identity_map') }} as m
    on i.buyer_uscc is null and m.source = 'invoice_buyer' and m.source_id = i.buyer_name
where i.status in ('issued', 'paid')
