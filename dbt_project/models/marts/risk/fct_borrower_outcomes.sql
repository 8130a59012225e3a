{# Each borrower at each month end, with what became of it: the outcome the score and the
   warnings are judged by (and a fitted scorecard would learn from). Performing: a loan
   outstanding and none 90+ days past due. Defaulted within 12 months: 90+ days past due on any
   loan at a month end in the 12 months after, months_to_default after how many. Mature once the loan book reaches 12 months past
   the month; until then the default is only the one seen so far. #}

with book as (
    select
        uscc,
        month,
        sum(exposure) as exposure,
        max(days_past_due) as max_days_past_due
    from {{ ref('fct_loan_month') }}
    group by uscc, month
),

latest as (
    select max(month) as month from book
)

select
    b.uscc,
    b.month,
    strftime(b.month, '%Y-%m') as period,
    b.exposure,
    b.max_days_past_due,
    b.exposure > 0 and b.max_days_past_due < 90 as performing,
    d.months_to_default is not null as defaulted_12m,
    d.months_to_default,
    b.month + interval 12 month <= (select month from latest) as mature
from book as b
left join (
    select
        earlier.uscc,
        earlier.month,
        min(datediff('month', earlier.month, later.month)) as months_to_default
    from book as earlier
    join book as later
        on
            later.uscc = earlier.uscc
            and later.month > earlier.month
            and later.month <= earlier.month + interval 12 month
            and later.max_days_past_due >= 90
    group by earlier.uscc, earlier.month
) as d using (uscc, month)
