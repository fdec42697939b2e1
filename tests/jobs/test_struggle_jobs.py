"""The struggle jobs: 05:xx local selection, capture before generation, isolation, retraining."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from tests.services.struggle.test_outcomes import (
    add_mission,
    add_prediction,
    add_reviews,
    add_training_learners,
    make_world,
    prediction,
)
from twin.db.engine import Database
from twin.db.models import PerformanceMetric, StruggleModelVersion, StrugglePrediction
from twin.enums import PredictionStatus
from twin.jobs import struggle as job
from twin.jobs.registry import PERIODIC_JOBS

# 2026-03-08 20:00 UTC = Monday 2026-03-09 05:00 in Tokyo (UTC+9), 01:30 in Kolkata,
# 16:00 in New York (EDT since 03-08), 20:00 in UTC.
TICK = datetime(2026, 3, 8, 20, 0, tzinfo=UTC)


@pytest.fixture
def world(db: Database) -> Database:
    """Learners in several zones; some without consent or without objectives."""
    with db.session() as s:
        for uid, tz, enabled, objectives in (
            ("tokyo", "Asia/Tokyo", True, "ABC"),
            ("tokyo-off", "Asia/Tokyo", False, "ABC"),
            ("tokyo-empty", "Asia/Tokyo", True, ""),
            ("kolkata", "Asia/Kolkata", True, "ABC"),
            ("new-york", "America/New_York", True, "ABC"),
            ("utc", "UTC", True, "ABC"),
        ):
            make_world(s, uid, timezone=tz, enabled=enabled, objectives=objectives)
            if objectives:
                add_mission(s, uid, datetime(2026, 3, 10), objectives)
    return db


def test_periodic_jobs_are_registered() -> None:
    by_name = {j.name: j for j in PERIODIC_JOBS}
    assert by_name[job.JOB_NAME].cron == "0 * * * * 0"
    assert by_name[job.RETRAIN_JOB_NAME].cron == "0 3 * * 1 0"


def test_selection_by_local_hour(world: Database) -> None:
    """Only learners with consent and objectives whose local clock reads 05:xx."""
    assert job.select_due_learners(world, TICK) == ["tokyo"]
    assert job.select_due_learners(world, datetime(2026, 3, 9, 0, 0, tzinfo=UTC)) == ["kolkata"]
    # 09:00 UTC = 05:00 EDT (daylight saving in New York since 03-08).
    assert job.select_due_learners(world, datetime(2026, 3, 9, 9, 0, tzinfo=UTC)) == ["new-york"]
    assert job.select_due_learners(world, datetime(2026, 3, 9, 5, 0, tzinfo=UTC)) == ["utc"]
    assert job.select_due_learners(world, datetime(2026, 3, 9, 6, 0, tzinfo=UTC)) == []


def test_tick_captures_then_predicts_once(world: Database) -> None:
    """Yesterday's study closes the open prediction before today's predictions are made."""
    sunday_noon_tokyo = datetime(2026, 3, 8, 3, 0)
    with world.session() as s:
        add_prediction(s, "tokyo", "A", 0.8, datetime(2026, 3, 7, 20, 0), pid="tA")
        add_reviews(s, "tokyo", "A", sunday_noon_tokyo, ["AGAIN", "AGAIN", "AGAIN", "GOOD"])
        add_reviews(s, "tokyo", "B", sunday_noon_tokyo, ["GOOD"] * 4)
    report = job.run_daily_tick(world, TICK)
    assert report.outcomes == {"done": 1}, report.runs
    run = report.runs[0]
    assert run.user_id == "tokyo" and run.outcomes_recorded == 1 and run.metrics_rows == 2
    assert run.predictions > 0
    captured = prediction(world, "tA")
    assert (captured.predictionStatus, captured.actualOutcome) == (PredictionStatus.CONFIRMED, True)
    now = TICK.replace(tzinfo=None)
    with world.session() as s:
        new = s.scalars(
            sa.select(StrugglePrediction).where(StrugglePrediction.predictedAt == now)
        ).all()
        assert len(new) == run.predictions and {p.userId for p in new} == {"tokyo"}
        assert all(p.predictionStatus == PredictionStatus.PENDING for p in new)
        assert s.scalar(sa.select(sa.func.count()).select_from(PerformanceMetric)) == 2
    again = job.run_daily_tick(world, TICK)
    assert again.outcomes == {"already_done": 1}


def test_one_learners_error_does_not_stop_the_others(
    world: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    import twin.services.struggle as struggle_service

    real = struggle_service.generate_predictions

    def flaky(session: Any, user_id: str, now: datetime, **kw: Any) -> Any:
        if user_id == "kolkata":
            raise RuntimeError("bad data")
        return real(session, user_id, now, **kw)

    monkeypatch.setattr(struggle_service, "generate_predictions", flaky)
    report = job.run_daily_tick(world, TICK, learners=["kolkata", "utc", "tokyo-off"], threads=2)
    by_user = {r.user_id: r for r in report.runs}
    assert by_user["kolkata"].outcome == "failed" and "bad data" in (by_user["kolkata"].error or "")
    assert by_user["utc"].outcome == "done"
    assert by_user["tokyo-off"].outcome == "skipped"
    with world.session() as s:
        users = set(s.scalars(sa.select(StrugglePrediction.userId)))
    assert "kolkata" not in users and "tokyo-off" not in users


def test_weekly_retraining_registers_and_deploys(db: Database) -> None:
    with db.session() as s:
        add_training_learners(s, "j", 8, 10, share=True, struggle_when_high=True)
    report = job.run_retraining(db, datetime(2026, 3, 9, 3, 0, tzinfo=UTC))
    assert report.status == "deployed"
    with db.session() as s:
        row = s.scalars(sa.select(StruggleModelVersion)).one()
    assert row.isActive and row.version == report.candidate_version
    assert row.trainedAt == datetime(2026, 3, 9, 3, 0)
    assert job.run_retraining(db, datetime(2026, 3, 16, 3, 0) + timedelta(0)).status == "skipped"
