"""Outcome capture, feedback, performance metrics, model performance, struggle reduction, training.

Hand-built worlds on the real database; the builders at the top are reused by the API,
job and command tests.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from twin.analysis.struggle.features import FEATURE_NAMES
from twin.analysis.struggle.rules import RULE_MODEL_VERSION
from twin.api.schemas.base import Answer
from twin.api.schemas.struggle import ModelPerformanceOut, StruggleReductionOut
from twin.db.engine import Database
from twin.db.models import (
    Card,
    Course,
    LearningObjective,
    Lecture,
    Mission,
    PerformanceMetric,
    PredictionFeedback,
    Review,
    StruggleModelVersion,
    StrugglePrediction,
    User,
    ValidationResponse,
)
from twin.enums import FeedbackType, MissionStatus, PredictionStatus, ReviewRating
from twin.errors import Forbidden, NotFound, ValidationFailed
from twin.services.struggle import models as models_service
from twin.services.struggle import outcomes as svc

pytestmark = pytest.mark.db  # every test here uses PostgreSQL

OBJECTIVES = "ABCDEF"
# 2026-03-02 00:00 UTC = 09:00 Monday in Tokyo.
T0 = datetime(2026, 3, 2, 0, 0)
LECTURES_UPLOADED_AT = datetime(2025, 12, 1)


def _answer(model: type[Answer], value: object) -> dict[str, Any]:
    """The API's JSON answer for a service's value."""
    answer: dict[str, Any] = model.model_validate(value).model_dump(mode="json")
    return answer


# --- builders (also used by the API, job and command tests) ----------------------------------


def make_world(
    session: Session,
    uid: str,
    *,
    timezone: str = "UTC",
    enabled: bool = True,
    share: bool = False,
    objectives: str = OBJECTIVES,
) -> None:
    """A learner with one course, one lecture, objectives ``{uid}-o{X}`` with cards ``{uid}-k{X}{i}``."""
    session.add(
        User(
            id=uid,
            timezone=timezone,
            behavioralAnalysisEnabled=enabled,
            shareAnonymizedPatterns=share,
        )
    )
    session.flush()
    session.add(Course(id=f"{uid}-c", userId=uid, name="Cardiology"))
    session.flush()
    session.add(
        Lecture(
            id=f"{uid}-l",
            userId=uid,
            courseId=f"{uid}-c",
            title="Heart",
            uploadedAt=LECTURES_UPLOADED_AT,
        )
    )
    session.flush()
    for key in objectives:
        session.add(
            LearningObjective(id=f"{uid}-o{key}", lectureId=f"{uid}-l", objective=f"Obj {key}")
        )
    session.flush()
    for key in objectives:
        for i in range(3):
            session.add(
                Card(
                    id=f"{uid}-k{key}{i}",
                    courseId=f"{uid}-c",
                    lectureId=f"{uid}-l",
                    objectiveId=f"{uid}-o{key}",
                )
            )
    session.flush()


_counter = iter(range(10**9))


def add_reviews(
    session: Session,
    uid: str,
    key: str,
    at: datetime,
    ratings: Sequence[str],
    spent_ms: int = 5000,
    *,
    stability_before: float = 0.0,
) -> None:
    """Reviews of objective ``key``'s cards a minute apart from ``at``.

    ``stability_before`` 0 marks first reviews of a card (as the FSRS replay stores them).
    """
    for i, rating in enumerate(ratings):
        session.add(
            Review(
                id=f"rv-{next(_counter)}",
                userId=uid,
                cardId=f"{uid}-k{key}{i % 3}",
                rating=ReviewRating(rating),
                timeSpentMs=spent_ms,
                reviewedAt=at + timedelta(minutes=i),
                stabilityBefore=stability_before,
            )
        )
    session.flush()


def add_validation(session: Session, uid: str, key: str, at: datetime, score: float) -> None:
    """One validation answer on objective ``key``."""
    session.add(
        ValidationResponse(
            id=f"va-{next(_counter)}",
            userId=uid,
            objectiveId=f"{uid}-o{key}",
            promptType="explain",
            score=score,
            respondedAt=at,
        )
    )
    session.flush()


def features(**values: float) -> dict[str, float]:
    """All 15 features at 0.5 except ``values``."""
    return {name: float(values.get(name, 0.5)) for name in FEATURE_NAMES}


def add_prediction(
    session: Session,
    uid: str,
    key: str,
    p: float,
    at: datetime,
    *,
    pid: str | None = None,
    status: PredictionStatus = PredictionStatus.PENDING,
    outcome: bool | None = None,
    recorded_at: datetime | None = None,
    feats: dict[str, float] | None = None,
    model_version: str = RULE_MODEL_VERSION,
) -> str:
    """A stored prediction shaped like the prediction workflow's."""
    pid = pid or f"pr-{next(_counter)}"
    session.add(
        StrugglePrediction(
            id=pid,
            userId=uid,
            learningObjectiveId=f"{uid}-o{key}",
            predictedStruggleProbability=p,
            predictionConfidence=0.8,
            predictionStatus=status,
            featureVector={
                "modelVersion": model_version,
                "features": feats or features(),
                "unknown": [],
                "dataQuality": 1.0,
                "contributions": {},
                "dueAt": None,
                "source": "test",
            },
            strugglingFactors=[],
            predictionDate=at,
            predictedAt=at,
            actualOutcome=outcome,
            actualOutcomeRecordedAt=recorded_at if outcome is not None else None,
        )
    )
    session.flush()
    return pid


def add_mission(session: Session, uid: str, day: datetime, keys: str) -> None:
    """A pending mission on ``day`` planning objectives ``keys``."""
    session.add(
        Mission(
            id=f"mi-{next(_counter)}",
            userId=uid,
            date=day,
            status=MissionStatus.PENDING,
            estimatedMinutes=50,
            objectives=[{"objectiveId": f"{uid}-o{k}", "estimatedMinutes": 20} for k in keys],
        )
    )
    session.flush()


def prediction(db: Database, pid: str) -> StrugglePrediction:
    """A fresh copy of a stored prediction."""
    with db.session() as s:
        row = s.get(StrugglePrediction, pid)
        assert row is not None
        s.expunge(row)
        return row


# --- outcome capture -------------------------------------------------------------------------


@pytest.fixture
def tokyo(db: Database) -> Database:
    """Learner ``tk`` in Tokyo with predictions made at T0 (09:00 local, Monday 03-02)."""
    with db.session() as s:
        make_world(s, "tk", timezone="Asia/Tokyo")
        add_prediction(s, "tk", "A", 0.6, T0 - timedelta(days=2), pid="A-old")
        add_prediction(s, "tk", "A", 0.8, T0, pid="A")
        add_prediction(s, "tk", "B", 0.7, T0, pid="B")
        add_prediction(s, "tk", "C", 0.3, T0, pid="C")
        add_prediction(s, "tk", "D", 0.2, T0, pid="D")
        add_prediction(s, "tk", "E", 0.6, T0, pid="E")
        add_prediction(s, "tk", "F", 0.9, T0 - timedelta(days=31), pid="F-stale")
        noon = T0 + timedelta(hours=3)  # 12:00 Tokyo, Monday
        add_reviews(s, "tk", "A", T0 - timedelta(hours=1), ["AGAIN"] * 4)  # before: ignored
        add_reviews(s, "tk", "A", noon, ["GOOD", "AGAIN", "GOOD", "AGAIN", "GOOD"])  # 0.6
        add_reviews(s, "tk", "B", noon, ["GOOD", "AGAIN", "GOOD", "GOOD", "HARD"])  # 0.8
        add_validation(s, "tk", "C", noon, 0.5)
        add_reviews(s, "tk", "D", noon, ["GOOD", "EASY", "GOOD"])
        # E: 2 reviews on Monday (not enough), 3 at 01:00 Tuesday Tokyo (Monday 16:00 UTC).
        add_reviews(s, "tk", "E", noon, ["AGAIN", "AGAIN"])
        add_reviews(s, "tk", "E", T0 + timedelta(hours=16), ["AGAIN", "AGAIN", "AGAIN"])
    return db


NOW = T0 + timedelta(hours=20)  # 05:00 Tuesday in Tokyo: Monday is over


def test_capture_applies_the_outcome_rule_on_local_study_days(tokyo: Database) -> None:
    """Golden: accuracy 0.6 → struggled; 0.8 with 1 AGAIN → not; validation 0.5 → struggled."""
    with tokyo.session() as s:
        done = {c.prediction_id: c for c in svc.capture_outcomes(s, "tk", NOW)}
    assert {pid: (c.status, c.struggled, c.reason) for pid, c in done.items()} == {
        "A": (PredictionStatus.CONFIRMED, True, "studied"),
        "B": (PredictionStatus.FALSE_POSITIVE, False, "studied"),
        "C": (PredictionStatus.MISSED, True, "studied"),
        "D": (PredictionStatus.RESOLVED, False, "studied"),
        "A-old": (PredictionStatus.DISMISSED, None, "superseded"),
        "F-stale": (PredictionStatus.DISMISSED, None, "never_studied"),
    }
    a = done["A"].observation
    assert a is not None and (a.reviews, a.again, a.accuracy) == (5, 2, 0.6)
    assert done["A"].study_date == date(2026, 3, 2)
    # E: the Tokyo Tuesday is not over, Monday had only 2 reviews → still pending.
    e = prediction(tokyo, "E")
    assert e.predictionStatus == PredictionStatus.PENDING and e.actualOutcome is None
    a_row = prediction(tokyo, "A")
    assert a_row.actualOutcome is True and a_row.actualOutcomeRecordedAt == NOW
    assert prediction(tokyo, "A-old").actualOutcome is None
    # Once Tuesday is over, E's 3 AGAINs make it a struggle (p 0.6 → CONFIRMED).
    with tokyo.session() as s:
        later = svc.capture_outcomes(s, "tk", NOW + timedelta(days=1))
    assert [(c.prediction_id, c.status) for c in later] == [("E", PredictionStatus.CONFIRMED)]
    with tokyo.session() as s:
        assert svc.capture_outcomes(s, "tk", NOW + timedelta(days=2)) == []


def _later(session: Session, uid: str, key: str, at: datetime, ratings: str) -> None:
    """Non-first reviews (G = GOOD, A = AGAIN) of objective ``key`` from ``at``."""
    names = {"G": "GOOD", "A": "AGAIN"}
    add_reviews(session, uid, key, at, [names[r] for r in ratings], stability_before=3.0)


@pytest.fixture
def baseline_learner(db: Database) -> Database:
    """Learner ``ev`` (UTC): 40 non-first reviews of F before T0 (0.8 recalled) and predictions."""
    with db.session() as s:
        make_world(s, "ev")
        for day in range(1, 5):  # 40 non-first reviews of F, 8 AGAIN: baseline 0.8
            _later(s, "ev", "F", T0 - timedelta(days=day), "GGGGAGGGGA")
        add_prediction(s, "ev", "A", 0.7, T0, pid="A")
        add_prediction(s, "ev", "B", 0.2, T0, pid="B")
        add_prediction(s, "ev", "C", 0.3, T0 - timedelta(days=31), pid="C-stale")
        add_prediction(s, "ev", "D", 0.3, T0 - timedelta(days=31), pid="D-stale")
        add_reviews(
            s, "ev", "A", T0 + timedelta(hours=2), ["AGAIN"] * 3
        )  # first reviews: no evidence
        _later(s, "ev", "A", T0 + timedelta(hours=3), "AAA")  # day 1: +2.87
        _later(s, "ev", "A", T0 + DAY_1 + timedelta(hours=3), "GAAG")  # day 2: crosses at the 2nd A
        _later(s, "ev", "B", T0 + timedelta(hours=3), "GGGGGGG")  # 6 recalls decide: no struggle
        _later(s, "ev", "C", T0 - timedelta(days=30), "GG")  # studied, never conclusive
    return db


DAY_1 = timedelta(days=1)


def test_evidence_rule_tests_the_objective_against_the_learners_baseline(
    baseline_learner: Database,
) -> None:
    """Golden: A's 5th non-first AGAIN crosses ln 95 on day 2; B's 6th recall crosses
    ln(0.05/0.99); C studied but inconclusive after 30 days; D never studied."""
    db = baseline_learner
    with db.session() as s:
        day1 = {c.prediction_id: c for c in svc.capture_outcomes(s, "ev", T0 + DAY_1)}
    assert {pid: (c.status, c.struggled, c.reason) for pid, c in day1.items()} == {
        "B": (PredictionStatus.RESOLVED, False, "studied"),
        "C-stale": (PredictionStatus.DISMISSED, None, "inconclusive"),
        "D-stale": (PredictionStatus.DISMISSED, None, "never_studied"),
    }
    b = day1["B"].evidence
    assert b is not None and b.rule == "evidence-v1"
    # B's baseline: F (40, 8 AGAIN), A's 3 non-first AGAINs and C's 2 recalls → 34/45.
    assert b.baseline.accuracy == pytest.approx(34 / 45) and b.baseline.reviews == 45
    assert b.decision is not None and (b.decision.reviews, b.decision.again) == (6, 0)
    # A: 3 AGAINs on day 1 (+2.87) are not enough; the first reviews carry no evidence.
    assert prediction(db, "A").predictionStatus == PredictionStatus.PENDING
    with db.session() as s:
        day2 = {c.prediction_id: c for c in svc.capture_outcomes(s, "ev", T0 + 2 * DAY_1)}
    a = day2["A"]
    assert (a.status, a.struggled, a.study_date) == (
        PredictionStatus.CONFIRMED,
        True,
        (T0 + DAY_1).date(),
    )
    assert a.evidence is not None and a.evidence.decision is not None
    assert (a.evidence.decision.reviews, a.evidence.decision.again) == (6, 5)
    # A's baseline: F (40, 8 AGAIN), B's 7 and C's 2 recalls → b = 41/49.
    base = 41 / 49
    assert a.evidence.baseline.accuracy == pytest.approx(base)
    assert a.evidence.decision.log_likelihood_ratio == pytest.approx(
        5 * math.log((1 - 0.6 * base) / (1 - base)) + math.log(0.6)
    )
    # The ENGINE rule's verdict on the first study day is kept beside it (6 AGAIN: struggled).
    assert a.evidence.engine_verdict is True and a.evidence.engine_day == T0.date()
    stored = prediction(db, "A").featureVector or {}
    assert stored["outcome"]["rule"] == "evidence-v1"
    assert stored["outcome"]["engineRuleStruggled"] is True
    assert stored["outcome"]["baselineAccuracy"] == pytest.approx(base, abs=1e-4)
    assert stored["outcome"]["studyDate"] == (T0 + DAY_1).date().isoformat()
    assert stored["features"] == features()  # the prediction's own features are kept


def test_without_a_baseline_the_engine_rule_decides(tokyo: Database) -> None:
    """Too little study elsewhere: the documented ENGINE rule, recorded as such."""
    with tokyo.session() as s:
        done = {c.prediction_id: c for c in svc.capture_outcomes(s, "tk", NOW)}
    assert done["A"].evidence is not None and done["A"].evidence.rule == "engine-v1"
    assert (prediction(tokyo, "A").featureVector or {})["outcome"]["rule"] == "engine-v1"


def test_feedback_overrides_and_survives_recapture(tokyo: Database) -> None:
    """The learner's answer wins; the automatic capture never touches it afterwards."""
    with tokyo.session() as s:
        svc.capture_outcomes(s, "tk", NOW)
        fb = svc.record_feedback(s, "tk", "B", actual_struggle=True, helpfulness=4, now=NOW)
        # Feedback on a prediction still pending: the capture must leave it alone.
        svc.record_feedback(s, "tk", "E", actual_struggle=False, comments="easy", now=NOW)
    assert (fb.previous_status, fb.status) == (
        PredictionStatus.FALSE_POSITIVE,
        PredictionStatus.CONFIRMED,
    )
    assert fb.feedback_type == FeedbackType.HELPFUL  # p 0.7 and struggled: the prediction was right
    with tokyo.session() as s:
        add_reviews(s, "tk", "B", NOW + timedelta(hours=2), ["GOOD"] * 5)
        assert svc.capture_outcomes(s, "tk", NOW + timedelta(days=3)) == []
    b, e = prediction(tokyo, "B"), prediction(tokyo, "E")
    assert (b.predictionStatus, b.actualOutcome) == (PredictionStatus.CONFIRMED, True)
    assert (e.predictionStatus, e.actualOutcome) == (PredictionStatus.FALSE_POSITIVE, False)
    with tokyo.session() as s:
        kinds = s.execute(
            sa.select(PredictionFeedback.predictionId, PredictionFeedback.feedbackType).order_by(
                PredictionFeedback.predictionId
            )
        ).all()
    # E: p 0.6 said "struggle", the learner says no → the prediction was wrong.
    assert [tuple(k) for k in kinds] == [
        ("B", FeedbackType.HELPFUL),
        ("E", FeedbackType.INACCURATE),
    ]


def test_feedback_default_type_and_errors(tokyo: Database) -> None:
    """Default type by correctness; 404 for another learner's prediction; bad fields named."""
    with tokyo.session() as s:
        make_world(s, "other", objectives="A")
        add_prediction(s, "other", "A", 0.9, T0, pid="other-A")
    with tokyo.session() as s:
        wrong = svc.record_feedback(s, "tk", "E", actual_struggle=False, now=NOW)
        assert wrong.feedback_type == FeedbackType.INACCURATE
        assert wrong.status == PredictionStatus.FALSE_POSITIVE
    with tokyo.session() as s, pytest.raises(NotFound):
        svc.record_feedback(s, "tk", "other-A", actual_struggle=True, now=NOW)
    with tokyo.session() as s, pytest.raises(NotFound):
        svc.record_feedback(s, "tk", "nope", actual_struggle=True, now=NOW)
    with tokyo.session() as s, pytest.raises(ValidationFailed) as err:
        svc.record_feedback(
            s, "tk", "A", actual_struggle=True, helpfulness=6, comments="x" * 2001, now=NOW
        )
    assert [d["field"] for d in err.value.details] == ["helpfulness", "comments"]
    with tokyo.session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(PredictionFeedback)) == 1


# --- performance metrics ---------------------------------------------------------------------


def test_performance_metrics_per_local_day_upserted(tokyo: Database) -> None:
    """Per objective and Tokyo day: counts, recalled share, time; a re-run updates in place."""
    with tokyo.session() as s:
        written = svc.refresh_performance_metrics(s, "tk", NOW)
    with tokyo.session() as s:
        rows = {
            (r.learningObjectiveId, r.date.date()): r
            for r in s.scalars(sa.select(PerformanceMetric))
        }
    assert written == len(rows) == 5  # A, B, D, E Monday; E Tuesday (C: validation only)
    a = rows[("tk-oA", date(2026, 3, 2))]
    # 4 AGAIN at 08:00 Tokyo and 5 at noon (2 AGAIN) on the same local day.
    assert (a.reviewCount, a.correctReviews, a.incorrectReviews) == (9, 3, 6)
    assert a.retentionScore == pytest.approx(3 / 9, abs=1e-4) and a.studyTimeMs == 45_000
    assert rows[("tk-oE", date(2026, 3, 3))].reviewCount == 3
    with tokyo.session() as s:
        add_reviews(s, "tk", "D", NOW + timedelta(hours=1), ["AGAIN"])  # Tuesday 06:00 Tokyo
        add_reviews(s, "tk", "D", T0 + timedelta(hours=5), ["GOOD"])  # Monday, synced late
        svc.refresh_performance_metrics(s, "tk", NOW + timedelta(hours=2))
    with tokyo.session() as s:
        d = {
            r.date.date(): r.reviewCount
            for r in s.scalars(
                sa.select(PerformanceMetric).where(PerformanceMetric.learningObjectiveId == "tk-oD")
            )
        }
        assert s.scalar(sa.select(sa.func.count()).select_from(PerformanceMetric)) == 6
    assert d == {date(2026, 3, 2): 4, date(2026, 3, 3): 1}


# --- model performance -----------------------------------------------------------------------


def test_model_performance_from_recorded_outcomes_only(db: Database) -> None:
    """Golden confusion matrix and rates; pending and dismissed predictions do not count."""
    cases = [  # (p, struggled)
        (0.9, True),
        (0.8, True),
        (0.7, False),
        (0.6, True),
        (0.55, False),
        (0.4, True),
        (0.3, False),
        (0.2, False),
        (0.1, False),
        (0.05, False),
    ]
    with db.session() as s:
        make_world(s, "m")
        for i, (p, y) in enumerate(cases[:9]):
            status = PredictionStatus(svc.prediction_status(p, y).value)
            add_prediction(
                s, "m", "A", p, T0, status=status, outcome=y, recorded_at=T0 + timedelta(days=i)
            )
        add_prediction(s, "m", "B", 0.99, T0)  # pending
        add_prediction(s, "m", "C", 0.99, T0, status=PredictionStatus.DISMISSED)
    with db.session() as s:
        few = _answer(ModelPerformanceOut, svc.model_performance(s, "m"))
    assert few["status"] == "insufficient_data"
    assert few["insufficient"] == {"outcomes": {"have": 9, "need": 10}}
    with db.session() as s:
        p, y = cases[9]
        add_prediction(
            s,
            "m",
            "A",
            p,
            T0,
            status=PredictionStatus.RESOLVED,
            outcome=y,
            recorded_at=T0 + timedelta(days=9),
            model_version="struggle-lr-abc",
        )
    with db.session() as s:
        out = _answer(ModelPerformanceOut, svc.model_performance(s, "m"))
    overall = out["overall"]
    assert out["outcomes"] == 10 and out["status"] == "ok"
    assert overall["confusionMatrix"] == {
        "truePositive": 3,
        "falsePositive": 2,
        "trueNegative": 4,
        "falseNegative": 1,
    }
    assert overall["accuracy"] == 0.7
    assert overall["precision"] == 0.6 and overall["recall"] == 0.75
    assert overall["f1"] == pytest.approx(2 * 0.6 * 0.75 / 1.35, abs=1e-4)
    # AUC: of 4 × 6 pairs, 0.6 ranks below 0.7, and 0.4 below 0.7 and 0.55 → 21/24.
    assert overall["auc"] == pytest.approx(21 / 24, abs=1e-4)
    assert sum(b["count"] for b in overall["calibration"]) == 10
    assert set(out["byModelVersion"]) == {RULE_MODEL_VERSION, "struggle-lr-abc"}
    assert out["byModelVersion"]["struggle-lr-abc"]["status"] == "insufficient_data"
    assert [w["weekStart"] for w in out["weeklyTrend"]] == ["2026-03-02", "2026-03-09"]
    assert out["activeModel"] == {
        "version": RULE_MODEL_VERSION,
        "kind": "rules",
        "heldOutMetrics": None,
    }


def test_analysis_off_is_forbidden(db: Database) -> None:
    """Model performance and struggle reduction refuse learners who switched analysis off."""
    with db.session() as s:
        make_world(s, "off", enabled=False)
    with db.session() as s, pytest.raises(Forbidden):
        svc.model_performance(s, "off")
    with db.session() as s, pytest.raises(Forbidden):
        svc.struggle_reduction(s, "off", "week", now=T0)


# --- struggle reduction ----------------------------------------------------------------------


def test_struggle_reduction_baseline_before_first_prediction(db: Database) -> None:
    """Baseline: 3 of 12 studied objectives struggled (all AGAIN against 9 of 10 recalled
    elsewhere); last week 1 of 12 → reduction (3/12 − 1/12)/(3/12) = 2/3."""
    keys = "ABCDEFGHIJKL"
    first = datetime(2026, 3, 1, 6, 0)
    with db.session() as s:
        make_world(s, "r", objectives=keys)
        for i, key in enumerate(keys):  # baseline: 10 non-first reviews per objective
            day = datetime(2026, 2, 2 + i, 9, 0)
            _later(s, "r", key, day, "AAAAAAAAAA" if key in "ABC" else "GGGGAGGGGG")
        _later(s, "r", "D", datetime(2026, 1, 10, 9), "AAAAAAAAAA")  # before the baseline
        add_prediction(s, "r", "A", 0.7, first)
        for i, key in enumerate(keys):  # current: 03-10 … 03-13
            day = datetime(2026, 3, 10 + i % 4, 9, 0)
            _later(s, "r", key, day, "AAAAAAAAAA" if key == "A" else "GGGGAGGGGG")
        # First reviews of new cards are not evidence: C stays a non-struggle.
        add_reviews(s, "r", "C", datetime(2026, 3, 11, 12), ["AGAIN"] * 6)
    now = datetime(2026, 3, 15, 12, 0)
    with db.session() as s:
        week = _answer(StruggleReductionOut, svc.struggle_reduction(s, "r", "week", now=now))
        everything = _answer(StruggleReductionOut, svc.struggle_reduction(s, "r", "all", now=now))
    assert week["status"] == "ok"
    assert week["baselineWindow"] == {"start": "2026-01-18", "end": "2026-03-01"}
    assert week["currentWindow"] == {"start": "2026-03-08", "end": "2026-03-15"}
    assert (week["baselineRate"], week["currentRate"]) == (0.25, round(1 / 12, 4))
    assert week["reduction"] == round(2 / 3, 4)
    assert (week["baselineObjectives"], week["currentObjectives"]) == (12, 12)
    assert week["meetsTarget"] is True
    assert everything["currentWindow"]["start"] == "2026-03-01"
    assert everything["reduction"] == week["reduction"]
    with db.session() as s:
        short = _answer(
            StruggleReductionOut,
            svc.struggle_reduction(s, "r", "week", now=datetime(2026, 3, 12, 12)),
        )
    # By 03-12 only the objectives of 03-10 and 03-11 were studied in the window.
    assert short["insufficient"] == {"current objectives": {"have": 6, "need": 10}}
    with db.session() as s, pytest.raises(ValidationFailed):
        svc.struggle_reduction(s, "r", "year", now=now)


def test_struggle_reduction_without_predictions(db: Database) -> None:
    """No prediction yet: no baseline can be placed."""
    with db.session() as s:
        make_world(s, "none")
        out = _answer(StruggleReductionOut, svc.struggle_reduction(s, "none", "all", now=T0))
    assert out["insufficient"] == {"predictions": {"have": 0, "need": 1}}


# --- training and the registry ---------------------------------------------------------------


def add_training_learners(
    session: Session,
    prefix: str,
    n_learners: int,
    per_learner: int,
    *,
    share: bool,
    struggle_when_high: bool,
    seed: int = 7,
) -> None:
    """Learners whose recorded outcomes depend on retentionScore alone.

    ``struggle_when_high=False``: struggled when retention is low (the rule baseline ranks
    these perfectly); ``True``: struggled when retention is *high* (the rules rank them
    backwards, a trained model learns it).
    """
    rng = np.random.default_rng(seed)
    for li in range(n_learners):
        uid = f"{prefix}{li}"
        make_world(session, uid, share=share, objectives="A")
        for j in range(per_learner):
            retention = float(rng.uniform(0.05, 0.95))
            struggled = (retention > 0.5) == struggle_when_high
            add_prediction(
                session,
                uid,
                "A",
                0.5,
                T0 + timedelta(hours=j),
                status=PredictionStatus(svc.prediction_status(0.5, struggled).value),
                outcome=struggled,
                recorded_at=T0 + timedelta(days=1),
                feats=features(retentionScore=retention),
            )


def _registry(db: Database) -> list[tuple[str, bool, str | None]]:
    with db.session() as s:
        return [(r.version, r.isActive, r.kind) for r in models_service.list_models(s)]


def test_training_refuses_below_50_outcomes_and_excludes_non_sharing(db: Database) -> None:
    """40 shared outcomes (+ 100 of learners who do not share): refused, nothing registered."""
    with db.session() as s:
        add_training_learners(s, "sh", 4, 10, share=True, struggle_when_high=True)
        add_training_learners(s, "priv", 10, 10, share=False, struggle_when_high=True)
        make_world(s, "off-sharing", share=True, enabled=False, objectives="A")
        add_prediction(
            s, "off-sharing", "A", 0.9, T0, status=PredictionStatus.CONFIRMED, outcome=True
        )
    with db.session() as s:
        report = models_service.train(s, T0 + timedelta(days=2), force=True)
    assert report.status == "insufficient_data"
    assert (report.outcomes, report.learners, report.excluded_learners) == (40, 4, 11)
    assert report.insufficient is not None and report.insufficient.to_json() == {
        "outcomes": {"have": 40, "need": 50}
    }
    assert _registry(db) == []


def test_training_keeps_the_rules_when_the_candidate_is_not_better(db: Database) -> None:
    """Rules rank these outcomes perfectly: the candidate is registered, not activated."""
    with db.session() as s:
        add_training_learners(s, "k", 8, 10, share=True, struggle_when_high=False)
    with db.session() as s:
        report = models_service.train(s, T0 + timedelta(days=2))
    assert report.status == "kept_current" and report.current_version == RULE_MODEL_VERSION
    assert report.current is not None and report.current.auc == 1.0
    rows = _registry(db)
    assert rows == [(report.candidate_version, False, "logistic")]
    with db.session() as s:
        assert models_service.active_model(s).is_rules
        row = s.scalars(sa.select(StruggleModelVersion)).one()
        assert row.outcomeCount == 80 and row.learnerCount == 8
        assert row.metrics["current"]["version"] == RULE_MODEL_VERSION
        assert row.metrics["current"]["n"] == row.metrics["n"]
        assert row.decision is not None and row.decision.startswith("kept rules-v1")
        # Nothing new: a second run is skipped unless forced.
        again = models_service.train(s, T0 + timedelta(days=3))
    assert again.status == "skipped"


def test_training_deploys_a_better_model(db: Database) -> None:
    """Outcomes the rules rank backwards: the trained model wins and becomes active."""
    with db.session() as s:
        add_training_learners(s, "d", 8, 10, share=True, struggle_when_high=True)
    with db.session() as s:
        report = models_service.train(s, T0 + timedelta(days=2))
    assert report.status == "deployed"
    assert report.candidate is not None and report.current is not None
    assert report.candidate.auc is not None and report.current.auc is not None
    assert report.candidate.auc > 0.9 > 0.1 > report.current.auc
    with db.session() as s:
        active = models_service.active_model(s)
        assert active.version == report.candidate_version and active.trained is not None
        summary = svc.model_performance  # the active model appears in every learner's answer
        make_world(s, "viewer")
    with db.session() as s:
        view = _answer(ModelPerformanceOut, summary(s, "viewer"))["activeModel"]
    assert view["version"] == report.candidate_version and view["heldOutMetrics"]["auc"] > 0.9
    assert _registry(db) == [(report.candidate_version, True, "logistic")]
