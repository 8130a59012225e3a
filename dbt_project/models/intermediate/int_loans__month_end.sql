{{ config(materialized='incremental', unique_key=['bank_id', 'loan_id', 'month'], incremental_strategy='delete+insert') }}
{# Each loan's last position in every month (month-end positions for history, daily after); a
   loan is named by its bank and its id (each bank's ids are its own).
   Incremental: the months of positions received since the last run. #}
{%- if is_incremental() %}
with touched as (
    select distinct bank_id, loan_id, cast(date_trunc('month', as_of_date) as date) as month
    from {{ changed(ref('stg_bank__loans')) }}
)
{%- endif %}

select
    cast(date_trunc('month', l.as_of_date) as date) as month,
    l.* exclude (_built_at),
    {{ run_stamp() }} as _built_at
from {{ ref('stg_bank__loans') }} as l
{%- if is_incremental() %}
semi join touched as t
    on t.bank_id = l.bank_id and t.loan_id = l.loan_id and t.month = date_trunc('month', l.as_of_date)
{%- endif %}
qualify row_number() over (
    partition by l.bank_id, l.loan_id, date_trunc('month', l.as_of_date) order by l.as_of_date desc
) = 1
