"""The experiment benchmarks end to end at tiny sizes (their figures are the full runs')."""

from __future__ import annotations

import argparse
import socket

import pytest

from benchmarks import experiment_quality, experiment_speed
from twin.db.engine import Database

pytestmark = pytest.mark.db  # every test here uses PostgreSQL


@pytest.mark.slow
def test_quality_benchmark_runs_both_levels_and_the_service_agrees(db: Database) -> None:
    args = argparse.Namespace(
        smoke=True,
        quick=False,
        level="both",
        seed=18,
        repetitions=3,
        learners=0,
        pilot=0,
        srm_sizes=(60,),
        database_url=db.url,
    )
    result = experiment_quality.run(args)
    assert set(result["results"]) == {"aaPeeking", "power", "cuped", "srm"}
    engine = result["engine"]["results"]
    assert engine["pool"]["participants"] > 0
    assert engine["pool"]["qualityFactor"] > 1.0
    # The service path (SQL sums, its verdict) gives the numpy path's numbers.
    for key in ("serviceAA", "servicePower"):
        assert engine[key]["repetitions"] == 3 and engine[key]["mismatches"] == 0, engine[key]
        assert engine[key]["maxRelativeDifference"] < 1e-9
    assert {"bugAt60", "noBugAt60"} <= set(engine["srm"])
    assert 0.0 <= engine["cuped"]["meanWidthRatio"] <= 1.0 + 1e-9


@pytest.mark.slow
def test_speed_benchmark_measures_the_job_and_the_route(db: Database) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    args = argparse.Namespace(
        smoke=True,
        participants=0,
        weeks=0,
        requests=0,
        seed=31,
        port=port,
        database_url=db.url,
        keep=False,
    )
    result = experiment_speed.run(args)
    job = result["metricsJob"]
    assert job["participants"] == result["assignment"]["participants"] > 0
    assert job["written"] == job["participants"] and job["rerunWritten"] == 0
    http = result["results"]
    assert http["requests"] == experiment_speed.SMOKE["requests"]
    assert http["participants"] == job["participants"]
    assert http["http"]["p95Ms"] > 0
    assert experiment_speed.report_table(result).row_count == 6
