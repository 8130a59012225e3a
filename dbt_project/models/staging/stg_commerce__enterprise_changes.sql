{{ config(unique_key='change_id') }}

with arrived as (
    {{ bronze_since_last_run(source('bronze', 'enterprise_changes')) }}
),

typed as (
    select
        trim(change_id) as change_id,
        upper(trim(uscc)) as uscc,
        change_date,
        lower(trim(change_type)) as change_type,
        "before" as value_before,
        "after" as value_after,
        updated_at,
        _ingested_at,
        _batch_id,
        {{ run_stamp() }} as _built_at
    from arrived
)

{{ newest_per_key('typed', 'change_id') }}
