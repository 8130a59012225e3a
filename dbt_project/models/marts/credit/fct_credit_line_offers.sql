{# Suggested credit line per enterprise and product for the as-of month: the product type's
   basis (seed product_line_rules) times the grade's line factor, capped by the product's
   maximum and the inclusive-finance cap of 10 million CNY per borrower; below the product's
   minimum, or declined, there is no offer. #}
{%- set inclusive_finance_cap = 10000000 %}

with latest as (
    select s.*, i.revenue_12m, i.invoice_sales_12m, i.core_customer_share_12m
    from {{ ref('fct_credit_score') }} as s
    join {{ ref('fct_credit_indicators') }} as i using (uscc, month)
    join {{ ref('int_calendar__months') }} as c using (month)
    where c.is_as_of_month
),

chain as (
    select member_uscc as uscc, true as in_core_chain
    from {{ ref('int_supply_chain__members') }}
    where is_main_chain
),

rules as (
    select * from {{ ref('product_line_rules') }}
    where rules_version = (select max(rules_version) from {{ ref('product_line_rules') }})
),

candidates as (
    select
        l.uscc, l.month, l.period, l.score, l.grade, l.decision,
        p.product_id, p.product_type, p.min_amount, p.max_amount,
        r.basis,
        case r.basis
            when 'revenue_12m' then coalesce(l.revenue_12m, l.invoice_sales_12m)
            when 'sales_to_core_3m' then l.invoice_sales_12m * l.core_customer_share_12m / 4
        end * r.basis_multiple * l.line_factor as raw_line,
        r.needs_core_chain,
        coalesce(chain.in_core_chain, false) as in_core_chain
    from latest as l
    cross join rules as r
    join {{ ref('dim_product') }} as p on p.product_type = r.product_type
    left join chain using (uscc)
)

select
    uscc,
    month,
    period,
    product_id,
    product_type,
    score,
    grade,
    decision,
    cast(case
        when decision = 'decline' or (needs_core_chain and not in_core_chain) then null
        when least(raw_line, max_amount, {{ inclusive_finance_cap }}) < min_amount then null
        else floor(least(raw_line, max_amount, {{ inclusive_finance_cap }}) / 1000) * 1000
    end as decimal(18, 2)) as suggested_line,
    case
        when decision = 'decline' then 'declined_by_score'
        when needs_core_chain and not in_core_chain then 'not_in_core_chain'
        when raw_line is null then 'no_basis_data'
        when least(raw_line, max_amount, {{ inclusive_finance_cap }}) < min_amount then 'below_product_minimum'
        else 'offered'
    end as offer_status
from candidates
