{# Layers land in plain schemas (staging, intermediate, marts, reference, snapshots) rather than
   dbt's default <target>_<custom>, so readers of the marts file query marts.dim_enterprise. #}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
