{# Incremental marts with a lookback: a daily run recomputes only the newest four months (late
   payments, corrections and quarterly tax returns, which restate their quarter, land there);
   `dbt build --full-refresh` (weekly in the DAG) recomputes all history. `months_before`
   widens the read for windows that need history before the recomputed months. #}
{% macro lookback_start(months_before=0, lookback_months=3) -%}
(select cast(max(month) - to_months({{ lookback_months + months_before }}) as date) from {{ ref('int_calendar__months') }})
{%- endmacro %}
