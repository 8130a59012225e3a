{{ config(materialized='incremental', unique_key=['seller_uscc', 'month'], incremental_strategy='delete+insert') }}
{# Invoiced trade per seller, buyer and month of issue (buyers not resolved count by name):
   what customer concentration sums over twelve months. Incremental: the seller-months of
   invoices changed since the last run or sold to a core enterprise whose record changed; a
   seller-month left without trade keeps a row without a buyer, so downstream sees it go. #}
with cores as (
    select uscc from {{ ref('stg_supply_chain__core_enterprises') }}
)

{%- if is_incremental() %},

touched as (
    select seller_uscc, cast(date_trunc('month', issued_on) as date) as month
    from {{ changed(ref('int_invoices__resolved')) }}
    union
    select seller_uscc, cast(date_trunc('month', issued_on) as date)
    from {{ ref('int_invoices__resolved') }}
    where buyer_uscc_resolved in (select uscc from {{ changed(ref('stg_supply_chain__core_enterprises')) }})
)
{%- endif %},

result as (
    select
        i.seller_uscc,
        coalesce(i.buyer_uscc_resolved, 'name:' || i.buyer_name) as buyer,
        i.buyer_uscc_resolved in (select uscc from cores) as buyer_is_core,
        cast(date_trunc('month', i.issued_on) as date) as month,
        sum(i.amount) as amount
    from {{ ref('int_invoices__resolved') }} as i
    {%- if is_incremental() %}
    semi join touched as t on t.seller_uscc = i.seller_uscc and t.month = date_trunc('month', i.issued_on)
    {%- endif %}
    where i.is_trade
    group by all
)

select *, {{ run_stamp() }} as _built_at from result
{%- if is_incremental() %}
union all by name
select seller_uscc, month, {{ run_stamp() }} as _built_at from touched anti join result using (seller_uscc, month)
{%- endif %}
