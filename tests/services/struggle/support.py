"""A hand-built learner for the struggle service, API and command tests (no tests here).

At :data:`T` the learner ``uid`` has one course (``{uid}-c``) with three lectures:
``{uid}-l`` (topics renal, physio) holding the target objective ``{uid}-oT``
(ADVANCED, cards ``k1`` BASIC and ``k2`` CLINICAL_REASONING) and its prerequisites
``{uid}-oP1`` (BASIC, card ``k3``), ``{uid}-oP2`` (INTERMEDIATE, no cards,
masteryLevel BEGINNER) and ``{uid}-oP3`` (BASIC, no cards, NOT_STARTED); ``{uid}-l2`` (cardio) holding ``{uid}-oX``; ``{uid}-l3``
uploaded after :data:`T` holding ``{uid}-oF``. Every kind of input also has rows
after :data:`T` (or outside its window) that a prediction at :data:`T` must ignore.
The expected context values at :data:`T` and the same learner as loaded (no database)
live in :mod:`tests.analysis.struggle.hand_learner`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from tests.analysis.struggle.hand_learner import CONTENT_PREFERENCES, DAY, REVIEWS, T
from twin.db.models import (
    Card,
    CognitiveLoadMetric,
    Course,
    Exam,
    LearningObjective,
    Lecture,
    Mission,
    ObjectivePrerequisite,
    Review,
    StrugglePrediction,
    User,
    UserLearningProfile,
    ValidationResponse,
)
from twin.enums import (
    CardType,
    MasteryLevel,
    MissionStatus,
    ObjectiveComplexity,
    PredictionStatus,
    ReviewRating,
)


def make_struggle_learner(
    session: Session, uid: str, *, enabled: bool = True, profile: bool = True, at: datetime = T
) -> None:
    """The learner and everything described in the module docstring, around ``at`` (T)."""
    session.add(User(id=uid, timezone="UTC", behavioralAnalysisEnabled=enabled))
    session.flush()
    session.add(Course(id=f"{uid}-c", userId=uid, name="Physiology"))
    session.flush()
    for lec, tags, uploaded in (
        ("l", ["renal", "physio"], at - 20 * DAY),
        ("l2", ["cardio"], at - 20 * DAY),
        ("l3", ["renal"], at + DAY),
    ):
        session.add(
            Lecture(
                id=f"{uid}-{lec}",
                userId=uid,
                courseId=f"{uid}-c",
                title=f"Lecture {lec}",
                topicTags=tags,
                uploadedAt=uploaded,
            )
        )
    session.flush()
    for key, lec, complexity, mastery in (
        ("T", "l", ObjectiveComplexity.ADVANCED, MasteryLevel.INTERMEDIATE),
        ("P1", "l", ObjectiveComplexity.BASIC, MasteryLevel.MASTERED),
        ("P2", "l", ObjectiveComplexity.INTERMEDIATE, MasteryLevel.BEGINNER),
        ("P3", "l", ObjectiveComplexity.BASIC, MasteryLevel.NOT_STARTED),
        ("X", "l2", ObjectiveComplexity.BASIC, MasteryLevel.NOT_STARTED),
        ("F", "l3", ObjectiveComplexity.BASIC, MasteryLevel.NOT_STARTED),
    ):
        session.add(
            LearningObjective(
                id=f"{uid}-o{key}",
                lectureId=f"{uid}-{lec}",
                objective=f"Objective {key}",
                complexity=complexity,
                masteryLevel=mastery,
            )
        )
    session.flush()
    for pre in ("P1", "P2", "P3"):
        session.add(
            ObjectivePrerequisite(
                id=f"{uid}-pre{pre}", objectiveId=f"{uid}-oT", prerequisiteId=f"{uid}-o{pre}"
            )
        )
    for card, obj, ctype in (
        ("k1", "T", CardType.BASIC),
        ("k2", "T", CardType.CLINICAL_REASONING),
        ("k3", "P1", CardType.BASIC),
    ):
        session.add(
            Card(
                id=f"{uid}-{card}",
                courseId=f"{uid}-c",
                lectureId=f"{uid}-l",
                objectiveId=f"{uid}-o{obj}",
                cardType=ctype,
                # the latest state (after T): must not be used for predictions at T
                stability=99.0,
                lastReviewedAt=at + 2 * DAY,
            )
        )
    session.flush()
    for i, (card, days, rating, stability) in enumerate(REVIEWS):
        session.add(
            Review(
                id=f"{uid}-r{i}",
                userId=uid,
                cardId=f"{uid}-{card}",
                rating=ReviewRating(rating),
                timeSpentMs=8000,
                reviewedAt=at - days * DAY,
                stabilityAfter=stability,
                difficultyAfter=5.0,
            )
        )
    for i, (obj, days, score) in enumerate(
        (
            ("T", 5, 0.2),
            ("T", 20, 0.3),
            ("P1", 30, 0.6),
            ("P1", 45, 0.6),
            ("P1", 60, 0.7),
            ("T", -1 / 24, 0.9),  # after T
            ("T", 100, 0.0),  # older than the 90-day ability window
        )
    ):
        session.add(
            ValidationResponse(
                id=f"{uid}-v{i}",
                userId=uid,
                objectiveId=f"{uid}-o{obj}",
                promptType="EXPLAIN_TO_PATIENT",
                score=score,
                respondedAt=at - days * DAY,
            )
        )
    missions: tuple[
        tuple[str, float, MissionStatus, float | None, float | None, list[str]], ...
    ] = (
        ("m1", 1, MissionStatus.COMPLETED, 1, 30.0, ["T"]),
        ("m2", -1, MissionStatus.COMPLETED, -1, 90.0, ["T"]),  # completed after T
        ("m0", 40, MissionStatus.COMPLETED, 40, 10.0, ["T"]),  # outside 30 days
        ("m3", -2, MissionStatus.PENDING, None, None, ["T", "P1"]),
        ("m4", -20, MissionStatus.PENDING, None, None, ["X"]),  # beyond 14 days
        ("m5", -3, MissionStatus.SKIPPED, None, None, ["X"]),
    )
    for mid, days, status, done_days, perf, objs in missions:
        session.add(
            Mission(
                id=f"{uid}-{mid}",
                userId=uid,
                date=at - days * DAY,
                status=status,
                estimatedMinutes=40,
                recommendedDuration=40,
                completedAt=None
                if done_days is None
                else at - done_days * DAY + timedelta(hours=1),
                objectives=[
                    {"objectiveId": f"{uid}-o{o}", "estimatedMinutes": 20, "completed": False}
                    for o in objs
                ],
                sessionPerformanceScore=perf,
            )
        )
    for eid, days, coverage in (("x1", 10, ["renal"]), ("x2", 5, ["cardio"]), ("x0", -3, [])):
        session.add(
            Exam(
                id=f"{uid}-{eid}",
                userId=uid,
                courseId=f"{uid}-c",
                name=f"Exam {eid}",
                date=at + days * DAY,
                coverageTopics=coverage,
            )
        )
    for i, (days, load) in enumerate(((2, 80.0), (6, 60.0), (8, 100.0), (-1 / 24, 10.0))):
        session.add(
            CognitiveLoadMetric(
                id=f"{uid}-load{i}",
                userId=uid,
                loadScore=load,
                stressIndicators=[],
                confidenceLevel=0.8,
                timestamp=at - days * DAY,
            )
        )
    for i, (obj, outcome, recorded_days) in enumerate(
        (("X", True, 5), ("X", False, -2), ("T", True, 4))
    ):
        session.add(
            StrugglePrediction(
                id=f"{uid}-past{i}",
                userId=uid,
                learningObjectiveId=f"{uid}-o{obj}",
                predictedStruggleProbability=0.6,
                predictionConfidence=0.5,
                predictionStatus=PredictionStatus.CONFIRMED
                if outcome
                else PredictionStatus.FALSE_POSITIVE,
                strugglingFactors=[],
                predictionDate=at - 20 * DAY,
                predictedAt=at - 20 * DAY,
                actualOutcome=outcome,
                actualOutcomeRecordedAt=at - recorded_days * DAY,
            )
        )
    if profile:
        session.add(
            UserLearningProfile(
                id=f"{uid}-profile",
                userId=uid,
                preferredStudyTimes=[{"hour": 7, "label": "07:00"}],
                averageSessionDuration=35,
                optimalSessionDuration=40,
                contentPreferences=dict(CONTENT_PREFERENCES),
                learningStyleProfile={},
                personalizedForgettingCurve={},
                lastAnalyzedAt=at - DAY,
            )
        )
    session.flush()


def delete_after(session: Session, uid: str) -> None:
    """Delete every row of the learner recorded after :data:`T` (to compare contexts)."""
    from sqlalchemy import text

    for sql in (
        'DELETE FROM reviews WHERE "userId" = :u AND "reviewedAt" >= :t',
        'DELETE FROM validation_responses WHERE "userId" = :u AND "respondedAt" >= :t',
        'DELETE FROM cognitive_load_metrics WHERE "userId" = :u AND timestamp >= :t',
        'DELETE FROM missions WHERE "userId" = :u AND "completedAt" >= :t',
        'DELETE FROM struggle_predictions WHERE "userId" = :u AND "actualOutcomeRecordedAt" >= :t',
    ):
        session.execute(text(sql), {"u": uid, "t": T})
    session.flush()
