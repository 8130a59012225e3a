{{ config(materialized='incremental', unique_key=['bank_id', 'loan_id', 'month'], incremental_strategy='delete+insert',
          on_schema_change='append_new_columns') }}
{# Each loan of each bank at each month end: exposure, days past due and the five-category
   classification.
   Incremental: the loan-months whose position changed since the last run. #}
select
    l.bank_id,
    l.loan_id,
    l.month,
    strftime(l.month, '%Y-%m') as period,
    l.uscc,
    l.product_id,
    l.branch_id,
    l.as_of_date,
    l.contract_date,
    l.maturity_date,
    cast(l.credit_limit as decimal(18, 2)) as credit_limit,
    cast(l.outstanding_principal as decimal(18, 2)) as exposure,
    cast(l.annual_rate as decimal(8, 4)) as annual_rate,
    l.collateral_type,
    l.days_past_due,
    l.classification,
    l.classification in ('substandard', 'doubtful', 'loss') as is_npl,
    l.days_past_due > 0 as is_overdue,
    date_trunc('month', l.contract_date) = l.month as is_new_in_month,
    {{ run_stamp() }} as _built_at
from {{ changed(ref('int_loans__month_end')) }} as l
