{# 15-digit legacy registration numbers (taxpayer ids and the registry's own), resolved through the registry. #}
with used as (
    select distinct taxpayer_id as legacy_reg_no from {{ ref('stg_tax__taxpayers') }}
    union
    select distinct taxpayer_id from {{ ref('stg_tax__tax_filings') }}
    union
    select distinct taxpayer_id from {{ ref('stg_tax__tax_arrears') }}
    union
    -- the registry's own legacy numbers: other systems may still quote any of them
    select distinct legacy_reg_no from {{ ref('stg_commerce__enterprises') }}
    where legacy_reg_no is not null
),

registry as (
    select
        legacy_reg_no,
        min(uscc) as uscc,
        count(distinct uscc) as candidates
    from {{ ref('stg_commerce__enterprises') }}
    where legacy_reg_no is not null
    group by legacy_reg_no
)

select
    'legacy_reg_no' as source,
    used.legacy_reg_no as source_id,
    case when registry.candidates = 1 then registry.uscc end as uscc,
    case
        when registry.candidates = 1 then 'registry_legacy_reg_no'
        when registry.candidates > 1 then 'unresolved_ambiguous'
        else 'unresolved_not_in_registry'
    end as method,
    case when registry.candidates = 1 then 1.0 else 0.0 end as confidence
from used
left join registry using (legacy_reg_no)
where regexp_full_match(used.legacy_reg_no, '[0-9]{15}')
