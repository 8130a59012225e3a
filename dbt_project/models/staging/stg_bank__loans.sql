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
        cast(contract_date as date) as contract_date,
        cast(maturity_date as date) as maturity_date,
        cast(credit_limit as decimal(18, 2)) as credit_limit,
        cast(outstanding_principal as decimal(18, 2)) as outstanding_principal,
        cast(annual_rate as decimal(20, 4)) as annual_rate,
        lower(trim(collateral_type)) as collateral_type,
        guarantor,
        lower(trim(classification)) as classification,
        cast(days_past_due as integer) as days_past_due,
        cast(as_of_date as date) as as_of_date,
        cast(_file_date as date) as file_date,
        _ingested_at,
        _batch_id,
        {{ run_stamp() }} as _built_at
    from arrived
)

{{ newest_per_key('typed', ['bank_id', 'loan_id', 'as_of_date'], 'file_date desc, _ingested_at desc') }}
