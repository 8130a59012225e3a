{{ config(materialized='incremental', unique_key=['uscc', 'month'], incremental_strategy='delete+insert') }}
{# Tax arrears outstanding at each month end, and arrears that arose in the month.
   Small: computed in full, only changed months are written (see only_changes). #}
with new_rows as (
    select
        c.month,
        a.uscc,
        sum(a.amount) filter (where a.settled_on is null or a.settled_on > c.month_end) as tax_arrears_outstanding,
        count(*) filter (where date_trunc('month', a.since) = c.month) as new_tax_arrears
    from {{ ref('int_tax_arrears__resolved') }} as a
    join {{ ref('int_calendar__months') }} as c
        on a.since <= c.month_end and (a.settled_on is null or a.settled_on >= c.month)
    where a.uscc is not null
    group by all
)

{{ only_changes('new_rows', ['uscc', 'month'], 'new_tax_arrears') }}
