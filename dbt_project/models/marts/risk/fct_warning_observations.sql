{{ config(materialized='view') }}
{# What warning thresholds are recalibrated from: each performing borrower at each month end,
   with the warning metrics of the indicator panel (macro warning_indicator_metrics, as the own
   signals read them) and when it reached 90+ days past due within the next 12 months. #}
select
    o.uscc,
    o.month,
    o.period,
    o.months_to_default,
    o.mature,
    {{ warning_indicator_metrics('i') }}
from {{ ref('fct_borrower_outcomes') }} as o
join {{ ref('fct_credit_indicators') }} as i using (uscc, month)
where o.performing
