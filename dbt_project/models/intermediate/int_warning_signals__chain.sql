{{ config(materialized='incremental', unique_key=['uscc', 'month'], incremental_strategy='delete+insert') }}
{# Distress of a core enterprise passed on to the members of its chain: in each month the core
   shows red signals, every member whose main chain it leads gets a core_enterprise_distress signal.
   Members are suppliers named by invoices and confirmations; only those in the registry get a
   signal (like every other warning), the others once their registry record arrives.
   Small: computed in full, only changed months are written (see only_changes). #}
with thresholds as (
    select * from {{ ref('int_warning_thresholds__in_use') }}
    where signal = 'core_enterprise_distress'
),

core_red as (
    select
        s.uscc as core_uscc,
        s.month,
        cast(count(distinct s.signal) as double) as core_red_signals
    from {{ ref('int_warning_signals__own') }} as s
    join {{ ref('stg_supply_chain__core_enterprises') }} as c on s.uscc = c.uscc
    where s.level = 'red'
    group by all
),

new_rows as (
    select
        m.member_uscc as uscc,
        r.month,
        t.signal,
        t.metric,
        r.core_red_signals as value,
        t.amber_threshold,
        t.red_threshold,
        t.threshold_version,
        case when r.core_red_signals >= t.red_threshold then 'red' else 'amber' end as level
    from core_red as r
    join {{ ref('int_supply_chain__members') }} as m on r.core_uscc = m.core_uscc and m.is_main_chain
    semi join {{ ref('stg_commerce__enterprises') }} as e on m.member_uscc = e.uscc
    cross join thresholds as t
    where r.core_red_signals >= t.amber_threshold
)

{{ only_changes('new_rows', ['uscc', 'month'], 'signal') }}
