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
        issued_on,
        amount,
        tax_amount,
        due_on,
        paid_on,
        lower(trim(status)) as status,
        updated_at,
        _ingested_at,
        _batch_id,
        {{ run_stamp() }} as _built_at
    from arrived
)

{{ newest_per_key('typed', 'invoice_no') }}
