{{ config(unique_key=['account_no', 'period']) }}

with arrived as (
    {{ bronze_since_last_run(source('bronze', 'meter_readings')) }}
),

typed as (
    select
        trim(account_no) as account_no,
        trim(period) as period,
        {{ period_to_month('trim(period)') }} as month,
        consumption,
        amount_billed,
        amount_paid,
        due_on,
        paid_on,
        updated_at,
        _ingested_at,
        _batch_id,
        {{ run_stamp() }} as _built_at
    from arrived
)

{{ newest_per_key('typed', ['account_no', 'period']) }}
