{# Exposure, warnings and NPLs per bank and month by product, branch, industry, region, park and chain.
   Per bank, so that a bank sees only its own book: a borrower of two banks counts at each.
   A borrower counts as warned in a month when a warning episode covers that month. #}
{%- set dimensions = {
    'product': 'product_id',
    'branch': 'branch_id',
    'industry': "coalesce(industry_section || ' ' || industry_section_name, 'unknown')",
    'region': "coalesce(province_name || city_name, 'unknown')",
    'park': "coalesce(park_id, 'none')",
    'chain': "coalesce(chain_name, 'none')",
} %}

with warned as (
    -- per loan-month position, not per enterprise and calendar month: only positions count
    select l.bank_id, l.loan_id, l.month, max(case w.level when 'red' then 2 else 1 end) as warning_rank
    from {{ ref('fct_loan_month') }} as l
    join {{ ref('fct_risk_warnings') }} as w
        on w.uscc = l.uscc and l.month between w.first_seen_month and w.last_seen_month
    where l.exposure > 0
    group by all
),

positions as (
    select l.*, e.industry_section, e.industry_section_name, e.province_name, e.city_name,
           e.park_id, e.chain_name, coalesce(w.warning_rank, 0) as warning_rank
    from {{ ref('fct_loan_month') }} as l
    join {{ ref('dim_enterprise') }} as e using (uscc)
    left join warned as w using (bank_id, loan_id, month)
    where l.exposure > 0
),

-- one row per bank, borrower and dimension value first, so that borrowers are counted without a
-- distinct: product and branch are a loan's, the other dimensions the borrower's
{%- set loan_level = ['product', 'branch'] %}
{#- the same measures at both levels #}
{%- set measures -%}
count(*) as loans,
           sum(exposure) as exposure,
           sum(exposure) filter (where is_overdue) as overdue_exposure,
           sum(exposure) filter (where is_npl) as npl_exposure
{%- endset %}
by_loan_attribute as (
    {%- for dimension in loan_level %}
    select bank_id, month, uscc, warning_rank, '{{ dimension }}' as dimension,
           cast({{ dimensions[dimension] }} as varchar) as dimension_value,
           {{ measures }}
    from positions
    group by all
    {%- if not loop.last %}
    union all{% endif %}
    {%- endfor %}
),

by_borrower as (
    select bank_id, month, uscc, warning_rank,
           {%- for dimension, expr in dimensions.items() if dimension not in loan_level %}
           cast({{ expr }} as varchar) as {{ dimension }}_value,
           {%- endfor %}
           {{ measures }}
    from positions
    group by all
),

per_borrower as (
    select * from by_loan_attribute
    union all by name
    select bank_id, month, uscc, warning_rank, d.dimension, d.dimension_value,
           loans, exposure, overdue_exposure, npl_exposure
    from by_borrower,
        unnest([
            {%- for dimension in dimensions if dimension not in loan_level %}
            {'dimension': '{{ dimension }}', 'dimension_value': {{ dimension }}_value}{{ ',' if not loop.last }}
            {%- endfor %}
        ]) as u(d)
)

select
    bank_id,
    month,
    strftime(month, '%Y-%m') as period,
    dimension,
    dimension_value,
    cast(count(*) as integer) as borrowers,
    cast(sum(loans) as integer) as loans,
    cast(sum(exposure) as decimal(18, 2)) as exposure,
    cast(coalesce(sum(overdue_exposure), 0) as decimal(18, 2)) as overdue_exposure,
    cast(coalesce(sum(npl_exposure), 0) as decimal(18, 2)) as npl_exposure,
    cast(coalesce(sum(npl_exposure), 0) / sum(exposure) as decimal(8, 4)) as npl_ratio,
    cast(count(*) filter (where warning_rank > 0) as integer) as warned_borrowers,
    cast(count(*) filter (where warning_rank = 2) as integer) as red_warned_borrowers,
    cast(coalesce(sum(exposure) filter (where warning_rank > 0), 0) as decimal(18, 2)) as warned_exposure
from per_borrower
group by all
