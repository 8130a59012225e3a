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

{# `__staged_until__` in a source test's `where`: the newest _ingested_at the incremental models
   reading that bronze table have stored (their least, as a literal), so the test checks only
   the rows they have not staged yet. Why that keeps the guarantee: bronze is append-only and
   a model runs in `dbt build` only after its sources' tests passed, so every row at or below
   the mark was in bronze, and tested, when a build staged it. No stored reader (a first or
   emptied build) or a reader without _ingested_at: every row is tested. #}
{% macro staged_until(relation) -%}
    {%- set floor = "timestamptz '-infinity'" -%}
    {%- if not execute -%}{%- do return(floor) -%}{%- endif -%}
    {%- set marks = [] -%}
    {%- set readers = [] -%}
    {%- for source in graph.sources.values()
            if source.schema == relation.schema and source.identifier == relation.identifier -%}
        {%- for node in graph.nodes.values()
                if node.resource_type == 'model' and node.config.materialized == 'incremental'
                and source.unique_id in node.depends_on.nodes -%}
            {%- do readers.append(node) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- for node in readers -%}
        {%- set stored = adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias) -%}
        {%- set columns = adapter.get_columns_in_relation(stored) | map(attribute='name') | list if stored else [] -%}
        {%- if '_ingested_at' in columns -%}
            {%- set newest = run_query('select max(_ingested_at) from ' ~ stored).columns[0].values()[0] -%}
            {%- do marks.append(newest if newest is not none and newest is not string else none) -%}
        {%- else -%}
            {%- do marks.append(none) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if not marks or none in marks -%}
        {%- do return(floor) -%}
    {%- endif -%}
    {%- do return("timestamptz '" ~ (marks | min).isoformat() ~ "'") -%}
{%- endmacro %}
