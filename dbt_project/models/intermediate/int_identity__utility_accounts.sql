{# Utility accounts: the platform's uscc when given; otherwise, in order of confidence, the
   holder name (legal form kept) with the address, the name with the address (legal form
   dropped), the name alone (legal form kept, then dropped) when exactly one enterprise
   bears it. Anything else stays unresolved: a wrong match costs more than a missing one. #}
with accounts as (
    select
        account_no,
        uscc,
        exact_key,
        form_key,
        name_key,
        address_key
    from {{ ref('stg_utility__utility_accounts') }}
),

aliases as (
    select * from {{ ref('int_enterprise__aliases') }}
),

candidates as (
    select
        a.account_no,
        1 as rank,
        'name_address' as method,
        0.99 as confidence,
        x.uscc
    from accounts as a join aliases as x on a.exact_key = x.exact_key and a.address_key = x.address_key
    where a.uscc is null
    union all
    select
        a.account_no,
        2,
        'name_address',
        0.98,
        x.uscc
    from accounts as a join aliases as x on a.name_key = x.name_key and a.address_key = x.address_key
    where a.uscc is null
    union all
    select
        a.account_no,
        3,
        'name_only',
        0.95,
        x.uscc
    from accounts as a join aliases as x on a.exact_key = x.exact_key
    where a.uscc is null
    union all
    select
        a.account_no,
        4,
        'name_only',
        0.93,
        x.uscc
    from accounts as a join aliases as x on a.form_key = x.form_key
    where a.uscc is null
    union all
    select
        a.account_no,
        5,
        'name_only',
        0.9,
        x.uscc
    from accounts as a join aliases as x on a.name_key = x.name_key
    where a.uscc is null
),

{{ best_unique_match('account_no') }}
select
    'utility_account' as source,
    a.account_no as source_id,
    coalesce(a.uscc, b.uscc) as uscc,
    case
        when a.uscc is not null then 'source_uscc'
        when b.uscc is not null then b.method
        when amb.account_no is not null then 'unresolved_ambiguous'
        else 'unresolved_no_match'
    end as method,
    case when a.uscc is not null then 1.0 else coalesce(b.confidence, 0.0) end as confidence
from accounts as a
left join best as b using (account_no)
left join ambiguous as amb using (account_no)
