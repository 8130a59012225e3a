{# The scorecard's characteristics and their bins, shared by the score (fct_credit_score) and
   its stability (rpt_characteristic_stability), so that both bin a value the same way. #}

{# One row per enterprise, month and characteristic: the indicator panel unpivoted into the
   characteristics the scorecard bins. `touched`: a relation of (uscc, month) to keep, or none. #}
{% macro scorecard_characteristics(touched=none) -%}
select *
from (
    select
        uscc, month, period,
        electricity_trend, water_trend, revenue_trend, headcount_trend,
        paydex_3m, tax_paid_ratio_12m,
        cast(late_tax_returns_12m as double) as late_tax_returns_12m,
        cast(case tax_credit_rating when 'A' then 5 when 'B' then 4 when 'M' then 3
             when 'C' then 2 when 'D' then 1 end as double) as tax_rating_rank,
        cast(tax_arrears_outstanding as double) as tax_arrears_outstanding,
        cast(ss_unpaid_months_3m as double) as ss_unpaid_months_3m,
        cast(public_negatives_12m as double) as public_negatives_12m,
        cast(business_age_months as double) as business_age_months,
        customer_hhi_12m,
        revenue_electricity_gap,
        cast(max_days_past_due as double) as max_days_past_due,
        coalesce(chain.value, 0) as core_red_signals
    from {{ ref('fct_credit_indicators') }}
    {%- if touched %}
    semi join {{ touched }} using (uscc, month)
    {%- endif %}
    -- distress of the core enterprise leading the enterprise's main supply chain
    left join {{ ref('int_warning_signals__chain') }} as chain using (uscc, month)
)
unpivot include nulls (value for characteristic in (
    electricity_trend, water_trend, revenue_trend, headcount_trend, paydex_3m, tax_paid_ratio_12m,
    late_tax_returns_12m, tax_rating_rank, tax_arrears_outstanding, ss_unpaid_months_3m,
    public_negatives_12m, business_age_months, customer_hhi_12m, revenue_electricity_gap,
    max_days_past_due, core_red_signals))
{%- endmacro %}

{# Each characteristic's value in its bin of `scorecard` (one version of the seed
   scorecard_bins): the bin, its points, its reason code, and the characteristic's best points. #}
{% macro scorecard_bins_of(characteristics, scorecard) -%}
select c.uscc, c.month, c.period, c.characteristic, c.value, b.bin_order, b.points, b.reason_code, best.best_points
from {{ characteristics }} as c
join (select characteristic, max(points) as best_points from {{ scorecard }} group by all) as best
    using (characteristic)
join {{ scorecard }} as b
    on b.characteristic = c.characteristic
   and ((c.value is null and b.matches_missing)
        or (c.value is not null and not b.matches_missing
            and (b.lower_bound is null or c.value >= b.lower_bound)
            and (b.upper_bound is null or c.value < b.upper_bound)))
{%- endmacro %}
