{# A bank's repayment ids are its own: the key is (bank_id, repayment_id). #}
{{ config(unique_key=['bank_id', 'repayment_id']) }}

with arrived as (
    {{ bronze_since_last_run(source('bronze', 'repayments')) }}
),

typed as (
    select
        _bank_id as bank_id,
        trim(repayment_id) as repayment_id,
        trim(loan_id) as loan_id,
        cast(due_on as date) as due_on,
        cast(paid_on as date) as paid_on,
        cast(principal_due as decimal(18, 2)) as principal_due,
        cast(principal_paid as decimal(18, 2)) as principal_paid,
        cast(interest_due as decimal(18, 2)) as interest_due,
        cast(interest_paid as decimal(18, 2)) as interest_paid,
        cast(_file_date as date) as file_date,
        _ingested_at,
        _batch_id,
        {{ run_stamp() }} as _built_at
    from arrived
)

{{ newest_per_key('typed', ['bank_id', 'repayment_id'], 'file_date desc, _ingested_at desc') }}
