{# Data quality per source dataset and batch: received, published and quarantined rows, the
   expectation outcome (status published or held, with the validator's message) and the
   quarantine reasons as found in the quarantine tables. #}
with reasons as (
    select
        dataset,
        batch_id,
        string_agg(
            reason_code || '=' || n, ','
            order by reason_code
        ) as quarantined_by_reason,
        sum(n) as quarantine_rows
    from (
        select
            dataset,
            batch_id,
            reason_code,
            count(distinct row_number) as n
        from {{ ref('stg_ops__quarantine') }}
        group by all
    )
    group by all
)

select
    l.dataset,
    l.platform,
    l.batch_id,
    l.mode,
    l.status,
    cast(l.received as bigint) as received_rows,
    cast(l.published as bigint) as published_rows,
    cast(l.quarantined as bigint) as quarantined_rows,
    cast(l.duplicates as bigint) as duplicate_rows,
    -- a held batch publishes nothing and keeps its rows in landing until it is replayed
    cast(case when l.status = 'held' then l.received else 0 end as bigint) as held_rows,
    cast(
        l.received - l.published - l.quarantined - coalesce(l.duplicates, 0)
        - case when l.status = 'held' then l.received else 0 end as bigint
    ) as unaccounted_rows,
    l.status = 'held' as expectations_failed,
    l.message as expectation_message,
    l.quarantine_reasons,
    l.observations,
    r.quarantined_by_reason,
    l.unknown_fields,
    l.watermark,
    l.as_of,
    l.started_at,
    l.finished_at
from {{ ref('stg_ops__ingest_log') }} as l
left join reasons as r using (dataset, batch_id)
