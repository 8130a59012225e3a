{{ config(materialized='incremental', unique_key=['uscc', 'month'], incremental_strategy='delete+insert') }}
{# Monthly tax figures per enterprise. Declared revenue comes from the VAT return: general
   taxpayers file monthly, small-scale taxpayers quarterly (period = the quarter's last month),
   so a quarterly return's revenue is spread evenly over its three months. CIT returns restate
   revenue for the quarter and are not used for it. A return is late when filed after the
   15th of the month after its period (the statutory deadline) or not filed at all.
   Incremental: the months (and the two before: a quarter) of returns changed since the last
   run or of taxpayers whose kind changed, for the enterprise and those the taxpayer id
   resolved to before. #}
{%- if is_incremental() %}
with changed_returns as (
    select uscc, previous_usccs, month from {{ changed(ref('int_tax_filings__resolved')) }}
    union all
    select f.uscc, f.previous_usccs, f.month
    from {{ ref('int_tax_filings__resolved') }} as f
    semi join {{ changed(ref('stg_tax__taxpayers')) }} as t using (taxpayer_id)
),

touched as (
    select distinct p.uscc, cast(m.month as date) as month
    from changed_returns as c,
        unnest(list_concat([c.uscc], c.previous_usccs)) as p(uscc),
        unnest([c.month - interval 2 month, c.month - interval 1 month, c.month]) as m(month)
    where p.uscc is not null
),

filings as (
{%- else %}
with filings as (
{%- endif %}
    select f.*, coalesce(t.taxpayer_kind, 'general') as taxpayer_kind
    from {{ ref('int_tax_filings__resolved') }} as f
    left join {{ ref('stg_tax__taxpayers') }} as t using (taxpayer_id)
    where f.uscc is not null
    {%- if is_incremental() %}
      and f.uscc in (select uscc from touched)
    {%- endif %}
),

revenue as (
    select uscc, cast(m.month as date) as month,
           sum(declared_revenue / case when taxpayer_kind = 'small_scale' then 3 else 1 end) as declared_revenue
    from filings,
        unnest(case when taxpayer_kind = 'small_scale'
                    then [month - interval 2 month, month - interval 1 month, month]
                    else [month] end) as m(month)
    where tax_type = 'vat'
    group by all
),

payments as (
    select
        uscc,
        month,
        sum(tax_payable) as tax_payable,
        sum(tax_paid) as tax_paid,
        count(*) as tax_returns,
        count(*) filter (where filed_on is null or filed_on > {{ month_end('month') }} + interval 15 day) as late_tax_returns
    from filings
    group by all
),

result as (
    select
        uscc,
        month,
        revenue.declared_revenue,
        payments.tax_payable,
        payments.tax_paid,
        coalesce(payments.tax_returns, 0) as tax_returns,
        coalesce(payments.late_tax_returns, 0) as late_tax_returns
    from revenue
    full outer join payments using (uscc, month)
)

{{ recomputed('result', 'touched', ['uscc', 'month']) }}
