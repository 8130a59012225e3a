{# Every received version of a taxpayer's rating: scoring as of a past month must use the
   rating known then, not the newest one. Append-only like bronze, one row per version. #}
{{ config(materialized='incremental', incremental_strategy='append') }}

with arrived as (
    {{ bronze_since_last_run(source('bronze', 'taxpayers')) }}
),

versions as (
    select
        upper(trim(taxpayer_id)) as taxpayer_id,
        upper(trim(credit_rating)) as credit_rating,
        cast(rating_year as integer) as rating_year,
        updated_at,
        _ingested_at,
        {{ run_stamp() }} as _built_at
    from arrived
    qualify row_number() over (partition by taxpayer_id, updated_at order by _ingested_at desc) = 1
)

select versions.*
from versions
{%- if is_incremental() %}
anti join {{ this }} as stored
    on stored.taxpayer_id = versions.taxpayer_id and stored.updated_at = versions.updated_at
{%- endif %}
