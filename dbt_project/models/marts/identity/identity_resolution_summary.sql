{# Counts per source and method, unresolved included: the identity mart's health at a glance. #}
select
    source,
    method,
    bool_or(is_resolved) as is_resolved,
    cast(count(*) as integer) as identifiers,
    cast(count(*) * 1.0 / sum(count(*)) over (partition by source) as decimal(6, 4)) as share_of_source
from {{ ref('identity_map') }}
group by source, method
