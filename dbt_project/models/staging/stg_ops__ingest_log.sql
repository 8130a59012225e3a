{{ config(materialized='view') }}
{# One row per ingested batch of a dataset (small: a view, not incremental). #}
select
    dataset,
    platform,
    batch_id,
    mode,
    status,
    received,
    published,
    quarantined,
    duplicates,
    unknown_fields,
    quarantine_reasons,
    watermark,
    as_of,
    message,
    started_at,
    finished_at
from {{ source('bronze', 'ingest_log') }}
