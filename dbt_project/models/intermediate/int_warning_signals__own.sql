{# Each enterprise's own warning signals per month: its indicators held against the newest
   threshold version (seed warning_thresholds). Only months where a signal fires are kept. #}
with thresholds as (
    select * from {{ ref('warning_thresholds') }}
    where threshold_version = (select max(threshold_version) from {{ ref('warning_thresholds') }})
),

metrics as (
    unpivot (
        select
            i.uscc, i.month,
            i.electricity_trend, i.water_trend, i.revenue_trend, i.headcount_trend,
            cast(i.new_tax_arrears_3m as double) as new_tax_arrears_3m,
            cast(i.ss_unpaid_months_3m as double) as ss_unpaid_months_3m,
            cast(p.new_penalties as double) as new_penalties,
            cast(p.new_abnormal_listings as double) as new_abnormal_listings,
            cast(p.new_dishonest_records as double) as new_dishonest_records,
            i.dbt_paid_3m - i.dbt_paid_12m as dbt_paid_rise,
            i.revenue_electricity_gap,
            i.revenue_per_kwh_vs_peers,
            cast(i.max_days_past_due as double) as max_days_past_due
        from {{ ref('fct_credit_indicators') }} as i
        join {{ ref('fct_enterprise_month') }} as p using (uscc, month)
    )
    on columns(* exclude (uscc, month))
    into name metric value value
)

select
    m.uscc,
    m.month,
    t.signal,
    t.metric,
    m.value,
    t.amber_threshold,
    t.red_threshold,
    t.threshold_version,
    case
        when t.comparison = 'below' and m.value <= t.red_threshold then 'red'
        when t.comparison = 'above' and m.value >= t.red_threshold then 'red'
        else 'amber'
    end as level
from metrics as m
join thresholds as t on t.metric = m.metric
where (t.comparison = 'below' and (m.value <= t.amber_threshold or m.value <= t.red_threshold))
   or (t.comparison = 'above' and (m.value >= t.amber_threshold or m.value >= t.red_threshold))
