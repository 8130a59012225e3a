-- depends_on: {{ ref('stg_commerce__enterprises') }}
{{ config(materialized='incremental', unique_key=['uscc', 'month'], incremental_strategy='delete+insert',
          on_schema_change='append_new_columns', pre_hook="{{ delete_months_before_establishment() }}") }}
{# Points scorecard per enterprise and month. Bins, points and reason codes are data: the card
   in use (int_scorecard__champion: a fitted card the gate promoted, else the expert seed
   scorecard_bins); score = base + the points of each characteristic's bin, within 0..1000. Reason codes: the
   characteristics that lost most points against their best bin.
   Incremental: the months whose indicators or chain signal changed since the last run (every
   month when the card in use changes). #}
with scorecard as (
    {{ champion_scorecard() | indent(4) }}
),

{%- if is_incremental() %}

touched as (
    select uscc, month from {{ changed(ref('fct_credit_indicators')) }}
    union
    select uscc, month from {{ changed(ref('int_warning_signals__chain')) }}
    union
    select uscc, month from {{ ref('fct_credit_indicators') }}
    where exists (
        select 1 from {{ this }} where scorecard_version <> (select max(scorecard_version) from scorecard)
    )
),
{%- endif %}

characteristics as (
    {{ scorecard_characteristics('touched' if is_incremental() else none) | indent(4) }}
),

points as (
    {{ scorecard_bins_of('characteristics', 'scorecard') | indent(4) }}
),

base as (
    select scorecard_version, points as base_points from scorecard where characteristic = 'base'
),

scored as (
    select
        uscc, month, period,
        -- on the 0..1000 scale of every card: a fitted card's points may sum past its ends
        cast(least(greatest(base.base_points + sum(points), 0), 1000) as integer) as score,
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
join {{ ref('int_scorecard__grades') }} as g
    on g.scorecard_version = s.scorecard_version
   and (g.min_score is null or s.score >= g.min_score)
   and (g.max_score is null or s.score < g.max_score)
)

select *, {{ run_stamp() }} as _built_at from final
