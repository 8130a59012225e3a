{{ config(unique_key='invoice_no') }}

with arrived as (
    {{ bronze_since_last_run(source('bronze', 'invoices')) }}
),

typed as (
    select
        trim(invoice_no) as invoice_no,
        upper(trim(seller_uscc)) as seller_uscc,
        trim(seller_name) as seller_name,
        nullif(upper(trim(buyer_uscc)), '') as buyer_uscc,
        trim(buyer_name) as buyer_name,
        {{ normalise_text('buyer_name') }} as buyer_exact_key,
        {{ normalise_legal_form('buyer_name') }} as buyer_form_key,
        {{ normalise_company_name('buyer_name') }} as buyer_name_key,
        cast(issued_on as date) as issued_on,
        cast(amount as decimal(18, 2)) as amount,
        cast(tax_amount as decimal(18, 2)) as tax_amount,
        cast(due_on as date) as due_on,
        cast(paid_on as date) as paid_on,
        lower(trim(status)) as status,
        cast(updated_at as timestamptz) as updated_at,
        _ingested_at,
        _batch_id,
        {{ run_stamp() }} as _built_at
    from arrived
)

{{ newest_per_key('typed', 'invoice_no') }}
