select source, source_id, uscc, method, cast(confidence as decimal(4, 2)) as confidence
from {{ ref('int_identity__legacy_numbers') }}
union all
select source, source_id, uscc, method, cast(confidence as decimal(4, 2))
from {{ ref('int_identity__utility_accounts') }}
union all
select source, source_id, uscc, method, cast(confidence as decimal(4, 2))
from {{ ref('int_identity__invoice_buyers') }}
