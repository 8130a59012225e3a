{{ config(materialized='view') }}
{# What a scorecard learns from: each performing borrower at each month end, with the
   characteristics the cards bin (scorecard_features, as the score reads them) and the outcome
   of the next 12 months (fct_borrower_outcomes). A view: `creditlake model fit` reads it from
   the published copy, and nothing is stored twice. #}
select
    o.defaulted_12m,
    o.mature,
    f.*
from {{ ref('fct_borrower_outcomes') }} as o
join ({{ scorecard_features() }}) as f using (uscc, month)
where o.performing
