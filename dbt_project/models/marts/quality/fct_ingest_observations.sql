{# Observations of validation per dataset, batch, rule and field: published rows that a check
   stricter than the contract observed (creditlake.core.contract.OBSERVATIONS), from the ingest
   log's JSON {"rule:field": rows}. They are published, not quarantined (only the rules of
   contract section 3 quarantine), so they are counted here for data engineers to follow. #}
with entries as (
    select
        l.dataset,
        l.platform,
        l.batch_id,
        l.published,
        l.finished_at,
        unnest(map_entries(cast(cast(l.observations as json) as map (varchar, bigint)))) as entry
    from {{ ref('stg_ops__ingest_log') }} as l
    -- logs written before observations were counted have none
    where l.observations is not null and l.observations <> '{}'
)

select
    dataset,
    platform,
    batch_id,
    split_part(entry.key, ':', 1) as rule,
    split_part(entry.key, ':', 2) as field,
    cast(entry.value as bigint) as observed_rows,
    cast(published as bigint) as published_rows,
    cast(entry.value / nullif(published, 0) as decimal(7, 4)) as share_of_published,
    finished_at as batch_finished_at
from entries
where entry.value > 0
