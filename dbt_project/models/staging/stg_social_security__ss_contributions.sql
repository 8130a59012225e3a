{{ config(unique_key=['uscc', 'period']) }}

with arrived as (
    {{ bronze_since_last_run(source('bronze', 'ss_contributions')) }}
),

typed as (
    select
        upper(trim(uscc)) as uscc,
        trim(period) as period,
        {{ period_to_month('trim(period)') }} as month,
        cast(insured_headcount as integer) as insured_headcount,
        contribution_due,
        contribution_paid,
        paid_on,
        updated_at,
        _ingested_at,
        _batch_id,
        {{ run_stamp() }} as _built_at
    from arrived
)

{{ newest_per_key('typed', ['uscc', 'period']) }}
