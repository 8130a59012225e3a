{# The warning metrics read off the indicator panel (relation alias `i`): the own signals hold
   them against their thresholds (int_warning_signals__own), and threshold recalibration learns
   from the very same columns (fct_warning_observations). #}
{% macro warning_indicator_metrics(i='i') -%}
    {{ i }}.electricity_trend, {{ i }}.water_trend, {{ i }}.revenue_trend, {{ i }}.headcount_trend,
    cast({{ i }}.new_tax_arrears_3m as double) as new_tax_arrears_3m,
    cast({{ i }}.ss_unpaid_months_3m as double) as ss_unpaid_months_3m,
    {{ i }}.dbt_paid_3m - {{ i }}.dbt_paid_12m as dbt_paid_rise,
    {{ i }}.revenue_electricity_gap,
    {{ i }}.revenue_per_kwh_vs_peers,
    cast({{ i }}.max_days_past_due as double) as max_days_past_due
{%- endmacro %}
