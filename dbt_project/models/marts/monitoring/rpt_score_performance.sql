{# How well the score ranked the risk, per month it was given (a cohort), as outcomes mature:
   the population is the borrowers performing at that month end, the outcome their default
   within 12 months (fct_borrower_outcomes). AUC is the chance a borrower that did not default
   scored above one that did (ties half); KS the largest gap between the two groups' score
   distributions. Mature once the loan book reaches 12 months past the cohort; before that the
   figures are for the defaults so far. #}

with population as (
    select s.month, s.scorecard_version, s.uscc, s.score, o.defaulted_12m as defaulted, o.mature
    from {{ ref('fct_credit_score') }} as s
    join {{ ref('fct_borrower_outcomes') }} as o on s.uscc = o.uscc and s.month = o.month
    where o.performing
),

ranked as (
    select
        *,
        -- the average rank of the score in its cohort (ties share their ranks)
        rank() over (partition by month, scorecard_version order by score)
        + (count(*) over (partition by month, scorecard_version, score) - 1) / 2.0 as score_rank
    from population
),

cohorts as (
    select
        month,
        scorecard_version,
        count(*) as borrowers,
        count(*) filter (where defaulted) as defaulted_12m,
        sum(score_rank) filter (where not defaulted) as good_rank_sum,
        bool_and(mature) as mature
    from ranked
    group by month, scorecard_version
),

cumulative as (
    -- the share of each group at or below each score
    select distinct
        month,
        scorecard_version,
        score,
        count(*) filter (where defaulted) over w as bad_at_or_below,
        count(*) filter (where not defaulted) over w as good_at_or_below
    from population
    window w as (partition by month, scorecard_version order by score range between unbounded preceding and current row)
),

ks as (
    select
        u.month,
        u.scorecard_version,
        max(abs(u.bad_at_or_below / c.defaulted_12m - u.good_at_or_below / (c.borrowers - c.defaulted_12m))) as ks
    from cumulative as u
    join cohorts as c using (month, scorecard_version)
    where c.defaulted_12m > 0 and c.borrowers > c.defaulted_12m
    group by u.month, u.scorecard_version
)

select
    c.month,
    strftime(c.month, '%Y-%m') as period,
    c.scorecard_version,
    c.borrowers,
    c.defaulted_12m,
    c.defaulted_12m / c.borrowers as default_rate_12m,
    c.mature,
    case
        when c.defaulted_12m > 0 and c.borrowers > c.defaulted_12m
            then
                (c.good_rank_sum - (c.borrowers - c.defaulted_12m) * (c.borrowers - c.defaulted_12m + 1) / 2.0)
                / ((c.borrowers - c.defaulted_12m) * c.defaulted_12m)
    end as auc,
    k.ks
from cohorts as c
left join ks as k using (month, scorecard_version)
order by c.month, c.scorecard_version
