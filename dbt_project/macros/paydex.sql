{# A PAYDEX-style payment index from amount-weighted days beyond terms (D&B's published
   anchors: 80 = pays on time, 100 = pays early, 70 = 15 days late, 60 = 22, 50 = 30, 40 = 60,
   30 = 90, 20 = 120 or more), interpolated linearly between anchors. #}
{% macro paydex(days_expr) -%}
case
  when {{ days_expr }} is null then null
  when {{ days_expr }} <= -30 then 100
  when {{ days_expr }} <= 0 then 80 + (-{{ days_expr }}) * 20.0 / 30
  when {{ days_expr }} <= 15 then 80 - {{ days_expr }} * 10.0 / 15
  when {{ days_expr }} <= 22 then 70 - ({{ days_expr }} - 15) * 10.0 / 7
  when {{ days_expr }} <= 30 then 60 - ({{ days_expr }} - 22) * 10.0 / 8
  when {{ days_expr }} <= 60 then 50 - ({{ days_expr }} - 30) * 10.0 / 30
  when {{ days_expr }} <= 90 then 40 - ({{ days_expr }} - 60) * 10.0 / 30
  when {{ days_expr }} <= 120 then 30 - ({{ days_expr }} - 90) * 10.0 / 30
  else 20
end
{%- endmacro %}
