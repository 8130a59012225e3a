-- depends_on: {{ ref('int_calendar__months') }}
-- depends_on: {{ ref('stg_commerce__enterprises') }}
{{ config(materialized='incremental', unique_key=['industry_division', 'month'], incremental_strategy='delete+insert') }}
{# Revenue per kWh of each industry division's enterprises over the last 3 months (median):
   the yardstick for over-declaration in fct_credit_indicators. Incremental: a panel month
   changed since the last run moves its division's yardstick for that month and the next two;
   a changed registry record its division's, every month (and the division it left).
   The yardstick is kept to three significant digits: the digits after them are noise, and a
   yardstick that moved in them would rewrite the indicators of every enterprise in its
   division each time a late meter reading arrives. #}
with divisions as (
    select uscc, industry_division from {{ ref('int_enterprise__industry_divisions') }}
    where industry_division is not null
)

{%- if is_incremental() %},

touched as (
    select distinct d.industry_division, cast(p.month + to_months(k) as date) as month
    from {{ changed(ref('fct_enterprise_month')) }} as p
    join divisions as d using (uscc),
        unnest([0, 1, 2]) as s(k)
    where p.month + to_months(k) <= (select max(month) from {{ ref('int_calendar__months') }})
    union
    select distinct v.division, c.month
    from {{ changed(ref('int_enterprise__industry_divisions')) }} as d,
        unnest(list_concat([d.industry_division], d.previous_divisions)) as v(division),
        {{ ref('int_calendar__months') }} as c
    where v.division is not null
    union
    -- a registry correction can take months off an enterprise's panel (founded later)
    select distinct d.industry_division, c.month
    from {{ changed(ref('stg_commerce__enterprises')) }} as e
    join divisions as d using (uscc),
        {{ ref('int_calendar__months') }} as c
),

-- the panel months the touched yardsticks read: the month and the two before it
needed as (
    select distinct industry_division, cast(month - to_months(k) as date) as month
    from touched, unnest([0, 1, 2]) as s(k)
)
{%- endif %},

ratios as (
    select
        d.industry_division, p.month,
        -- decimal sums: exact in any order, so an incremental run agrees with a full build
        sum(p.declared_revenue) over w3 / nullif(sum(p.electricity_kwh) over w3, 0) as revenue_per_kwh_3m
    from {{ ref('fct_enterprise_month') }} as p
    join divisions as d using (uscc)
    {%- if is_incremental() %}
    semi join needed as n on n.industry_division = d.industry_division and n.month = p.month
    {%- endif %}
    -- a range of months, not rows: in an incremental run an enterprise's months can have gaps
    window w3 as (partition by p.uscc order by p.month range between interval 2 month preceding and current row)
),

result as (
    select industry_division, month,
           {{ significant_digits('median(revenue_per_kwh_3m)', 3) }} as peer_revenue_per_kwh,
           count(*) as peer_enterprises
    from ratios
    {%- if is_incremental() %}
    semi join touched using (industry_division, month)
    {%- endif %}
    group by all
)

{{ recomputed('result', 'touched', ['industry_division', 'month']) }}
