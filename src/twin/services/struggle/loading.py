"""Loading what struggle prediction reads of one learner at one date (a handful of queries).

**No peeking.** Everything is read strictly before ``now`` (reviews, validations,
completed missions, load readings, recorded outcomes), so predictions can be generated
at past cut dates on a database holding later data too. The learner's fitted recall
model and learning profile are used only when they were fitted / analysed before
``now`` (else FSRS-6 defaults / no profile). The one exception: a prerequisite without
reviewed cards falls back to its ``masteryLevel`` (the latest state).

Where the pure inputs (:class:`~twin.analysis.struggle.contexts.LearnerData`) come from:
a card's recall from its last review before the date (``reviews.stabilityAfter``,
``reviewedAt``; never the ``cards`` row, which holds the latest state); validations from
``validation_responses``; missions from ``missions`` (date, status, ``completedAt`` /
``actualStartTime``, ``sessionPerformanceScore``, the ``objectives`` JSON list); exams
from ``exams`` (``coverageTopics``); prerequisites from ``objective_prerequisites``;
recorded outcomes from ``struggle_predictions``; the mean load from
``cognitive_load_metrics``; preferences from ``user_learning_profiles``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.orm import Session

from twin.analysis.recall import DEFAULT_FSRS_WEIGHTS, FsrsWeights, RecallModel
from twin.analysis.struggle.contexts import (
    ABILITY_WINDOW,
    DECLINE_WINDOW,
    LAPSE_WINDOW,
    LOAD_WINDOW,
    PENDING_MISSION_GRACE,
    SESSION_PERFORMANCE_WINDOW,
    WORKLOAD_HORIZON,
    CardFacts,
    ExamFacts,
    LearnerData,
    MissionFacts,
    ObjectiveInfo,
    ValidationFacts,
    mission_objective_ids,
)
from twin.analysis.struggle.workflow import LearnerProfile
from twin.learners import Learner

IDS = sa.bindparam("ids", type_=pg.ARRAY(sa.Text()))

OBJECTIVE_INFO_SQL = (
    "SELECT o.id, o.objective, o.complexity::text AS complexity, "
    'o."masteryLevel"::text AS mastery, l.id AS lecture_id, l."topicTags" AS tags, '
    'c.id AS course_id, c.name AS course_name, l."uploadedAt" AS uploaded_at '
    'FROM learning_objectives o JOIN lectures l ON l.id = o."lectureId" '
    'JOIN courses c ON c.id = l."courseId"'
)
"""Objectives with their lecture and course; callers append the WHERE clause."""


@dataclass(frozen=True)
class LearnerState:
    """What prediction needs of a learner as of ``now``: recall weights and learning profile."""

    user_id: str
    weights: FsrsWeights
    profile: LearnerProfile
    content_preferences: dict[str, float] | None
    """None: no profile analysed before ``now`` (or empty preferences)."""


_LEARNER_STATE_SQL = sa.text(
    'SELECT m.model, m."fittedAt", p."optimalSessionDuration", p."contentPreferences", '
    'p."preferredStudyTimes", p."lastAnalyzedAt" FROM users u '
    'LEFT JOIN learner_memory_models m ON m."userId" = u.id '
    'LEFT JOIN user_learning_profiles p ON p."userId" = u.id WHERE u.id = :u'
)


def learner_state(session: Session, learner: Learner, now: datetime) -> LearnerState:
    """The learner's recall weights and profile as of ``now`` (fitted / analysed before it)."""
    row = session.execute(_LEARNER_STATE_SQL, {"u": learner.user_id}).one()
    model, fitted_at, optimal, prefs, times, analysed_at = row
    weights = DEFAULT_FSRS_WEIGHTS
    if learner.analysis_enabled and model and fitted_at is not None and fitted_at < now:
        weights = RecallModel.from_dict(model).weights
    profile = LearnerProfile()
    preferences: dict[str, float] | None = None
    if analysed_at is not None and analysed_at < now:
        preferences = {str(k): float(v) for k, v in (prefs or {}).items()} or None
        best_hour = None
        if isinstance(times, list) and times and isinstance(times[0], dict):
            hour = times[0].get("hour")
            best_hour = int(hour) if isinstance(hour, int | float) else None
        preferred = None
        if preferences and len(set(preferences.values())) > 1:
            preferred = max(preferences.items(), key=lambda kv: (kv[1], kv[0]))[0]
        profile = LearnerProfile(
            optimal_session_minutes=int(optimal) if optimal and optimal > 0 else None,
            preferred_content_type=preferred,
            best_study_hour=best_hour,
        )
    return LearnerState(learner.user_id, weights, profile, preferences)


def objective_rows(
    session: Session, query: sa.TextClause, params: dict[str, Any]
) -> dict[str, ObjectiveInfo]:
    """``{id: ObjectiveInfo}`` for the rows of ``query`` (built on ``OBJECTIVE_INFO_SQL``)."""
    return {
        r.id: ObjectiveInfo(
            id=r.id,
            text=r.objective,
            complexity=r.complexity,
            mastery_level=r.mastery,
            lecture_id=r.lecture_id,
            topic_tags=tuple(r.tags or ()),
            course_id=r.course_id,
            course_name=r.course_name,
            uploaded_at=r.uploaded_at,
        )
        for r in session.execute(query, params)
    }


def load_learner_data(
    session: Session, learner: LearnerState, now: datetime, horizon: timedelta
) -> LearnerData:
    """The learner's objectives, cards, reviews, validations, missions, exams, outcomes, load.

    Only what was recorded strictly before ``now`` (missions and exams are read around it).
    """
    u = learner.user_id
    objectives = objective_rows(
        session, sa.text(f'{OBJECTIVE_INFO_SQL} WHERE l."userId" = :u'), {"u": u}
    )
    past = now - DECLINE_WINDOW
    since30 = now - LAPSE_WINDOW
    cards = [
        CardFacts(
            objective_id=r[0],
            card_type=r[1],
            stability_now=r[2],
            last_now=r[3],
            stability_past=r[4],
            last_past=r[5],
            reviews_30d=int(r[6]),
            again_30d=int(r[7]),
        )
        for r in session.execute(
            sa.text(
                'SELECT k."objectiveId", k."cardType"::text, '
                '(array_agg(r."stabilityAfter" ORDER BY r."reviewedAt" DESC, r.id DESC))[1], '
                'max(r."reviewedAt"), '
                '(array_agg(r."stabilityAfter" ORDER BY r."reviewedAt" DESC, r.id DESC) '
                'FILTER (WHERE r."reviewedAt" < :past))[1], '
                'max(r."reviewedAt") FILTER (WHERE r."reviewedAt" < :past), '
                'count(r.id) FILTER (WHERE r."reviewedAt" >= :since30), '
                "count(r.id) FILTER (WHERE r.\"reviewedAt\" >= :since30 AND r.rating = 'AGAIN') "
                'FROM cards k JOIN courses co ON co.id = k."courseId" AND co."userId" = :u '
                'LEFT JOIN reviews r ON r."cardId" = k.id AND r."userId" = :u '
                'AND r."reviewedAt" < :now GROUP BY k.id'
            ),
            {"u": u, "now": now, "past": past, "since30": since30},
        )
    ]
    prerequisites: dict[str, list[str]] = defaultdict(list)
    for obj, pre in session.execute(
        sa.text(
            'SELECT p."objectiveId", p."prerequisiteId" FROM objective_prerequisites p '
            'JOIN learning_objectives o ON o.id = p."objectiveId" '
            'JOIN lectures l ON l.id = o."lectureId" WHERE l."userId" = :u '
            'ORDER BY p."objectiveId", p."prerequisiteId"'
        ),
        {"u": u},
    ):
        prerequisites[obj].append(pre)
    validations = [
        ValidationFacts(r[0], float(r[1]), r[2])
        for r in session.execute(
            sa.text(
                'SELECT "objectiveId", score, "respondedAt" FROM validation_responses '
                'WHERE "userId" = :u AND "respondedAt" >= :since AND "respondedAt" < :now'
            ),
            {"u": u, "since": now - ABILITY_WINDOW, "now": now},
        )
    ]
    missions = [
        MissionFacts(r[0], r[1], r[2], r[3], r[4], r[5], tuple(mission_objective_ids(r[6])))
        for r in session.execute(
            sa.text(
                'SELECT id, date, status::text, "completedAt", "actualStartTime", '
                '"sessionPerformanceScore", objectives FROM missions WHERE "userId" = :u '
                "AND ((date >= :from_ AND date < :to_) OR "
                '("completedAt" >= :perf_from AND "completedAt" < :now)) ORDER BY date, id'
            ),
            {
                "u": u,
                "from_": now - PENDING_MISSION_GRACE,
                "to_": now + max(horizon, WORKLOAD_HORIZON),
                "perf_from": now - SESSION_PERFORMANCE_WINDOW,
                "now": now,
            },
        )
    ]
    exams = [
        ExamFacts(r[0], r[1], r[2], tuple(r[3] or ()))
        for r in session.execute(
            sa.text(
                'SELECT id, "courseId", date, "coverageTopics" FROM exams '
                'WHERE "userId" = :u AND date >= :now ORDER BY date, id'
            ),
            {"u": u, "now": now},
        )
    ]
    outcomes = {
        r[0]: (int(r[1]), int(r[2]))
        for r in session.execute(
            sa.text(
                'SELECT "learningObjectiveId", count(*) FILTER (WHERE "actualOutcome"), count(*) '
                'FROM struggle_predictions WHERE "userId" = :u AND "actualOutcome" IS NOT NULL '
                'AND "actualOutcomeRecordedAt" < :now GROUP BY 1'
            ),
            {"u": u, "now": now},
        )
    }
    mean_load = session.execute(
        sa.text(
            'SELECT avg("loadScore") FROM cognitive_load_metrics WHERE "userId" = :u '
            "AND timestamp >= :since AND timestamp < :now"
        ),
        {"u": u, "since": now - LOAD_WINDOW, "now": now},
    ).scalar_one()
    return LearnerData(
        now=now,
        weights=learner.weights,
        content_preferences=learner.content_preferences,
        objectives=objectives,
        cards=cards,
        prerequisites=dict(prerequisites),
        validations=validations,
        missions=missions,
        exams=exams,
        outcomes=outcomes,
        mean_load=None if mean_load is None else float(mean_load),
    )


def objective_infos(session: Session, objective_ids: Sequence[str]) -> dict[str, ObjectiveInfo]:
    """The given objectives with their lecture and course (any learner's)."""
    if not objective_ids:
        return {}
    return objective_rows(
        session,
        sa.text(f"{OBJECTIVE_INFO_SQL} WHERE o.id = ANY(:ids)").bindparams(IDS),
        {"ids": list(objective_ids)},
    )
