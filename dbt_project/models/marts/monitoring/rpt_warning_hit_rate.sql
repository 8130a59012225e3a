{# How often a warning was followed by a default, per signal, level and the month the warning
   began: of the enterprises warned that month that were borrowers not yet in default (a loan
   outstanding, every loan under 90 days past due), how many reached 90+ days past due on any
   loan in the 12 months after. A cohort is mature once the loan book reaches 12 months past
   it; until then defaulted_12m counts the defaults so far and hit_rate_12m is null. #}

with book as (
    select
        uscc,
        month,
        sum(exposure) as exposure,
        max(days_past_due) as days_past_due
    from {{ ref('fct_loan_month') }}
    group by uscc, month
),

latest as (
    select max(month) as month from book
),

warned as (
    select distinct w.signal, w.level, w.first_seen_month, w.uscc
    from {{ ref('fct_risk_warnings') }} as w
),

borrowers as (
    -- borrowers not yet in default when the warning began
    select w.*
    from warned as w
    join book as b on w.uscc = b.uscc and w.first_seen_month = b.month
    where b.exposure > 0 and b.days_past_due < 90
),

outcomes as (
    select
        w.signal,
        w.level,
        w.first_seen_month,
        w.uscc,
        exists(
            select 1 from book as b
            where
                b.uscc = w.uscc
                and b.month > w.first_seen_month
                and b.month <= w.first_seen_month + interval 12 month
                and b.days_past_due >= 90
        ) as defaulted
    from borrowers as w
)

select
    w.signal,
    w.level,
    w.first_seen_month,
    strftime(w.first_seen_month, '%Y-%m') as period,
    count(distinct w.uscc) as warned,
    count(distinct o.uscc) as borrowers,
    count(distinct o.uscc) filter (where o.defaulted) as defaulted_12m,
    w.first_seen_month + interval 12 month <= (select month from latest) as mature,
    case
        when w.first_seen_month + interval 12 month <= (select month from latest) and count(distinct o.uscc) > 0
            then count(distinct o.uscc) filter (where o.defaulted) / count(distinct o.uscc)
    end as hit_rate_12m
from warned as w
left join outcomes as o
    on
        w.signal = o.signal
        and w.level = o.level
        and w.first_seen_month = o.first_seen_month
        and w.uscc = o.uscc
group by w.signal, w.level, w.first_seen_month
order by w.signal, w.level, w.first_seen_month
