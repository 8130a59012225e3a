{{ config(unique_key='arrear_id') }}

with arrived as (
    {{ bronze_since_last_run(source('bronze', 'tax_arrears')) }}
),

typed as (
    select
        trim(arrear_id) as arrear_id,
        upper(trim(taxpayer_id)) as taxpayer_id,
        lower(trim(tax_type)) as tax_type,
        amount,
        since,
        settled_on,
        updated_at,
        _ingested_at,
        _batch_id,
        {{ run_stamp() }} as _built_at
    from arrived
)

{{ newest_per_key('typed', 'arrear_id') }}
