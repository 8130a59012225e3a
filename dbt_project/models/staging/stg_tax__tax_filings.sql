{{ config(unique_key=['taxpayer_id', 'period', 'tax_type']) }}

with arrived as (
    {{ bronze_since_last_run(source('bronze', 'tax_filings')) }}
),

typed as (
    select
        upper(trim(taxpayer_id)) as taxpayer_id,
        trim(period) as period,
        {{ period_to_month('trim(period)') }} as month,
        lower(trim(tax_type)) as tax_type,
        declared_revenue,
        tax_payable,
        tax_paid,
        filed_on,
        updated_at,
        _ingested_at,
        _batch_id,
        {{ run_stamp() }} as _built_at
    from arrived
)

{{ newest_per_key('typed', ['taxpayer_id', 'period', 'tax_type']) }}
