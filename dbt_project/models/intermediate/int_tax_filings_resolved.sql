{# Tax filings under the enterprise's uscc (taxpayer ids are a uscc or a legacy number). #}
select
    coalesce(m.uscc, case when length(f.taxpayer_id) = 18 then f.taxpayer_id end) as uscc,
    f.*
from {{ ref('stg_tax__tax_filings') }} as f
left join {{ ref('int_identity_map') }} as m
    on m.source = 'legacy_reg_no' and m.source_id = f.taxpayer_id
