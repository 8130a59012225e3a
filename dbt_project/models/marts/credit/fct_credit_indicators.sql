-- depends_on: {{ ref('int_calendar__months') }}
{# Core credit indicators ("three grades, three tables": utilities, tax, social security, plus
   trade, public records and collateral) per enterprise and month, each computed only from
   data known at that month end. Trends: MoM, YoY, and the last 3 months against the 12
   months before them (3v12). #}
{{ config(materialized='incremental', unique_key=['uscc', 'month'], incremental_strategy='delete+insert',
          on_schema_change='append_new_columns') }}
{%- set trends = {'electricity': 'electricity_kwh', 'water': 'water_m3',
                  'revenue': 'declared_revenue', 'headcount': 'insured_headcount'} %}

with panel as (
    select
        p.*,
        dbt.amount_observed_paid,
        dbt.amount_observed_received
    from {{ ref('fct_enterprise_month') }} as p
    left join {{ ref('int_invoices__days_beyond_terms') }} as dbt using (uscc, month)
    {%- if is_incremental() %}
    -- the recomputed months' windows reach back 15 months
    where p.month >= {{ lookback_start(months_before=15) }}
    {%- endif %}
),

peer_intensity as (
    -- revenue per kWh of the industry division's enterprises: the yardstick for over-declaration
    select substr(e.industry_code, 2, 2) as industry_division, p.month,
           median(p.revenue_3m / nullif(p.electricity_3m, 0)) as peer_revenue_per_kwh
    from (
        select uscc, month,
               sum(cast(declared_revenue as double)) over w3 as revenue_3m,
               sum(cast(electricity_kwh as double)) over w3 as electricity_3m
        from {{ ref('fct_enterprise_month') }}
        {%- if is_incremental() %}
        where month >= {{ lookback_start(months_before=2) }}
        {%- endif %}
        window w3 as (partition by uscc order by month rows between 2 preceding and current row)
    ) as p
    join {{ ref('stg_commerce__enterprises') }} as e using (uscc)
    group by all
),

collateral as (
    select
        uscc, month,
        sum(outstanding_principal) filter (where collateral_type <> 'none')
            / nullif(sum(outstanding_principal), 0) as secured_exposure_share
    from {{ ref('int_loans__month_end') }}
    group by all
),

windowed as (
    select
        uscc,
        month,
        period,
        {%- for name, col in trends.items() %}
        cast({{ col }} as double) as {{ name }},
        lag(cast({{ col }} as double), 1) over w as {{ name }}_prev,
        lag(cast({{ col }} as double), 12) over w as {{ name }}_last_year,
        avg(cast({{ col }} as double)) over (w rows between 2 preceding and current row) as {{ name }}_avg_3m,
        -- the base needs 4 months of data, or a short history makes noise look like a trend
        case when count({{ col }}) over (w rows between 14 preceding and 3 preceding) >= 4
             then avg(cast({{ col }} as double)) over (w rows between 14 preceding and 3 preceding)
        end as {{ name }}_avg_prior_12m,
        {%- endfor %}
        sum(tax_paid) over w12 as tax_paid_12m,
        sum(tax_payable) over w12 as tax_payable_12m,
        sum(late_tax_returns) over w12 as late_tax_returns_12m,
        tax_arrears_outstanding,
        sum(new_tax_arrears) over w3 as new_tax_arrears_3m,
        sum(ss_unpaid) over w3 as ss_unpaid_3m,
        count(*) filter (where ss_unpaid > 0) over w3 as ss_unpaid_months_3m,
        sum(cast(declared_revenue as double)) over w3 as revenue_3m,
        sum(cast(electricity_kwh as double)) over w3 as electricity_3m,
        count(electricity_kwh) over w3 + count(declared_revenue) over w3 as revenue_electricity_months_3m,
        sum(cast(invoice_sales as double)) over w3 as invoice_sales_3m,
        sum(cast(invoice_sales as double)) over w12 as invoice_sales_12m,
        sum(cast(declared_revenue as double)) over w12 as revenue_12m,
        sum(days_beyond_terms_paid * amount_observed_paid) over w3
            / nullif(sum(amount_observed_paid) filter (where days_beyond_terms_paid is not null) over w3, 0) as dbt_paid_3m,
        sum(days_beyond_terms_paid * amount_observed_paid) over w12
            / nullif(sum(amount_observed_paid) filter (where days_beyond_terms_paid is not null) over w12, 0) as dbt_paid_12m,
        sum(days_beyond_terms_received * amount_observed_received) over w3
            / nullif(sum(amount_observed_received) filter (where days_beyond_terms_received is not null) over w3, 0) as dbt_received_3m,
        sum(new_penalties + new_abnormal_listings + new_dishonest_records) over w12 as public_negatives_12m,
        sum(new_penalties) over w12 as penalties_12m,
        sum(new_abnormal_listings) over w12 as abnormal_listings_12m,
        sum(new_dishonest_records) over w12 as dishonest_records_12m,
        new_penalties + new_abnormal_listings + new_dishonest_records as new_public_negatives,
        loan_exposure,
        max_days_past_due
    from panel
    window
        w as (partition by uscc order by month),
        w3 as (partition by uscc order by month rows between 2 preceding and current row),
        w12 as (partition by uscc order by month rows between 11 preceding and current row)
),

with_last_year as (
    select
        *,
        {%- for name in trends %}
        lag({{ name }}_avg_3m, 12) over (partition by uscc order by month) as {{ name }}_avg_3m_last_year{{ ',' if not loop.last }}
        {%- endfor %}
    from windowed
)

select
    w.uscc,
    w.month,
    w.period,
    {%- for name in trends %}
    {{ growth(name, name ~ '_prev') }} as {{ name }}_mom,
    {{ growth(name, name ~ '_last_year') }} as {{ name }}_yoy,
    {{ growth(name ~ '_avg_3m', name ~ '_avg_prior_12m') }} as {{ name }}_3v12,
    {{ growth(name ~ '_avg_3m', name ~ '_avg_3m_last_year') }} as {{ name }}_3m_yoy,
    -- seasonality-free when a year of history exists, else against the trailing average
    coalesce({{ growth(name ~ '_avg_3m', name ~ '_avg_3m_last_year') }}, {{ growth(name ~ '_avg_3m', name ~ '_avg_prior_12m') }})
        as {{ name }}_trend,
    {%- endfor %}
    cast(w.tax_paid_12m / nullif(w.tax_payable_12m, 0) as double) as tax_paid_ratio_12m,
    cast(w.late_tax_returns_12m as integer) as late_tax_returns_12m,
    r.tax_credit_rating,
    cast(w.tax_arrears_outstanding as decimal(18, 2)) as tax_arrears_outstanding,
    cast(w.new_tax_arrears_3m as integer) as new_tax_arrears_3m,
    cast(w.ss_unpaid_3m as decimal(18, 2)) as ss_unpaid_3m,
    cast(w.ss_unpaid_months_3m as integer) as ss_unpaid_months_3m,
    -- over-declaration: declared revenue outgrowing electricity use and invoiced sales
    {{ growth('w.revenue_avg_3m', 'w.revenue_avg_prior_12m') }} - {{ growth('w.electricity_avg_3m', 'w.electricity_avg_prior_12m') }}
        as revenue_electricity_gap,
    w.revenue_3m / nullif(w.invoice_sales_3m, 0) as revenue_to_invoice_ratio_3m,
    -- declared revenue per kWh against the industry division's median (1 = like its peers)
    -- only over three full months of both feeds (a first, partial month is not a mismatch)
    case when w.revenue_electricity_months_3m = 6
              and {{ months_between('e.established_on', 'w.month') }} >= 6
         then w.revenue_3m / nullif(w.electricity_3m, 0) / nullif(peer.peer_revenue_per_kwh, 0)
    end as revenue_per_kwh_vs_peers,
    w.dbt_paid_3m,
    w.dbt_paid_12m,
    w.dbt_received_3m,
    {{ paydex('w.dbt_paid_12m') }} as paydex_12m,
    {{ paydex('w.dbt_paid_3m') }} as paydex_3m,
    cc.customer_hhi_12m,
    coalesce(cc.core_customer_share_12m, 0) as core_customer_share_12m,
    cast(w.public_negatives_12m as integer) as public_negatives_12m,
    cast(w.penalties_12m as integer) as penalties_12m,
    cast(w.abnormal_listings_12m as integer) as abnormal_listings_12m,
    cast(w.dishonest_records_12m as integer) as dishonest_records_12m,
    cast(w.new_public_negatives as integer) as new_public_negatives,
    cast({{ months_between('e.established_on', 'w.month') }} as integer) as business_age_months,
    w.revenue_12m,
    w.invoice_sales_12m,
    cast(w.loan_exposure as decimal(18, 2)) as loan_exposure,
    coalesce(col.secured_exposure_share, 0) as secured_exposure_share,
    coalesce(w.max_days_past_due, 0) as max_days_past_due
from with_last_year as w
join {{ ref('stg_commerce__enterprises') }} as e using (uscc)
left join {{ ref('int_tax__rating_month') }} as r using (uscc, month)
left join {{ ref('int_invoices__customer_concentration') }} as cc using (uscc, month)
left join collateral as col using (uscc, month)
left join peer_intensity as peer on peer.industry_division = substr(e.industry_code, 2, 2) and peer.month = w.month
{%- if is_incremental() %}
where w.month >= {{ lookback_start() }}
{%- endif %}
