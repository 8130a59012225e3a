{{ config(materialized='incremental', unique_key=['uscc', 'month'], incremental_strategy='delete+insert') }}
{# Consumption and bill payment per enterprise and month, over all its resolved accounts.
   Incremental: the months of readings changed since the last run, for the enterprise and
   those the account resolved to before. #}
{%- if is_incremental() %}
with touched as (
    select distinct p.uscc, r.month
    from {{ changed(ref('int_meter_readings__resolved')) }} as r,
        unnest(list_concat([r.uscc], r.previous_usccs)) as p(uscc)
    where p.uscc is not null
),
{%- else %}
with
{%- endif %}

result as (
    select
        uscc,
        month,
        sum(consumption) filter (where utility = 'electricity') as electricity_kwh,
        sum(consumption) filter (where utility = 'water') as water_m3,
        sum(amount_billed) as utility_billed,
        count(*) filter (where due_on is not null
                         and paid_on > due_on) as utility_bills_paid_late
    from {{ ref('int_meter_readings__resolved') }} as r
    {%- if is_incremental() %}
    semi join touched as t using (uscc, month)
    {%- endif %}
    where uscc is not null
    group by uscc, month
)

{{ recomputed('result', 'touched', ['uscc', 'month']) }}
