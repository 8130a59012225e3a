{# Which feeds cover an enterprise and for how many months: the basis of the data-depth grade
   (A: four or more monthly feeds over at least 12 months; B: three over 6; C: two or more
   feeds or 3 months; D: the registry entry and little else). #}
with monthly as (
    select uscc, month, 'tax' as feed from {{ ref('int_tax__enterprise_month') }}
    union all select uscc, month, 'social_security' from {{ ref('stg_social_security__ss_contributions') }}
    union all select uscc, month, 'utility' from {{ ref('int_utility__enterprise_month') }}
    union all select uscc, month, 'invoices' from {{ ref('int_invoices__enterprise_month') }}
    union all select uscc, month, 'bank' from {{ ref('int_loans__month_end') }}
),

covered as (
    select uscc,
           list(distinct feed order by feed) as feeds,
           count(distinct feed) as feed_count,
           count(distinct month) as months_covered
    from monthly
    where uscc is not null
    group by uscc
)

select
    uscc,
    array_to_string(feeds, ',') as data_sources,
    cast(feed_count as integer) as data_source_count,
    cast(months_covered as integer) as months_covered,
    case
        when feed_count >= 4 and months_covered >= 12 then 'A'
        when feed_count >= 3 and months_covered >= 6 then 'B'
        when feed_count >= 2 or months_covered >= 3 then 'C'
        else 'D'
    end as data_depth_grade
from covered
