{# Generic range test (dbt_utils is not reachable): fails on rows outside [min_value, max_value].
   Either bound may be omitted; nulls pass (use not_null for those). #}
{% test within_range(model, column_name, min_value=none, max_value=none) %}
select {{ column_name }} as value
from {{ model }}
where {{ column_name }} is not null
  and (
    {%- if min_value is not none %} {{ column_name }} < {{ min_value }}{% else %} false{% endif %}
    {%- if max_value is not none %} or {{ column_name }} > {{ max_value }}{% endif %}
  )
{% endtest %}
