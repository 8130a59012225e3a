{{ config(unique_key='uscc') }}

with arrived as (
    {{ bronze_since_last_run(source('bronze', 'core_enterprises')) }}
),

typed as (
    select
        upper(trim(uscc)) as uscc,
        trim(name) as core_name,
        trim(chain_name) as chain_name,
        confirmed_credit_limit,
        updated_at,
        _ingested_at,
        _batch_id,
        {{ run_stamp() }} as _built_at
    from arrived
)

{{ newest_per_key('typed', 'uscc') }}
