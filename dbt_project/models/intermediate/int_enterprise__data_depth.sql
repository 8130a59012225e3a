{{ config(materialized='incremental', unique_key='uscc', incremental_strategy='delete+insert') }}
{# Which feeds cover an enterprise and for how many months: the basis of the data-depth grade
   (A: four or more monthly feeds over at least 12 months; B: three over 6; C: two or more
   feeds or 3 months; D: the registry entry and little else).
   Incremental: the enterprises whose feed months changed since the last run, from all their
   months; one left without any stays as an empty row (see recomputed), which dim_enterprise
   reads as no coverage. #}
{%- set feeds = ['bank', 'invoices', 'social_security', 'tax', 'utility'] %}
with
{%- if is_incremental() %}
touched as (
    select distinct uscc from {{ changed(ref('int_enterprise__feed_months')) }}
),
{%- endif %}

covered as (
    select uscc, bit_or(feeds) as feeds, count(*) as months_covered
    from {{ ref('int_enterprise__feed_months') }}
    {%- if is_incremental() %}
    semi join touched using (uscc)
    {%- endif %}
    where feeds is not null
    group by uscc
),

result as (
    select
        uscc,
        array_to_string(list_filter({{ feeds }}, lambda f, i: (feeds >> (i - 1)) & 1 = 1), ',') as data_sources,
        cast(bit_count(feeds) as integer) as data_source_count,
        cast(months_covered as integer) as months_covered,
        case
            when bit_count(feeds) >= 4 and months_covered >= 12 then 'A'
            when bit_count(feeds) >= 3 and months_covered >= 6 then 'B'
            when bit_count(feeds) >= 2 or months_covered >= 3 then 'C'
            else 'D'
        end as data_depth_grade
    from covered
)

{{ recomputed('result', 'touched', 'uscc') }}
