"""Outcomes derived from completed sessions and missions, through the real database and job."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import sqlalchemy as sa

from tests.services.experiments.support import add_learner
from twin.analysis.personalization.derived import SourceKind, derived_outcome_id
from twin.db.engine import Database
from twin.db.models import (
    Card,
    Course,
    Mission,
    PersonalizationDecision,
    Review,
    ValidationResponse,
)
from twin.enums import MissionStatus, PersonalizationContext, ReviewRating
from twin.ingest.batch import ingest_batch
from twin.jobs import personalization as job
from twin.services.personalization import outcomes
from twin.services.personalization.decisions import apply_personalization

pytestmark = pytest.mark.db  # every test here uses PostgreSQL

T0 = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)
"""The decision's time; the session starts an hour later."""
TICK = T0 + timedelta(days=1)
SESSION = PersonalizationContext.SESSION
MISSION = PersonalizationContext.MISSION

# Golden reward (ENGINE 5.5, reward.py's mapping), worked by hand:
#   baseline: 3 SESSION outcomes in the 14 days before, retention 0.6, performance 60;
#   the session: 4 due reviews (stability before > 0) GOOD, GOOD, HARD, AGAIN → retention 3/4;
#     a first review (stability 0) is not a due review and is ignored;
#   validation answers 0.7 and 0.8 → performance 75;
#   30 minutes of the 40 the decision planned → completion 0.75; no feedback → no satisfaction.
#   retention gain 0.5 + (0.75 − 0.6)/0.4 = 0.875; performance gain 0.5 + (75 − 60)/40 = 0.875;
#   weights 0.4, 0.3, 0.2 renormalised over 0.9:
#   (0.4·0.875 + 0.3·0.875 + 0.2·0.75)/0.9 = 0.7625/0.9 = 0.847222…
GOLDEN_REWARD = 0.7625 / 0.9


def _session_record(uid: str) -> dict[str, object]:
    start = T0 + timedelta(hours=1)
    return {
        "id": f"{uid}-s1",
        "startedAt": start.isoformat(),
        "completedAt": (start + timedelta(minutes=30)).isoformat(),
        "durationMs": 30 * 60_000,
    }


def _count(db: Database, sql: str, uid: str) -> int:
    with db.session() as session:
        return int(session.execute(sa.text(sql), {"u": uid}).scalar_one())


def _learner_with_baseline(db: Database, uid: str, context: PersonalizationContext) -> str:
    """A learner, 3 baseline outcomes, and one bandit decision at T0; the decision's id."""
    with db.session() as session:
        add_learner(session, uid)
        session.add(Course(id=f"{uid}-c", userId=uid, name="Physiology"))
        session.flush()
        session.add(Card(id=f"{uid}-k", courseId=f"{uid}-c"))
        for days in (3, 2, 1):
            outcomes.record_outcome(
                session,
                uid,
                outcomes.OutcomeIn(context=context, retention=0.6, performance=60.0),
                T0 - timedelta(days=days),
            )
        applied = apply_personalization(session, uid, context, None, T0, np.random.default_rng(3))
        assert applied.decision_id is not None
        decision = session.get(PersonalizationDecision, (uid, applied.decision_id))
        assert decision is not None
        # the decision planned 40 minutes (set here so the golden value does not depend on
        # the arm the bandit drew)
        decision.parameters = {**decision.parameters, "durationMinutes": 40}
        return applied.decision_id


def _add_session_data(db: Database, uid: str) -> None:
    with db.session() as session:
        at = T0 + timedelta(hours=1, minutes=5)
        rated = [(1.0, "GOOD"), (2.0, "GOOD"), (3.0, "HARD"), (4.0, "AGAIN"), (0.0, "AGAIN")]
        for i, (stability, rating) in enumerate(rated):
            session.add(
                Review(
                    id=f"{uid}-r{i}",
                    userId=uid,
                    cardId=f"{uid}-k",
                    sessionId=f"{uid}-s1",
                    rating=ReviewRating(rating),
                    timeSpentMs=5000,
                    reviewedAt=(at + timedelta(minutes=i)).replace(tzinfo=None),
                    stabilityBefore=stability,
                )
            )
        for i, score in enumerate((0.7, 0.8)):
            session.add(
                ValidationResponse(
                    id=f"{uid}-v{i}",
                    userId=uid,
                    sessionId=f"{uid}-s1",
                    promptType="EXPLAIN",
                    score=score,
                    respondedAt=(at + timedelta(minutes=10 + i)).replace(tzinfo=None),
                )
            )


def test_a_completed_session_rewards_its_decision_once(db: Database) -> None:
    uid = "ann"
    decision_id = _learner_with_baseline(db, uid, SESSION)
    ingest_batch(db, uid, "sessions", [_session_record(uid)])
    _add_session_data(db, uid)
    assert uid in job.due_learners(db, TICK)
    report = job.run_tick(db, TICK)
    assert report.derived == 1
    with db.session() as session:
        d = session.get(PersonalizationDecision, (uid, decision_id))
        assert d is not None and d.reward is not None
        assert d.reward == pytest.approx(GOLDEN_REWARD, abs=1e-6)
        assert d.outcomeId == derived_outcome_id(uid, SourceKind.STUDY_SESSION, f"{uid}-s1")
        assert d.rewardDetail is not None
        assert d.rewardDetail["source"] == {"kind": "study_session", "id": f"{uid}-s1"}
        assert d.rewardDetail["baseline"]["outcomes"] == 3
        row = session.execute(
            sa.text(
                'SELECT "retentionScore", "performanceScore", "completionRate", '
                '"sessionDuration", "decisionId", "personalizationApplied", timestamp '
                "FROM personalization_outcomes WHERE id = :id"
            ),
            {"id": d.outcomeId},
        ).one()
        assert tuple(row)[:6] == (0.75, pytest.approx(75.0), 0.75, 30, decision_id, True)
        assert row.timestamp == (T0 + timedelta(hours=1, minutes=30)).replace(tzinfo=None)
        arm = session.execute(
            sa.text(
                'SELECT "timesSelected", "totalReward" FROM personalization_configs WHERE id = :c'
            ),
            {"c": d.configId},
        ).one()
        assert arm[0] == 1 and arm[1] == pytest.approx(GOLDEN_REWARD, abs=1e-6)
    # the same session ingested again, the tick served twice: no second outcome, same reward
    ingest_batch(db, uid, "sessions", [_session_record(uid)])
    again = job.run_tick(db, TICK)
    assert again.derived == 0
    assert job.run_tick(db, TICK + timedelta(days=1)).derived == 0
    assert _count(db, 'SELECT count(*) FROM personalization_outcomes WHERE "userId" = :u', uid) == 4
    assert (
        _count(
            db,
            'SELECT "timesSelected" FROM personalization_configs WHERE "userId" = :u '
            'AND "timesSelected" > 0',
            uid,
        )
        == 1
    )


def test_a_skipped_mission_is_a_zero_reward_and_an_unrelated_one_nothing(db: Database) -> None:
    uid = "bob"
    decision_id = _learner_with_baseline(db, uid, MISSION)
    with db.session() as session:
        # skipped: its recommended start 2 h after the decision
        session.add(
            Mission(
                id=f"{uid}-m1",
                userId=uid,
                date=T0.replace(hour=0, tzinfo=None),
                recommendedStartTime=(T0 + timedelta(hours=2)).replace(tzinfo=None),
                status=MissionStatus.SKIPPED,
                estimatedMinutes=30,
                objectives=[],
            )
        )
        # completed, but starting 3 days before the decision: it did not follow it
        session.add(
            Mission(
                id=f"{uid}-m0",
                userId=uid,
                date=(T0 - timedelta(days=3)).replace(tzinfo=None),
                status=MissionStatus.COMPLETED,
                estimatedMinutes=30,
                objectives=[],
            )
        )
    assert job.run_tick(db, TICK).derived == 1
    with db.session() as session:
        d = session.get(PersonalizationDecision, (uid, decision_id))
        assert d is not None
        # skipped: completion 0 and nothing else measured, no feedback → reward 0 (reward.py)
        assert d.reward == 0.0 and d.signals == ["mission_skipped"]
        assert d.outcomeId == derived_outcome_id(uid, SourceKind.MISSION, f"{uid}-m1")
    assert job.run_tick(db, TICK).derived == 0


def test_a_decision_with_a_reported_outcome_takes_no_derived_one(db: Database) -> None:
    uid = "cat"
    decision_id = _learner_with_baseline(db, uid, SESSION)
    with db.session() as session:
        outcomes.record_outcome(
            session,
            uid,
            outcomes.OutcomeIn(decision_id=decision_id, retention=0.9),
            T0 + timedelta(hours=2),
        )
    ingest_batch(db, uid, "sessions", [_session_record(uid)])
    assert job.run_tick(db, TICK).derived == 0
    assert _count(db, 'SELECT count(*) FROM personalization_outcomes WHERE "userId" = :u', uid) == 4
