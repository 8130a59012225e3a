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
    -- JSON {"rule:field": rows}: published rows a check stricter than the contract observed
    observations,
    watermark,
    as_of,
    message,
    started_at,
    finished_at
from {{ source('bronze', 'ingest_log') }}
