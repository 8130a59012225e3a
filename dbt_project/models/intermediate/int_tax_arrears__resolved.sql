select
    coalesce(m.uscc, case when length(a.taxpayer_id) = 18 then a.taxpayer_id end) as uscc,
    a.*
from {{ ref('stg_tax__tax_arrears') }} as a
left join {{ ref('int_identity__map') }} as m
    on m.source = 'legacy_reg_no' and m.source_id = a.taxpayer_id
