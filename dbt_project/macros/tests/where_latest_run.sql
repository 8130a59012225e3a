{# A test's `where` config may say `_built_at = __latest_run__`: only the rows the latest run
   wrote (every row after a full build). Heavy tests on large incremental models use it, so a
   daily run tests what it changed instead of scanning the history again; the model's
   delete+insert on its unique key keeps the untouched rows as they were tested. #}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- if where -%}
        {%- set where = where | replace('__latest_run__', '(select max(_built_at) from ' ~ relation ~ ')') -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery') -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
