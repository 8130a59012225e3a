{# Invoice buyers given by name only (one row per distinct name as typed): the name with its
   legal form, the same name seen on other invoices with a uscc, the name with its legal form
   reduced to a class (LLC, JSC), the name without its legal form; each only when it points to exactly one enterprise. #}
with buyers as (
    select
        buyer_name,
        exact_key,
        form_key,
        name_key
    from {{ ref('int_invoices__buyer_names') }}
    where without_uscc
),

aliases as (
    select * from {{ ref('int_enterprise__aliases') }}
),

candidates as (
    select
        b.buyer_name,
        1 as rank,
        'name_exact' as method,
        0.97 as confidence,
        x.uscc
    from buyers as b join aliases as x on b.exact_key = x.exact_key
    union all
    select
        n.buyer_name,
        2,
        'name_seen_with_uscc',
        0.95,
        u.uscc
    from {{ ref('int_invoices__buyer_names') }} as n, unnest(n.usccs_seen) as u (uscc)
    where n.without_uscc
    union all
    select
        b.buyer_name,
        3,
        'name_legal_form_class',
        0.93,
        x.uscc
    from buyers as b join aliases as x on b.form_key = x.form_key
    union all
    select
        b.buyer_name,
        4,
        'name_without_legal_form',
        0.9,
        x.uscc
    from buyers as b join aliases as x on b.name_key = x.name_key
),

{{ best_unique_match('buyer_name') }}
select
    'invoice_buyer' as source,
    b.buyer_name as source_id,
    best.uscc,
    case
        when best.uscc is not null then best.method
        when amb.buyer_name is not null then 'unresolved_ambiguous'
        else 'unresolved_no_match'
    end as method,
    coalesce(best.confidence, 0.0) as confidence
from buyers as b
left join best using (buyer_name)
left join ambiguous as amb using (buyer_name)
