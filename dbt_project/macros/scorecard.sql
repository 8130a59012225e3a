{# The scorecard's characteristics and their bins, shared by the score (fct_credit_score) and
   its stability (rpt_characteristic_stability), so that both bin a value the same way. #}

{# The bins of the card in use (int_scorecard__champion: the promoted fitted card, else the
   expert card). #}
{% macro champion_scorecard() -%}
select * from {{ ref('int_scorecard__cards') }}
where scorecard_version = (select scorecard_version from {{ ref('int_scorecard__champion') }})
{%- endmacro %}

{# One row per enterprise and month, one column per characteristic a scorecard may bin: the
   indicator panel as the cards see it (fitted cards learn from these very columns, through
   fct_scorecard_observations). `touched`: a relation of (uscc, month) to keep, or none. #}
{% macro scorecard_features(touched=none) -%}
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
{%- endmacro %}

{# One row per enterprise, month and characteristic: scorecard_features unpivoted. #}
{% macro scorecard_characteristics(touched=none) -%}
select *
from (
{{ scorecard_features(touched) }}
)
unpivot include nulls (value for characteristic in (
    electricity_trend, water_trend, revenue_trend, headcount_trend, paydex_3m, tax_paid_ratio_12m,
    late_tax_returns_12m, tax_rating_rank, tax_arrears_outstanding, ss_unpaid_months_3m,
    public_negatives_12m, business_age_months, customer_hhi_12m, revenue_electricity_gap,
    max_days_past_due, core_red_signals))
{%- endmacro %}

{# Each characteristic's value in its bin of `scorecard` (one card of int_scorecard__cards): the bin, its points, its reason code, and the characteristic's best points. #}
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
