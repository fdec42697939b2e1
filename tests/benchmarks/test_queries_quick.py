"""The query benchmark end to end at a tiny scale: generator, three phases, storage, writes."""

from __future__ import annotations

import pytest
from rich.console import Console

from benchmarks.bench_db import BenchDatabase, Scale, count_rows, ensure_built, libpq_url, read_meta
from benchmarks.queries import (
    PHASE_WITH,
    PHASE_WITH_AGAIN,
    PHASE_WITHOUT,
    SEED_LATENCY_CLAIMS_MS,
    Options,
    markdown_summary,
    run_with_database,
)
from twin.db import migrate
from twin.db.engine import Database
from twin.db.query_patterns import EPIC5_INDEXES, QUERY_PATTERNS

pytestmark = pytest.mark.db  # every test here uses PostgreSQL

# Small enough to run in seconds, big enough that the planner prefers every 0002 index.
TINY_LEARNERS = 300
TINY_EVENTS = 30_000
TINY_SAMPLE = 40
TINY_WRITE_ROWS = 2_000
TINY_WRITE_BATCH = 500


@pytest.mark.db
@pytest.mark.slow
def test_quick_benchmark_measures_every_query_with_and_without_its_index(db: Database) -> None:
    bench = BenchDatabase(url=libpq_url(db.url), description="test database")
    options = Options(
        learners=TINY_LEARNERS,
        events=TINY_EVENTS,
        sample=TINY_SAMPLE,
        seed=7,
        write_rows=TINY_WRITE_ROWS,
        write_batch=TINY_WRITE_BATCH,
        http_batches=1,
    )
    try:
        result = run_with_database(bench, options, Console(quiet=True))

        # The generator built exactly the requested scale and marked it for reuse.
        rows = count_rows(bench)
        assert rows["behavioral_events"] == TINY_EVENTS
        assert rows["users"] == TINY_LEARNERS
        for table in {ix.table for ix in EPIC5_INDEXES}:
            assert rows[table] > 0, table
        assert (
            0
            < rows["study_schedule_recommendations.appliedAt"]
            < rows["study_schedule_recommendations"] / 2
        )
        meta = read_meta(bench)
        assert meta is not None and meta["scale"] == {
            "learners": TINY_LEARNERS,
            "events": TINY_EVENTS,
            "seed": 7,
        }
        assert ensure_built(bench, Scale(TINY_LEARNERS, TINY_EVENTS, 7)).reused
        assert migrate.current_revision(bench.engine) == migrate.head_revision()
    finally:
        bench.close()

    assert set(result["phases"]) == {PHASE_WITH, PHASE_WITHOUT, PHASE_WITH_AGAIN}
    assert result["phases"][PHASE_WITHOUT]["revision"] == migrate.BASELINE
    with_phase = result["phases"][PHASE_WITH]["patterns"]
    assert set(with_phase) == {p.key for p in QUERY_PATTERNS}
    for pattern in QUERY_PATTERNS:
        m = with_phase[pattern.key]
        assert m["samples"] == TINY_SAMPLE
        for stats in (m["server_ms"], m["client_ms"]):
            assert 0 < stats["p50"] <= stats["p95"] <= stats["p99"] <= stats["max"]
        if pattern.seed_query_type:
            # With the indexes present, every seed query type is served by its index.
            assert pattern.index_name in m["plan"], (pattern.key, m["plan"])
            assert m["intended_index_share"] == 1.0, pattern.key
    # Without them, nothing uses a 0002 index (the appliedAt query is measured too).
    without = result["phases"][PHASE_WITHOUT]["patterns"]
    for pattern in QUERY_PATTERNS:
        assert without[pattern.key]["skipped"] is None, pattern.key
        assert not any(ix.name in without[pattern.key]["plan"] for ix in EPIC5_INDEXES)

    summary = {row["key"]: row for row in result["summary"]}
    seed_rows = [row for row in summary.values() if row["seed_query_type"]]
    assert {row["query_type"] for row in seed_rows} == set(SEED_LATENCY_CLAIMS_MS)
    for row in summary.values():
        assert row["ratio_p95"] > 0
        assert "with_again_server_ms" in row

    storage = result["storage"]
    assert {i["index"] for i in storage["indexes"]} == {ix.name for ix in EPIC5_INDEXES}
    assert all(i["bytes"] > 0 for i in storage["indexes"])
    writes = result["write_overhead"]
    assert set(writes["scenarios"]) == {"with", "without"}
    assert writes["rows_per_s_with"] > 0 and writes["rows_per_s_without"] > 0
    with_indexes = writes["scenarios"]["with"]
    assert with_indexes["rows"] == TINY_WRITE_ROWS
    assert with_indexes["batch_ms"]["p50"] > 0

    http = result["http"]
    assert http["status"] == "measured", http
    assert http["listing"]["with_event_type"]["requests"] == TINY_SAMPLE
    assert http["ingestion"]["events"] > 0

    table = markdown_summary(result)
    assert table.count("\n| ") >= len(QUERY_PATTERNS) + 6
