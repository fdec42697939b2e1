"""Assignment on first use (what personalization:apply calls), stickiness, consent, erasure."""

from __future__ import annotations

import json
from collections import Counter

import pytest
import sqlalchemy as sa

from tests.services.experiments.support import (
    DAY,
    NOW,
    START,
    add_learner,
    count,
    make_hand_participant,
    new_experiment,
)
from twin.analysis.experiments.assignment import assign_variant
from twin.db.engine import Database
from twin.enums import PersonalizationContext
from twin.errors import Forbidden, NotFound
from twin.services import experiments as service
from twin.services import learners as learners_service

pytestmark = pytest.mark.db  # every test here uses PostgreSQL

MISSION = PersonalizationContext.MISSION


def test_first_use_assigns_by_hash_and_stores_once(db: Database) -> None:
    with db.session() as session:
        experiment = service.create_experiment(session, new_experiment(), NOW)
        add_learner(session, "ada")
        first = service.active_variant(session, "ada", MISSION, START + DAY)
        again = service.active_variant(session, "ada", MISSION, START + 5 * DAY)
    assert first is not None and again is not None
    expected = ("control", "short")[assign_variant(experiment.salt, "ada", (1.0, 1.0))]
    assert first.variant_id == again.variant_id == expected
    assert first.newly_assigned and not again.newly_assigned
    assert first.assigned_at == again.assigned_at == START + DAY
    assert first.config == experiment.variant(expected).config
    assert first.is_control == (expected == "control")
    assert "the bandit stands aside" in first.reason and experiment.id in first.reason
    with db.session() as session:
        assert count(session, "experiment_assignments") == 1


def test_no_variant_outside_the_window_or_the_context(db: Database) -> None:
    with db.session() as session:
        experiment = service.create_experiment(session, new_experiment(), NOW)
        add_learner(session, "ada")
        assert service.active_variant(session, "ada", MISSION, START - DAY) is None
        assert service.active_variant(session, "ada", MISSION, START + 28 * DAY) is None
        assert (
            service.active_variant(session, "ada", PersonalizationContext.SESSION, START + DAY)
            is None
        )
        service.stop_experiment(session, experiment.id, START + DAY)
        assert service.active_variant(session, "ada", MISSION, START + 2 * DAY) is None
        assert count(session, "experiment_assignments") == 0


def test_learners_without_analysis_or_unknown_take_no_part(db: Database) -> None:
    with db.session() as session:
        service.create_experiment(session, new_experiment(), NOW)
        add_learner(session, "off", enabled=False)
        assert service.active_variant(session, "off", MISSION, START + DAY) is None
        assert service.active_variant(session, "ghost", MISSION, START + DAY) is None
        assert count(session, "experiment_assignments") == 0


def test_split_follows_the_weights(db: Database) -> None:
    """400 learners, weights 3:1: the stored split is the hash's and near 75/25."""
    with db.session() as session:
        experiment = service.create_experiment(
            session,
            new_experiment(
                variants=(
                    new_experiment().variants[0],
                    new_experiment().variants[1].__class__("short", "Shorter", 1 / 3, {}),
                )
            ),
            NOW,
        )
        for i in range(400):
            add_learner(session, f"u{i:03d}")
            service.active_variant(session, f"u{i:03d}", MISSION, START + DAY)
        stored = dict(
            session.execute(
                sa.text('SELECT "userId", "variantId" FROM experiment_assignments')
            ).all()
        )
    hashed = {
        f"u{i:03d}": ("control", "short")[
            assign_variant(experiment.salt, f"u{i:03d}", (1.0, 1 / 3))
        ]
        for i in range(400)
    }
    assert stored == hashed
    share = Counter(stored.values())["control"] / 400
    # Binomial(400, 0.75): sd 2.2 points; 4 sd either way.
    assert 0.66 < share < 0.84


def test_learner_sees_their_own_experiments(db: Database) -> None:
    with db.session() as session:
        experiment = service.create_experiment(session, new_experiment(), NOW)
        add_learner(session, "ada")
        add_learner(session, "bob")
        service.active_variant(session, "ada", MISSION, START + DAY)
        service.active_variant(session, "bob", MISSION, START + DAY)
        mine = service.learner_experiments(session, "ada", START + 2 * DAY)
        add_learner(session, "off", enabled=False)
        with pytest.raises(Forbidden):
            service.learner_experiments(session, "off", START)
        with pytest.raises(NotFound):
            service.learner_experiments(session, "ghost", START)
    assert [p.experiment_id for p in mine.experiments] == [experiment.id]
    item = mine.experiments[0]
    assert item.state.value == "running" and item.metrics is None
    assert item.config == experiment.variant(item.variant_id).config


def test_erasing_a_participant_removes_only_their_assignment(db: Database) -> None:
    with db.session() as session:
        experiment = service.create_experiment(session, new_experiment(), NOW)
        for uid in ("ada", "bob", "cy"):
            make_hand_participant(session, uid)
            service.active_variant(session, uid, MISSION, START + DAY)
        service.refresh_metrics(session, experiment.id, START + 9 * DAY)
        assert count(session, "experiment_assignments", "metrics IS NOT NULL") == 3
    with db.session() as session:
        exported = json.loads("".join(learners_service.export_user(session, "ada")))
    assert [a["experimentId"] for a in exported["tables"]["experiment_assignments"]] == [
        experiment.id
    ]
    assert exported["tables"]["experiment_assignments"][0]["metrics"]["version"] == 1
    # The experiment itself is the operator's: not in the learner's export.
    assert exported["tables"]["personalization_experiments"] == []
    with db.session() as session:
        learners_service.erase_user(session, "ada")
    with db.session() as session:
        left = session.execute(
            sa.text('SELECT "userId", metrics IS NOT NULL FROM experiment_assignments ORDER BY 1')
        ).all()
        assert [tuple(r) for r in left] == [("bob", True), ("cy", True)]
        assert count(session, "personalization_experiments") == 1
        assert count(session, "personalization_preferences") == 1  # the operator owner's
        assert service.load_experiment(session, experiment.id, START).participants == 2


def test_switching_analysis_off_deletes_the_assignment(db: Database) -> None:
    with db.session() as session:
        experiment = service.create_experiment(session, new_experiment(), NOW)
        add_learner(session, "ada")
        add_learner(session, "bob")
        before = service.active_variant(session, "ada", MISSION, START + DAY)
        service.active_variant(session, "bob", MISSION, START + DAY)
    with db.session() as session:
        user = learners_service.get_user(session, "ada")
        deleted = learners_service.apply_privacy(
            session, user, {"behavioralAnalysisEnabled": False}
        )
    assert deleted["experiment_assignments"] == 1
    with db.session() as session:
        assert count(session, "experiment_assignments") == 1
        learners_service.apply_privacy(
            session, learners_service.get_user(session, "ada"), {"behavioralAnalysisEnabled": True}
        )
        after = service.active_variant(session, "ada", MISSION, START + 3 * DAY)
    # Back in, the hash gives the same variant (a new assignment time).
    assert before is not None and after is not None
    assert after.variant_id == before.variant_id and after.newly_assigned
    assert service.OPERATOR_OWNER_ID not in {"ada", "bob"}
    assert experiment.id == after.experiment_id


def test_the_operator_owner_is_no_learner(db: Database) -> None:
    """The owner id cannot be a learner: erasure cannot reach it."""
    with db.session() as session:
        service.create_experiment(session, new_experiment(), NOW)
        with pytest.raises(NotFound):
            learners_service.erase_user(session, service.OPERATOR_OWNER_ID)
        assert count(session, "personalization_experiments") == 1
