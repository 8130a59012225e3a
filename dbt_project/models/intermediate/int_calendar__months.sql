{# The months the marts cover: from the first month any monthly feed reports to the latest
   one (the as-of month). Data-driven, so a rerun on the same bronze gives the same marts. #}
with reported as (
    select month from {{ ref('stg_social_security__ss_contributions') }}
    union all
    select month from {{ ref('stg_utility__meter_readings') }}
    union all
    select month from {{ ref('stg_tax__tax_filings') }}
),

bounds as (
    select
        min(month) as first_month,
        max(month) as last_month
    from reported
)

select
    cast(m.month as date) as month,
    strftime(m.month, '%Y-%m') as period,
    {{ month_end('cast(m.month as date)') }} as month_end,
    cast(m.month = bounds.last_month as boolean) as is_as_of_month,
    {{ months_between('cast(m.month as date)', 'bounds.last_month') }} as months_before_as_of
from bounds,
    unnest(generate_series(bounds.first_month, bounds.last_month, interval 1 month)) as m (month)
