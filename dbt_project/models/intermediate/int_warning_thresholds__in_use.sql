{# The warning thresholds in use: the version the latest warning-threshold decision promoted
   (model.scorecard_decisions, kind warning_thresholds; the versions in model.warning_thresholds),
   else the newest version of the seed warning_thresholds. #}
with promoted as (
    select challenger_version as threshold_version
    from {{ source('bronze', 'model_scorecard_decisions') }}
    where outcome = 'promoted' and kind = 'warning_thresholds'
    order by decided_at desc
    limit 1
),

versions as (
    select
        threshold_version, signal, metric, comparison,
        cast(amber_threshold as double) as amber_threshold,
        cast(red_threshold as double) as red_threshold,
        description
    from {{ ref('warning_thresholds') }}
    union all
    select threshold_version, signal, metric, comparison, amber_threshold, red_threshold, description
    from {{ source('bronze', 'model_warning_thresholds') }}
)

select *
from versions
where threshold_version = coalesce(
    (select threshold_version from promoted),
    (select max(threshold_version) from {{ ref('warning_thresholds') }})
)
