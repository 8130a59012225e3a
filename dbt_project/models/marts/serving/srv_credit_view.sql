{# The shared credit view of each enterprise, as the bank service answers it: one JSON document
   per USCC, built once per build. Assembling it per request costs DuckDB a plan of ~150
   columns over five tables (about 12 ms); reading one document is a point lookup.
   Repayment is summarised across banks, as a bureau shows it: no bank is named. #}

with latest_score as (
    select * exclude (_built_at) from {{ ref('fct_credit_score') }}
    qualify row_number() over (partition by uscc order by month desc) = 1
),

latest_indicators as (
    select * exclude (_built_at) from {{ ref('fct_credit_indicators') }}
    qualify row_number() over (partition by uscc order by month desc) = 1
),

reasons as (
    select
        s.uscc,
        list(
            {'reason_code': b.reason_code, 'reason_text': b.reason_text} order by b.reason_code
        ) as reasons
    from latest_score as s
    join (
        select distinct scorecard_version, reason_code, reason_text
        from {{ ref('int_scorecard__cards') }}
    ) as b
        on
            s.scorecard_version = b.scorecard_version
            and b.reason_code in (s.reason_code_1, s.reason_code_2, s.reason_code_3)
    group by s.uscc
),

warnings as (
    select
        uscc,
        list(w order by w.first_seen_month desc, w.signal asc) as warnings
    from (
        select * exclude (_built_at, affected_loan_ids, affected_loans, affected_exposure)
        from {{ ref('fct_risk_warnings') }}
    ) as w
    group by uscc
),

repayment as (
    select
        uscc,
        count(distinct bank_id) as banks,
        count(distinct bank_id || '/' || loan_id) as loans,
        sum(exposure) filter (
            where month = (select max(month) from {{ ref('fct_loan_month') }})
        ) as current_exposure,
        max(days_past_due) as worst_days_past_due_ever,
        count(distinct bank_id || '/' || loan_id) filter (
            where days_past_due >= 90
        ) as loans_ever_90_plus
    from {{ ref('fct_loan_month') }}
    group by uscc
),

registry as (
    select * exclude (registry_updated_at) from {{ ref('dim_enterprise') }}
)

select
    r.uscc,
    to_json({
        'uscc': r.uscc,
        'registry': r,
        'score': s,
        'reasons': coalesce(rs.reasons, []),
        'indicators': i,
        'warnings': coalesce(w.warnings, []),
        'repayment_across_banks': {
            'banks': coalesce(p.banks, 0),
            'loans': coalesce(p.loans, 0),
            'current_exposure': p.current_exposure,
            'worst_days_past_due_ever': p.worst_days_past_due_ever,
            'loans_ever_90_plus': coalesce(p.loans_ever_90_plus, 0)
        }
    }) as credit_view
from registry as r
left join latest_score as s on r.uscc = s.uscc
left join reasons as rs on r.uscc = rs.uscc
left join latest_indicators as i on r.uscc = i.uscc
left join warnings as w on r.uscc = w.uscc
left join repayment as p on r.uscc = p.uscc
order by r.uscc
