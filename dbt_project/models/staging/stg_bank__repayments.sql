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
        due_on,
        paid_on,
        principal_due,
        principal_paid,
        interest_due,
        interest_paid,
        _file_date as file_date,
        _ingested_at,
        _batch_id,
        {{ run_stamp() }} as _built_at
    from arrived
)

{{ newest_per_key('typed', ['bank_id', 'repayment_id'], 'file_date desc, _ingested_at desc') }}
