{{ config(unique_key='record_id') }}

with arrived as (
    {{ bronze_since_last_run(source('bronze', 'abnormal_operations')) }}
),

typed as (
    select
        trim(record_id) as record_id,
        upper(trim(uscc)) as uscc,
        listed_on,
        trim(reason) as reason,
        removed_on,
        updated_at,
        _ingested_at,
        _batch_id,
        {{ run_stamp() }} as _built_at
    from arrived
)

{{ newest_per_key('typed', 'record_id') }}
