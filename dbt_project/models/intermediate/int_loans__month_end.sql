{# Each loan's last position in every month (month-end positions for history, daily after). #}
select
    cast(date_trunc('month', as_of_date) as date) as month,
    *
from {{ ref('stg_bank__loans') }}
qualify row_number() over (partition by loan_id, date_trunc('month', as_of_date) order by as_of_date desc) = 1
