{{ config(unique_key=['account_no', 'period']) }}

with arrived as (
    {{ bronze_since_last_run(source('bronze', 'meter_readings')) }}
),

typed as (
    select
        trim(account_no) as account_no,
        trim(period) as period,
        {{ period_to_month('trim(period)') }} as month,
        cast(consumption as decimal(20, 4)) as consumption,
        cast(amount_billed as decimal(18, 2)) as amount_billed,
        cast(amount_paid as decimal(18, 2)) as amount_paid,
        cast(due_on as date) as due_on,
        cast(paid_on as date) as paid_on,
        cast(updated_at as timestamptz) as updated_at,
        _ingested_at,
        _batch_id,
        {{ run_stamp() }} as _built_at
    from arrived
)

{{ newest_per_key('typed', ['account_no', 'period']) }}
