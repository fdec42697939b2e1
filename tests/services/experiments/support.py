"""Hand-built learners and experiments for the experiments tests (no tests here).

:func:`make_hand_participant` stores one learner whose two periods around an assignment at
:data:`A` (pre = [A − 14 d, A), post = [A, A + 7 d)) hold exactly what :data:`EXPECTED_PRE`
and :data:`EXPECTED_POST` say, each number worked out by hand in the comments, plus rows
outside both periods that must be ignored.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from twin.analysis.experiments.definition import Variant
from twin.db.models import (
    Card,
    Course,
    LearningObjective,
    Lecture,
    Mission,
    PredictionFeedback,
    Review,
    StrugglePrediction,
    StudySession,
    User,
    ValidationResponse,
)
from twin.enums import (
    FeedbackType,
    MissionStatus,
    PersonalizationContext,
    ReviewRating,
)
from twin.services.experiments import NewExperiment

A = datetime(2026, 3, 10, 12, 0)
"""The hand participant's assignment time."""
DAY = timedelta(days=1)
START = datetime(2026, 3, 9)
"""Start of the test experiments (a Monday); they run 28 days."""
NOW = START - timedelta(hours=1)
"""When the test experiments are defined."""


def new_experiment(**overrides: Any) -> NewExperiment:
    """A valid 50/50 MISSION experiment on performance from :data:`START` for 28 days."""
    fields: dict[str, Any] = {
        "name": "shorter missions",
        "context": PersonalizationContext.MISSION,
        "variants": (
            Variant("control", "Control", 1.0, {"durationFactor": 1.0}),
            Variant("short", "Shorter", 1.0, {"durationFactor": 0.8}),
        ),
        "primary_metric": "performance",
        "guardrail_metrics": ("study_minutes",),
        "start": START,
        "end": START + 28 * DAY,
        "expected_participants": 100,
    }
    fields.update(overrides)
    return NewExperiment(**fields)


def add_learner(session: Session, uid: str, *, enabled: bool = True) -> None:
    """A bare learner."""
    session.add(User(id=uid, timezone="UTC", behavioralAnalysisEnabled=enabled))
    session.flush()


# Pre-period: reviews (stabilityBefore, rating): a first review GOOD, repeats AGAIN, GOOD, HARD
# → 4 reviews, 2 GOOD/EASY, 3 repeats of which 2 recalled; retention 2/3.
# One validation answer scored 0.5 → performance 100·(2 + 0.5)/(4 + 1) = 50.
# Sessions of 30 and 45 minutes (A − 10 d, A − 3 d) → 75 min over 14 days = 37.5 per week;
# the one at A − 3 d is in the period's last week → active_last_week 1.
# Missions: COMPLETED (3 objectives, 2 done) and SKIPPED (2, none) → completion 2/5 = 0.4.
# One struggle outcome recorded (a struggle) → struggle_rate 1.
# Feedback: HELPFUL (counts 1) and INACCURATE (not satisfaction) → satisfaction 1, n 1.
EXPECTED_PRE: dict[str, tuple[float | None, int]] = {
    "retention": (2 / 3, 3),
    "performance": (50.0, 5),
    "completion": (0.4, 5),
    "study_minutes": (37.5, 2),
    "struggle_rate": (1.0, 1),
    "satisfaction": (1.0, 1),
    "active_last_week": (1.0, 1),
}
# Post-period (7 days): reviews: repeats GOOD and EASY, a first review AGAIN → 3 reviews,
# 2 GOOD/EASY, 2 repeats both recalled; retention 1, performance 100·2/3.
# One 60-minute session at A + 1 d → 60 per week, in the last week → active 1.
# Only a PENDING mission → no completion. No outcome → no struggle rate.
# Feedback NOT_HELPFUL → satisfaction 0, n 1.
EXPECTED_POST: dict[str, tuple[float | None, int]] = {
    "retention": (1.0, 2),
    "performance": (200 / 3, 3),
    "completion": (None, 0),
    "study_minutes": (60.0, 1),
    "struggle_rate": (None, 0),
    "satisfaction": (0.0, 1),
    "active_last_week": (1.0, 1),
}


def make_hand_participant(session: Session, uid: str, *, at: datetime = A) -> None:
    """The learner of the module docstring (stored, not assigned)."""
    add_learner(session, uid)
    session.add(Course(id=f"{uid}-c", userId=uid, name="Physiology"))
    session.flush()
    session.add(
        Lecture(id=f"{uid}-l", userId=uid, courseId=f"{uid}-c", title="L", uploadedAt=at - 40 * DAY)
    )
    session.flush()
    session.add(LearningObjective(id=f"{uid}-o", lectureId=f"{uid}-l", objective="O"))
    session.flush()
    session.add(Card(id=f"{uid}-k", courseId=f"{uid}-c", lectureId=f"{uid}-l"))
    session.flush()
    reviews = (
        # (when, stabilityBefore, rating)
        (at - 20 * DAY, 0.0, "GOOD"),  # before the pre-period: ignored
        (at - 13 * DAY, 0.0, "GOOD"),
        (at - 9 * DAY, 2.0, "AGAIN"),
        (at - 5 * DAY, 3.0, "GOOD"),
        (at - 1 * DAY, 1.5, "HARD"),
        (at + 1 * DAY, 4.0, "GOOD"),
        (at + 2 * DAY, 5.0, "EASY"),
        (at + 3 * DAY, 0.0, "AGAIN"),
        (at + 8 * DAY, 6.0, "GOOD"),  # after the post-period: ignored
    )
    for i, (when, stability, rating) in enumerate(reviews):
        session.add(
            Review(
                id=f"{uid}-r{i}",
                userId=uid,
                cardId=f"{uid}-k",
                rating=ReviewRating(rating),
                timeSpentMs=5000,
                reviewedAt=when,
                stabilityBefore=stability,
            )
        )
    session.add(
        ValidationResponse(
            id=f"{uid}-v", userId=uid, promptType="EXPLAIN", score=0.5, respondedAt=at - 2 * DAY
        )
    )
    for i, (when, minutes) in enumerate(
        ((at - 10 * DAY, 30), (at - 3 * DAY, 45), (at + 1 * DAY, 60), (at + 9 * DAY, 50))
    ):
        session.add(
            StudySession(
                id=f"{uid}-s{i}",
                userId=uid,
                startedAt=when,
                completedAt=when + timedelta(minutes=minutes),
                durationMs=minutes * 60_000,
            )
        )
    # An unfinished session in the post-period: not a completed session, ignored.
    session.add(StudySession(id=f"{uid}-s-open", userId=uid, startedAt=at + 2 * DAY))

    def objectives(done: list[bool]) -> list[dict[str, Any]]:
        return [{"objectiveId": f"{uid}-o", "estimatedMinutes": 10, "completed": d} for d in done]

    for i, (when, status, done) in enumerate(
        (
            (at - 5 * DAY, MissionStatus.COMPLETED, [True, True, False]),
            (at - 2 * DAY, MissionStatus.SKIPPED, [False, False]),
            (at + 2 * DAY, MissionStatus.PENDING, [False]),
        )
    ):
        session.add(
            Mission(
                id=f"{uid}-m{i}",
                userId=uid,
                date=when,
                status=status,
                estimatedMinutes=30,
                objectives=objectives(done),
            )
        )
    session.flush()
    for i, (recorded, struggled) in enumerate(((at - 1 * DAY, True), (None, None))):
        session.add(
            StrugglePrediction(
                id=f"{uid}-p{i}",
                userId=uid,
                learningObjectiveId=f"{uid}-o",
                predictedStruggleProbability=0.7,
                predictionConfidence=0.6,
                strugglingFactors=[],
                actualOutcome=struggled,
                actualOutcomeRecordedAt=recorded,
            )
        )
    session.flush()
    for i, (when, kind) in enumerate(
        (
            (at - 2 * DAY, FeedbackType.HELPFUL),
            (at - 1 * DAY, FeedbackType.INACCURATE),
            (at + 4 * DAY, FeedbackType.NOT_HELPFUL),
        )
    ):
        session.add(
            PredictionFeedback(
                id=f"{uid}-f{i}",
                predictionId=f"{uid}-p0",
                userId=uid,
                feedbackType=kind,
                actualStruggle=True,
                submittedAt=when,
            )
        )
    session.flush()


def assign(session: Session, experiment_id: str, uid: str, variant: str, at: datetime) -> None:
    """Store an assignment directly (as a broken or external assigner would)."""
    session.execute(
        sa.text(
            'INSERT INTO experiment_assignments (id, "experimentId", "userId", "variantId", '
            '"assignedAt") VALUES (:id, :e, :u, :v, :at)'
        ),
        {"id": f"{experiment_id}-{uid}", "e": experiment_id, "u": uid, "v": variant, "at": at},
    )


def count(session: Session, table: str, where: str = "true", **params: Any) -> int:
    """Rows of ``table`` matching ``where``."""
    return int(
        session.execute(
            sa.text(f'SELECT count(*) FROM "{table}" WHERE {where}'), params
        ).scalar_one()
    )
