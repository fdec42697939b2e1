"""The personalization speed benchmark at a tiny scale: apply over HTTP and in the service,
and the daily tick over set-based learners, whose derived outcomes it must find."""

from __future__ import annotations

import argparse

import pytest

from benchmarks import personalization_speed as bench
from twin.db.engine import Database

pytestmark = pytest.mark.db  # every test here uses PostgreSQL


@pytest.mark.slow
def test_quick_personalization_speed_benchmark(db: Database) -> None:
    args = argparse.Namespace(
        learners=2,
        weeks=1,
        requests=4,
        seed=17,
        job_learners=3,
        port=0,
        database_url=db.url,
    )
    result = bench.run(args)
    assert result["applyHttp"]["n"] == 4 and result["applyService"]["n"] == 4
    job = result["dailyJob"]
    # each set-based learner has 2 decisions followed by a completed session (JOB_PENDING):
    # the tick derives exactly those outcomes, and measures the arm with 10 recent outcomes
    assert job["derivedOutcomes"] == bench.JOB_PENDING * 3
    assert job["learners"] >= 3 and job["rows"] >= 3
    assert bench.report_table(result).row_count == 3
