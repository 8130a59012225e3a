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
        {%- if '__staged_until__' in where -%}
            {%- set where = where | replace('__staged_until__', staged_until(relation)) -%}
        {%- endif -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery') -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}

{# `__staged_until__` in a source test's `where`: the newest _ingested_at the staging models
   reading that bronze table have stored (their least, as a literal, so DuckDB skips the bronze
   files written before it), so the test checks only the rows they have not staged yet. Why
   that keeps the guarantee: bronze is append-only, the staging models read it from that mark
   on (bronze_since_last_run, macros/versions.sql), and a model runs in `dbt build` only after
   its sources' tests passed, so every row at or below the mark was in bronze, and tested,
   when a build staged it. A reader not stored yet or empty (a first build): every row. One
   query per test: the relations come from dbt's cache. #}
{% macro staged_until(relation) -%}
    {%- set floor = "timestamptz '-infinity'" -%}
    {%- if not execute -%}{%- do return(floor) -%}{%- endif -%}
    {%- set marks = [] -%}
    {%- for source in graph.sources.values()
            if source.schema == relation.schema and source.identifier == relation.identifier -%}
        {%- for node in graph.nodes.values()
                if node.resource_type == 'model' and node.fqn[1] == 'staging'
                and node.config.materialized == 'incremental' and source.unique_id in node.depends_on.nodes -%}
            {%- set stored = adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias) -%}
            {%- if stored is none -%}{%- do return(floor) -%}{%- endif -%}
            {%- do marks.append('select max(_ingested_at) as mark from ' ~ stored) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- if not marks -%}{%- do return(floor) -%}{%- endif -%}
    {%- set newest = run_query('select case when count(mark) = count(*) then min(mark) end from ('
                               ~ marks | join(' union all ') ~ ')').columns[0].values()[0] -%}
    {%- if newest is none or newest is string -%}{%- do return(floor) -%}{%- endif -%}
    {%- do return("timestamptz '" ~ newest.isoformat() ~ "'") -%}
{%- endmacro %}
