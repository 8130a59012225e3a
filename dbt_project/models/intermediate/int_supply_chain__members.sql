{{ config(materialized='incremental', unique_key=['member_uscc', 'core_uscc'], incremental_strategy='delete+insert') }}
{# Chain membership: suppliers whose receivables a core enterprise confirmed, or who invoice a
   core enterprise; share = that core's part of the supplier's invoice sales.
   Incremental: the members whose receivable confirmations or invoiced sales changed since the
   last run (every member when a core enterprise's record changed), all of a member's rows
   together (shares and the main chain depend on all of them); only rows that differ are
   written, and a member-core pair that went stays as an empty row (is_main_chain null: the
   models downstream read main chains only). #}
{%- set cores_changed = false %}
{%- if is_incremental() and execute %}
{%- set cores_changed = run_query("select count(*) > 0 from " ~ changed(ref('stg_supply_chain__core_enterprises'))).columns[0].values()[0] %}
{%- endif %}
with cores as (
    select uscc as core_uscc, chain_name from {{ ref('stg_supply_chain__core_enterprises') }}
)

{%- if is_incremental() %},

touched as (
    {%- if cores_changed %}
    -- a core enterprise's record changed: every member
    select member_uscc from {{ this }}
    union
    select supplier_uscc from {{ ref('stg_supply_chain__receivable_confirmations') }}
    union
    select seller_uscc from {{ ref('int_invoices__seller_buyer_month') }}
    where buyer in (select core_uscc from cores)
    {%- else %}
    select supplier_uscc as member_uscc from {{ changed(ref('stg_supply_chain__receivable_confirmations')) }}
    union
    select seller_uscc from {{ changed(ref('int_invoices__seller_buyer_month')) }}
    {%- endif %}
)
{%- endif %},

confirmed as (
    select supplier_uscc as member_uscc, core_uscc, sum(confirmed_amount) as confirmed_amount
    from {{ ref('stg_supply_chain__receivable_confirmations') }}
    {%- if is_incremental() %}
    semi join touched on touched.member_uscc = supplier_uscc
    {%- endif %}
    group by all
),

-- invoiced trade summed per seller, buyer and month already (buyers resolved or by name)
sold as (
    select seller_uscc as member_uscc, buyer as core_uscc, sum(amount) as sales_to_core
    from {{ ref('int_invoices__seller_buyer_month') }}
    {%- if is_incremental() %}
    semi join touched on touched.member_uscc = seller_uscc
    {%- endif %}
    where buyer in (select core_uscc from cores)
    group by all
),

total_sales as (
    select seller_uscc as member_uscc, sum(amount) as sales
    from {{ ref('int_invoices__seller_buyer_month') }}
    {%- if is_incremental() %}
    semi join touched on touched.member_uscc = seller_uscc
    {%- endif %}
    where buyer is not null
    group by all
),

result as (
    select
        member_uscc,
        core_uscc,
        cores.chain_name,
        coalesce(confirmed.confirmed_amount, 0) as confirmed_amount,
        coalesce(sold.sales_to_core, 0) as sales_to_core,
        coalesce(sold.sales_to_core, 0) / nullif(total_sales.sales, 0) as share_of_sales,
        row_number() over (partition by member_uscc
                           order by coalesce(sold.sales_to_core, 0) + coalesce(confirmed.confirmed_amount, 0) desc, core_uscc) = 1
            as is_main_chain
    from confirmed
    full outer join sold using (member_uscc, core_uscc)
    join cores using (core_uscc)
    left join total_sales using (member_uscc)
    where member_uscc <> core_uscc
)

{%- if is_incremental() %},

-- the rows of the touched members, stored or new
touched_rows as (
    select member_uscc, core_uscc from result
    union all
    select member_uscc, core_uscc from {{ this }} semi join touched using (member_uscc)
)
{%- endif %}

{{ recomputed('result', 'touched_rows', ['member_uscc', 'core_uscc']) }}
