{# The bank's loan product catalogue (seed loan_products = simulator/reference/loan_products.csv). #}
select
    cast(product_id as varchar) as product_id,
    cast(product_name as varchar) as product_name,
    cast(product_type as varchar) as product_type,
    cast(min_amount as decimal(18, 2)) as min_amount,
    cast(max_amount as decimal(18, 2)) as max_amount,
    cast(min_term_days as integer) as min_term_days,
    cast(max_term_days as integer) as max_term_days,
    cast(base_rate as decimal(8, 4)) as base_rate,
    cast(max_rate as decimal(8, 4)) as max_rate,
    cast(collateral_type as varchar) as collateral_type,
    cast(repayment_method as varchar) as repayment_method,
    cast(description as varchar) as description
from {{ ref('loan_products') }}
