{# Population stability of the score, month over month: each month's scores are put in the
   ten bands the previous month's deciles make, and PSI = sum((a - e) * ln(a / e)) over the
   bands' shares (a: this month, e: the previous; an empty band counts as 0.0001). Above 0.25
   the population has shifted (the transform DAG raises a score_drift alert); 0.10-0.25 is
   worth watching. #}
{%- set empty_share = 0.0001 %}

with scores as (
    select month, score from {{ ref('fct_credit_score') }}
),

months as (
    select month, month - interval 1 month as reference_month, count(*) as scored
    from scores
    group by month
),

edges as (
    select month as reference_month, quantile_cont(score, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]) as edges
    from scores
    group by month
),

banded as (
    -- a score's band in the reference month's deciles: how many edges it reaches (0-9), for
    -- the month's scores (actual) and the reference month's (expected)
    select m.month, sides.side, len(list_filter(e.edges, lambda x: x <= s.score)) as band
    from months as m
    join edges as e on m.reference_month = e.reference_month
    cross join (values ('actual'), ('expected')) as sides (side)
    join scores as s
        on s.month = case sides.side when 'actual' then m.month else m.reference_month end
),

shares as (
    select
        month,
        band,
        count(*) filter (where side = 'actual') / sum(count(*) filter (where side = 'actual')) over (partition by month)
            as actual_share,
        count(*) filter (where side = 'expected')
        / sum(count(*) filter (where side = 'expected')) over (partition by month) as expected_share
    from banded
    group by month, band
),

psi as (
    select
        month,
        sum(
            (greatest(actual_share, {{ empty_share }}) - greatest(expected_share, {{ empty_share }}))
            * ln(greatest(actual_share, {{ empty_share }}) / greatest(expected_share, {{ empty_share }}))
        ) as psi
    from shares
    group by month
)

select
    m.month,
    strftime(m.month, '%Y-%m') as period,
    m.scored,
    p.psi,
    case
        when p.psi is null then null
        when p.psi > 0.25 then 'shifted'
        when p.psi > 0.10 then 'watch'
        else 'stable'
    end as stability
from months as m
left join psi as p on m.month = p.month
order by m.month
