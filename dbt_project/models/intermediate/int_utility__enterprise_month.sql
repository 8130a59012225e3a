{# Consumption and bill payment per enterprise and month, over all its resolved accounts. #}
select
    uscc,
    month,
    sum(consumption) filter (where utility = 'electricity') as electricity_kwh,
    sum(consumption) filter (where utility = 'water') as water_m3,
    sum(amount_billed) as utility_billed,
    count(*) filter (where due_on is not null
                     and paid_on > due_on) as utility_bills_paid_late
from {{ ref('int_meter_readings_resolved') }}
where uscc is not null
group by uscc, month
