{# Exposure, warnings and NPLs per month by product, branch, industry, region, park and chain.
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
    select w.uscc, c.month,
           max(case w.level when 'red' then 2 else 1 end) as warning_rank
    from {{ ref('fct_risk_warnings') }} as w
    join {{ ref('int_calendar__months') }} as c
        on c.month between w.first_seen_month and w.last_seen_month
    group by all
),

positions as (
    select l.*, e.industry_section, e.industry_section_name, e.province_name, e.city_name,
           e.park_id, e.chain_name, coalesce(w.warning_rank, 0) as warning_rank
    from {{ ref('fct_loan_month') }} as l
    join {{ ref('dim_enterprise') }} as e using (uscc)
    left join warned as w using (uscc, month)
    where l.exposure > 0
)

{% for dimension, expr in dimensions.items() %}
select
    month,
    strftime(month, '%Y-%m') as period,
    '{{ dimension }}' as dimension,
    cast({{ expr }} as varchar) as dimension_value,
    cast(count(distinct uscc) as integer) as borrowers,
    cast(count(*) as integer) as loans,
    cast(sum(exposure) as decimal(18, 2)) as exposure,
    cast(coalesce(sum(exposure) filter (where is_overdue), 0) as decimal(18, 2)) as overdue_exposure,
    cast(coalesce(sum(exposure) filter (where is_npl), 0) as decimal(18, 2)) as npl_exposure,
    cast(coalesce(sum(exposure) filter (where is_npl), 0) / sum(exposure) as decimal(8, 4)) as npl_ratio,
    cast(count(distinct uscc) filter (where warning_rank > 0) as integer) as warned_borrowers,
    cast(count(distinct uscc) filter (where warning_rank = 2) as integer) as red_warned_borrowers,
    cast(coalesce(sum(exposure) filter (where warning_rank > 0), 0) as decimal(18, 2)) as warned_exposure
from positions
group by all
{% if not loop.last %}union all{% endif %}
{% endfor %}
