{# The tax credit rating in force at each month end: the newest version published by then. #}
select
    t.uscc,
    c.month,
    arg_max(v.credit_rating, v.updated_at) as tax_credit_rating
from {{ ref('stg_tax__taxpayer_versions') }} as v
join {{ ref('int_taxpayers_resolved') }} as t using (taxpayer_id)
join {{ ref('int_calendar__months') }} as c
    on cast(v.updated_at as date) <= c.month_end
where t.uscc is not null
group by all
