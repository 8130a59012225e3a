{# Freshness per source dataset at the time bronze was exported for this build: the last
   published batch, its data watermark, and hours since then; plus lifetime row counts. #}
with exported as (
    select max(exported_at) as exported_at from {{ source('bronze', '_snapshots') }}
)

select
    b.dataset,
    any_value(b.platform) as platform,
    cast(count(*) as integer) as batches,
    cast(count(*) filter (where b.status = 'held') as integer) as batches_held,
    cast(sum(b.received_rows) as bigint) as received_rows,
    cast(sum(b.published_rows) as bigint) as published_rows,
    cast(sum(b.quarantined_rows) as bigint) as quarantined_rows,
    max(b.finished_at) filter (where b.status <> 'held') as last_published_at,
    max(b.watermark) filter (where b.status <> 'held') as last_watermark,
    cast(
        date_diff('minute', max(b.finished_at) filter (where b.status <> 'held'), exported.exported_at) / 60.0
        as decimal(10, 1)
    ) as hours_since_last_publish
from {{ ref('fct_ingest_batches') }} as b
cross join exported
group by b.dataset, exported.exported_at
