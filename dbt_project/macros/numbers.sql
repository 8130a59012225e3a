{# expr rounded to n significant digits (positive values; others as they are). #}
{% macro significant_digits(expr, n) -%}
case when ({{ expr }}) > 0
     then round({{ expr }}, {{ n - 1 }} - cast(floor(log10({{ expr }})) as integer))
     else {{ expr }} end
{%- endmacro %}
