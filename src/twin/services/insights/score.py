"""The weekly behavioral score and the academic correlation (ENGINE.md 5.6).

**Scores** (``behavioral_scores``): the daily run recomputes the learner's current and
previous local week (and, the first time, every week since their first session, up to
:data:`MAX_BACKFILL_WEEKS`) from the same session and review aggregates as the pattern
analysis (:func:`twin.services.patterns.load_learner_data`) and the recommendations that
were open and applied that week; :func:`twin.analysis.insights.score.weekly_score` does the
rest. A stored week is what the dashboard, the correlation and the progress comparison read.

**Academic results**: validation responses (score × 100) and exam results
(``exam_results``, 0–100), each on the local date it was taken.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from twin.analysis.common import InsufficientData, aware_utc, local_date, naive_utc
from twin.analysis.insights.common import DAYS_PER_WEEK, PERCENT_MAX, week_start
from twin.analysis.insights.correlation import (
    AcademicCorrelation,
    AcademicResult,
    ResultKind,
    academic_correlation,
)
from twin.analysis.insights.score import Component, WeeklyScore, week_activity, weekly_score
from twin.analysis.patterns.inputs import ReviewObs
from twin.db.base import new_id
from twin.db.models import BehavioralScore, ExamResult, User
from twin.errors import NotFound
from twin.learners import Learner, analysis_learner, get_learner
from twin.services.insights.common import local_week, week_bounds
from twin.services.patterns import load_learner_data

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
_FIRST_SESSION_SQL = sa.text(
    'SELECT min("startedAt") FROM study_sessions WHERE "userId" = :u AND "completedAt" IS NOT NULL'
)


def _recommendation_counts(rows: list[Any], start: datetime, end: datetime) -> tuple[int, int]:
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
    have = session.scalar(
        sa.select(sa.func.count())
        .select_from(BehavioralScore)
        .where(BehavioralScore.userId == learner.user_id)
    )
    first_week = current - timedelta(days=DAYS_PER_WEEK * (RECENT_WEEKS - 1))
    if not have:
        first = session.scalar(_FIRST_SESSION_SQL, {"u": learner.user_id})
        if first is None:
            return []
        first_week = max(
            week_start(local_date(aware_utc(first), zone)),
            current - timedelta(days=DAYS_PER_WEEK * (MAX_BACKFILL_WEEKS - 1)),
        )
    since, _ = week_bounds(first_week, zone)
    user = session.get(User, learner.user_id)
    assert user is not None
    data = load_learner_data(session, user, now, since=aware_utc(since)).data
    reviews = [
        ReviewObs(r.card_id, aware_utc(r.reviewed_at).astimezone(zone), r.elapsed_days, r.recalled)
        for r in data.reviews
    ]
    recs = session.execute(_RECS_SQL, {"u": learner.user_id}).all()
    scores = []
    for monday in _week_starts(first_week, current):
        start, end = week_bounds(monday, zone)
        opened, applied = _recommendation_counts(list(recs), start, min(end, naive_utc(now)))
        activity = week_activity(
            monday,
            data.sessions,
            reviews,
            recommendations_open=opened,
            recommendations_applied=applied,
        )
        scores.append((weekly_score(activity), activity.sessions))
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
