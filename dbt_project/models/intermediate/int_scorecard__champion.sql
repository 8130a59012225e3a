{# The card in use: the challenger of the latest gate decision that promoted one
   (model.scorecard_decisions, kind scorecard), else the newest expert card (the cold start). One row. #}
with promoted as (
    select challenger_version as scorecard_version, decided_at
    from {{ source('bronze', 'model_scorecard_decisions') }}
    where outcome = 'promoted' and coalesce(kind, 'scorecard') = 'scorecard'
    order by decided_at desc
    limit 1
),

expert as (
    select max(scorecard_version) as scorecard_version from {{ ref('scorecard_bins') }}
)

select
    coalesce(p.scorecard_version, e.scorecard_version) as scorecard_version,
    p.scorecard_version is not null as fitted,
    p.decided_at as promoted_at
from expert as e
left join promoted as p on true
