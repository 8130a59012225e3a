{# Characteristic stability, month over month: for each characteristic of the current
   scorecard, the shares of enterprises in each of its bins this month against the previous
   month, CSI = sum((a - e) * ln(a / e)) (an empty bin counts as 0.0001), and the points that
   shift is worth on the average score: sum((a - e) * points). Read beside rpt_score_stability:
   the characteristics with the largest CSI say why the score moved. #}
{%- set empty_share = 0.0001 %}

with scorecard as (
    {{ champion_scorecard() | indent(4) }}
),

characteristics as (
    {{ scorecard_characteristics() | indent(4) }}
),

binned as (
    {{ scorecard_bins_of('characteristics', 'scorecard') | indent(4) }}
),

counts as (
    select month, characteristic, bin_order, any_value(points) as points, count(*) as enterprises
    from binned
    group by month, characteristic, bin_order
),

shares as (
    select
        *,
        enterprises / sum(enterprises) over (partition by month, characteristic) as share
    from counts
),

pairs as (
    select
        coalesce(a.month, e.month + interval 1 month) as month,
        coalesce(a.characteristic, e.characteristic) as characteristic,
        coalesce(a.points, e.points) as points,
        greatest(coalesce(a.share, 0), {{ empty_share }}) as actual_share,
        greatest(coalesce(e.share, 0), {{ empty_share }}) as expected_share
    from shares as a
    full join shares as e
        on
            a.month = e.month + interval 1 month
            and a.characteristic = e.characteristic
            and a.bin_order = e.bin_order
)

select
    cast(p.month as date) as month,
    strftime(p.month, '%Y-%m') as period,
    p.characteristic,
    sum((p.actual_share - p.expected_share) * ln(p.actual_share / p.expected_share)) as csi,
    sum((p.actual_share - p.expected_share) * p.points) as points_shift
from pairs as p
-- both months scored: the first month has nothing to compare with, the month after the last
-- is not there yet
where
    p.month in (select month from shares)
    and p.month - interval 1 month in (select month from shares)
group by p.month, p.characteristic
order by p.month, p.characteristic
