{# The gate on rpt_reference_orphans: fails on every kind whose share of orphans passes the
   threshold (the mart computes `exceeded` with it, see macros/reference_orphans.sql). A build
   that fails here publishes nothing: a feed is broken, not merely partly quarantined.
   creditlake.transform names the kinds in its error. #}
{% test orphan_share_within_threshold(model) %}
select kind, orphan_rows, child_rows, orphan_share, threshold
from {{ model }}
where exceeded
{% endtest %}
