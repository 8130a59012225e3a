{# Days beyond terms as known at each month end (no look-ahead): an invoice counts in the month
   it is paid (days = paid_on - due_on, negative when early) and, while unpaid past its due date,
   in every month end it stays open (days = month_end - due_on). Amount-weighted per party. #}
with invoices as (
    select invoice_no, seller_uscc, buyer_uscc_resolved, amount, due_on, paid_on
    from {{ ref('int_invoices_resolved') }}
    where due_on is not null
),

last_month as (
    select max(month) as month from {{ ref('int_calendar__months') }}
),

observations as (
    select
        i.*,
        cast(m.month as date) as month,
        case
            when i.paid_on is not null and date_trunc('month', i.paid_on) = m.month
                then date_diff('day', i.due_on, i.paid_on)
            else date_diff('day', i.due_on, {{ month_end('cast(m.month as date)') }})
        end as days_beyond_terms
    from invoices as i, last_month,
        unnest(generate_series(
            date_trunc('month', least(i.due_on, coalesce(i.paid_on, i.due_on))),
            least(date_trunc('month', coalesce(i.paid_on, last_month.month)), last_month.month),
            interval 1 month)) as m(month)
    -- before its due date an unpaid invoice is not late yet: it is observed once paid or due
    where (i.paid_on is not null and date_trunc('month', i.paid_on) = m.month)
       or (m.month >= date_trunc('month', i.due_on) and (i.paid_on is null or i.paid_on > {{ month_end('cast(m.month as date)') }}))
),

as_seller as (
    select seller_uscc as uscc, month,
           sum(amount * days_beyond_terms) / nullif(sum(amount), 0) as dbt_received,
           sum(amount) as amount_observed_received
    from observations group by all
),

as_buyer as (
    select buyer_uscc_resolved as uscc, month,
           sum(amount * days_beyond_terms) / nullif(sum(amount), 0) as dbt_paid,
           sum(amount) as amount_observed_paid
    from observations where buyer_uscc_resolved is not null group by all
)

select uscc, month, dbt_received, dbt_paid, amount_observed_received, amount_observed_paid
from as_seller full outer join as_buyer using (uscc, month)
