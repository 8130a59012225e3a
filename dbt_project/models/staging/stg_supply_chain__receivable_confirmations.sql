{{ config(unique_key='confirmation_id') }}

with arrived as (
    {{ bronze_since_last_run(source('bronze', 'receivable_confirmations')) }}
),

typed as (
    select
        trim(confirmation_id) as confirmation_id,
        upper(trim(core_uscc)) as core_uscc,
        upper(trim(supplier_uscc)) as supplier_uscc,
        trim(invoice_no) as invoice_no,
        confirmed_amount,
        confirmed_on,
        matures_on,
        updated_at,
        _ingested_at,
        _batch_id,
        {{ run_stamp() }} as _built_at
    from arrived
)

{{ newest_per_key('typed', 'confirmation_id') }}
