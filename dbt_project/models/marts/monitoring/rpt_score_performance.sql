{# How well the score ranked the risk, per month it was given (a cohort), as outcomes mature:
   the population is the enterprises with a loan outstanding and none 90+ days past due at
   that month end; the outcome, 90+ days past due on any loan in the 12 months after. AUC is
   the chance a borrower that did not default scored above one that did (ties half); KS the
   largest gap between the two groups' score distributions. Mature once the loan book reaches
   12 months past the cohort; before that the figures are for the defaults so far. #}

with book as (
    select uscc, month, sum(exposure) as exposure, max(days_past_due) as days_past_due
    from {{ ref('fct_loan_month') }}
    group by uscc, month
),

latest as (
    select max(month) as month from book
),

population as (
    select
        s.month,
        s.scorecard_version,
        s.uscc,
        s.score,
        exists(
            select 1 from book as later
            where
                later.uscc = s.uscc
                and later.month > s.month
                and later.month <= s.month + interval 12 month
                and later.days_past_due >= 90
        ) as defaulted
    from {{ ref('fct_credit_score') }} as s
    join book as b on s.uscc = b.uscc and s.month = b.month
    where b.exposure > 0 and b.days_past_due < 90
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
        sum(score_rank) filter (where not defaulted) as good_rank_sum
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
    c.month + interval 12 month <= (select month from latest) as mature,
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
