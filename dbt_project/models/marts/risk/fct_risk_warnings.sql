{{ config(materialized='incremental', unique_key='uscc', incremental_strategy='delete+insert',
          on_schema_change='append_new_columns',
          post_hook="delete from {{ this }} where warning_id is null") }}
-- depends_on: {{ ref('stg_commerce__enterprises') }}
{# One row per warning episode: an unbroken run of months in which a signal fires for an
   enterprise. Level is red if any month was red; status is new (first seen in the as-of
   month), ongoing (still firing then) or resolved. Loans and exposure affected are the
   enterprise's loans outstanding in the episode's last month.
   Incremental, per enterprise (delete+insert by uscc: episodes merge, split or vanish):
   the enterprises whose signals changed since the last run, or whose months before a later
   founding date went, get their episodes recomputed from all their signals; an enterprise left
   without episodes is written as a row without one, which deletes its stored episodes and is
   deleted itself (post-hook). The other enterprises' stored episodes are rewritten with a new
   status when the as-of month moved, and new affected loans when the positions of their last
   month changed. #}
{%- set status_as_of -%}
case
        when first_seen_month = as_of.month then 'new'
        when last_seen_month = as_of.month then 'ongoing'
        else 'resolved'
    end
{%- endset %}
with as_of as (
    select max(month) as month from {{ ref('int_calendar__months') }}
)

{%- if is_incremental() %},

recomputed_usccs as (
    select uscc from {{ changed(ref('int_warning_signals__own')) }}
    union
    select uscc from {{ changed(ref('int_warning_signals__chain')) }}
    union
    -- a later founding date: int_warning_signals__own's pre-hook deleted the months before it
    select s.uscc
    from {{ this }} as s
    join {{ changed(ref('stg_commerce__enterprises')) }} as e using (uscc)
    where s.first_seen_month < date_trunc('month', e.established_on)
),

restated_usccs as (
    (
        select uscc from {{ this }}, as_of where status is distinct from {{ status_as_of }}
        union
        select s.uscc
        from {{ this }} as s
        semi join {{ changed(ref('fct_loan_month')) }} as l on l.uscc = s.uscc and l.month = s.last_seen_month
    )
    except
    select uscc from recomputed_usccs
)
{%- endif %},

signals as (
    -- rows without a signal mark months whose signals went (for incremental models downstream)
    select * exclude (_built_at) from {{ ref('int_warning_signals__own') }}
    {%- if is_incremental() %}
    semi join recomputed_usccs using (uscc)
    {%- endif %}
    where signal is not null
    union all by name
    select * exclude (_built_at) from {{ ref('int_warning_signals__chain') }}
    {%- if is_incremental() %}
    semi join recomputed_usccs using (uscc)
    {%- endif %}
    where signal is not null
),

islands as (
    select *,
        {{ months_between("date '2000-01-01'", 'month') }}
            - row_number() over (partition by uscc, signal order by month) as island
    from signals
),

episodes as (
    select
        uscc,
        signal,
        any_value(metric) as metric,
        any_value(threshold_version) as threshold_version,
        any_value(amber_threshold) as amber_threshold,
        any_value(red_threshold) as red_threshold,
        min(month) as first_seen_month,
        max(month) as last_seen_month,
        count(*) as months_active,
        case when bool_or(level = 'red') then 'red' else 'amber' end as level,
        min(month) filter (where level = 'red') as first_red_month,
        arg_min(value, month) as evidence_first_value,
        arg_max(value, month) as evidence_last_value
    from islands
    group by uscc, signal, island
    {%- if is_incremental() %}
    union all by name
    select * exclude (warning_id, status, affected_loan_ids, affected_loans, affected_exposure, _built_at)
    from {{ this }}
    semi join restated_usccs using (uscc)
    {%- endif %}
),

affected as (
    select uscc, month,
           list(loan_id order by loan_id) as loan_ids,
           sum(exposure) as exposure
    from {{ ref('fct_loan_month') }}
    semi join (select uscc, last_seen_month as month from episodes) as e using (uscc, month)
    where exposure > 0
    group by all
)

select
    md5(e.uscc || '|' || e.signal || '|' || cast(e.first_seen_month as varchar)) as warning_id,
    e.uscc,
    e.signal,
    e.level,
    e.first_seen_month,
    e.last_seen_month,
    e.first_red_month,
    cast(e.months_active as integer) as months_active,
    {{ status_as_of }} as status,
    e.metric,
    cast(e.evidence_first_value as double) as evidence_first_value,
    cast(e.evidence_last_value as double) as evidence_last_value,
    cast(e.amber_threshold as double) as amber_threshold,
    cast(e.red_threshold as double) as red_threshold,
    e.threshold_version,
    coalesce(array_to_string(a.loan_ids, ','), '') as affected_loan_ids,
    cast(coalesce(len(a.loan_ids), 0) as integer) as affected_loans,
    cast(coalesce(a.exposure, 0) as decimal(18, 2)) as affected_exposure,
    {{ run_stamp() }} as _built_at
from episodes as e
cross join as_of
left join affected as a on a.uscc = e.uscc and a.month = e.last_seen_month
{%- if is_incremental() %}
union all by name
-- an enterprise whose episodes all went
select uscc, {{ run_stamp() }} as _built_at from recomputed_usccs anti join episodes using (uscc)
{%- endif %}
