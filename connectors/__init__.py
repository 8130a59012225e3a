"""Connectors: pull every platform of the feed contract, land the exact bytes, hand batches on.

One HTTP client for all platforms (http.py), declarative sources (sources.py), the bank's
file drop (bank_drop.py), the landing zone (landing.py) and one entry point (ingest.py)
that both the `creditlake ingest` command and the Airflow tasks call. `creditlake conformance`
(conformance.py) checks a live platform against the contract before the DAGs point at it.
"""
