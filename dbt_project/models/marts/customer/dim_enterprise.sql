{# The customer view: one row per enterprise with its registry profile, code-table names,
   supply-chain role, latest score and the depth of data behind it. #}
with latest_score as (
    select s.*
    from {{ ref('fct_credit_score') }} as s
    join {{ ref('int_calendar__months') }} as c using (month)
    where c.is_as_of_month
),

as_of as (
    select max(month_end) as as_of_date from {{ ref('int_calendar__months') }}
),

chain as (
    select
        member_uscc as uscc,
        core_uscc,
        chain_name
    from {{ ref('int_supply_chain__members') }}
    where is_main_chain
)

select
    e.uscc,
    e.enterprise_name,
    e.legacy_reg_no,
    e.enterprise_type,
    e.size_class,
    e.industry_code,
    ind.section as industry_section,
    ind.section_name_zh as industry_section_name,
    ind.division_name_zh as industry_division_name,
    e.region_code,
    reg.province_name,
    reg.city_name,
    reg.county_name,
    e.registered_capital,
    e.established_on,
    cast(greatest(date_diff('month', e.established_on, as_of.as_of_date), 0) / 12.0 as decimal(6, 1)) as age_years,
    e.status,
    e.address,
    e.park_id,
    case
        when core.uscc is not null then 'core_enterprise'
        when chain.uscc is not null then 'chain_member'
        else 'none'
    end as supply_chain_role,
    coalesce(core.chain_name, chain.chain_name) as chain_name,
    chain.core_uscc,
    s.period as score_period,
    s.score as latest_score,
    s.grade as latest_grade,
    s.decision as latest_decision,
    coalesce(d.data_sources, '') as data_sources,
    coalesce(d.data_source_count, 0) as data_source_count,
    coalesce(d.months_covered, 0) as months_covered,
    coalesce(d.data_depth_grade, 'D') as data_depth_grade,
    e.updated_at as registry_updated_at
from {{ ref('stg_commerce__enterprises') }} as e
cross join as_of
left join {{ ref('gbt4754_divisions') }} as ind on e.industry_division = ind.division
left join {{ ref('regions') }} as reg on e.region_code = reg.region_code
left join {{ ref('stg_supply_chain__core_enterprises') }} as core on e.uscc = core.uscc
left join chain on e.uscc = chain.uscc
left join latest_score as s on e.uscc = s.uscc
left join {{ ref('int_enterprise__data_depth') }} as d on e.uscc = d.uscc
