"""DuckDB views for dbt, maintenance, and the PostgreSQL catalog."""

from __future__ import annotations

import os
import sys
import uuid

import duckdb
import pytest
from lakehouse_batches import good_batch, good_record, make_batch

from creditlake import lakehouse
from creditlake.lakehouse.catalog import table


def test_export_bronze_views_is_readable_from_duckdb(tmp_path):
    lakehouse.publish(good_batch("taxpayers", 8, batch_id="tp-1"))
    bad = [dict(good_record("taxpayers", 50), credit_rating="Z")] + [
        good_record("taxpayers", i) for i in range(8)
    ]
    lakehouse.publish(make_batch("taxpayers", bad, "tp-2"))
    path = tmp_path / "marts" / "creditlake.duckdb"
    pinned = lakehouse.export_bronze_views(path)
    assert pinned["taxpayers"] == table("bronze.taxpayers").current_snapshot().snapshot_id
    assert pinned["loans"] is None  # not loaded yet: an empty view, so dbt sources resolve
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.execute("select count(*) from bronze.taxpayers").fetchone()[0] == 8
        assert con.execute("select count(*) from bronze.loans").fetchone()[0] == 0
        assert con.execute("select reason_codes from bronze.quarantine_tax").fetchall() == [
            ("unknown_code",)
        ]
        assert con.execute("select sum(received) from bronze.ingest_log").fetchone()[0] == 17
        assert con.execute(
            "select typeof(rating_year), typeof(updated_at) from bronze.taxpayers limit 1"
        ).fetchone() == ("BIGINT", "TIMESTAMP WITH TIME ZONE")
        snaps = dict(
            con.execute("select table_name, snapshot_id from bronze._snapshots").fetchall()
        )
    assert snaps["taxpayers"] == pinned["taxpayers"]
    # re-export after more data: views follow the new snapshot
    lakehouse.publish(good_batch("taxpayers", 12, batch_id="tp-3"))
    lakehouse.export_bronze_views(path)
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.execute("select count(*) from bronze.taxpayers").fetchone()[0] == 12


def test_compact_and_expire_keep_rows_and_watermark():
    for k in range(10):
        lakehouse.publish(
            good_batch(
                "abnormal_operations",
                3,
                start=3 * k,
                batch_id=f"ao-{k}",
                watermark=f"2026-11-{10 + k}T00:00:00Z",
            )
        )
    before = lakehouse.read_bronze("abnormal_operations").num_rows
    stats = lakehouse.compact("abnormal_operations")
    assert (
        stats["files_before"] == 10 and stats["files_after"] == 1 and stats["rows"] == before == 30
    )
    assert lakehouse.watermark("abnormal_operations") == "2026-11-19T00:00:00Z"
    snapshots = len(table("bronze.abnormal_operations").snapshots())
    expired = lakehouse.expire_snapshots(older_than_days=0, retain_last=1)
    assert expired["bronze.abnormal_operations"] == snapshots - 1 >= 10
    assert len(table("bronze.abnormal_operations").snapshots()) == 1
    assert lakehouse.read_bronze("abnormal_operations").num_rows == 30
    assert lakehouse.watermark("abnormal_operations") == "2026-11-19T00:00:00Z"
    again = lakehouse.publish(good_batch("abnormal_operations", 3, start=0, batch_id="ao-0"))
    assert again.status == "already_published"  # the ingest log remembers expired commits


@pytest.fixture
def postgres_catalog(monkeypatch):
    psycopg2 = pytest.importorskip("psycopg2")
    name = f"creditlake_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg2.connect(
            host="127.0.0.1", port=5432, user="postgres", dbname="postgres", connect_timeout=3
        )
    except psycopg2.OperationalError as error:
        pytest.skip(f"PostgreSQL not reachable on 127.0.0.1:5432: {error}")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    monkeypatch.setenv(
        "CREDITLAKE_CATALOG_URI", f"postgresql+psycopg2://postgres@127.0.0.1:5432/{name}"
    )
    yield name
    sys.modules[
        "creditlake.lakehouse.catalog"
    ]._catalog.cache_clear()  # drop pooled connections before DROP DATABASE
    import gc

    gc.collect()
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.mark.postgres
def test_postgres_catalog(postgres_catalog):
    result = lakehouse.publish(good_batch("ss_contributions", 10, batch_id="ss-1"))
    assert result.status == "published" and result.published == 10
    assert lakehouse.catalog().engine.url.get_backend_name() == "postgresql"
    assert (
        lakehouse.publish(good_batch("ss_contributions", 10, batch_id="ss-1")).status
        == "already_published"
    )
    assert lakehouse.watermark("ss_contributions") == "2026-11-20T08:00:00Z"
    assert os.environ["CREDITLAKE_CATALOG_URI"].endswith(postgres_catalog)
