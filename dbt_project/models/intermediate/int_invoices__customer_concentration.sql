-- depends_on: {{ ref('int_calendar__months') }}
{{ config(materialized='incremental', unique_key=['uscc', 'month'], incremental_strategy='delete+insert') }}
{# Trailing-12-month customer concentration per seller: Herfindahl-Hirschman index of buyer
   shares (0..1) and the share sold to core enterprises. Unresolved buyers count by name. #}
with seller_buyer_month as (
    select
        seller_uscc,
        coalesce(buyer_uscc_resolved, 'name:' || buyer_name) as buyer,
        buyer_uscc_resolved in (select uscc from {{ ref('stg_supply_chain__core_enterprises') }}) as buyer_is_core,
        cast(date_trunc('month', issued_on) as date) as month,
        sum(amount) as amount
    from {{ ref('int_invoices_resolved') }}
    group by all
),

last_12_months as (
    select c.month, s.seller_uscc, s.buyer, bool_or(s.buyer_is_core) as buyer_is_core, sum(s.amount) as amount
    from {{ ref('int_calendar__months') }} as c
    join seller_buyer_month as s
        on s.month > c.month - interval 12 month and s.month <= c.month
    {%- if is_incremental() %}
    where c.month >= {{ lookback_start() }}
    {%- endif %}
    group by all
),

shares as (
    select *, amount / sum(amount) over (partition by seller_uscc, month) as share
    from last_12_months
)

select
    seller_uscc as uscc,
    month,
    round(sum(share * share), 9) as customer_hhi_12m,  -- rounded: summation order must not show
    coalesce(sum(share) filter (where buyer_is_core), 0) as core_customer_share_12m,
    count(*) as customers_12m
from shares
group by all
