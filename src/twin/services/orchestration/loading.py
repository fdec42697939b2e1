"""What the schedule reads of a learner: sessions and their outcomes, the twin's timing numbers,
preferences, and the real content of a session plan (due and new cards, the mission, struggles).

Every query is scoped to one learner and reads only rows recorded before ``now`` (or, for
the content of a plan, the state at the plan's start). A handful of queries per answer:
the slot and plan targets (p95 ≤ 50 ms) are met by reading aggregates, never row by row.

Session outcomes use ENGINE 5.1's definitions, as the pattern analysis does: performance
= share of GOOD/EASY reviews and validation scores (0–100), retention = recall of the
session's repeat reviews (0–1), completion = objectives completed / planned, engagement
= the session-end event's score (or its level). The hour score of a session is
:func:`twin.analysis.patterns.study_time.session_score` of those.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from twin.analysis.orchestration.plan_inputs import (
    DueCard,
    ItemTimes,
    LearnerTiming,
    MissionObjective,
    NewCard,
    OptimalWindow,
    StruggleForecast,
    ValidationPrompt,
)
from twin.analysis.orchestration.slots import (
    HourScoreTable,
    PreferenceKind,
    PreferenceWindow,
    RecentSession,
    hour_scores_from_heatmap,
)
from twin.analysis.patterns.inputs import SessionObs
from twin.analysis.patterns.study_time import build_heatmap
from twin.analysis.recall.fsrs6 import retrievability
from twin.enums import BurnoutRiskLevel, InterventionType, ObjectiveComplexity
from twin.learners import OPTIMAL_FROM_PROFILE, Learner
from twin.services.orchestration.common import stored, utc
from twin.services.patterns.loading import ENGAGEMENT_BY_LEVEL
from twin.services.recall import load_memory_model

HOUR_SCORE_WEEKS = 12
RECENT_DAYS = 14
WEEK_DAYS = 7
MEDIAN_WEEKS = 8
MIN_WEEKS_FOR_MEDIAN = 2
BURNOUT_MAX_AGE = timedelta(days=7)
PERCENT = 100.0
MS_PER_SECOND = 1000.0
MAX_DUE_CARDS = 400
MAX_NEW_CARDS = 60
MAX_STRUGGLES = 3
STRUGGLE_MIN_PROBABILITY = 0.5
STRUGGLE_HORIZON_DAYS = 14
ITEM_TIME_REVIEWS = 500
VALIDATED_SCORE = 0.7
VALIDATION_RECENT_DAYS = 14
OPEN_MISSION_STATUSES = ("PENDING", "IN_PROGRESS")
SECONDS_PER_DAY = 86_400.0


@dataclass(frozen=True)
class SessionFacts:
    """One study session with its 5.1 outcomes (None where unmeasured)."""

    session_id: str
    started_at: datetime
    minutes: float | None
    completed: bool
    mission_id: str | None
    reviews: int
    performance: float | None
    retention: float | None
    completion: float | None
    engagement: float | None


SESSION_FACTS_SQL = sa.text(
    """
    WITH ss AS (
      SELECT s.id, s."startedAt", s."missionId", s."objectiveCompletions",
             s."completedAt" IS NOT NULL AS completed,
             coalesce(s."durationMs" / 60000.0,
                      extract(epoch FROM s."completedAt" - s."startedAt") / 60.0)::float8 AS minutes
      FROM study_sessions s
      WHERE s."userId" = :u AND s."startedAt" >= :since AND s."startedAt" < :until
    ), firsts AS (
      -- each card's first review: a later review of the card is a repeat (5.1's retention)
      SELECT r."cardId", min(r."reviewedAt") AS first_at
      FROM reviews r WHERE r."userId" = :u AND r."reviewedAt" < :until
      GROUP BY 1
    ), rv AS MATERIALIZED (
      SELECT r."sessionId" AS sid, r.rating, r."reviewedAt" > f.first_at AS repeat
      FROM reviews r JOIN firsts f ON f."cardId" = r."cardId"
      WHERE r."userId" = :u AND r."sessionId" IN (SELECT id FROM ss) AND r."reviewedAt" < :until
    ), ragg AS (
      SELECT sid, count(*) AS n,
             count(*) FILTER (WHERE rating IN ('GOOD', 'EASY')) AS good,
             count(*) FILTER (WHERE repeat) AS repeats,
             count(*) FILTER (WHERE repeat AND rating <> 'AGAIN') AS recalled
      FROM rv GROUP BY sid
    ), val AS (
      SELECT v."sessionId" AS sid, count(*) AS n, sum(v.score) AS total
      FROM validation_responses v
      WHERE v."userId" = :u AND v."sessionId" IN (SELECT id FROM ss) AND v."respondedAt" < :until
      GROUP BY 1
    ), ev AS (
      SELECT e."eventData"->>'sessionId' AS sid,
             (array_agg(e."eventData" ORDER BY e."timestamp" DESC))[1] AS data,
             max(e."engagementLevel"::text) AS level
      FROM behavioral_events e
      WHERE e."userId" = :u AND e."eventType" = 'SESSION_ENDED'
        AND e."timestamp" >= :since AND e."timestamp" < :until
      GROUP BY 1
    )
    SELECT ss.id, ss."startedAt", ss.minutes, ss.completed, ss."missionId",
           CASE WHEN jsonb_typeof(m.objectives) = 'array'
                THEN jsonb_array_length(m.objectives) END AS planned,
           CASE WHEN jsonb_typeof(ss."objectiveCompletions") = 'array'
                THEN jsonb_array_length(ss."objectiveCompletions") END AS done,
           coalesce(ragg.n, 0) AS n, coalesce(ragg.good, 0) AS good,
           coalesce(ragg.repeats, 0) AS repeats, coalesce(ragg.recalled, 0) AS recalled,
           coalesce(val.n, 0) AS val_n, coalesce(val.total, 0) AS val_total,
           CASE WHEN jsonb_typeof(ev.data->'engagementScore') = 'number'
                THEN (ev.data->>'engagementScore')::float8 END AS engagement_score,
           ev.level AS engagement_level
    FROM ss
    LEFT JOIN missions m ON m.id = ss."missionId"
    LEFT JOIN ragg ON ragg.sid = ss.id
    LEFT JOIN val ON val.sid = ss.id
    LEFT JOIN ev ON ev.sid = ss.id
    ORDER BY ss."startedAt", ss.id
    """
)


def _engagement(score: float | None, level: str | None) -> float | None:
    if score is not None and math.isfinite(score):
        return min(PERCENT, max(0.0, score))
    return ENGAGEMENT_BY_LEVEL.get(level) if level is not None else None


def session_facts(
    session: Session, user_id: str, since: datetime, until: datetime
) -> list[SessionFacts]:
    """The learner's sessions started in ``[since, until)`` with their outcomes, in time order."""
    # psycopg prepares a statement run 5 times; PostgreSQL may then switch to a generic plan,
    # which for a per-learner aggregate is much slower than the plan for the learner's values.
    session.execute(sa.text("SET LOCAL plan_cache_mode = force_custom_plan"))
    rows = session.execute(
        SESSION_FACTS_SQL, {"u": user_id, "since": stored(since), "until": stored(until)}
    )
    out = []
    for row in rows:
        items = int(row.n) + int(row.val_n)
        performance = (
            min(PERCENT, PERCENT * (int(row.good) + float(row.val_total)) / items)
            if items
            else None
        )
        planned = int(row.planned or 0)
        out.append(
            SessionFacts(
                session_id=row.id,
                started_at=utc(row.startedAt),
                minutes=None if row.minutes is None else max(0.0, float(row.minutes)),
                completed=bool(row.completed),
                mission_id=row.missionId,
                reviews=int(row.n),
                performance=performance,
                retention=int(row.recalled) / int(row.repeats) if row.repeats else None,
                completion=min(1.0, int(row.done or 0) / planned) if planned else None,
                engagement=_engagement(row.engagement_score, row.engagement_level),
            )
        )
    return out


def session_obs(facts: Sequence[SessionFacts], learner: Learner) -> list[SessionObs]:
    """Completed, scored sessions as 5.1's ``SessionObs`` (local time), for the hour scores."""
    zone = learner.zone
    return [
        SessionObs(
            session_id=f.session_id,
            started_at=f.started_at.astimezone(zone),
            duration_minutes=f.minutes or 0.0,
            performance=f.performance,
            retention=f.retention,
            completion=f.completion,
            engagement=f.engagement,
        )
        for f in facts
        if f.completed and f.performance is not None
    ]


# --- the twin's timing numbers -------------------------------------------------------------

TIMING_SQL = sa.text(
    """
    SELECT
      (SELECT "meanLoad7d" FROM learner_load_profiles WHERE "userId" = :u) AS mean_load,
      (SELECT "riskLevel"::text FROM burnout_risk_assessments
        WHERE "userId" = :u AND "assessmentDate" <= :now AND "assessmentDate" > :burnout_since
        ORDER BY "assessmentDate" DESC LIMIT 1) AS burnout,
      (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY "timeSpentMs")
         FROM (SELECT "timeSpentMs" FROM reviews WHERE "userId" = :u AND "reviewedAt" < :now
               ORDER BY "reviewedAt" DESC LIMIT :n) r) AS review_ms
    """
)
PATTERNS_SQL = sa.text(
    """
    SELECT "patternType"::text AS kind, "patternData" AS data
    FROM behavioral_patterns
    WHERE "userId" = :u AND "patternType" IN ('OPTIMAL_STUDY_TIME', 'ATTENTION_CYCLE')
    ORDER BY "lastSeenAt" DESC
    """
)


@dataclass(frozen=True)
class ScheduleInputs:
    """Everything slots and plans need of the learner besides the calendar."""

    hour_scores: HourScoreTable
    recent: tuple[RecentSession, ...]
    timing: LearnerTiming
    item_times: ItemTimes
    preferences: tuple[PreferenceWindow, ...]
    session_minutes: int | None
    sessions_per_week: int | None
    sessions_scored: int
    facts: tuple[SessionFacts, ...] = field(default=(), repr=False)


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and math.isfinite(float(value)):
        return float(value)
    return None


def _weekly_hours(
    facts: Sequence[SessionFacts], now: datetime
) -> tuple[float | None, float | None]:
    """Study hours of the last 7 days, and the median of the 8 weeks before (None when unknown)."""
    if not facts:
        return None, None
    week = timedelta(days=WEEK_DAYS)
    last7 = sum((f.minutes or 0.0) for f in facts if f.started_at >= now - week) / 60.0
    first = min(f.started_at for f in facts)
    weeks = []
    for k in range(1, MEDIAN_WEEKS + 1):
        start, end = now - week * (k + 1), now - week * k
        if end <= first:
            break
        weeks.append(sum((f.minutes or 0.0) for f in facts if start <= f.started_at < end) / 60.0)
    median = statistics.median(weeks) if len(weeks) >= MIN_WEEKS_FOR_MEDIAN else None
    return last7, median


def preference_windows(data: Sequence[Any]) -> tuple[PreferenceWindow, ...]:
    """``schedule_preferences.windows`` (JSON) as preference windows; malformed entries skipped."""
    out = []
    for w in data:
        try:
            out.append(
                PreferenceWindow(
                    start_minute=int(w["startMinute"]),
                    end_minute=int(w["endMinute"]),
                    kind=PreferenceKind(w.get("kind", "PREFER")),
                    weekdays=frozenset(int(d) for d in w.get("weekdays", range(7))),
                    label=str(w.get("label", "")),
                )
            )
        except (KeyError, ValueError, TypeError):
            continue
    return tuple(out)


def window_json(window: PreferenceWindow) -> dict[str, Any]:
    """The stored form of a preference window."""
    return {
        "kind": window.kind.value,
        "startMinute": window.start_minute,
        "endMinute": window.end_minute,
        "weekdays": sorted(window.weekdays),
        "label": window.label,
    }


def load_preferences(
    session: Session, user_id: str
) -> tuple[tuple[PreferenceWindow, ...], int | None, int | None]:
    """The learner's declared windows and the session length / frequency adaptation chose."""
    row = session.execute(
        sa.text(
            'SELECT windows, "sessionMinutes", "sessionsPerWeek" FROM schedule_preferences '
            'WHERE "userId" = :u'
        ),
        {"u": user_id},
    ).first()
    if row is None:
        return (), None, None
    return preference_windows(row.windows or []), row.sessionMinutes, row.sessionsPerWeek


STUDY_MINUTES_SQL = sa.text(
    """
    SELECT s.id, s."startedAt",
           coalesce(s."durationMs" / 60000.0,
                    extract(epoch FROM s."completedAt" - s."startedAt") / 60.0)::float8 AS minutes
    FROM study_sessions s
    WHERE s."userId" = :u AND s."startedAt" >= :since AND s."startedAt" < :until
    ORDER BY s."startedAt", s.id
    """
)


def study_minutes(
    session: Session, user_id: str, since: datetime, until: datetime
) -> list[SessionFacts]:
    """Sessions of ``[since, until)`` with their length only (what the plan's heavy-week rule needs)."""
    rows = session.execute(
        STUDY_MINUTES_SQL, {"u": user_id, "since": stored(since), "until": stored(until)}
    )
    return [
        SessionFacts(r.id, utc(r.startedAt), r.minutes, True, None, 0, None, None, None, None)
        for r in rows
    ]


def schedule_inputs(
    session: Session, learner: Learner, now: datetime, *, hour_scores: bool = True
) -> ScheduleInputs:
    """The learner's hour scores, recent sessions, timing and preferences as of ``now``.

    Without ``hour_scores`` (a plan needs only the timing numbers) the sessions are read
    with their lengths only, and the hour-score table and recent sessions stay empty.
    """
    now = utc(now)
    user_id = learner.user_id
    since = now - timedelta(weeks=HOUR_SCORE_WEEKS)
    if hour_scores:
        facts = session_facts(session, user_id, since, now)
    else:
        facts = study_minutes(session, user_id, now - timedelta(weeks=MEDIAN_WEEKS + 1), now)
    scored = session_obs(facts, learner)
    table = HourScoreTable(hour_scores_from_heatmap(build_heatmap(scored)))
    recent_since = now - timedelta(days=RECENT_DAYS)
    recent = tuple(
        RecentSession(f.started_at, f.performance)
        for f in facts
        if f.started_at >= recent_since and f.completed and f.performance is not None
    )
    row = session.execute(
        TIMING_SQL,
        {
            "u": user_id,
            "now": stored(now),
            "burnout_since": stored(now - BURNOUT_MAX_AGE),
            "n": ITEM_TIME_REVIEWS,
        },
    ).one()
    fatigue: float | None = None
    windows: list[OptimalWindow] = []
    for kind, data in session.execute(PATTERNS_SQL, {"u": user_id}):
        if kind == "ATTENTION_CYCLE" and fatigue is None:
            fatigue = _number(data.get("medianTimeToFatigueMinutes"))
        elif kind == "OPTIMAL_STUDY_TIME":
            start, end = data.get("windowStartHour"), data.get("windowEndHour")
            if (
                isinstance(start, int)
                and isinstance(end, int)
                and 0 <= start < 24
                and 0 <= end < 24
            ):
                windows.append(OptimalWindow(start, end))
    last7, median = _weekly_hours(facts, now)
    optimal = (
        learner.optimal_session_minutes if learner.optimal_source == OPTIMAL_FROM_PROFILE else None
    )
    timing = LearnerTiming(
        optimal_duration_minutes=optimal,
        time_to_fatigue_minutes=fatigue,
        optimal_windows=tuple(windows),
        study_hours_last_7_days=last7,
        median_weekly_study_hours=median,
        recent_mean_load=_number(row.mean_load),
        burnout=BurnoutRiskLevel(row.burnout) if row.burnout else None,
    )
    review_seconds = _number(row.review_ms)
    preferences, minutes, per_week = load_preferences(session, user_id)
    return ScheduleInputs(
        hour_scores=table,
        recent=recent,
        timing=timing,
        item_times=ItemTimes(
            review_seconds=review_seconds / MS_PER_SECOND if review_seconds else None
        ),
        preferences=preferences,
        session_minutes=minutes,
        sessions_per_week=per_week,
        sessions_scored=len(scored),
        facts=tuple(facts),
    )


# --- the content of a plan ----------------------------------------------------------------


@dataclass(frozen=True)
class MissionInfo:
    """The mission a plan serves: its id, date and objectives."""

    mission_id: str
    date: datetime
    objectives: tuple[MissionObjective, ...]


@dataclass(frozen=True)
class PlanContent:
    """The learner's real items for a plan starting at ``at``."""

    due_cards: tuple[DueCard, ...]
    new_cards: tuple[NewCard, ...]
    mission: MissionInfo | None
    validations: tuple[ValidationPrompt, ...]
    struggles: tuple[StruggleForecast, ...]
    complexity: ObjectiveComplexity


DUE_CARDS_SQL = sa.text(
    """
    SELECT c.id, c."objectiveId", c.stability, c."lastReviewedAt"
    FROM cards c JOIN courses co ON co.id = c."courseId"
    WHERE co."userId" = :u AND c."lastReviewedAt" IS NOT NULL AND c."nextReviewAt" <= :due
    ORDER BY c."nextReviewAt", c.id
    LIMIT :n
    """
)
NEW_CARDS_SQL = sa.text(
    """
    SELECT c.id, c."objectiveId"
    FROM cards c JOIN courses co ON co.id = c."courseId"
    WHERE co."userId" = :u AND c."reviewCount" = 0 AND c."lastReviewedAt" IS NULL
    ORDER BY (c."objectiveId" = ANY(:mission_objectives)) DESC NULLS LAST, c.id
    LIMIT :n
    """
)
STRUGGLES_SQL = sa.text(
    """
    SELECT p.id, p."learningObjectiveId" AS objective_id, p."predictedStruggleProbability" AS p,
           coalesce(array_agg(i."interventionType"::text ORDER BY i.priority DESC)
                    FILTER (WHERE i.id IS NOT NULL), ARRAY[]::text[]) AS interventions
    FROM struggle_predictions p
    LEFT JOIN intervention_recommendations i
      ON i."predictionId" = p.id AND i."userId" = :u AND i.status IN ('PENDING', 'IN_PROGRESS')
    WHERE p."userId" = :u AND p."predictionStatus" = 'PENDING'
      AND p."predictedStruggleProbability" >= :min_p
      AND p."predictionDate" <= :horizon AND p."predictedAt" <= :now
    GROUP BY p.id
    ORDER BY p."predictedStruggleProbability" DESC, p.id
    LIMIT :n
    """
)


def _mission(
    session: Session, learner: Learner, at: datetime, mission_id: str | None
) -> MissionInfo | None:
    if mission_id is not None:
        row = session.execute(
            sa.text('SELECT id, date, objectives FROM missions WHERE id = :m AND "userId" = :u'),
            {"m": mission_id, "u": learner.user_id},
        ).first()
    else:
        # The learner's open mission of the plan's local day, when there is one.
        local = at.astimezone(learner.zone).date()
        start = datetime(local.year, local.month, local.day, tzinfo=learner.zone)
        row = session.execute(
            sa.text(
                'SELECT id, date, objectives FROM missions WHERE "userId" = :u '
                "AND date >= :start AND date < :end AND status::text = ANY(:open) "
                "ORDER BY date, id LIMIT 1"
            ),
            {
                "u": learner.user_id,
                "start": stored(start),
                "end": stored(start + timedelta(days=1)),
                "open": list(OPEN_MISSION_STATUSES),
            },
        ).first()
    if row is None:
        return None
    objectives = []
    for o in row.objectives or []:
        if not isinstance(o, dict) or not o.get("objectiveId"):
            continue
        minutes = _number(o.get("estimatedMinutes"))
        objectives.append(
            MissionObjective(
                objective_id=str(o["objectiveId"]),
                estimated_minutes=minutes if minutes and minutes > 0 else 10.0,
                completed=bool(o.get("completed", False)),
            )
        )
    return MissionInfo(row.id, utc(row.date), tuple(objectives))


def _complexity(session: Session, objective_ids: Sequence[str]) -> ObjectiveComplexity:
    """The most demanding complexity among the mission's objectives (INTERMEDIATE without one)."""
    if not objective_ids:
        return ObjectiveComplexity.INTERMEDIATE
    levels = session.scalars(
        sa.text("SELECT complexity::text FROM learning_objectives WHERE id = ANY(:ids)"),
        {"ids": list(objective_ids)},
    ).all()
    order = [
        ObjectiveComplexity.BASIC,
        ObjectiveComplexity.INTERMEDIATE,
        ObjectiveComplexity.ADVANCED,
    ]
    found = [ObjectiveComplexity(v) for v in levels if v in {c.value for c in order}]
    return max(found, key=order.index) if found else ObjectiveComplexity.INTERMEDIATE


def _validations(
    session: Session, user_id: str, objectives: Sequence[MissionObjective], at: datetime
) -> tuple[ValidationPrompt, ...]:
    """A validation for each open mission objective not validated (score ≥ 0.7) in 14 days."""
    open_ids = [o.objective_id for o in objectives if not o.completed]
    if not open_ids:
        return ()
    validated = set(
        session.scalars(
            sa.text(
                'SELECT DISTINCT "objectiveId" FROM validation_responses WHERE "userId" = :u '
                'AND "objectiveId" = ANY(:ids) AND score >= :ok AND "respondedAt" >= :since '
                'AND "respondedAt" < :at'
            ),
            {
                "u": user_id,
                "ids": open_ids,
                "ok": VALIDATED_SCORE,
                "since": stored(at - timedelta(days=VALIDATION_RECENT_DAYS)),
                "at": stored(at),
            },
        )
    )
    return tuple(
        ValidationPrompt(f"{oid}:validation", oid, "EXPLAIN_TO_PATIENT")
        for oid in open_ids
        if oid not in validated
    )


def plan_content(
    session: Session,
    learner: Learner,
    at: datetime,
    minutes: float,
    mission_id: str | None,
    now: datetime,
) -> PlanContent:
    """Due cards (recall at ``at`` with the learner's model), new cards, the mission and struggles."""
    at = utc(at)
    user_id = learner.user_id
    weights = load_memory_model(session, user_id).model.weights
    due = []
    for card_id, objective_id, stability, last in session.execute(
        DUE_CARDS_SQL,
        {"u": user_id, "due": stored(at + timedelta(minutes=minutes)), "n": MAX_DUE_CARDS},
    ):
        elapsed = max(0.0, (at - utc(last)).total_seconds() / SECONDS_PER_DAY)
        recall = float(retrievability(weights, max(float(stability), 0.001), elapsed))
        due.append(DueCard(card_id, min(1.0, max(0.0, recall)), objective_id))
    mission = _mission(session, learner, at, mission_id)
    objective_ids = [o.objective_id for o in mission.objectives] if mission else []
    new = [
        NewCard(card_id, objective_id)
        for card_id, objective_id in session.execute(
            NEW_CARDS_SQL, {"u": user_id, "mission_objectives": objective_ids, "n": MAX_NEW_CARDS}
        )
    ]
    struggles = []
    for row in session.execute(
        STRUGGLES_SQL,
        {
            "u": user_id,
            "min_p": STRUGGLE_MIN_PROBABILITY,
            "horizon": stored(at + timedelta(days=STRUGGLE_HORIZON_DAYS)),
            "now": stored(now),
            "n": MAX_STRUGGLES,
        },
    ):
        kinds = tuple(
            dict.fromkeys(
                InterventionType(k)
                for k in row.interventions
                if k in InterventionType._value2member_map_
            )
        )
        struggles.append(StruggleForecast(row.objective_id, float(row.p), kinds))
    return PlanContent(
        due_cards=tuple(due),
        new_cards=tuple(new),
        mission=mission,
        validations=_validations(session, user_id, mission.objectives, at) if mission else (),
        struggles=tuple(struggles),
        complexity=_complexity(session, objective_ids),
    )
