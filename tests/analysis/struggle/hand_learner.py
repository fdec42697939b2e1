"""The hand-built struggle learner as the loader sees it at :data:`T` (pure; no tests here).

The same learner as :mod:`tests.services.struggle.support` writes to the database,
given here as the :class:`~twin.analysis.struggle.contexts.LearnerData` the service
loads from it at :data:`T` (only what was recorded before ``T``, within each window),
so contexts and candidates are checked by hand without a database.
:func:`golden_context_values` are the context values expected at :data:`T`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from twin.analysis.recall import DEFAULT_FSRS_WEIGHTS
from twin.analysis.recall.fsrs6 import retrievability
from twin.analysis.struggle.contexts import (
    CardFacts,
    ExamFacts,
    LearnerData,
    MissionFacts,
    ObjectiveInfo,
    ValidationFacts,
)

T = datetime(2026, 3, 10, 12, 0)
"""The prediction time of the hand-built learner (naive UTC)."""

DAY = timedelta(days=1)

# (card, days before T (negative = after T), rating, stabilityAfter)
REVIEWS: tuple[tuple[str, float, str, float], ...] = (
    ("k1", 10, "GOOD", 1.0),
    ("k1", 6, "AGAIN", 0.05),
    ("k2", 25, "AGAIN", 0.2),
    ("k3", 3, "GOOD", 30.0),
    ("k1", -1, "EASY", 50.0),  # after T: ignored
    ("k3", -2, "AGAIN", 1.0),  # after T: ignored
)
CONTENT_PREFERENCES = {
    "lecture": 0.4,
    "flashcard": 0.1,
    "validation": 0.3,
    "clinical_reasoning": 0.2,
}


def _recall(stability: float, days: float) -> float:
    return retrievability(DEFAULT_FSRS_WEIGHTS, stability, days)


def golden_context_values() -> dict[str, Any]:
    """The expected ObjectiveContext of ``oT`` at :data:`T` (by hand from the rows above)."""
    now_k1, now_k2 = _recall(0.05, 6.0), _recall(0.2, 25.0)
    past_k1, past_k2 = _recall(1.0, 3.0), _recall(0.2, 18.0)
    return {
        "recall_predictions": (now_k1, now_k2),
        "recall_trend_per_week": (now_k1 + now_k2) / 2 - (past_k1 + past_k2) / 2,
        "reviews_30d": 3,
        "again_30d": 2,
        "recent_session_performance": 30.0,
        "validation_scores": (0.2, 0.3),
        "prerequisite_masteries": (_recall(30.0, 3.0), 0.25, 0.0),
        "complexity": "ADVANCED",
        # validations of 90 days: 0.2, 0.3, 0.6, 0.6, 0.7 → mean 0.48 ≤ 0.5 → BASIC 0.3
        "learner_ability": 0.3,
        "past_struggles_in_course": 1,
        "past_outcomes_in_course": 1,
        # 1 − (0.5·0.1 + 0.5·0.2) / 0.4
        "content_type_mismatch": 0.625,
        "recent_mean_cognitive_load": 70.0,
        "days_until_exam": 10.0,
        "days_since_last_study": 5.0,
        "open_objectives": 2,
    }


def hand_learner(uid: str = "u", *, profile: bool = True) -> LearnerData:
    """What the service loads of the hand-built learner at :data:`T` (14-day horizon)."""

    def o(key: str) -> str:
        return f"{uid}-o{key}"

    lectures = {"l": ("renal", "physio"), "l2": ("cardio",), "l3": ("renal",)}
    uploaded = {"l": T - 20 * DAY, "l2": T - 20 * DAY, "l3": T + DAY}
    objectives = {
        o(key): ObjectiveInfo(
            id=o(key),
            text=f"Objective {key}",
            complexity=complexity,
            mastery_level=mastery,
            lecture_id=f"{uid}-{lec}",
            topic_tags=lectures[lec],
            course_id=f"{uid}-c",
            course_name="Physiology",
            uploaded_at=uploaded[lec],
        )
        for key, lec, complexity, mastery in (
            ("T", "l", "ADVANCED", "INTERMEDIATE"),
            ("P1", "l", "BASIC", "MASTERED"),
            ("P2", "l", "INTERMEDIATE", "BEGINNER"),
            ("P3", "l", "BASIC", "NOT_STARTED"),
            ("X", "l2", "BASIC", "NOT_STARTED"),
            ("F", "l3", "BASIC", "NOT_STARTED"),
        )
    }
    # Each card's last review before T and before T − 7 days, and its last 30 days.
    cards = [
        CardFacts(o("T"), "BASIC", 0.05, T - 6 * DAY, 1.0, T - 10 * DAY, 2, 1),
        CardFacts(o("T"), "CLINICAL_REASONING", 0.2, T - 25 * DAY, 0.2, T - 25 * DAY, 1, 1),
        CardFacts(o("P1"), "BASIC", 30.0, T - 3 * DAY, None, None, 1, 0),
    ]
    validations = [
        ValidationFacts(o(key), score, T - days * DAY)
        for key, days, score in (("T", 5, 0.2), ("T", 20, 0.3), ("P1", 30, 0.6), ("P1", 45, 0.6))
    ] + [ValidationFacts(o("P1"), 0.7, T - 60 * DAY)]
    hour = timedelta(hours=1)
    missions = [
        MissionFacts(f"{uid}-m1", T - DAY, "COMPLETED", T - DAY + hour, None, 30.0, (o("T"),)),
        # completed after T: at T it was still pending
        MissionFacts(f"{uid}-m2", T + DAY, "COMPLETED", T + DAY + hour, None, 90.0, (o("T"),)),
        MissionFacts(f"{uid}-m3", T + 2 * DAY, "PENDING", None, None, None, (o("T"), o("P1"))),
        MissionFacts(f"{uid}-m5", T + 3 * DAY, "SKIPPED", None, None, None, (o("X"),)),
    ]
    exams = [
        ExamFacts(f"{uid}-x2", f"{uid}-c", T + 5 * DAY, ("cardio",)),
        ExamFacts(f"{uid}-x1", f"{uid}-c", T + 10 * DAY, ("renal",)),
    ]
    return LearnerData(
        now=T,
        weights=DEFAULT_FSRS_WEIGHTS,
        content_preferences=dict(CONTENT_PREFERENCES) if profile else None,
        objectives=objectives,
        cards=cards,
        prerequisites={o("T"): [o("P1"), o("P2"), o("P3")]},
        validations=validations,
        missions=missions,
        exams=exams,
        outcomes={o("X"): (1, 1), o("T"): (1, 1)},
        mean_load=70.0,  # readings of the 7 days before T: 80 and 60
    )
