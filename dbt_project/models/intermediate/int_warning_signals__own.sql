{{ config(materialized='incremental', unique_key=['uscc', 'month'], incremental_strategy='delete+insert',
          pre_hook="{{ delete_months_before_establishment() }}") }}
-- depends_on: {{ ref('stg_commerce__enterprises') }}
{# Each enterprise's own warning signals per month: its indicators held against the thresholds
   in use (int_warning_thresholds__in_use: recalibrated, or the seed warning_thresholds). Only months where a signal fires are kept.
   Incremental: the months whose indicators or panel row changed since the last run (all of
   them when the threshold version changes); such a month where nothing fires any more stays
   as a row without a signal, so that downstream models see the signal go. #}
with thresholds as (
    select * from {{ ref('int_warning_thresholds__in_use') }}
)

{%- if is_incremental() %},

touched as (
    select uscc, month from {{ changed(ref('fct_credit_indicators')) }}
    union
    select uscc, month from {{ changed(ref('fct_enterprise_month')) }}
    union
    select uscc, month from {{ ref('fct_credit_indicators') }}
    where (select max(threshold_version) from thresholds)
          is distinct from (select max(threshold_version) from {{ this }})
)
{%- endif %},

metrics as (
    unpivot (
        select
            i.uscc, i.month,
            {{ warning_indicator_metrics('i') }},
            cast(p.new_penalties as double) as new_penalties,
            cast(p.new_abnormal_listings as double) as new_abnormal_listings,
            cast(p.new_dishonest_records as double) as new_dishonest_records
        from {{ ref('fct_credit_indicators') }} as i
        {%- if is_incremental() %}
        semi join touched using (uscc, month)
        {%- endif %}
        join {{ recomputed_keys(ref('fct_enterprise_month'), 'touched') }} as p using (uscc, month)
    )
    on columns(* exclude (uscc, month))
    into name metric value value
),

fired as (
    select
        m.uscc,
        m.month,
        t.signal,
        t.metric,
        m.value,
        t.amber_threshold,
        t.red_threshold,
        t.threshold_version,
        case
            when t.comparison = 'below' and m.value <= t.red_threshold then 'red'
            when t.comparison = 'above' and m.value >= t.red_threshold then 'red'
            else 'amber'
        end as level
    from metrics as m
    join thresholds as t on t.metric = m.metric
    where (t.comparison = 'below' and (m.value <= t.amber_threshold or m.value <= t.red_threshold))
       or (t.comparison = 'above' and (m.value >= t.amber_threshold or m.value >= t.red_threshold))
)

{%- if is_incremental() %},

-- a month is rewritten when its set of signals differs from the stored one
stored as (
    select * exclude (_built_at) from {{ this }} semi join touched using (uscc, month)
    where signal is not null
),

changed_months as (
    select uscc, month from (select * from fired except select * from stored)
    union
    select uscc, month from (select * from stored except select * from fired)
)

select *, {{ run_stamp() }} as _built_at from fired semi join changed_months using (uscc, month)
union all by name
select uscc, month, {{ run_stamp() }} as _built_at from changed_months anti join fired using (uscc, month)
{%- else %}

select *, {{ run_stamp() }} as _built_at from fired
{%- endif %}
