{{ config(materialized='incremental', unique_key=['uscc', 'month'], incremental_strategy='delete+insert') }}
{# Days beyond terms as known at each month end (no look-ahead): an invoice counts in the month
   it is paid (days = paid_on - due_on, negative when early) and, while unpaid past its due date,
   in every month end it stays open (days = month_end - due_on). Amount-weighted per party.
   Incremental: months after the newest stored one are computed for every invoice; earlier
   months only for the parties of invoices changed since the last run (from the month of issue
   or due date on; with the enterprises their buyer resolved to before). #}
with last_month as (
    select max(month) as month from {{ ref('int_calendar__months') }}
)

{%- if is_incremental() %},

stored as (
    select coalesce(max(month), date '1900-01-01') as month from {{ this }}
),

touched as (
    select distinct p.uscc, cast(m.month as date) as month
    from {{ changed(ref('int_invoices__resolved')) }} as i,
        stored,
        unnest(list_concat([i.seller_uscc, i.buyer_uscc_resolved], i.buyer_previous_usccs)) as p(uscc),
        unnest(generate_series(date_trunc('month', least(i.issued_on, coalesce(i.due_on, i.issued_on))),
                               stored.month, interval 1 month)) as m(month)
    where p.uscc is not null
),

-- each touched party from its first touched month
parties as (
    select uscc, min(month) as from_month from touched group by uscc
)
{%- endif %},

invoices as (
    select i.invoice_no, i.seller_uscc, i.buyer_uscc_resolved, i.amount, i.due_on, i.paid_on
    {%- if is_incremental() %},
        -- the first month to observe: a month not stored yet, or a touched party's
        least(s.from_month, b.from_month, (select month from stored) + interval 1 month) as from_month
    {%- endif %}
    from {{ ref('int_invoices__resolved') }} as i
    {%- if is_incremental() %}
    left join parties as s on s.uscc = i.seller_uscc
    left join parties as b on b.uscc = i.buyer_uscc_resolved
    {%- endif %}
    where i.due_on is not null and i.is_trade
    {%- if is_incremental() %}
      -- paid before the first month to observe: nothing to observe
      and (i.paid_on is null or i.paid_on >= least(s.from_month, b.from_month, (select month from stored) + interval 1 month))
    {%- endif %}
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
            {%- if is_incremental() %}
            greatest(date_trunc('month', least(i.due_on, coalesce(i.paid_on, i.due_on))), i.from_month),
            {%- else %}
            date_trunc('month', least(i.due_on, coalesce(i.paid_on, i.due_on))),
            {%- endif %}
            least(date_trunc('month', coalesce(i.paid_on, last_month.month)), last_month.month),
            interval 1 month)) as m(month)
    -- before its due date an unpaid invoice is not late yet: it is observed once paid or due
    where ((i.paid_on is not null and date_trunc('month', i.paid_on) = m.month)
       or (m.month >= date_trunc('month', i.due_on) and (i.paid_on is null or i.paid_on > {{ month_end('cast(m.month as date)') }})))
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
),

result as (
    select uscc, month, dbt_received, dbt_paid, amount_observed_received, amount_observed_paid
    from as_seller full outer join as_buyer using (uscc, month)
)

{%- if is_incremental() %},

keys as (
    select uscc, month from touched
    union
    select uscc, month from result where month > (select month from stored)
)
{%- endif %}

{{ recomputed('result', 'keys', ['uscc', 'month']) }}
