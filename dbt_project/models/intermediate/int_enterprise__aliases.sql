{# Every name and address an enterprise has been known by: its current registry entry,
   earlier values from registry change records, and its core-enterprise listing. Names carry
   two keys: exact_key (normalised text, legal form kept) and name_key (legal form dropped).
   Utility holders and invoice buyers often still carry an old name. #}
with current_entry as (
    select
        uscc,
        exact_key,
        form_key,
        name_key,
        address_key,
        'registry' as origin
    from {{ ref('stg_commerce__enterprises') }}
),

changed_names as (
    select
        uscc,
        {{ normalise_text('value') }} as exact_key,
        {{ normalise_legal_form('value') }} as form_key,
        {{ normalise_company_name('value') }} as name_key,
        null as address_key,
        'name_change' as origin
    from {{ ref('stg_commerce__enterprise_changes') }},
        unnest([value_before, value_after]) as v (value)
    where change_type = 'name' and value is not null
),

changed_addresses as (
    select
        c.uscc,
        e.exact_key,
        e.form_key,
        e.name_key,
        {{ normalise_address('value') }} as address_key,
        'address_change' as origin
    from {{ ref('stg_commerce__enterprise_changes') }} as c
    join {{ ref('stg_commerce__enterprises') }} as e using (uscc),
        unnest([c.value_before, c.value_after]) as v (value)
    where c.change_type = 'address' and value is not null
),

core_listing as (
    select
        uscc,
        {{ normalise_text('core_name') }} as exact_key,
        {{ normalise_legal_form('core_name') }} as form_key,
        {{ normalise_company_name('core_name') }} as name_key,
        null as address_key,
        'core_enterprise' as origin
    from {{ ref('stg_supply_chain__core_enterprises') }}
)

select distinct
    uscc,
    exact_key,
    form_key,
    name_key,
    address_key,
    origin
from (
    select * from current_entry
    union all
    select * from changed_names
    union all
    select * from changed_addresses
    union all
    select * from core_listing
)
where name_key is not null and name_key <> ''
