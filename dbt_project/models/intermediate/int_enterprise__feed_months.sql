{{ config(materialized='incremental', unique_key=['uscc', 'month'], incremental_strategy='delete+insert') }}
{# The monthly feeds that have data for an enterprise in a month, as bits in name order (bank 1,
   invoices 2, social_security 4, tax 8, utility 16): the basis of int_enterprise__data_depth.
   Incremental: the enterprise-months any of the feeds changed since the last run. #}
{%- set inputs = [
    (ref('int_loans__month_end'), 1, 'true'),
    (ref('int_invoices__enterprise_month'), 2, 'invoice_sales is not null'),
    (ref('stg_social_security__ss_contributions'), 4, 'true'),
    (ref('int_tax__enterprise_month'), 8, 'tax_returns is not null'),
    (ref('int_utility__enterprise_month'), 16, 'utility_bills_paid_late is not null'),
] %}
{%- if is_incremental() %}
with touched as (
    {%- for relation, bit, has_data in inputs %}
    select uscc, month from {{ changed(relation) }} where uscc is not null
    {%- if not loop.last %}
    union{% endif %}
    {%- endfor %}
),
{%- else %}
with
{%- endif %}

monthly as (
    -- incremental monthly models keep months whose data went as empty rows: not coverage
    {%- for relation, bit, has_data in inputs %}
    select uscc, month, {{ bit }} as feed
    from {{ relation }}
    {%- if is_incremental() %}
    semi join touched using (uscc, month)
    {%- endif %}
    where uscc is not null and {{ has_data }}
    {%- if not loop.last %}
    union all{% endif %}
    {%- endfor %}
),

result as (
    select uscc, cast(month as date) as month, bit_or(feed) as feeds
    from monthly
    group by uscc, month
)

{{ recomputed('result', 'touched', ['uscc', 'month']) }}
