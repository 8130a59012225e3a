{{ config(materialized='incremental', unique_key=['account_no', 'period'], incremental_strategy='delete+insert') }}
{# Meter readings with the account's utility and resolved enterprise. Incremental: readings
   changed since the last run and every reading of an account that changed or resolves
   differently (previous_usccs: the enterprises it resolved to before). #}
with account_map as (
    select source_id as account_no, uscc, previous_usccs, _built_at
    from {{ ref('int_identity__map') }}
    where source = 'utility_account'
)

{%- if is_incremental() %},

changed_accounts as (
    select account_no from {{ changed(ref('stg_utility__utility_accounts')) }}
    union
    select account_no from {{ changed('account_map') }}
)
{%- endif %}

select
    m.uscc,
    coalesce(m.previous_usccs, []) as previous_usccs,
    a.utility,
    r.* exclude (_built_at),
    {{ run_stamp() }} as _built_at
from {{ changed_or_keyed(ref('stg_utility__meter_readings'), 'account_no', 'changed_accounts') }} as r
join {{ ref('stg_utility__utility_accounts') }} as a using (account_no)
left join account_map as m using (account_no)
