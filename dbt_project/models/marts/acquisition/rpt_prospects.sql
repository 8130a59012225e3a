{# Batch acquisition: active enterprises without an outstanding loan whose latest score is an
   approve, listed per cluster (supply chain, park or business district, industry division)
   with the product offering the largest line. An enterprise appears once per cluster type. #}
with borrowers as (
    select distinct uscc
    from {{ ref('fct_loan_month') }} as l
    join {{ ref('int_calendar__months') }} as c using (month)
    where c.is_as_of_month and l.exposure > 0
),

best_offer as (
    select
        uscc,
        product_id,
        product_type,
        suggested_line
    from {{ ref('fct_credit_line_offers') }}
    where offer_status = 'offered'
    qualify row_number() over (
        partition by uscc
        order by suggested_line desc, product_id asc
    ) = 1
),

prospects as (
    select
        e.*,
        o.product_id as suggested_product_id,
        o.product_type as suggested_product_type,
        o.suggested_line
    from {{ ref('dim_enterprise') }} as e
    join best_offer as o using (uscc)
    where
        e.status = 'active'
        and e.latest_decision = 'approve'
        and e.uscc not in (select uscc from borrowers)
),

clustered as (
    select
        'supply_chain' as cluster_type,
        chain_name as cluster_id,
        chain_name as cluster_name,
        uscc
    from prospects
    where chain_name is not null
    union all
    select
        'park',
        park_id,
        park_id,
        uscc
    from prospects
    where park_id is not null
    union all
    select
        'industry',
        industry_section || substr(industry_code, 2, 2),
        industry_division_name,
        uscc
    from prospects
)

select
    c.cluster_type,
    c.cluster_id,
    c.cluster_name,
    p.uscc,
    p.enterprise_name,
    p.size_class,
    p.latest_score as score,
    p.latest_grade as grade,
    p.suggested_product_id,
    p.suggested_product_type,
    p.suggested_line,
    cast(row_number() over (
        partition by c.cluster_type, c.cluster_id
        order by p.latest_score desc, p.uscc asc
    ) as integer)
        as rank_in_cluster
from clustered as c
join prospects as p using (uscc)
