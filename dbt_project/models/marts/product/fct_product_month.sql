{# Product performance by bank and month: balance, borrowers, new loans, balance-weighted rate,
   overdue and NPL (substandard + doubtful + loss) ratios of the balance.
   Per bank, so that a bank sees only its own book: a borrower of two banks counts at each. #}
select
    l.bank_id,
    p.product_id,
    l.month,
    strftime(l.month, '%Y-%m') as period,
    cast(sum(l.exposure) as decimal(18, 2)) as balance,
    cast(count(distinct l.uscc) filter (where l.exposure > 0) as integer) as borrowers,
    cast(count(*) filter (where l.is_new_in_month) as integer) as new_loans,
    cast(coalesce(sum(l.credit_limit) filter (where l.is_new_in_month), 0) as decimal(18, 2)) as new_loan_limits,
    cast(sum(l.exposure * l.annual_rate) / nullif(sum(l.exposure), 0) as decimal(8, 4)) as average_rate,
    cast(coalesce(sum(l.exposure) filter (where l.is_overdue) / nullif(sum(l.exposure), 0), 0) as decimal(8, 4)) as overdue_ratio,
    cast(coalesce(sum(l.exposure) filter (where l.is_npl) / nullif(sum(l.exposure), 0), 0) as decimal(8, 4)) as npl_ratio,
    {%- for c in ['normal', 'special_mention', 'substandard', 'doubtful', 'loss'] %}
    cast(coalesce(sum(l.exposure) filter (where l.classification = '{{ c }}'), 0) as decimal(18, 2)) as balance_{{ c }}{{ ',' if not loop.last }}
    {%- endfor %}
from {{ ref('dim_product') }} as p
join {{ ref('fct_loan_month') }} as l using (product_id)
group by all
