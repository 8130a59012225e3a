{{ config(materialized='view') }}
{# Taxpayers under the enterprise's uscc; _built_at: when the taxpayer or its resolution last
   changed, previous_usccs: the enterprises it resolved to before. #}
select
    coalesce(m.uscc, case when length(t.taxpayer_id) = 18 then t.taxpayer_id end) as uscc,
    coalesce(m.previous_usccs, []) as previous_usccs,
    t.* exclude (_built_at),
    greatest(t._built_at, m._built_at) as _built_at
from {{ ref('stg_tax__taxpayers') }} as t
left join {{ ref('int_identity__map') }} as m
    on m.source = 'legacy_reg_no' and m.source_id = t.taxpayer_id
