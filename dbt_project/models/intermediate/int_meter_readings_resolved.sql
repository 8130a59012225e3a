select m.uscc, a.utility, r.*
from {{ ref('stg_utility__meter_readings') }} as r
join {{ ref('stg_utility__utility_accounts') }} as a using (account_no)
left join {{ ref('int_identity_map') }} as m
    on m.source = 'utility_account' and m.source_id = r.account_no
