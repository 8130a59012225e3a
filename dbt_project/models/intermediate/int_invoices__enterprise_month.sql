{# Invoice sales (as seller) and purchases (as buyer, resolved) per month of issue. #}
with sales as (
    select seller_uscc as uscc, date_trunc('month', issued_on) as month,
           sum(amount) as invoice_sales, count(*) as sales_invoices
    from {{ ref('int_invoices_resolved') }}
    group by all
),

purchases as (
    select buyer_uscc_resolved as uscc, date_trunc('month', issued_on) as month,
           sum(amount) as invoice_purchases, count(*) as purchase_invoices
    from {{ ref('int_invoices_resolved') }}
    where buyer_uscc_resolved is not null
    group by all
)

select
    uscc,
    cast(month as date) as month,
    coalesce(invoice_sales, 0) as invoice_sales,
    coalesce(sales_invoices, 0) as sales_invoices,
    coalesce(invoice_purchases, 0) as invoice_purchases,
    coalesce(purchase_invoices, 0) as purchase_invoices
from sales
full outer join purchases using (uscc, month)
