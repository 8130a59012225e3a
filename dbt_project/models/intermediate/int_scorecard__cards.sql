{# Every scorecard the score may use: the expert card (seed scorecard_bins, the cold-start card)
   and the cards `creditlake model fit` stored in the lakehouse (model.scorecard_bins). #}
select
    scorecard_version, 'expert' as card_kind, characteristic, bin_order,
    cast(lower_bound as double) as lower_bound, cast(upper_bound as double) as upper_bound,
    matches_missing, points, reason_code, reason_text
from {{ ref('scorecard_bins') }}
union all
select
    scorecard_version, 'fitted' as card_kind, characteristic, bin_order,
    lower_bound, upper_bound, matches_missing, points, reason_code, reason_text
from {{ source('bronze', 'model_scorecard_bins') }}
