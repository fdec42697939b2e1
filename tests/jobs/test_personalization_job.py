"""The daily personalization job: who is due, one effectiveness row per arm, nothing twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import sqlalchemy as sa

from tests.services.experiments.support import add_learner
from twin.db.engine import Database
from twin.enums import PersonalizationContext
from twin.jobs import personalization as job
from twin.jobs.registry import PERIODIC_JOBS
from twin.services.personalization import outcomes
from twin.services.personalization.decisions import apply_personalization
from twin.services.personalization.preferences import PreferencesChange, update_preferences

pytestmark = pytest.mark.db  # every test here uses PostgreSQL

TICK = datetime(2026, 5, 4, 3, 45, tzinfo=UTC)
MISSION = PersonalizationContext.MISSION


def _rows(db: Database, uid: str) -> list[tuple[str, int, float]]:
    with db.session() as session:
        return [
            (r[0], int(r[1]), float(r[2]))
            for r in session.execute(
                sa.text(
                    'SELECT "configId", "sampleSize", "compositeScore" '
                    'FROM personalization_effectiveness WHERE "userId" = :u ORDER BY "configId"'
                ),
                {"u": uid},
            )
        ]


def test_the_tick_measures_each_arm_once(db: Database) -> None:
    assert any(j.name == job.JOB_NAME for j in PERIODIC_JOBS)
    with db.session() as session:
        add_learner(session, "lea")
        add_learner(session, "off", enabled=False)
        start = TICK - timedelta(days=50)
        for i in range(12):  # a baseline without personalization, 50–39 days before the tick
            outcomes.record_outcome(
                session,
                "lea",
                outcomes.OutcomeIn(context=MISSION, retention=0.5, completion=0.5),
                start + timedelta(days=i),
            )
        # personalized, always the fixed best arm (auto-adapt off picks the best mean: ties →
        # the first arm) — 12 outcomes of one arm in the last 28 days
        update_preferences(session, "lea", PreferencesChange(auto_adapt=False), start)
        for i in range(12):
            at = TICK - timedelta(days=20) + timedelta(days=i)
            decision = apply_personalization(
                session, "lea", MISSION, None, at, np.random.default_rng(i)
            )
            assert decision.decision is not None and decision.decision.mode == "fixed"
            outcomes.record_outcome(
                session,
                "lea",
                outcomes.OutcomeIn(decision_id=decision.decision_id, retention=0.7, completion=0.9),
                at + timedelta(hours=1),
            )
    assert job.due_learners(db, TICK) == ["lea"]
    report = job.run_tick(db, TICK)
    assert report.learners == 1 and report.rows == 1 and report.outcomes["measured"] == 1
    first = _rows(db, "lea")
    # retention +0.2 → 1, completion +0.4 → 1 (0.5 + Δ/0.4 clipped): composite 100
    assert len(first) == 1 and first[0][1] == 12 and first[0][2] == 100.0
    job.run_tick(db, TICK)
    assert _rows(db, "lea") == first
    assert "1 learners" in report.summary()
