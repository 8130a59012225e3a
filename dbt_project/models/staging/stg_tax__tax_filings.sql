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
        cast(declared_revenue as decimal(18, 2)) as declared_revenue,
        cast(tax_payable as decimal(18, 2)) as tax_payable,
        cast(tax_paid as decimal(18, 2)) as tax_paid,
        cast(filed_on as date) as filed_on,
        cast(updated_at as timestamptz) as updated_at,
        _ingested_at,
        _batch_id,
        {{ run_stamp() }} as _built_at
    from arrived
)

{{ newest_per_key('typed', ['taxpayer_id', 'period', 'tax_type']) }}
