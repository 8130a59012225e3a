{#- Identity resolution picks, per identifier, the most confident matching level that names
    exactly one enterprise; identifiers whose best level names several are ambiguous.
    Emits the CTEs per_rank, best and ambiguous from a CTE `candidates`
    (id_column, rank, method, confidence, uscc). -#}
{% macro best_unique_match(id_column) %}
per_rank as (
    select {{ id_column }}, rank, any_value(method) as method, any_value(confidence) as confidence,
           min(uscc) as uscc, count(distinct uscc) as n
    from candidates
    group by {{ id_column }}, rank
),

best as (
    select {{ id_column }}, method, confidence, uscc
    from per_rank where n = 1
    qualify row_number() over (partition by {{ id_column }} order by rank) = 1
),

ambiguous as (
    select distinct {{ id_column }} from per_rank where n > 1
)
{% endmacro %}
