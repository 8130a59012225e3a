{{ config(unique_key='penalty_id') }}

with arrived as (
    {{ bronze_since_last_run(source('bronze', 'penalties')) }}
),

typed as (
    select
        trim(penalty_id) as penalty_id,
        upper(trim(uscc)) as uscc,
        decided_on,
        trim(authority) as authority,
        lower(trim(category)) as category,
        amount,
        updated_at,
        _ingested_at,
        _batch_id,
        {{ run_stamp() }} as _built_at
    from arrived
)

{{ newest_per_key('typed', 'penalty_id') }}
