{# Loan positions: one row per loan and business day. Corrections of a position come in a
   later file, so the newest file (then ingestion) wins per (bank_id, loan_id, as_of_date):
   each bank drops its own files, and a bank's loan ids are its own. #}
{{ config(unique_key=['bank_id', 'loan_id', 'as_of_date']) }}

with arrived as (
    {{ bronze_since_last_run(source('bronze', 'loans')) }}
),

typed as (
    select
        _bank_id as bank_id,
        trim(loan_id) as loan_id,
        upper(trim(uscc)) as uscc,
        trim(product_id) as product_id,
        trim(branch_id) as branch_id,
        contract_date,
        maturity_date,
        credit_limit,
        outstanding_principal,
        annual_rate,
        lower(trim(collateral_type)) as collateral_type,
        guarantor,
        lower(trim(classification)) as classification,
        cast(days_past_due as integer) as days_past_due,
        as_of_date,
        _file_date as file_date,
        _ingested_at,
        _batch_id,
        {{ run_stamp() }} as _built_at
    from arrived
)

{{ newest_per_key('typed', ['bank_id', 'loan_id', 'as_of_date'], 'file_date desc, _ingested_at desc') }}
