{{ config(materialized='incremental', unique_key='buyer_name', incremental_strategy='delete+insert') }}
{# One row per buyer name on invoices: its normalised keys, whether some invoice gives it
   without a uscc, and the usccs other invoices give with it. Identity resolution of invoice
   buyers reads this instead of every invoice. Incremental: the names on invoices changed
   since the last run. #}
{%- if is_incremental() %}
with touched as (
    select distinct buyer_name from {{ changed(ref('stg_supply_chain__invoices')) }}
    where buyer_name is not null
),
{%- else %}
with
{%- endif %}

result as (
    select
        buyer_name,
        any_value(buyer_exact_key) as exact_key,
        any_value(buyer_form_key) as form_key,
        any_value(buyer_name_key) as name_key,
        bool_or(buyer_uscc is null) as without_uscc,
        list_sort(list(distinct buyer_uscc) filter (where buyer_uscc is not null)) as usccs_seen
    from {{ ref('stg_supply_chain__invoices') }}
    {%- if is_incremental() %}
    semi join touched using (buyer_name)
    {%- endif %}
    where buyer_name is not null
    group by buyer_name
)

{{ recomputed('result', 'touched', 'buyer_name') }}
