"""What the schedule reads of a learner: sessions and their outcomes, the twin's timing numbers,
preferences, and the real content of a session plan (due and new cards, the mission, struggles).

Every query is scoped to one learner and reads only rows recorded before ``now`` (or, for
the content of a plan, the state at the plan's start). Few round trips per answer, each
reading aggregates, never row by row: a slot request reads the learner's context
(:data:`CONTEXT_SQL`, with the stored pending slots) and the session facts; a plan reads
its context and its content in one (:mod:`twin.services.orchestration.content`).

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

from twin.analysis.orchestration.busy import BusyInterval, BusyTime
from twin.analysis.orchestration.plan_inputs import (
    ItemTimes,
    LearnerTiming,
    OptimalWindow,
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
from twin.analysis.recall import DEFAULT_RECALL_MODEL, RecallModel
from twin.enums import BurnoutRiskLevel
from twin.learners import OPTIMAL_FROM_PROFILE, Learner
from twin.services.orchestration.busy import BusySnapshot
from twin.services.orchestration.common import CalendarKind, PlanStatus, stored, utc
from twin.services.patterns.loading import ENGAGEMENT_BY_LEVEL

HOUR_SCORE_WEEKS = 12
RECENT_DAYS = 14
WEEK_DAYS = 7
MEDIAN_WEEKS = 8
MIN_WEEKS_FOR_MEDIAN = 2
BURNOUT_MAX_AGE = timedelta(days=7)
PERCENT = 100.0
MS_PER_SECOND = 1000.0
ITEM_TIME_REVIEWS = 500
CALDAV_PROVIDER = CalendarKind.CALDAV.value
PLANNED_STATUS = PlanStatus.PLANNED.value


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
    session: Session,
    user_id: str,
    since: datetime,
    until: datetime,
    *,
    custom_plans_set: bool = False,
) -> list[SessionFacts]:
    """The learner's sessions started in ``[since, until)`` with their outcomes, in time order.

    ``custom_plans_set``: the transaction already runs with ``plan_cache_mode =
    force_custom_plan`` (:data:`CONTEXT_SQL` sets it), so it is not set again.
    """
    # psycopg prepares a statement run 5 times; PostgreSQL may then switch to a generic plan,
    # which for a per-learner aggregate is much slower than the plan for the learner's values.
    if not custom_plans_set:
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

CONTEXT_COLUMNS = """
      -- for the statements after this one (the session facts): see session_facts
      set_config('plan_cache_mode', 'force_custom_plan', true) AS plan_cache,
      (SELECT "meanLoad7d" FROM learner_load_profiles WHERE "userId" = :u) AS mean_load,
      (SELECT "riskLevel"::text FROM burnout_risk_assessments
        WHERE "userId" = :u AND "assessmentDate" <= :now AND "assessmentDate" > :burnout_since
        ORDER BY "assessmentDate" DESC LIMIT 1) AS burnout,
      (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY "timeSpentMs")
         FROM (SELECT "timeSpentMs" FROM reviews WHERE "userId" = :u AND "reviewedAt" < :now
               ORDER BY "reviewedAt" DESC LIMIT :n) r) AS review_ms,
      (SELECT coalesce(jsonb_agg(jsonb_build_array("patternType"::text, "patternData")
                                 ORDER BY "lastSeenAt" DESC), '[]'::jsonb)
         FROM behavioral_patterns
        WHERE "userId" = :u AND "patternType" IN ('OPTIMAL_STUDY_TIME', 'ATTENTION_CYCLE')
      ) AS patterns,
      (SELECT model FROM learner_memory_models WHERE "userId" = :u) AS memory_model,
      pr.windows, pr."sessionMinutes" AS session_minutes, pr."sessionsPerWeek" AS per_week,
      ci."userId" IS NOT NULL AS connected, ci."lastSyncAt" AS synced_at,
      coalesce(st."writeBack" AND ci."calendarProvider" = :caldav, false) AS write_back,
      busy.starts AS busy_starts, busy.ends AS busy_ends, busy.weights AS busy_weights,
      planned.starts AS planned_starts, planned.ends AS planned_ends,
      sm.ids AS session_ids, sm.starts AS session_starts, sm.minutes AS session_lengths,
      pending.slots AS pending_slots
"""
CONTEXT_JOINS = """
    LEFT JOIN schedule_preferences pr ON pr."userId" = :u
    LEFT JOIN calendar_integrations ci ON ci."userId" = :u
    LEFT JOIN calendar_sync_states st ON st."userId" = :u
    LEFT JOIN LATERAL (
      SELECT array_agg(b."startsAt" ORDER BY b."startsAt") AS starts,
             array_agg(b."endsAt" ORDER BY b."startsAt") AS ends,
             array_agg(b.weight ORDER BY b."startsAt") AS weights
      FROM calendar_busy_blocks b
      WHERE b."userId" = :u AND b."startsAt" < :window_end AND b."endsAt" > :window_start
    ) busy ON ci."userId" IS NOT NULL
    LEFT JOIN LATERAL (
      SELECT array_agg(p."plannedStart" ORDER BY p."plannedStart") AS starts,
             array_agg(p."plannedEnd" ORDER BY p."plannedStart") AS ends
      FROM planned_sessions p
      WHERE p."userId" = :u AND p.status = :planned
        AND p."plannedStart" < :window_end AND p."plannedEnd" > :window_start
        AND p."planId" <> :exclude
    ) planned ON true
    LEFT JOIN LATERAL (
      SELECT array_agg(s.id ORDER BY s."startedAt", s.id) AS ids,
             array_agg(s."startedAt" ORDER BY s."startedAt", s.id) AS starts,
             array_agg(coalesce(s."durationMs" / 60000.0,
                                extract(epoch FROM s."completedAt" - s."startedAt") / 60.0)::float8
                       ORDER BY s."startedAt", s.id) AS minutes
      FROM study_sessions s
      WHERE s."userId" = :u AND s."startedAt" >= :minutes_since AND s."startedAt" < :now
    ) sm ON :with_minutes
    LEFT JOIN LATERAL (
      SELECT jsonb_agg(jsonb_build_object('id', r.id, 'data', r."recommendedSchedule",
                                          'reasoning', r.reasoning)) AS slots
      FROM study_schedule_recommendations r
      WHERE r."userId" = :u AND r."appliedAt" IS NULL AND r."recommendedSchedule"->>'type' = 'slot'
        AND (r."recommendedSchedule"->>'start')::timestamptz >= CAST(:now_utc AS timestamptz)
    ) pending ON :with_pending
"""
CONTEXT_SQL = sa.text(f"SELECT {CONTEXT_COLUMNS} FROM (SELECT 1) AS one {CONTEXT_JOINS}")
"""Everything of a learner a slot or plan request reads besides the session facts and the
plan's items, in one round trip: timing numbers, patterns, preferences, the memory model,
the calendar (busy blocks of the window, sync time, write-back) and the PLANNED sessions of
the window; with ``with_minutes``, the lengths of the recent sessions (a plan's heavy-week rule);
with ``with_pending``, the learner's pending recommended slots that have not started."""


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


def number(value: Any) -> float | None:
    """``value`` as a finite float, or None."""
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


@dataclass(frozen=True)
class ScheduleContext:
    """A slot or plan request's reading of the learner (:func:`schedule_context`)."""

    inputs: ScheduleInputs
    busy: BusySnapshot
    planned: tuple[tuple[datetime, datetime], ...]
    """The learner's PLANNED sessions overlapping the window (their start and end)."""
    write_back: bool
    """CalDAV write-back is on: a change to the schedule is written to the study calendar."""
    recall_weights: Any
    pending_slots: tuple[dict[str, Any], ...] = ()
    """With ``pending_slots``: the stored pending slots not started yet (id, data, reasoning)."""


def facts_of_lengths(row: Any) -> list[SessionFacts]:
    ids, starts, lengths = row.session_ids or [], row.session_starts or [], row.session_lengths
    return [
        SessionFacts(i, utc(t), m, True, None, 0, None, None, None, None)
        for i, t, m in zip(ids, starts, lengths or [], strict=True)
    ]


def context_params(
    learner: Learner,
    now: datetime,
    window: tuple[datetime, datetime],
    *,
    hour_scores: bool,
    exclude: str | None,
    pending_slots: bool,
) -> dict[str, Any]:
    return {
        "u": learner.user_id,
        "now": stored(now),
        "burnout_since": stored(now - BURNOUT_MAX_AGE),
        "n": ITEM_TIME_REVIEWS,
        "caldav": CALDAV_PROVIDER,
        "planned": PLANNED_STATUS,
        "window_start": stored(window[0]),
        "window_end": stored(window[1]),
        "exclude": exclude or "",
        "with_minutes": not hour_scores,
        "minutes_since": stored(now - timedelta(weeks=MEDIAN_WEEKS + 1)),
        "with_pending": pending_slots,
        "now_utc": now,
    }


def context_of(
    learner: Learner, now: datetime, row: Any, facts: list[SessionFacts]
) -> ScheduleContext:
    busy = BusyTime.of(
        BusyInterval(utc(s), utc(e), float(w))
        for s, e, w in zip(
            row.busy_starts or [], row.busy_ends or [], row.busy_weights or [], strict=True
        )
    )
    synced = utc(row.synced_at) if row.synced_at else None
    model = row.memory_model
    return ScheduleContext(
        inputs=_inputs(learner, now, facts, row),
        busy=BusySnapshot(busy, synced, bool(row.connected)),
        planned=tuple(
            (utc(s), utc(e))
            for s, e in zip(row.planned_starts or [], row.planned_ends or [], strict=True)
        ),
        write_back=bool(row.write_back),
        recall_weights=(RecallModel.from_dict(model) if model else DEFAULT_RECALL_MODEL).weights,
        pending_slots=tuple(row.pending_slots or ()),
    )


def schedule_context(
    session: Session,
    learner: Learner,
    now: datetime,
    *,
    window: tuple[datetime, datetime],
    hour_scores: bool = True,
    exclude: str | None = None,
    pending_slots: bool = False,
) -> ScheduleContext:
    """The learner's inputs as of ``now``, busy time and planned sessions of ``window``.

    Two statements: :data:`CONTEXT_SQL`, then (with ``hour_scores``) the session facts of
    12 weeks. Without ``hour_scores`` (a plan needs only the timing numbers) the sessions
    come with their lengths only, and the hour-score table and recent sessions stay empty.
    ``exclude``: a plan whose own planned session is not counted (a plan being moved).
    ``pending_slots``: also read the stored pending slots (a slot request replaces them).
    """
    now = utc(now)
    params = context_params(
        learner,
        now,
        window,
        hour_scores=hour_scores,
        exclude=exclude,
        pending_slots=pending_slots,
    )
    row = session.execute(CONTEXT_SQL, params).one()
    if hour_scores:
        since = now - timedelta(weeks=HOUR_SCORE_WEEKS)
        facts = session_facts(session, learner.user_id, since, now, custom_plans_set=True)
    else:
        facts = facts_of_lengths(row)
    return context_of(learner, now, row, facts)


def schedule_inputs(
    session: Session, learner: Learner, now: datetime, *, hour_scores: bool = True
) -> ScheduleInputs:
    """The learner's hour scores, recent sessions, timing and preferences as of ``now``."""
    return schedule_context(
        session, learner, now, window=(utc(now), utc(now)), hour_scores=hour_scores
    ).inputs


def _inputs(learner: Learner, now: datetime, facts: list[SessionFacts], row: Any) -> ScheduleInputs:
    scored = session_obs(facts, learner)
    table = HourScoreTable(hour_scores_from_heatmap(build_heatmap(scored)))
    recent_since = now - timedelta(days=RECENT_DAYS)
    recent = tuple(
        RecentSession(f.started_at, f.performance)
        for f in facts
        if f.started_at >= recent_since and f.completed and f.performance is not None
    )
    fatigue: float | None = None
    windows: list[OptimalWindow] = []
    for kind, data in row.patterns or []:
        if not isinstance(data, dict):
            continue
        if kind == "ATTENTION_CYCLE" and fatigue is None:
            fatigue = number(data.get("medianTimeToFatigueMinutes"))
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
        recent_mean_load=number(row.mean_load),
        burnout=BurnoutRiskLevel(row.burnout) if row.burnout else None,
    )
    review_seconds = number(row.review_ms)
    return ScheduleInputs(
        hour_scores=table,
        recent=recent,
        timing=timing,
        item_times=ItemTimes(
            review_seconds=review_seconds / MS_PER_SECOND if review_seconds else None
        ),
        preferences=preference_windows(row.windows or []),
        session_minutes=row.session_minutes,
        sessions_per_week=row.per_week,
        sessions_scored=len(scored),
        facts=tuple(facts),
    )
