"""The weekly behavioral score and the academic correlation (ENGINE.md 5.6).

**Scores** (``behavioral_scores``): the daily run recomputes the learner's current and
previous local week (and, the first time, every week since their first session, up to
:data:`MAX_BACKFILL_WEEKS`) from the recommendations that were open and applied that week
and from the same session and repeat-review figures as the pattern analysis
(:func:`twin.services.patterns.load_learner_data`), read by :data:`SCORE_INPUT_SQL` — one
statement that returns only what the score uses (each session's performance, retention,
engagement and objectives; repeat reviews counted per local day), so a 12-week backfill
costs one pass over the learner's rows instead of the full analysis input, and the weeks
are bucketed in one pass (:func:`score_weeks`);
:func:`twin.analysis.insights.score.weekly_score` does the rest. A stored week is what the
dashboard, the correlation and the progress comparison read.

**Academic results**: validation responses (score × 100) and exam results
(``exam_results``, 0–100), each on the local date it was taken.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from twin.analysis.common import (
    InsufficientData,
    aware_utc,
    local_date,
    naive_utc,
    storage_time,
)
from twin.analysis.insights.common import DAYS_PER_WEEK, PERCENT_MAX, week_start
from twin.analysis.insights.correlation import (
    AcademicCorrelation,
    AcademicResult,
    ResultKind,
    academic_correlation,
)
from twin.analysis.insights.score import (
    Component,
    WeekActivity,
    WeeklyScore,
    week_activity,
    weekly_score,
)
from twin.analysis.patterns.inputs import SessionObs
from twin.db.base import new_id
from twin.db.models import BehavioralScore, ExamResult
from twin.errors import NotFound
from twin.learners import Learner, analysis_learner, get_learner
from twin.services.insights.common import local_week, week_bounds
from twin.services.patterns.loading import ENGAGEMENT_BY_LEVEL

MAX_BACKFILL_WEEKS = 26
RECENT_WEEKS = 2  # the current and the previous week are recomputed every day
DEFAULT_HISTORY_WEEKS = 12
MAX_HISTORY_WEEKS = 52
DEFAULT_CORRELATION_WEEKS = 26


def _week_starts(first: date, last: date) -> list[date]:
    return [first + timedelta(days=DAYS_PER_WEEK * i) for i in range((last - first).days // 7 + 1)]


_RECS_SQL = sa.text(
    'SELECT "createdAt", "appliedAt", "dismissedAt" FROM recommendations WHERE "userId" = :u'
)
_STATE_SQL = sa.text(
    'SELECT (SELECT count(*) FROM behavioral_scores WHERE "userId" = :u) AS have, '
    '(SELECT min("startedAt") FROM study_sessions '
    ' WHERE "userId" = :u AND "completedAt" IS NOT NULL) AS first_at'
)

# What the weekly score reads of a learner in [since, now), in one statement of five row
# kinds, joined by session id in Python (joined in SQL, the planner — expecting one session
# per learner — looped over the CTEs per session: 14 of 18 ms on 12 weeks, measured):
# 'S' a completed session and its objectives planned / completed; 'A' its reviews (all,
# good, repeat, repeat recalled); 'V' its validations (count, score total); 'E' its latest
# SESSION_ENDED event's engagement; 'R' a local day's repeat reviews and recalled ones ('V'
# covers every session of the learner, a few hundred rows by the user index: probing the
# session index once per session took 10 of 14 ms, measured). The
# definitions are the pattern analysis's (SESSIONS_SQL, REPEAT_REVIEWS_SQL): a repeat review
# has an earlier review of its card (ROW_NUMBER over all the card's reviews, as LAG there).
SCORE_INPUT_SQL = sa.text(
    """
    WITH rv AS MATERIALIZED (
      SELECT r."sessionId" AS sid, r.rating, r."reviewedAt" AS at,
             row_number() OVER (PARTITION BY r."cardId" ORDER BY r."reviewedAt", r.id) > 1
               AS repeat
      FROM reviews r
      WHERE r."userId" = :u AND r."reviewedAt" < :now
    ), ss AS MATERIALIZED (
      SELECT s.id, s."startedAt", s."missionId", s."objectiveCompletions"
      FROM study_sessions s
      WHERE s."userId" = :u AND s."completedAt" IS NOT NULL AND s."startedAt" < :now
        AND s."startedAt" >= :since
    )
    SELECT 'S' AS kind, ss.id AS sid, ss."startedAt" AT TIME ZONE 'UTC' AS started_at,
           NULL::date AS day,
           CASE WHEN jsonb_typeof(m.objectives) = 'array'
                THEN jsonb_array_length(m.objectives) END AS a,
           CASE WHEN jsonb_typeof(ss."objectiveCompletions") = 'array'
                THEN jsonb_array_length(ss."objectiveCompletions") END AS b,
           NULL::bigint AS c, NULL::bigint AS d, NULL::float8 AS x, NULL::text AS level
    FROM ss LEFT JOIN missions m ON m.id = ss."missionId"
    UNION ALL
    SELECT 'A', rv.sid, NULL, NULL, count(*),
           count(*) FILTER (WHERE rv.rating IN ('GOOD', 'EASY')),
           count(*) FILTER (WHERE rv.repeat),
           count(*) FILTER (WHERE rv.repeat AND rv.rating <> 'AGAIN'), NULL, NULL
    FROM rv WHERE rv.sid IS NOT NULL AND rv.at >= :since
    GROUP BY rv.sid
    UNION ALL
    SELECT 'V', v."sessionId", NULL, NULL, count(*), NULL, NULL, NULL, sum(v.score)::float8, NULL
    FROM validation_responses v
    WHERE v."userId" = :u AND v."sessionId" IS NOT NULL AND v."respondedAt" < :now
    GROUP BY v."sessionId"
    UNION ALL
    SELECT 'E', e.sid, NULL, NULL, NULL, NULL, NULL, NULL,
           CASE WHEN jsonb_typeof(e.score_json) = 'number'
                THEN e.score_json::text::double precision END,
           e.level
    FROM (
      SELECT e."eventData"->>'sessionId' AS sid,
             (array_agg(e."eventData"->'engagementScore' ORDER BY e."timestamp" DESC))[1]
               AS score_json,
             max(e."engagementLevel"::text) AS level
      FROM behavioral_events e
      WHERE e."userId" = :u AND e."eventType" = 'SESSION_ENDED'
        AND e."eventData"->>'sessionId' IN (SELECT id FROM ss)
      GROUP BY 1
    ) e
    UNION ALL
    SELECT 'R', NULL, NULL, ((rv.at AT TIME ZONE 'UTC') AT TIME ZONE :tz)::date, count(*),
           count(*) FILTER (WHERE rv.rating <> 'AGAIN'), NULL, NULL, NULL, NULL
    FROM rv WHERE rv.repeat AND rv.at >= :since
    GROUP BY 4
    """
)


@dataclass(frozen=True)
class ScoreInput:
    """What the score reads of a learner: scored sessions (local time), repeat reviews per day."""

    sessions: tuple[SessionObs, ...]
    repeat_reviews: dict[date, tuple[int, int]]
    """Local day → (repeat reviews, recalled)."""


def _engagement(score: float | None, level: str | None) -> float | None:
    """As the pattern analysis reads it: the event's score (clamped), else its level's."""
    if score is not None and math.isfinite(score):
        return min(PERCENT_MAX, max(0.0, score))
    return ENGAGEMENT_BY_LEVEL.get(level) if level is not None else None


def score_input(session: Session, learner: Learner, since: datetime, now: datetime) -> ScoreInput:
    """The learner's sessions and repeat reviews in [since, now) as the score uses them."""
    zone = learner.zone
    params = {
        "u": learner.user_id,
        "since": storage_time(since),
        "now": storage_time(now),
        "tz": zone.key,
    }
    started: dict[str, tuple[datetime, int, int]] = {}
    reviews: dict[str, tuple[int, int, int, int]] = {}
    validations: dict[str, tuple[int, float]] = {}
    engagement: dict[str, float | None] = {}
    days: dict[date, tuple[int, int]] = {}
    for row in session.execute(SCORE_INPUT_SQL, params):
        if row.kind == "S":
            planned = int(row.a or 0)
            started[row.sid] = (row.started_at, planned, int(row.b or 0) if planned else 0)
        elif row.kind == "A":
            reviews[row.sid] = (int(row.a), int(row.b), int(row.c), int(row.d))
        elif row.kind == "V":
            validations[row.sid] = (int(row.a), float(row.x or 0.0))
        elif row.kind == "E":
            engagement[row.sid] = _engagement(row.x, row.level)
        else:
            days[row.day] = (int(row.a), int(row.b))
    sessions = []
    for sid, (at, planned, completed) in sorted(started.items(), key=lambda kv: (kv[1][0], kv[0])):
        n, good, repeats, recalled = reviews.get(sid, (0, 0, 0, 0))
        val_n, val_total = validations.get(sid, (0, 0.0))
        items = n + val_n
        if items == 0:
            continue  # no reviews and no validations: no performance (as the analysis)
        sessions.append(
            SessionObs(
                session_id=sid,
                started_at=at.astimezone(zone),
                duration_minutes=0.0,
                performance=min(PERCENT_MAX, PERCENT_MAX * (good + val_total) / items),
                retention=recalled / repeats if repeats else None,
                engagement=engagement.get(sid),
                objectives_planned=planned,
                objectives_completed=completed,
            )
        )
    return ScoreInput(tuple(sessions), days)


def score_weeks(
    mondays: list[date], data: ScoreInput, recommendation_counts: list[tuple[int, int]]
) -> list[WeekActivity]:
    """Each week's activity, the sessions and review days bucketed by week in one pass."""
    by_week: dict[date, list[SessionObs]] = {m: [] for m in mondays}
    for s in data.sessions:
        by_week.setdefault(week_start(s.started_at.date()), []).append(s)
    reviews: dict[date, list[int]] = {m: [0, 0] for m in mondays}
    for day, (n, recalled) in data.repeat_reviews.items():
        bucket = reviews.setdefault(week_start(day), [0, 0])
        bucket[0] += n
        bucket[1] += recalled
    out = []
    for monday, (opened, applied) in zip(mondays, recommendation_counts, strict=True):
        activity = week_activity(
            monday,
            by_week[monday],
            recommendations_open=opened,
            recommendations_applied=applied,
        )
        n, recalled = reviews[monday]
        out.append(replace(activity, reviews=n, reviews_recalled=recalled))
    return out


def _recommendation_counts(rows: Sequence[Any], start: datetime, end: datetime) -> tuple[int, int]:
    """(open during [start, end), applied in it): open = existed, not dismissed/applied before."""
    opened = applied = 0
    for created, applied_at, dismissed_at in rows:
        if created >= end:
            continue
        if dismissed_at is not None and dismissed_at < start:
            continue
        if applied_at is not None and applied_at < start:
            continue
        opened += 1
        applied += applied_at is not None and start <= applied_at < end
    return opened, applied


def refresh_scores(session: Session, learner: Learner, now: datetime) -> list[WeeklyScore]:
    """Recompute the recent weeks (every week since the first session the first time); upsert them."""
    now = aware_utc(now)
    zone = learner.zone
    current = local_week(now, zone)
    state = session.execute(_STATE_SQL, {"u": learner.user_id}).one()
    first_week = current - timedelta(days=DAYS_PER_WEEK * (RECENT_WEEKS - 1))
    if not state.have:
        if state.first_at is None:
            return []
        first_week = max(
            week_start(local_date(aware_utc(state.first_at), zone)),
            current - timedelta(days=DAYS_PER_WEEK * (MAX_BACKFILL_WEEKS - 1)),
        )
    since, _ = week_bounds(first_week, zone)
    data = score_input(session, learner, aware_utc(since), now)
    recs = session.execute(_RECS_SQL, {"u": learner.user_id}).all()
    mondays = _week_starts(first_week, current)
    counts = []
    for monday in mondays:
        start, end = week_bounds(monday, zone)
        counts.append(_recommendation_counts(recs, start, min(end, naive_utc(now))))
    scores = [(weekly_score(a), a.sessions) for a in score_weeks(mondays, data, counts)]
    at = naive_utc(now)
    rows = [
        {
            "id": new_id(),
            "userId": learner.user_id,
            "weekStart": s.week_start,
            "score": s.score,
            "components": {
                str(c): None if v is None else round(v, 2) for c, v in s.components.items()
            },
            "sessions": n,
            "computedAt": at,
        }
        for s, n in scores
    ]
    if rows:
        stmt = postgresql.insert(BehavioralScore).values(rows)
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=["userId", "weekStart"],
                set_={
                    "score": stmt.excluded.score,
                    "components": stmt.excluded.components,
                    "sessions": stmt.excluded.sessions,
                    "computedAt": stmt.excluded.computedAt,
                },
            )
        )
    return [s for s, _ in scores]


def _weekly(row: BehavioralScore) -> WeeklyScore:
    parts: dict[Component, float | None] = {}
    for c in Component:
        v = (row.components or {}).get(str(c))
        parts[c] = float(v) if isinstance(v, int | float) else None
    return WeeklyScore(row.weekStart, row.score, parts)


@dataclass(frozen=True)
class ScoreWeek:
    """One stored week: its score, components (None = not measured) and sessions."""

    week_start: date
    score: float
    components: dict[str, float | None]
    missing: tuple[str, ...]
    sessions: int
    complete: bool


@dataclass(frozen=True)
class ScoreHistory:
    """The learner's weekly scores, oldest first, and the latest complete week's."""

    weeks: tuple[ScoreWeek, ...]
    latest: ScoreWeek | None
    weights: dict[str, float]


def stored_scores(
    session: Session, user_id: str, *, weeks: int, until: date | None = None
) -> list[BehavioralScore]:
    """The last ``weeks`` stored weeks (up to ``until``), oldest first."""
    query = sa.select(BehavioralScore).where(BehavioralScore.userId == user_id)
    if until is not None:
        query = query.where(BehavioralScore.weekStart <= until)
    rows = list(session.scalars(query.order_by(BehavioralScore.weekStart.desc()).limit(weeks)))
    return rows[::-1]


def _week_view(row: BehavioralScore, current: date) -> ScoreWeek:
    w = _weekly(row)
    return ScoreWeek(
        week_start=row.weekStart,
        score=row.score,
        components={str(c): v for c, v in w.components.items()},
        missing=tuple(str(c) for c in w.missing),
        sessions=row.sessions,
        complete=row.weekStart < current,
    )


def score_history(session: Session, user_id: str, now: datetime, weeks: int) -> ScoreHistory:
    """The last ``weeks`` weekly scores (the current, partial week included and marked)."""
    from twin.analysis.insights.score import COMPONENT_WEIGHTS

    learner = analysis_learner(session, user_id)
    current = local_week(now, learner.zone)
    views = [_week_view(r, current) for r in stored_scores(session, user_id, weeks=weeks)]
    complete = [v for v in views if v.complete]
    return ScoreHistory(
        weeks=tuple(views),
        latest=complete[-1] if complete else (views[-1] if views else None),
        weights={str(c): w for c, w in COMPONENT_WEIGHTS.items()},
    )


_VALIDATIONS_SQL = sa.text(
    'SELECT "respondedAt", score FROM validation_responses '
    'WHERE "userId" = :u AND "respondedAt" >= :a AND "respondedAt" < :b'
)


def academic_results(
    session: Session, learner: Learner, since: datetime, until: datetime
) -> list[AcademicResult]:
    """Validation (× 100) and exam results taken in [since, until), on local dates."""
    params = {"u": learner.user_id, "a": naive_utc(since), "b": naive_utc(until)}
    out = [
        AcademicResult(
            local_date(aware_utc(at), learner.zone),
            min(PERCENT_MAX, max(0.0, PERCENT_MAX * float(score))),
            ResultKind.VALIDATION,
        )
        for at, score in session.execute(_VALIDATIONS_SQL, params)
    ]
    out += [
        AcademicResult(local_date(aware_utc(e.takenAt), learner.zone), e.score, ResultKind.EXAM)
        for e in session.scalars(
            sa.select(ExamResult).where(
                ExamResult.userId == learner.user_id,
                ExamResult.takenAt >= params["a"],
                ExamResult.takenAt < params["b"],
            )
        )
    ]
    return out


def correlation(
    session: Session, user_id: str, now: datetime, weeks: int = DEFAULT_CORRELATION_WEEKS
) -> AcademicCorrelation | InsufficientData:
    """Weekly score vs results over the last ``weeks`` complete weeks."""
    learner = analysis_learner(session, user_id)
    current = local_week(now, learner.zone)
    rows = stored_scores(
        session, user_id, weeks=weeks, until=current - timedelta(days=DAYS_PER_WEEK)
    )
    if not rows:
        return InsufficientData("weeksWithScoreAndResults", 0, 8)
    since, _ = week_bounds(rows[0].weekStart, learner.zone)
    until, _ = week_bounds(current, learner.zone)
    results = academic_results(session, learner, since, until)
    return academic_correlation([(r.weekStart, r.score) for r in rows], results)


def add_exam_result(
    session: Session, user_id: str, score: float, taken_at: datetime, exam_id: str | None
) -> ExamResult:
    """Store an exam result (raw input: 404 for an unknown learner or exam of theirs)."""
    get_learner(session, user_id)
    if exam_id is not None:
        owner = session.scalar(sa.text('SELECT "userId" FROM exams WHERE id = :e'), {"e": exam_id})
        if owner != user_id:
            raise NotFound(f"learner {user_id!r} has no exam {exam_id!r}")
    row = ExamResult(
        id=new_id(), userId=user_id, examId=exam_id, score=score, takenAt=naive_utc(taken_at)
    )
    session.add(row)
    session.flush()
    return row


def weekly_scores_of(rows: list[BehavioralScore]) -> list[WeeklyScore]:
    """Stored rows as the analysis's WeeklyScore."""
    return [_weekly(r) for r in rows]
