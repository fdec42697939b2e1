"""The operators' high-risk list: PENDING predictions above a probability, newest first, in pages."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.services.struggle.support import DAY, T, make_struggle_learner
from twin.db.engine import Database
from twin.db.models import StrugglePrediction
from twin.enums import PredictionStatus
from twin.errors import ValidationFailed
from twin.services.struggle import high_risk as svc

pytestmark = pytest.mark.db  # every test here uses PostgreSQL


@pytest.fixture
def cohort(db: Database) -> Database:
    """Two learners; predictions of every kind the query must include or leave out."""
    rows = [
        # (id, learner, objective, p, status, days after T)
        ("a1", "ann", "T", 0.91, PredictionStatus.PENDING, 0),
        ("a2", "ann", "X", 0.75, PredictionStatus.PENDING, 2),
        ("a3", "ann", "F", 0.69, PredictionStatus.PENDING, 3),  # below 0.7
        ("a4", "ann", "P1", 0.95, PredictionStatus.CONFIRMED, 4),  # has an outcome
        ("b1", "ben", "T", 0.70, PredictionStatus.PENDING, 1),  # exactly 0.7: included
        ("b2", "ben", "X", 0.88, PredictionStatus.PENDING, 2),  # same date as a2: id breaks the tie
        ("b3", "ben", "F", 0.99, PredictionStatus.DISMISSED, 5),
    ]
    with db.session() as s:
        make_struggle_learner(s, "ann")
        make_struggle_learner(s, "ben")
        for pid, uid, key, p, status, days in rows:
            s.add(
                StrugglePrediction(
                    id=pid,
                    userId=uid,
                    learningObjectiveId=f"{uid}-o{key}",
                    predictedStruggleProbability=p,
                    predictionConfidence=0.8,
                    predictionStatus=status,
                    featureVector={},
                    strugglingFactors=[],
                    predictionDate=T + days * DAY,
                    predictedAt=T + days * DAY,
                )
            )
    return db


def test_pages_walk_every_high_risk_prediction_newest_first_once(cohort: Database) -> None:
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        with cohort.session() as s:
            page = svc.high_risk_predictions(s, limit=2, cursor=cursor)
        seen += [r.prediction_id for r in page.rows]
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    # Newest first; b2 and a2 share a date, the larger id first.
    assert seen == ["b2", "a2", "b1", "a1"]
    assert pages == 2


def test_rows_carry_learner_objective_and_threshold(cohort: Database) -> None:
    with cohort.session() as s:
        page = svc.high_risk_predictions(s, min_probability=0.9)
        assert [(r.prediction_id, r.user_id, r.objective_text) for r in page.rows] == [
            ("a1", "ann", "Objective T")
        ]
        assert page.rows[0].predicted_at == T and page.next_cursor is None
        lower = svc.high_risk_predictions(s, min_probability=0.5)
        assert {r.prediction_id for r in lower.rows} == {"a1", "a2", "a3", "b1", "b2"}


def test_bad_cursor_and_threshold_name_the_field(cohort: Database) -> None:
    with cohort.session() as s:
        for cursor in ("not base64!", svc.encode_cursor(T, "x")[:-6], "bm8tc2VwYXJhdG9y"):
            with pytest.raises(ValidationFailed) as err:
                svc.high_risk_predictions(s, cursor=cursor)
            assert err.value.details[0]["field"] == "cursor"
        with pytest.raises(ValidationFailed) as err:
            svc.high_risk_predictions(s, min_probability=1.5)
        assert err.value.details[0]["field"] == "minProbability"
    assert svc.decode_cursor(svc.encode_cursor(T + timedelta(hours=3), "b|2")) == (
        T + timedelta(hours=3),
        "b|2",
    )
