{# A test's `where` config may say `_built_at = __latest_run__`: only the rows the latest run
   wrote (every row after a full build). Heavy tests on large incremental models use it, so a
   daily run tests what it changed instead of scanning the history again; the model's
   delete+insert on its unique key keeps the untouched rows as they were tested. Inside
   `dbt build` the latest run is this invocation (a literal, so DuckDB skips the row groups
   written before it; a run that changed nothing tests nothing); a separate `dbt test` checks
   the rows of the newest run that wrote any. #}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- if where -%}
        {%- set latest = run_stamp() if flags.WHICH == 'build' else '(select max(_built_at) from ' ~ relation ~ ')' -%}
        {%- set where = where | replace('__latest_run__', latest) -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery') -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
