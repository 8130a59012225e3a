{# Every negative public record of an enterprise, one row each: administrative penalties,
   abnormal-operation listings, dishonest judgment debtors and tax arrears, with when it
   started and when it ended (null while it stands). A credit report shows a record while it
   stands and for 5 years after it ends (Credit Reporting Industry Regulation, art. 16):
   shown_until is that date. #}
with records as (
    select
        uscc, 'penalty' as record_type, penalty_id as record_id, decided_on as started_on,
        decided_on as ended_on, authority as source, category as detail, amount
    from {{ ref('stg_commerce__penalties') }}
    union all
    select
        uscc, 'abnormal_operation', record_id, listed_on, removed_on, null, reason, null
    from {{ ref('stg_commerce__abnormal_operations') }}
    union all
    select
        uscc, 'dishonest_debtor', case_no, filed_on, cleared_on, court, null, amount
    from {{ ref('stg_commerce__dishonest_debtors') }}
    union all
    select
        uscc, 'tax_arrear', arrear_id, since, settled_on, null, tax_type, amount
    from {{ ref('int_tax_arrears__resolved') }}
    where uscc is not null
)

select
    uscc,
    record_type,
    record_id,
    started_on,
    ended_on,
    source,
    detail,
    cast(amount as decimal(18, 2)) as amount,
    cast(ended_on + interval 5 year as date) as shown_until
from records
