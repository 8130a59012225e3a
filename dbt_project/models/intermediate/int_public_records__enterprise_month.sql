{{ config(materialized='incremental', unique_key=['uscc', 'month'], incremental_strategy='delete+insert') }}
{# New negative public records per enterprise and month of decision, listing or filing.
   Small: computed in full, only changed months are written (see only_changes). #}
with records as (
    select
        uscc,
        date_trunc('month', decided_on) as month,
        'penalty' as kind,
        amount
    from {{ ref('stg_commerce__penalties') }}
    union all
    select
        uscc,
        date_trunc('month', listed_on),
        'abnormal_operation',
        null
    from {{ ref('stg_commerce__abnormal_operations') }}
    union all
    select
        uscc,
        date_trunc('month', filed_on),
        'dishonest_debtor',
        amount
    from {{ ref('stg_commerce__dishonest_debtors') }}
),

new_rows as (
    select
        uscc,
        cast(month as date) as month,
        count(*) filter (where kind = 'penalty') as new_penalties,
        coalesce(sum(amount) filter (where kind = 'penalty'), 0) as penalty_amount,
        count(*) filter (where kind = 'abnormal_operation') as new_abnormal_listings,
        count(*) filter (where kind = 'dishonest_debtor') as new_dishonest_records
    from records
    where uscc is not null
    group by all
)

{{ only_changes('new_rows', ['uscc', 'month'], 'new_penalties') }}
