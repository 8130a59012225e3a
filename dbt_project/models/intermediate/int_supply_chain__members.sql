{# Chain membership: suppliers whose receivables a core enterprise confirmed, or who invoice a
   core enterprise; share = that core's part of the supplier's invoice sales. #}
with cores as (
    select uscc as core_uscc, chain_name from {{ ref('stg_supply_chain__core_enterprises') }}
),

confirmed as (
    select supplier_uscc as member_uscc, core_uscc, sum(confirmed_amount) as confirmed_amount
    from {{ ref('stg_supply_chain__receivable_confirmations') }}
    group by all
),

-- invoiced trade summed per seller, buyer and month already (buyers resolved or by name)
sold as (
    select seller_uscc as member_uscc, buyer as core_uscc, sum(amount) as sales_to_core
    from {{ ref('int_invoices__seller_buyer_month') }}
    where buyer in (select core_uscc from cores)
    group by all
),

total_sales as (
    select seller_uscc as member_uscc, sum(amount) as sales
    from {{ ref('int_invoices__seller_buyer_month') }}
    where buyer is not null
    group by all
)

select
    member_uscc,
    core_uscc,
    cores.chain_name,
    coalesce(confirmed.confirmed_amount, 0) as confirmed_amount,
    coalesce(sold.sales_to_core, 0) as sales_to_core,
    coalesce(sold.sales_to_core, 0) / nullif(total_sales.sales, 0) as share_of_sales,
    row_number() over (partition by member_uscc
                       order by coalesce(sold.sales_to_core, 0) + coalesce(confirmed.confirmed_amount, 0) desc, core_uscc) = 1
        as is_main_chain
from confirmed
full outer join sold using (member_uscc, core_uscc)
join cores using (core_uscc)
left join total_sales using (member_uscc)
where member_uscc <> core_uscc
