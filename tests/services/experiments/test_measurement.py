"""Participants' metrics from stored data: hand-computed values, idempotence, as-of capping."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.services.experiments.support import (
    DAY,
    EXPECTED_POST,
    EXPECTED_PRE,
    NOW,
    START,
    A,
    make_hand_participant,
    new_experiment,
)
from twin.analysis.experiments.metrics import METRICS
from twin.analysis.experiments.periods import ParticipantMetrics, participant_periods
from twin.db.engine import Database
from twin.enums import PersonalizationContext
from twin.services import experiments as service
from twin.services.experiments.measurement import Participant, measure, period_counts

pytestmark = pytest.mark.db  # every test here uses PostgreSQL

MISSION = PersonalizationContext.MISSION


def test_hand_participant_metrics_equal_the_hand_calculation(db: Database) -> None:
    """Every catalogue metric, both periods (numbers worked out in tests/.../support.py)."""
    periods = participant_periods(A, A + 7 * DAY)
    assert periods is not None
    with db.session() as session:
        make_hand_participant(session, "ada")
        make_hand_participant(session, "bob", at=A + 2 * DAY)  # someone else's rows
        documents = measure(session, [Participant("ada", periods)], A + 7 * DAY)
    doc = documents["ada"]
    assert set(EXPECTED_PRE) == set(METRICS) == set(doc.pre.values)
    for expected, part in ((EXPECTED_PRE, doc.pre), (EXPECTED_POST, doc.post)):
        for name, (value, n) in expected.items():
            got = part.values[name]
            assert got.n == n, name
            if value is None:
                assert got.value is None, name
            else:
                assert got.value is not None and abs(got.value - value) < 1e-12, name
    assert doc.pre.period.days == 14 and doc.post.period.days == 7


def test_counts_of_a_learner_without_data_are_zero(db: Database) -> None:
    from tests.services.experiments.support import add_learner

    periods = participant_periods(A, A + DAY)
    assert periods is not None
    with db.session() as session:
        add_learner(session, "empty")
        pre, post = period_counts(session, [Participant("empty", periods)])["empty"]
    assert pre.reviews == post.reviews == post.sessions == 0
    assert post.days == 1.0 and pre.days == 14.0


def test_refresh_writes_documents_idempotently_and_caps_at_the_end(db: Database) -> None:
    with db.session() as session:
        experiment = service.create_experiment(session, new_experiment(), NOW)
        make_hand_participant(session, "ada")
        service.active_variant(session, "ada", MISSION, A)
        first = service.refresh_metrics(session, experiment.id, A + 7 * DAY)
        again = service.refresh_metrics(session, experiment.id, A + 7 * DAY)
        stored = session.execute(sa.text("SELECT metrics FROM experiment_assignments")).scalar()
        row = session.execute(
            sa.text('SELECT "metricsAsOf", "currentParticipants" FROM personalization_experiments')
        ).one()
    assert (first.participants, first.measured, first.written) == (1, 1, 1)
    assert again.written == 0  # the same document: nothing rewritten
    doc = ParticipantMetrics.from_json(stored)
    assert doc.to_json() == stored
    # What the database holds is the hand calculation: every metric's value and sample size
    # in both periods, and the period bounds (pre = [A − 14 d, A), post = [A, A + 7 d)).
    for expected, part in ((EXPECTED_PRE, stored["pre"]), (EXPECTED_POST, stored["post"])):
        assert set(part["values"]) == set(expected) == set(part["n"])
        for name, (value, n) in expected.items():
            assert part["n"][name] == n, name
            if value is None:
                assert part["values"][name] is None, name
            else:
                assert abs(part["values"][name] - value) < 1e-12, name
    assert (doc.pre.period.start, doc.pre.period.end) == (A - 14 * DAY, A)
    assert (doc.post.period.start, doc.post.period.end) == (A, A + 7 * DAY)
    assert stored["pre"]["days"] == 14 and stored["post"]["days"] == 7
    assert doc.as_of == A + 7 * DAY
    assert (row.metricsAsOf, row.currentParticipants) == (A + 7 * DAY, 1)
    # Long after the end: as of the end date.
    with db.session() as session:
        late = service.refresh_metrics(session, experiment.id, START + 60 * DAY)
    assert late.as_of == START + 28 * DAY


def test_a_recomputation_of_an_earlier_day_clears_later_participants(db: Database) -> None:
    with db.session() as session:
        experiment = service.create_experiment(session, new_experiment(), NOW)
        make_hand_participant(session, "ada")
        make_hand_participant(session, "bob", at=A + 2 * DAY)
        service.active_variant(session, "ada", MISSION, A)
        service.active_variant(session, "bob", MISSION, A + 2 * DAY)
        service.refresh_metrics(session, experiment.id, A + 7 * DAY)
        earlier = service.refresh_metrics(session, experiment.id, A + DAY)
        measured = dict(
            session.execute(
                sa.text('SELECT "userId", metrics IS NOT NULL FROM experiment_assignments')
            ).all()
        )
    assert earlier.measured == 1
    assert measured == {"ada": True, "bob": False}
