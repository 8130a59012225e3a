{{ config(materialized='incremental', unique_key=['uscc', 'month'], incremental_strategy='delete+insert') }}
{# Trailing-12-month customer concentration per seller: Herfindahl-Hirschman index of buyer
   shares (0..1) and the share sold to core enterprises. Unresolved buyers count by name.
   Incremental: calendar months not stored yet for every seller; for a seller-month whose
   trade changed since the last run, the twelve months from it on. #}
{%- if is_incremental() %}
with new_months as (
    select month from {{ ref('int_calendar__months') }}
    where month not in (select distinct month from {{ this }})
),

-- a seller-month's trade counts in the twelve months from it on
touched as (
    select distinct s.seller_uscc as uscc, c.month
    from {{ ref('int_calendar__months') }} as c
    join {{ changed(ref('int_invoices__seller_buyer_month')) }} as s
        on c.month >= s.month and c.month < s.month + interval 12 month
),

seller_buyer_month as (
    select * from {{ ref('int_invoices__seller_buyer_month') }}
    where buyer is not null
      and (seller_uscc in (select uscc from touched)
           or month > (select min(month) from new_months) - interval 12 month)
),
{%- else %}
with seller_buyer_month as (
    select * from {{ ref('int_invoices__seller_buyer_month') }}
    where buyer is not null
),
{%- endif %}

{%- if is_incremental() %}

-- the (seller, month) pairs to compute
keys as (
    select uscc, month from touched
    union
    select distinct s.seller_uscc, n.month
    from seller_buyer_month as s
    join new_months as n on s.month > n.month - interval 12 month and s.month <= n.month
),

last_12_months as (
    select k.month, s.seller_uscc, s.buyer, bool_or(s.buyer_is_core) as buyer_is_core, sum(s.amount) as amount
    from seller_buyer_month as s
    join keys as k
        on k.uscc = s.seller_uscc and s.month > k.month - interval 12 month and s.month <= k.month
    group by all
),
{%- else %}

last_12_months as (
    select c.month, s.seller_uscc, s.buyer, bool_or(s.buyer_is_core) as buyer_is_core, sum(s.amount) as amount
    from {{ ref('int_calendar__months') }} as c
    join seller_buyer_month as s
        on s.month > c.month - interval 12 month and s.month <= c.month
    group by all
),
{%- endif %}

shares as (
    select *, amount / sum(amount) over (partition by seller_uscc, month) as share
    from last_12_months
),

result as (
    select
        seller_uscc as uscc,
        month,
        -- rounded: summation order must not show
        round(sum(share * share), 9) as customer_hhi_12m,
        coalesce(round(sum(share) filter (where buyer_is_core), 9), 0) as core_customer_share_12m,
        count(*) as customers_12m
    from shares
    group by all
)

{{ recomputed('result', 'keys', ['uscc', 'month']) }}
