"""Defining, listing and stopping experiments: validation naming fields, nothing written on error."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from tests.services.experiments.support import DAY, NOW, START, count, new_experiment
from twin.analysis.experiments.definition import Variant
from twin.analysis.experiments.verdict import DecisionMethod
from twin.db.engine import Database
from twin.enums import ExperimentStatus, PersonalizationContext
from twin.errors import Conflict, NotFound, ValidationFailed
from twin.services import experiments as service
from twin.services.experiments.definitions import ExperimentState


def _fields(exc: ValidationFailed) -> dict[str, str]:
    out: dict[str, str] = {}
    for d in exc.details:
        out[d["field"]] = f"{out.get(d['field'], '')} | {d['reason']}"
    return out


@pytest.mark.parametrize(
    ("overrides", "field", "reason"),
    [
        (
            {"variants": (Variant("a", "A", 0.0), Variant("b", "B", 0.0))},
            "variants",
            "weights must sum to a positive number",
        ),
        (
            {"variants": (Variant("a", "A", 1.0), Variant("a", "B", 1.0))},
            "variants[1].id",
            "duplicate variant id 'a'",
        ),
        ({"end": START - DAY}, "endDate", "must be after startDate"),
        ({"primary_metric": "happiness"}, "primaryMetric", "unknown metric 'happiness'"),
        ({"guardrail_metrics": ("joy",)}, "guardrailMetrics[0]", "unknown metric 'joy'"),
        ({"start": NOW - DAY}, "startDate", "must not be in the past"),
        ({"variants": (Variant("a", "A", 1.0),)}, "variants", "needs at least 2 variants"),
        ({"variants": (Variant("a", "A", -1.0), Variant("b", "B", 1.0))}, "variants[0].weight", ""),
        (
            # Two weights whose sum overflows a float: refused, not a server error.
            {"variants": (Variant("a", "A", 1.5e308), Variant("b", "B", 1.5e308))},
            "variants[0].weight",
            "must be a number from 0 to 1e+06",
        ),
        ({"min_participants_per_arm": 1}, "minParticipantsPerArm", "must be an integer ≥ 2"),
        ({"expected_participants": 0}, "expectedParticipants", "must be an integer ≥ 1"),
        (
            {"variants": (Variant("a", "A", 1.0, {"x": "y" * 20_000}), Variant("b", "B", 1.0))},
            "variants[0].config",
            "at most 10,000 characters",
        ),
    ],
)
def test_bad_definitions_name_the_field_and_write_nothing(
    db: Database, overrides: dict[str, object], field: str, reason: str
) -> None:
    with db.session() as session, pytest.raises(ValidationFailed) as caught:
        service.create_experiment(session, new_experiment(**overrides), NOW)
    fields = _fields(caught.value)
    assert field in fields, fields
    assert reason in fields[field]
    with db.session() as session:
        assert count(session, "personalization_experiments") == 0
        assert count(session, "personalization_preferences") == 0


def test_every_problem_is_reported_at_once(db: Database) -> None:
    with db.session() as session, pytest.raises(ValidationFailed) as caught:
        service.create_experiment(
            session,
            new_experiment(
                variants=(Variant("a", "A", 1.0), Variant("a", "B", 1.0)),
                primary_metric="joy",
                end=START - DAY,
            ),
            NOW,
        )
    assert {"variants[1].id", "primaryMetric", "endDate"} <= set(_fields(caught.value))


def test_create_stores_the_seed_columns_and_the_operator_owner(db: Database) -> None:
    with db.session() as session:
        experiment = service.create_experiment(
            session, new_experiment(), NOW, created_by="platform"
        )
    assert experiment.owner_id == service.OPERATOR_OWNER_ID == "twin/operator"
    assert experiment.created_by == "platform"
    assert experiment.status is ExperimentStatus.ACTIVE
    assert experiment.state is ExperimentState.SCHEDULED
    assert experiment.control_id == "control"
    assert experiment.variants[1].config == {"durationFactor": 0.8}
    assert experiment.analysis.method is DecisionMethod.SEQUENTIAL
    # τ = the expected participants given (100), above the floor of 2 arms × 20.
    assert experiment.analysis.sequential_tuning_parameter == 100.0
    with db.session() as session:
        row = session.execute(
            __import__("sqlalchemy").text(
                'SELECT "userId", variants, "minParticipants", "minDuration", salt, '
                '"experimentName" FROM personalization_experiments'
            )
        ).one()
        prefs = session.execute(
            __import__("sqlalchemy").text(
                'SELECT "personalizationLevel"::text, "missionPersonalizationEnabled" '
                'FROM personalization_preferences WHERE "userId" = :o'
            ),
            {"o": service.OPERATOR_OWNER_ID},
        ).one()
    assert row.userId == "twin/operator"
    assert row.variants[0] == {
        "variantId": "control",
        "name": "Control",
        "config": {"durationFactor": 1.0},
        "weight": 1.0,
    }
    assert (row.minParticipants, row.minDuration, row.experimentName) == (
        20,
        14,
        "shorter missions",
    )
    assert len(row.salt) == 32
    assert tuple(prefs) == ("NONE", False)


def test_tuning_parameter_defaults_to_eligible_learners_with_a_floor(db: Database) -> None:
    from tests.services.experiments.support import add_learner

    with db.session() as session:
        for i in range(3):
            add_learner(session, f"u{i}")
        add_learner(session, "off", enabled=False)
        low = service.create_experiment(session, new_experiment(expected_participants=None), NOW)
    # 3 eligible learners, but a verdict needs 2 arms × 20 participants: τ = 40.
    assert low.analysis.sequential_tuning_parameter == 40.0
    assert low.analysis.expected_participants is None


def test_overlapping_experiment_of_the_same_context_is_a_conflict(db: Database) -> None:
    with db.session() as session:
        first = service.create_experiment(session, new_experiment(), NOW)
    with db.session() as session, pytest.raises(Conflict, match="context: experiment"):
        service.create_experiment(session, new_experiment(start=START + 5 * DAY), NOW)
    with db.session() as session:
        # Another context, or after the first one's end, is fine.
        service.create_experiment(
            session, new_experiment(context=PersonalizationContext.SESSION), NOW
        )
        service.create_experiment(
            session, new_experiment(start=START + 28 * DAY, end=START + 60 * DAY), NOW
        )
        assert count(session, "personalization_experiments") == 3
        service.stop_experiment(session, first.id, START + DAY)
        # Once stopped it no longer holds the context.
        service.create_experiment(
            session,
            new_experiment(start=START + 2 * DAY, end=START + 20 * DAY),
            START + DAY,
        )


def test_stop_twice_is_a_conflict_and_changes_nothing(db: Database) -> None:
    with db.session() as session:
        experiment = service.create_experiment(session, new_experiment(), NOW)
        stopped = service.stop_experiment(session, experiment.id, START + 3 * DAY)
    assert stopped.state is ExperimentState.STOPPED
    assert stopped.stopped_at == START + 3 * DAY == stopped.completed_at
    assert stopped.status is ExperimentStatus.COMPLETED
    with db.session() as session, pytest.raises(Conflict, match="already stopped"):
        service.stop_experiment(session, experiment.id, START + 4 * DAY)
    with db.session() as session:
        again = service.load_experiment(session, experiment.id, START + 5 * DAY)
    assert again.stopped_at == START + 3 * DAY


def test_stop_after_the_end_is_a_conflict_and_before_the_start_cancels(db: Database) -> None:
    with db.session() as session:
        ended = service.create_experiment(session, new_experiment(), NOW)
        with pytest.raises(Conflict, match="already ended"):
            service.stop_experiment(session, ended.id, START + 30 * DAY)
        early = service.create_experiment(
            session,
            new_experiment(
                context=PersonalizationContext.CONTENT,
                start=START + 10 * DAY,
                end=START + 40 * DAY,
            ),
            NOW,
        )
        cancelled = service.stop_experiment(session, early.id, START)
    assert cancelled.status is ExperimentStatus.CANCELLED


def test_unknown_experiment_is_not_found(db: Database) -> None:
    with db.session() as session, pytest.raises(NotFound, match="no experiment with id 'nope'"):
        service.load_experiment(session, "nope", NOW)
    with db.session() as session, pytest.raises(NotFound):
        service.stop_experiment(session, "nope", NOW)


def test_list_pages_newest_first_and_filters(db: Database) -> None:
    with db.session() as session:
        ids = [
            service.create_experiment(
                session,
                replace(
                    new_experiment(context=context),
                    name=f"e-{context.value}",
                ),
                NOW,
            ).id
            for context in PersonalizationContext
        ]
        page, cursor = service.list_experiments(session, NOW, limit=3)
        rest, end = service.list_experiments(session, NOW, limit=3, cursor=cursor)
        sessions, _ = service.list_experiments(session, NOW, context=PersonalizationContext.SESSION)
        completed, _ = service.list_experiments(session, NOW, status=ExperimentStatus.COMPLETED)
    assert [e.id for e in page + rest] == sorted(ids, reverse=True)
    assert end is None
    assert [e.name for e in sessions] == ["e-SESSION"]
    assert completed == []


def test_state_follows_time() -> None:
    from twin.services.experiments.definitions import state_at

    end = START + 28 * DAY
    assert state_at(START, end, None, START - timedelta(seconds=1)) is ExperimentState.SCHEDULED
    assert state_at(START, end, None, START) is ExperimentState.RUNNING
    assert state_at(START, end, None, end) is ExperimentState.ENDED
    assert state_at(START, end, START + DAY, START + 2 * DAY) is ExperimentState.STOPPED
