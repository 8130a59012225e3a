{# How often a warning was followed by a default, per signal, level and the month the warning
   began: of the enterprises warned that month that were performing borrowers, how many
   defaulted within 12 months (fct_borrower_outcomes). A cohort is mature once the loan book
   reaches 12 months past it; until then defaulted_12m counts the defaults so far and
   hit_rate_12m is null. #}

with warned as (
    select distinct w.signal, w.level, w.first_seen_month, w.uscc
    from {{ ref('fct_risk_warnings') }} as w
),

outcomes as (
    -- the warned borrowers performing when the warning began, and what became of them
    select w.*, o.defaulted_12m as defaulted
    from warned as w
    join {{ ref('fct_borrower_outcomes') }} as o on w.uscc = o.uscc and w.first_seen_month = o.month
    where o.performing
),

mature as (
    select max(month) filter (where mature) as month from {{ ref('fct_borrower_outcomes') }}
)

select
    w.signal,
    w.level,
    w.first_seen_month,
    strftime(w.first_seen_month, '%Y-%m') as period,
    count(distinct w.uscc) as warned,
    count(distinct o.uscc) as borrowers,
    count(distinct o.uscc) filter (where o.defaulted) as defaulted_12m,
    coalesce(w.first_seen_month <= (select month from mature), false) as mature,
    case
        when w.first_seen_month <= (select month from mature) and count(distinct o.uscc) > 0
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
