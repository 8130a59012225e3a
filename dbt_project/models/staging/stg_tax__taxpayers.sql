{{ config(unique_key='taxpayer_id') }}

with arrived as (
    {{ bronze_since_last_run(source('bronze', 'taxpayers')) }}
),

typed as (
    select
        upper(trim(taxpayer_id)) as taxpayer_id,
        lower(trim(taxpayer_kind)) as taxpayer_kind,
        upper(trim(credit_rating)) as credit_rating,
        cast(rating_year as integer) as rating_year,
        updated_at,
        _ingested_at,
        _batch_id,
        {{ run_stamp() }} as _built_at
    from arrived
)

{{ newest_per_key('typed', 'taxpayer_id') }}
