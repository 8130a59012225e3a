{{ config(materialized='incremental', unique_key=['uscc', 'month'], incremental_strategy='delete+insert') }}
{# The tax credit rating in force at each month end: the newest version published by then.
   Incremental: calendar months not stored yet for every enterprise; a new rating version
   from its month on; every month of a taxpayer that changed or resolves differently (and of
   the enterprises it resolved to before). #}
with versions as (
    select t.uscc, v.credit_rating, v.updated_at
    from {{ ref('stg_tax__taxpayer_versions') }} as v
    join {{ ref('int_taxpayers__resolved') }} as t using (taxpayer_id)
    where t.uscc is not null
)

{%- if is_incremental() %},

new_months as (
    select month from {{ ref('int_calendar__months') }}
    where month not in (select distinct month from {{ this }})
),

touched_from as (
    select t.uscc, cast(date_trunc('month', min(v.updated_at)) as date) as from_month
    from {{ changed(ref('stg_tax__taxpayer_versions')) }} as v
    join {{ ref('int_taxpayers__resolved') }} as t using (taxpayer_id)
    group by t.uscc
    union all
    select p.uscc, date '1900-01-01'
    from {{ changed(ref('int_taxpayers__resolved')) }} as t,
        unnest(list_concat([t.uscc], t.previous_usccs)) as p(uscc)
),

touched as (
    select distinct t.uscc, c.month
    from touched_from as t
    join {{ ref('int_calendar__months') }} as c on c.month >= t.from_month
    where t.uscc is not null
    union
    select distinct v.uscc, n.month from versions as v, new_months as n
)
{%- endif %},

result as (
    select
        v.uscc,
        c.month,
        arg_max(v.credit_rating, v.updated_at) as tax_credit_rating
    from versions as v
    {%- if is_incremental() %}
    join touched as t on t.uscc = v.uscc
    join {{ ref('int_calendar__months') }} as c
        on c.month = t.month and cast(v.updated_at as date) <= c.month_end
    {%- else %}
    join {{ ref('int_calendar__months') }} as c
        on cast(v.updated_at as date) <= c.month_end
    {%- endif %}
    group by all
)

{{ recomputed('result', 'touched', ['uscc', 'month']) }}
