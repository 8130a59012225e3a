{{ config(unique_key='case_no') }}

with arrived as (
    {{ bronze_since_last_run(source('bronze', 'dishonest_debtors')) }}
),

typed as (
    select
        trim(case_no) as case_no,
        upper(trim(uscc)) as uscc,
        trim(court) as court,
        filed_on,
        amount,
        cleared_on,
        updated_at,
        _ingested_at,
        _batch_id,
        {{ run_stamp() }} as _built_at
    from arrived
)

{{ newest_per_key('typed', 'case_no') }}
