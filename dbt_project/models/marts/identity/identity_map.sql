{# Every identifier the sources use for an enterprise other than its own uscc, with the uscc it
   resolves to, how (method) and how sure (confidence). Unresolved identifiers stay, uscc null. #}
select
    source,
    source_id,
    uscc,
    method,
    confidence,
    uscc is not null as is_resolved
from {{ ref('int_identity__map') }}
where method is not null  -- not an identifier that left the sources
