{# Staging keeps the newest version of every key. Incremental runs read only bronze rows
   ingested after the last run (the _ingested_at watermark) and re-rank them together with
   the stored rows of the same keys, so a late-arriving older version never wins. #}

{% macro bronze_since_last_run(source_relation) -%}
select * from {{ source_relation }}
{%- if is_incremental() %}
where _ingested_at > (select coalesce(max(_ingested_at), timestamptz '1900-01-01') from {{ this }})
{%- endif %}
{%- endmacro %}

{% macro newest_per_key(cte, key, order_by='updated_at desc, _ingested_at desc') -%}
{%- set keys = [key] if key is string else key -%}
select * from (
    select * from {{ cte }}
    {%- if is_incremental() %}
    union all by name
    select stored.* from {{ this }} as stored
    semi join {{ cte }} as arrived on
        {% for k in keys %}stored.{{ k }} = arrived.{{ k }}{% if not loop.last %} and {% endif %}{% endfor %}
    {%- endif %}
)
qualify row_number() over (partition by {{ keys | join(', ') }} order by {{ order_by }}) = 1
{%- endmacro %}
