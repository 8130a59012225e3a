select
    coalesce(m.uscc, case when length(t.taxpayer_id) = 18 then t.taxpayer_id end) as uscc,
    t.*
from {{ ref('stg_tax__taxpayers') }} as t
left join {{ ref('int_identity_map') }} as m
    on m.source = 'legacy_reg_no' and m.source_id = t.taxpayer_id
