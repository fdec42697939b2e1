"""The dashboard benchmark end to end at a tiny scale (server times only)."""

from __future__ import annotations

import argparse

import pytest

from benchmarks.dashboard_speed import TARGET_SERVER_P95_MS, page_paths, report_table, run
from twin.db.engine import Database

pytestmark = pytest.mark.db  # every test here uses PostgreSQL


@pytest.mark.slow
def test_quick_run_times_every_page(db: Database) -> None:
    args = argparse.Namespace(
        weeks=3, seed=5, runs=10, database_url=db.url, keep=False, no_browser=True
    )
    result = run(args)
    assert set(result["server"]) == set(
        page_paths(result["learner"]["id"], result["experiment"]["id"])
    )
    assert "operator/experiment" in result["server"] and "learner/insights" in result["server"]
    for name, timing in result["server"].items():
        assert timing["runs"] == 10, name
        assert 0 < timing["p50Ms"] <= timing["p95Ms"] <= timing["maxMs"], name
    assert result["learner"]["sessions"] > 0 and result["learner"]["reviews"] > 0
    assert result["targets"]["serverP95Ms"] == TARGET_SERVER_P95_MS
    assert "render" not in result
    assert report_table(result).row_count == len(result["server"])
