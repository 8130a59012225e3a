{{ config(unique_key='uscc') }}

with arrived as (
    {{ bronze_since_last_run(source('bronze', 'enterprises')) }}
),

typed as (
    select
        upper(trim(uscc)) as uscc,
        trim(name) as enterprise_name,
        {{ normalise_text('name') }} as exact_key,
        {{ normalise_legal_form('name') }} as form_key,
        {{ normalise_company_name('name') }} as name_key,
        nullif(trim(legacy_reg_no), '') as legacy_reg_no,
        lower(trim(enterprise_type)) as enterprise_type,
        lower(trim(size_class)) as size_class,
        upper(trim(industry_code)) as industry_code,
        substr(upper(trim(industry_code)), 2, 2) as industry_division,
        trim(region_code) as region_code,
        registered_capital,
        established_on,
        lower(trim(status)) as status,
        trim(address) as address,
        {{ normalise_address('address') }} as address_key,
        nullif(trim(park_id), '') as park_id,
        legal_rep_name as legal_rep_name_hash,
        legal_rep_id_no as legal_rep_id_no_hash,
        contact_phone as contact_phone_hash,
        updated_at,
        _ingested_at,
        _batch_id,
        {{ run_stamp() }} as _built_at
    from arrived
)

{{ newest_per_key('typed', 'uscc') }}
