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
        cast(contribution_due as decimal(18, 2)) as contribution_due,
        cast(contribution_paid as decimal(18, 2)) as contribution_paid,
        cast(paid_on as date) as paid_on,
        cast(updated_at as timestamptz) as updated_at,
        _ingested_at,
        _batch_id,
        {{ run_stamp() }} as _built_at
    from arrived
)

{{ newest_per_key('typed', ['uscc', 'period']) }}
