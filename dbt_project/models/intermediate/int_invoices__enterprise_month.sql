{{ config(materialized='incremental', unique_key=['uscc', 'month'], incremental_strategy='delete+insert') }}
{# Invoice sales (as seller) and purchases (as buyer, resolved) per month of issue.
   Incremental: the months of issue of invoices changed since the last run, for their seller,
   their buyer and the enterprises the buyer resolved to before. #}
with invoices as (
    select seller_uscc, buyer_uscc_resolved, cast(date_trunc('month', issued_on) as date) as month, amount
    from {{ ref('int_invoices__resolved') }}
    where is_trade
)

{%- if is_incremental() %},

touched as (
    select distinct p.uscc, cast(date_trunc('month', i.issued_on) as date) as month
    from {{ changed(ref('int_invoices__resolved')) }} as i,
        unnest(list_concat([i.seller_uscc, i.buyer_uscc_resolved], i.buyer_previous_usccs)) as p(uscc)
    where p.uscc is not null
)
{%- endif %},

sales as (
    select seller_uscc as uscc, month, sum(amount) as invoice_sales, count(*) as sales_invoices
    from invoices as i
    {%- if is_incremental() %}
    semi join touched as t on t.uscc = i.seller_uscc and t.month = i.month
    {%- endif %}
    group by all
),

purchases as (
    select buyer_uscc_resolved as uscc, month, sum(amount) as invoice_purchases, count(*) as purchase_invoices
    from invoices as i
    {%- if is_incremental() %}
    semi join touched as t on t.uscc = i.buyer_uscc_resolved and t.month = i.month
    {%- endif %}
    where buyer_uscc_resolved is not null
    group by all
),

result as (
    select
        uscc,
        month,
        coalesce(invoice_sales, 0) as invoice_sales,
        coalesce(sales_invoices, 0) as sales_invoices,
        coalesce(invoice_purchases, 0) as invoice_purchases,
        coalesce(purchase_invoices, 0) as purchase_invoices
    from sales
    full outer join purchases using (uscc, month)
)

{{ recomputed('result', 'touched', ['uscc', 'month']) }}
