{# Core credit indicators ("three grades, three tables": utilities, tax, social security, plus
   trade, public records and collateral) per enterprise and month, each computed only from
   data known at that month end. Trends: MoM, YoY, and the last 3 months against the 12
   months before them (3v12). Windows are declared once (`windows`: a value some months back,
   or a sum, average or count over a range of months back). Sums are taken over the panel's
   decimals: exact in any order, so an incremental run, whose windows start where the history
   it reads starts, agrees with a full build to the last bit. Incremental: a panel month
   changed since the last run feeds the windows of the next 14 months, which are recomputed;
   a changed rating, concentration or loan recomputes its own month; a changed registry record
   every month. A moved peer yardstick (late readings move a division's median, and with it
   every enterprise of the division) only changes revenue_per_kwh_vs_peers: those rows are
   taken as stored with that column recomputed, not windowed again. #}
{{ config(materialized='incremental', unique_key=['uscc', 'month'], incremental_strategy='delete+insert',
          on_schema_change='append_new_columns', pre_hook="{{ delete_months_before_establishment() }}") }}
{%- set trends = {'electricity': 'electricity_kwh', 'water': 'water_m3',
                  'revenue': 'declared_revenue', 'headcount': 'insured_headcount'} %}
{#- (name, kind, expression, first month back, last month back, condition) #}
{%- set windows = [] %}
{%- for name, col in trends.items() %}
{%- do windows.extend([
    (name, 'value', col, 0, 0, none),
    (name ~ '_prev', 'value', col, 1, 1, none),
    (name ~ '_last_year', 'value', col, 12, 12, none),
    (name ~ '_avg_3m', 'avg', col, 0, 2, none),
    (name ~ '_avg_3m_last_year', 'avg', col, 12, 14, none),
    (name ~ '_avg_before_3m', 'avg', col, 3, 14, none),
    (name ~ '_months_before_3m', 'count', col, 3, 14, none),
]) %}
{%- endfor %}
{%- do windows.extend([
    ('tax_paid_12m', 'sum', 'tax_paid', 0, 11, none),
    ('tax_payable_12m', 'sum', 'tax_payable', 0, 11, none),
    ('late_tax_returns_12m', 'sum', 'late_tax_returns', 0, 11, none),
    ('new_tax_arrears_3m', 'sum', 'new_tax_arrears', 0, 2, none),
    ('ss_unpaid_3m', 'sum', 'ss_unpaid', 0, 2, none),
    ('ss_unpaid_months_3m', 'count', '*', 0, 2, 'ss_unpaid > 0'),
    ('revenue_3m', 'sum', 'declared_revenue', 0, 2, none),
    ('electricity_3m', 'sum', 'electricity_kwh', 0, 2, none),
    ('electricity_months_3m', 'count', 'electricity_kwh', 0, 2, none),
    ('revenue_months_3m', 'count', 'declared_revenue', 0, 2, none),
    ('invoice_sales_3m', 'sum', 'invoice_sales', 0, 2, none),
    ('invoice_sales_12m', 'sum', 'invoice_sales', 0, 11, none),
    ('revenue_12m', 'sum', 'declared_revenue', 0, 11, none),
    ('dbt_paid_weighted_3m', 'sum', 'days_beyond_terms_paid * amount_observed_paid', 0, 2, none),
    ('dbt_paid_amount_3m', 'sum', 'amount_observed_paid', 0, 2, 'days_beyond_terms_paid is not null'),
    ('dbt_paid_weighted_12m', 'sum', 'days_beyond_terms_paid * amount_observed_paid', 0, 11, none),
    ('dbt_paid_amount_12m', 'sum', 'amount_observed_paid', 0, 11, 'days_beyond_terms_paid is not null'),
    ('dbt_received_weighted_3m', 'sum', 'days_beyond_terms_received * amount_observed_received', 0, 2, none),
    ('dbt_received_amount_3m', 'sum', 'amount_observed_received', 0, 2, 'days_beyond_terms_received is not null'),
    ('public_negatives_12m', 'sum', 'new_penalties + new_abnormal_listings + new_dishonest_records', 0, 11, none),
    ('penalties_12m', 'sum', 'new_penalties', 0, 11, none),
    ('abnormal_listings_12m', 'sum', 'new_abnormal_listings', 0, 11, none),
    ('dishonest_records_12m', 'sum', 'new_dishonest_records', 0, 11, none),
    ('period', 'value', 'period', 0, 0, none),
    ('tax_arrears_outstanding', 'value', 'tax_arrears_outstanding', 0, 0, none),
    ('new_public_negatives', 'value', 'new_penalties + new_abnormal_listings + new_dishonest_records', 0, 0, none),
    ('loan_exposure', 'value', 'loan_exposure', 0, 0, none),
    ('max_days_past_due', 'value', 'max_days_past_due', 0, 0, none),
]) %}

{%- if is_incremental() %}
with touched as (
    -- the 12-month sums, the 12 months before the last 3 and year-earlier 3-month averages
    -- reach 14 months back
    select distinct p.uscc, p.month
    from {{ ref('fct_enterprise_month') }} as p
    join (
        select uscc, month from {{ changed(ref('fct_enterprise_month')) }}
        union
        select uscc, month from {{ changed(ref('int_invoices__days_beyond_terms')) }}
    ) as c
        on c.uscc = p.uscc and p.month >= c.month and p.month <= c.month + interval 14 month
    union
    select uscc, month from {{ changed(ref('int_tax__rating_month')) }}
    union
    select uscc, month from {{ changed(ref('int_invoices__customer_concentration')) }}
    union
    select uscc, month from {{ changed(ref('int_loans__month_end')) }}
    union
    select uscc, month from {{ ref('fct_enterprise_month') }}
    where uscc in (select uscc from {{ changed(ref('stg_commerce__enterprises')) }})
),

-- stored rows whose only change is their division's yardstick
peer_only as (
    select stored.* exclude (_built_at, revenue_per_kwh_vs_peers),
           stored.revenue_per_kwh_3m / nullif(peer.peer_revenue_per_kwh, 0) as revenue_per_kwh_vs_peers
    from {{ this }} as stored
    join {{ ref('stg_commerce__enterprises') }} as e using (uscc)
    join {{ changed(ref('int_credit__peer_intensity')) }} as peer
        on peer.industry_division = e.industry_division and peer.month = stored.month
    anti join touched as t on t.uscc = stored.uscc and t.month = stored.month
),

-- the windows of a touched month need the 14 months before it
history as (
    select uscc, min(month) - interval 14 month as from_month from touched group by uscc
),

panel_history as materialized (
    select p.*
    from {{ ref('fct_enterprise_month') }} as p
    join history as h on h.uscc = p.uscc and p.month >= h.from_month
),

panel as (
    select p.*, dbt.amount_observed_paid, dbt.amount_observed_received
    from panel_history as p
    left join (
        select * from {{ ref('int_invoices__days_beyond_terms') }}
        where uscc in (select uscc from history)
    ) as dbt on dbt.uscc = p.uscc and dbt.month = p.month
),

{%- else %}

with panel as (
    select p.*, dbt.amount_observed_paid, dbt.amount_observed_received
    from {{ ref('fct_enterprise_month') }} as p
    left join {{ ref('int_invoices__days_beyond_terms') }} as dbt using (uscc, month)
),
{%- endif %}

windowed as (
    select
        uscc,
        month,
        {%- for name, kind, expr, first, last, condition in windows %}
        {%- if kind == 'value' %}
        {{ expr if first == 0 else 'lag(' ~ expr ~ ', ' ~ first ~ ') over w' }} as {{ name }}
        {%- else %}
        {{ kind }}({{ expr }}){{ ' filter (where ' ~ condition ~ ')' if condition }}
            over (w rows between {{ last }} preceding and {{ 'current row' if first == 0 else first ~ ' preceding' }}) as {{ name }}
        {%- endif %}{{ ',' if not loop.last }}
        {%- endfor %}
    from panel
    window w as (partition by uscc order by month)
),

collateral as (
    select
        uscc, month,
        sum(outstanding_principal) filter (where collateral_type <> 'none')
            / nullif(sum(outstanding_principal), 0) as secured_exposure_share
    from {{ ref('int_loans__month_end') }}
    {%- if is_incremental() %}
    where uscc in (select uscc from touched)
    {%- endif %}
    group by all
),

-- the base of 3v12 needs 4 months of data, or a short history makes noise look like a trend
trend_bases as (
    select
        *,
        {%- for name in trends %}
        case when {{ name }}_months_before_3m >= 4 then {{ name }}_avg_before_3m end as {{ name }}_avg_prior_12m,
        {%- endfor %}
        dbt_paid_weighted_3m / nullif(dbt_paid_amount_3m, 0) as dbt_paid_3m,
        dbt_paid_weighted_12m / nullif(dbt_paid_amount_12m, 0) as dbt_paid_12m,
        dbt_received_weighted_3m / nullif(dbt_received_amount_3m, 0) as dbt_received_3m,
        electricity_months_3m + revenue_months_3m as revenue_electricity_months_3m
    from windowed
),

indicators as (
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
    cast(w.revenue_3m / nullif(w.invoice_sales_3m, 0) as double) as revenue_to_invoice_ratio_3m,
    -- declared revenue per kWh against the industry division's median (1 = like its peers)
    -- only over three full months of both feeds (a first, partial month is not a mismatch)
    case when w.revenue_electricity_months_3m = 6
              and {{ months_between('e.established_on', 'w.month') }} >= 6
         then cast(w.revenue_3m / nullif(w.electricity_3m, 0) as double)
    end as revenue_per_kwh_3m,
    cast(w.dbt_paid_3m as double) as dbt_paid_3m,
    cast(w.dbt_paid_12m as double) as dbt_paid_12m,
    cast(w.dbt_received_3m as double) as dbt_received_3m,
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
    cast(w.revenue_12m as double) as revenue_12m,
    cast(w.invoice_sales_12m as double) as invoice_sales_12m,
    cast(w.loan_exposure as decimal(18, 2)) as loan_exposure,
    coalesce(col.secured_exposure_share, 0) as secured_exposure_share,
    coalesce(w.max_days_past_due, 0) as max_days_past_due,
    e.industry_division
from trend_bases as w
{%- if is_incremental() %}
semi join touched using (uscc, month)
{%- endif %}
join {{ ref('stg_commerce__enterprises') }} as e using (uscc)
left join {{ recomputed_keys(ref('int_tax__rating_month'), 'touched') }} as r using (uscc, month)
left join {{ recomputed_keys(ref('int_invoices__customer_concentration'), 'touched') }} as cc using (uscc, month)
left join collateral as col using (uscc, month)
),

compared as (
    select i.* exclude (industry_division),
           i.revenue_per_kwh_3m / nullif(peer.peer_revenue_per_kwh, 0) as revenue_per_kwh_vs_peers
    from indicators as i
    left join {{ ref('int_credit__peer_intensity') }} as peer
        on peer.industry_division = i.industry_division and peer.month = i.month
)

select *, {{ run_stamp() }} as _built_at from compared
{%- if is_incremental() %}
union all by name
select *, {{ run_stamp() }} as _built_at from peer_only
{%- endif %}
