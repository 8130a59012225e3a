{# Grade bands of every card in int_scorecard__cards: the expert card's seed and the fitted cards'. #}
select scorecard_version, grade, min_score, max_score, decision, line_factor
from {{ ref('score_grades') }}
union all
select scorecard_version, grade, min_score, max_score, decision, line_factor
from {{ source('bronze', 'model_score_grades') }}
