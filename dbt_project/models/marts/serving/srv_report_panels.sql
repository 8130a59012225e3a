{# The enterprise-specific panels of the credit report, one JSON document each per USCC: the
   latest 24 months of the "three tables" and trade credit, the credit lines of the latest
   month, and every public record with the date it is shown until (the service applies the
   5-year rule on the day it answers). #}

with months as (
    select
        uscc,
        list(
            {
                'period': period,
                'electricity_kwh': electricity_kwh,
                'water_m3': water_m3,
                'declared_revenue': declared_revenue,
                'tax_paid': tax_paid,
                'insured_headcount': insured_headcount,
                'days_beyond_terms_paid': days_beyond_terms_paid
            }
            order by month desc
        )[1:24] as months
    from {{ ref('fct_enterprise_month') }}
    group by uscc
),

offers as (
    select uscc, list(o order by o.product_id) as offers
    from {{ ref('fct_credit_line_offers') }} as o
    where o.month = (
        select max(x.month) from {{ ref('fct_credit_line_offers') }} as x where x.uscc = o.uscc
    )
    group by uscc
),

public_records as (
    select
        uscc,
        list(
            {
                'record_type': record_type,
                'started_on': started_on,
                'ended_on': ended_on,
                'source': source,
                'detail': detail,
                'amount': amount,
                'shown_until': shown_until
            }
            order by started_on desc
        ) as public_records
    from {{ ref('fct_public_records') }}
    group by uscc
)

select
    e.uscc,
    to_json(coalesce(m.months, [])) as months,
    to_json(coalesce(o.offers, [])) as offers,
    to_json(coalesce(p.public_records, [])) as public_records
from {{ ref('dim_enterprise') }} as e
left join months as m on e.uscc = m.uscc
left join offers as o on e.uscc = o.uscc
left join public_records as p on e.uscc = p.uscc
order by e.uscc
