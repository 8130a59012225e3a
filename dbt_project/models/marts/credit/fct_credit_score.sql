-- depends_on: {{ ref('stg_commerce__enterprises') }}
{{ config(materialized='incremental', unique_key=['uscc', 'month'], incremental_strategy='delete+insert',
          on_schema_change='append_new_columns', pre_hook="{{ delete_months_before_establishment() }}") }}
{# Points scorecard per enterprise and month. Bins, points and reason codes are data
   (seed scorecard_bins, newest version); score = base + the points of each characteristic's
   bin. Reason codes: the characteristics that lost most points against their best bin.
   Incremental: the months whose indicators or chain signal changed since the last run (every
   month when the scorecard version changes). #}
with scorecard as (
    select * from {{ ref('scorecard_bins') }}
    where scorecard_version = (select max(scorecard_version) from {{ ref('scorecard_bins') }})
),

{%- if is_incremental() %}

touched as (
    select uscc, month from {{ changed(ref('fct_credit_indicators')) }}
    union
    select uscc, month from {{ changed(ref('int_warning_signals__chain')) }}
    union
    select uscc, month from {{ ref('fct_credit_indicators') }}
    where (select max(scorecard_version) from scorecard) is distinct from (select max(scorecard_version) from {{ this }})
),
{%- endif %}

characteristics as (
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
        {%- if is_incremental() %}
        semi join touched using (uscc, month)
        {%- endif %}
        -- distress of the core enterprise leading the enterprise's main supply chain
        left join {{ ref('int_warning_signals__chain') }} as chain using (uscc, month)
    )
    unpivot include nulls (value for characteristic in (
        electricity_trend, water_trend, revenue_trend, headcount_trend, paydex_3m, tax_paid_ratio_12m,
        late_tax_returns_12m, tax_rating_rank, tax_arrears_outstanding, ss_unpaid_months_3m,
        public_negatives_12m, business_age_months, customer_hhi_12m, revenue_electricity_gap,
        max_days_past_due, core_red_signals))
),

points as (
    select c.uscc, c.month, c.period, c.characteristic, c.value, b.points, b.reason_code, best.best_points
    from characteristics as c
    join (select characteristic, max(points) as best_points from scorecard group by all) as best
        using (characteristic)
    join scorecard as b
        on b.characteristic = c.characteristic
       and ((c.value is null and b.matches_missing)
            or (c.value is not null and not b.matches_missing
                and (b.lower_bound is null or c.value >= b.lower_bound)
                and (b.upper_bound is null or c.value < b.upper_bound)))
),

base as (
    select scorecard_version, points as base_points from scorecard where characteristic = 'base'
),

scored as (
    select
        uscc, month, period,
        cast(base.base_points + sum(points) as integer) as score,
        list(reason_code order by best_points - points desc, characteristic)
            filter (where reason_code is not null and points < best_points) as reasons,
        base.scorecard_version
    from points, base
    group by uscc, month, period, base.base_points, base.scorecard_version
),

final as (
select
    s.uscc,
    s.month,
    s.period,
    s.scorecard_version,
    s.score,
    g.grade,
    g.decision,
    g.line_factor,
    s.reasons[1] as reason_code_1,
    s.reasons[2] as reason_code_2,
    s.reasons[3] as reason_code_3
from scored as s
join {{ ref('score_grades') }} as g
    on g.scorecard_version = s.scorecard_version
   and (g.min_score is null or s.score >= g.min_score)
   and (g.max_score is null or s.score < g.max_score)
)

select *, {{ run_stamp() }} as _built_at from final
