{# The peers of the credit report's "three tables" charts: per industry section and size
   class, the monthly medians of the latest 24 months, one JSON document per peer group. #}

with peer_months as (
    select
        e.industry_section,
        e.size_class,
        m.month,
        m.period,
        median(m.electricity_kwh) as electricity_kwh,
        median(m.water_m3) as water_m3,
        median(m.declared_revenue) as declared_revenue,
        median(m.tax_paid) as tax_paid
    from {{ ref('fct_enterprise_month') }} as m
    join {{ ref('dim_enterprise') }} as e on m.uscc = e.uscc
    where m.month >= (select max(month) from {{ ref('fct_enterprise_month') }}) - interval 23 month
    group by e.industry_section, e.size_class, m.month, m.period
)

select
    industry_section,
    size_class,
    to_json(
        list(
            {
                'period': period,
                'electricity_kwh': electricity_kwh,
                'water_m3': water_m3,
                'declared_revenue': declared_revenue,
                'tax_paid': tax_paid
            }
            order by month
        )
    ) as peer_months
from peer_months
group by industry_section, size_class
order by industry_section, size_class
