{{ config(materialized='incremental', unique_key=['uscc', 'month'], incremental_strategy='delete+insert', on_schema_change='append_new_columns',
          pre_hook="{{ delete_months_before_establishment() }}") }}
{# The monthly panel: one row per enterprise and month from its first month in business (or
   the first month covered) to the as-of month. Missing feeds stay null, never zero, so that
   indicators can tell "no data" from "no activity". Incremental: months not stored yet (the
   as-of month moved on) for every enterprise, every month of an enterprise whose registry
   record changed, and the enterprise-months any input changed since the last run. #}
with enterprises as (
    select uscc, cast(date_trunc('month', established_on) as date) as first_month
    from {{ ref('stg_commerce__enterprises') }}
),

{%- if is_incremental() %}

touched as (
    -- months not stored yet (the as-of month moved on): every enterprise
    select e.uscc, c.month
    from enterprises as e
    join {{ ref('int_calendar__months') }} as c on c.month not in (select distinct month from {{ this }})
    union
    -- an enterprise whose registry record changed: every month
    select e.uscc, c.month
    from {{ changed(ref('stg_commerce__enterprises')) }} as e, {{ ref('int_calendar__months') }} as c
    {%- for input in ['int_utility__enterprise_month', 'int_tax__enterprise_month', 'stg_social_security__ss_contributions',
                      'int_invoices__enterprise_month', 'int_invoices__days_beyond_terms', 'int_tax_arrears__enterprise_month',
                      'int_public_records__enterprise_month', 'int_loans__month_end'] %}
    union
    select uscc, month from {{ changed(ref(input)) }}
    {%- endfor %}
),
{%- endif %}

spine as (
    select e.uscc, c.month, c.period
    {%- if is_incremental() %}
    from touched as t
    join enterprises as e using (uscc)
    join {{ ref('int_calendar__months') }} as c on c.month = t.month and c.month >= e.first_month
    {%- else %}
    from enterprises as e
    join {{ ref('int_calendar__months') }} as c on c.month >= e.first_month
    {%- endif %}
),

ss as (
    select uscc, month,
           insured_headcount, contribution_due, contribution_paid, paid_on as contribution_paid_on
    from {{ ref('stg_social_security__ss_contributions') }}
    {%- if is_incremental() %}
    semi join spine using (uscc, month)
    {%- endif %}
),

exposure as (
    select uscc, month, sum(outstanding_principal) as loan_exposure, max(days_past_due) as max_days_past_due
    from {{ ref('int_loans__month_end') }}
    {%- if is_incremental() %}
    semi join spine using (uscc, month)
    {%- endif %}
    group by all
),

panel as (
select
    spine.uscc,
    spine.month,
    spine.period,
    cast(u.electricity_kwh as decimal(20, 4)) as electricity_kwh,
    cast(u.water_m3 as decimal(20, 4)) as water_m3,
    cast(t.declared_revenue as decimal(18, 2)) as declared_revenue,
    cast(t.tax_payable as decimal(18, 2)) as tax_payable,
    cast(t.tax_paid as decimal(18, 2)) as tax_paid,
    cast(coalesce(t.late_tax_returns, 0) as integer) as late_tax_returns,
    ss.insured_headcount,
    cast(ss.contribution_due as decimal(18, 2)) as contribution_due,
    cast(ss.contribution_paid as decimal(18, 2)) as contribution_paid,
    cast(greatest(ss.contribution_due - ss.contribution_paid, 0) as decimal(18, 2)) as ss_unpaid,
    cast(coalesce(i.invoice_sales, 0) as decimal(18, 2)) as invoice_sales,
    cast(coalesce(i.invoice_purchases, 0) as decimal(18, 2)) as invoice_purchases,
    cast(d.dbt_received as decimal(10, 2)) as days_beyond_terms_received,
    cast(d.dbt_paid as decimal(10, 2)) as days_beyond_terms_paid,
    cast(coalesce(a.tax_arrears_outstanding, 0) as decimal(18, 2)) as tax_arrears_outstanding,
    cast(coalesce(a.new_tax_arrears, 0) as integer) as new_tax_arrears,
    cast(coalesce(p.new_penalties, 0) as integer) as new_penalties,
    cast(coalesce(p.penalty_amount, 0) as decimal(18, 2)) as penalty_amount,
    cast(coalesce(p.new_abnormal_listings, 0) as integer) as new_abnormal_listings,
    cast(coalesce(p.new_dishonest_records, 0) as integer) as new_dishonest_records,
    cast(coalesce(x.loan_exposure, 0) as decimal(18, 2)) as loan_exposure,
    cast(x.max_days_past_due as integer) as max_days_past_due
from spine
left join {{ recomputed_keys(ref('int_utility__enterprise_month'), 'spine') }} as u using (uscc, month)
left join {{ recomputed_keys(ref('int_tax__enterprise_month'), 'spine') }} as t using (uscc, month)
left join ss using (uscc, month)
left join {{ recomputed_keys(ref('int_invoices__enterprise_month'), 'spine') }} as i using (uscc, month)
left join {{ recomputed_keys(ref('int_invoices__days_beyond_terms'), 'spine') }} as d using (uscc, month)
left join {{ recomputed_keys(ref('int_tax_arrears__enterprise_month'), 'spine') }} as a using (uscc, month)
left join {{ recomputed_keys(ref('int_public_records__enterprise_month'), 'spine') }} as p using (uscc, month)
left join exposure as x using (uscc, month)
)

select *, {{ run_stamp() }} as _built_at from panel
