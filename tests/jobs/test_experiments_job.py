"""The daily experiment metrics job: which experiments, idempotent ticks, final verdicts once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.services.experiments.support import (
    DAY,
    NOW,
    START,
    make_hand_participant,
    new_experiment,
)
from twin.db.engine import Database
from twin.enums import ExperimentStatus, PersonalizationContext
from twin.jobs import experiments as job
from twin.jobs.registry import PERIODIC_JOBS, check_cron
from twin.services import experiments as service

MISSION = PersonalizationContext.MISSION


def _tick(t: datetime) -> datetime:
    return t.replace(tzinfo=UTC)


def test_registered_daily_at_0230_utc() -> None:
    jobs = {j.name: j for j in PERIODIC_JOBS}
    entry = jobs[job.JOB_NAME]
    check_cron(entry.cron)
    assert entry.cron == "30 2 * * * 0"
    assert entry.task is job.experiment_metrics


def test_tick_measures_running_experiments_and_finalizes_ended_ones_once(db: Database) -> None:
    with db.session() as session:
        running = service.create_experiment(session, new_experiment(), NOW)
        later = service.create_experiment(
            session,
            new_experiment(
                context=PersonalizationContext.SESSION,
                start=START + 40 * DAY,
                end=START + 70 * DAY,
            ),
            NOW,
        )
        for uid in ("ada", "bob"):
            make_hand_participant(session, uid, at=START + 2 * DAY)
            service.active_variant(session, uid, MISSION, START + 2 * DAY)
    first = job.run_metrics_tick(db, _tick(START + 10 * DAY))
    assert [r.experiment_id for r in first.runs] == [running.id]  # the other has not started
    assert first.runs[0].participants == 2 and first.runs[0].written == 2
    assert not first.runs[0].finalized
    again = job.run_metrics_tick(db, _tick(START + 10 * DAY))
    assert again.runs[0].written == 0  # a retried tick rewrites nothing
    after_end = job.run_metrics_tick(db, _tick(START + 30 * DAY))
    assert after_end.runs[0].finalized
    # Two learners cannot meet 20 per arm: the final verdict is invalid, and said once.
    assert after_end.runs[0].verdict == "invalid"
    with db.session() as session:
        stored = service.load_experiment(session, running.id, START + 31 * DAY)
        as_of = session.execute(
            sa.text("SELECT DISTINCT metrics->>'asOf' FROM experiment_assignments")
        ).scalar_one()
    assert stored.status is ExperimentStatus.COMPLETED and stored.final is not None
    assert stored.metrics_as_of == START + 28 * DAY
    assert as_of == (START + 28 * DAY).isoformat() + ".000Z"
    next_day = job.run_metrics_tick(db, _tick(START + 31 * DAY))
    assert running.id not in [r.experiment_id for r in next_day.runs]
    assert "experiments" in next_day.summary()
    assert later.id not in [r.experiment_id for r in next_day.runs]


def test_one_failure_does_not_stop_the_others(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    with db.session() as session:
        a = service.create_experiment(session, new_experiment(), NOW)
        b = service.create_experiment(
            session, new_experiment(context=PersonalizationContext.CONTENT), NOW
        )
    real = service.refresh_metrics

    def flaky(session: object, experiment_id: str, now: datetime) -> object:
        if experiment_id == a.id:
            raise RuntimeError("disk on fire")
        return real(session, experiment_id, now)  # type: ignore[arg-type]

    monkeypatch.setattr(service, "refresh_metrics", flaky)
    report = job.run_metrics_tick(db, _tick(START + timedelta(days=3)))
    by_id = {r.experiment_id: r for r in report.runs}
    assert by_id[a.id].error == "RuntimeError: disk on fire"
    assert by_id[b.id].error is None
    assert "1 failed" in report.summary()
