{{ config(unique_key='account_no') }}

with arrived as (
    {{ bronze_since_last_run(source('bronze', 'utility_accounts')) }}
),

typed as (
    select
        trim(account_no) as account_no,
        lower(trim(utility)) as utility,
        trim(holder_name) as holder_name,
        {{ normalise_text('holder_name') }} as exact_key,
        {{ normalise_legal_form('holder_name') }} as form_key,
        {{ normalise_company_name('holder_name') }} as name_key,
        nullif(upper(trim(uscc)), '') as uscc,
        trim(address) as address,
        {{ normalise_address('address') }} as address_key,
        opened_on,
        closed_on,
        updated_at,
        _ingested_at,
        _batch_id,
        {{ run_stamp() }} as _built_at
    from arrived
)

{{ newest_per_key('typed', 'account_no') }}
