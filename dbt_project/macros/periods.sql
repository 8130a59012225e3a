{# Periods are 'YYYY-MM' strings on the wire; models work with the month's first day (date). #}
{% macro period_to_month(expr) -%}
cast(strptime({{ expr }} || '-01', '%Y-%m-%d') as date)
{%- endmacro %}

{% macro month_end(month_expr) -%}
cast(({{ month_expr }} + interval 1 month - interval 1 day) as date)
{%- endmacro %}

{% macro months_between(a, b) -%}
((year({{ b }}) - year({{ a }})) * 12 + month({{ b }}) - month({{ a }}))
{%- endmacro %}

{# Growth of a over b, null when the base is missing or not positive. #}
{% macro growth(a, b) -%}
case when {{ b }} > 0 then {{ a }} / {{ b }} - 1 end
{%- endmacro %}
