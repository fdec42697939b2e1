"""What one pattern analysis reads of a learner (a few set-based queries), and the counts behind sufficiency.

See :mod:`twin.services.patterns` for what each query feeds: completed sessions with
their mission, objective completions, validations and session events; every review with
the previous review of its card; content by primary type (items as the fallback)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from twin.analysis.common import aware_utc, storage_time
from twin.analysis.patterns.inputs import (
    COMPLEXITIES,
    CONTENT_TYPES,
    PERCENT_MAX,
    ContentObs,
    LearnerData,
    ReviewMark,
    ReviewObs,
    SessionObs,
    content_by_primary_type,
)
from twin.analysis.patterns.sufficiency import Sufficiency, data_span, reanalysis_due
from twin.db.models import User

ENGAGEMENT_BY_LEVEL = {"LOW": 25.0, "MEDIUM": 60.0, "HIGH": 90.0}
CLINICAL_PROMPT_TYPES = frozenset({"CLINICAL_REASONING"})
SECONDS_PER_MINUTE = 60.0
MS_PER_MINUTE = 60_000.0


# --- counts and sufficiency ----------------------------------------------------------------


@dataclass(frozen=True)
class DataCounts:
    """The three numbers sufficiency depends on, plus sessions since the last analysis."""

    sessions: int
    first_session_at: datetime | None
    reviews: int
    new_sessions: int
    last_analyzed_at: datetime | None
    first_activity_at: datetime | None = None
    last_activity_at: datetime | None = None

    def sufficiency(self, now: datetime, *, requested: bool, forced: bool) -> Sufficiency:
        """The analysis module's Sufficiency from these counts (span: first to last activity)."""
        return Sufficiency(
            span=data_span(self.first_activity_at, self.last_activity_at),
            completed_sessions=self.sessions,
            reviews=self.reviews,
            sessions_since_last_analysis=self.new_sessions,
            reanalysis_due=reanalysis_due(
                now=now,
                last_analyzed_at=self.last_analyzed_at,
                new_sessions=self.new_sessions,
                requested=requested,
                forced=forced,
            ),
        )


COUNTS_SQL = sa.text(
    """
    WITH p AS (
      SELECT "lastAnalyzedAt" AS last_at FROM user_learning_profiles WHERE "userId" = :u
    ), s AS (
      SELECT count(*) AS n, min("startedAt") AS first_at,
             count(*) FILTER (
               WHERE "startedAt" > coalesce((SELECT last_at FROM p), '-infinity'::timestamp)
             ) AS new_n,
             max(least("completedAt", :now)) AS last_activity
      FROM study_sessions
      WHERE "userId" = :u AND "completedAt" IS NOT NULL AND "startedAt" < :now
    ), r AS (
      SELECT count(*) AS n, min("reviewedAt") AS first_at, max("reviewedAt") AS last_at
      FROM reviews WHERE "userId" = :u AND "reviewedAt" < :now
    )
    SELECT s.n, s.first_at, s.new_n, r.n AS reviews,
           least(s.first_at, r.first_at) AS first_activity,
           greatest(s.last_activity, r.last_at) AS last_activity,
           (SELECT last_at FROM p) AS last_at
    FROM s, r
    """
)


def data_counts(session: Session, user_id: str, now: datetime) -> DataCounts:
    """Completed sessions, first session, reviews and sessions since ``lastAnalyzedAt``, before ``now``."""
    row = session.execute(COUNTS_SQL, {"u": user_id, "now": storage_time(now)}).one()
    return DataCounts(
        sessions=int(row.n),
        first_session_at=aware_utc(row.first_at) if row.first_at is not None else None,
        reviews=int(row.reviews),
        new_sessions=int(row.new_n),
        last_analyzed_at=aware_utc(row.last_at) if row.last_at is not None else None,
        first_activity_at=(
            aware_utc(row.first_activity) if row.first_activity is not None else None
        ),
        last_activity_at=aware_utc(row.last_activity) if row.last_activity is not None else None,
    )


# --- loading -------------------------------------------------------------------------------


def _json_number(expression: str, name: str) -> str:
    """SQL for a JSON value as a double, NULL when it is not a number."""
    return (
        f"CASE WHEN jsonb_typeof({expression}) = 'number' "
        f"THEN ({expression})::text::double precision END AS {name}"
    )


# The learner's reviews before :now with "is a repeat review" (LAG over the card's reviews);
# shared by the session aggregates and the repeat-review list.
_REVIEWS_CTE = """
    rv AS (
      SELECT r."sessionId" AS sid, r."cardId" AS card_id, r.rating, r."reviewedAt" AS at,
             r."timeSpentMs" AS time_ms,
             lag(r."reviewedAt") OVER card_order AS previous_at,
             lag(r.rating) OVER card_order AS previous_rating,
             row_number() OVER card_order AS ordinal
      FROM reviews r
      WHERE r."userId" = :u AND r."reviewedAt" < :now
      WINDOW card_order AS (PARTITION BY r."cardId" ORDER BY r."reviewedAt", r.id)
    )
"""

SESSIONS_SQL = sa.text(
    "WITH "
    + _REVIEWS_CTE
    + """
    , ss AS (
      SELECT s.id, s."startedAt", s."completedAt", s."durationMs", s."missionId",
             s."objectiveCompletions"
      FROM study_sessions s
      WHERE s."userId" = :u AND s."completedAt" IS NOT NULL AND s."startedAt" < :now
        AND s."startedAt" >= :since
    ), cx AS (
      -- the complexity of each of the learner's cards (a few hundred rows, via their courses)
      SELECT c.id AS card_id, o.complexity
      FROM courses co
      JOIN cards c ON c."courseId" = co.id
      LEFT JOIN learning_objectives o ON o.id = c."objectiveId"
      WHERE co."userId" = :u
    ), ragg AS MATERIALIZED (
      -- grouped by the review's own session id, not joined with ss first: the planner
      -- cannot know that a learner's reviews belong to their sessions and would expect
      -- a handful of rows (then loop over the cards row by row). MATERIALIZED here and
      -- on ev and val: each is aggregated once; inlined, a planner that expects one row
      -- per learner (fresh or stale statistics) re-ran the aggregate for every session
      -- in a nested loop (3× the time for 12 weeks of data, measured)
      SELECT rv.sid,
             count(*) AS n,
             count(*) FILTER (WHERE rv.rating IN ('GOOD', 'EASY')) AS good,
             count(*) FILTER (WHERE rv.previous_at IS NOT NULL) AS repeats,
             count(*) FILTER (WHERE rv.previous_at IS NOT NULL AND rv.rating <> 'AGAIN')
               AS repeats_recalled,
             array_agg(extract(epoch FROM rv.at)::float8 ORDER BY rv.at) AS epochs,
             array_agg(rv.rating <> 'AGAIN' ORDER BY rv.at) AS correct,
             mode() WITHIN GROUP (ORDER BY cx.complexity)::text AS complexity
      FROM rv
      LEFT JOIN cx ON cx.card_id = rv.card_id
      WHERE rv.sid IS NOT NULL AND rv.at >= :since
      GROUP BY rv.sid
    ), ev AS MATERIALIZED (
      SELECT e."eventData"->>'sessionId' AS sid,
             max(e."contentType") FILTER (WHERE e."eventType" = 'SESSION_STARTED') AS start_type,
             max(e."contentType") FILTER (WHERE e."eventType" = 'SESSION_ENDED') AS end_type,
             (array_agg(e."eventData" ORDER BY e."timestamp" DESC)
                FILTER (WHERE e."eventType" = 'SESSION_ENDED'))[1] AS end_data,
             max(e."engagementLevel"::text) FILTER (WHERE e."eventType" = 'SESSION_ENDED') AS level
      FROM behavioral_events e
      WHERE e."userId" = :u AND e."eventType" IN ('SESSION_STARTED', 'SESSION_ENDED')
      GROUP BY 1
    ), val AS MATERIALIZED (
      SELECT v."sessionId" AS sid, count(*) AS n, sum(v.score) AS total
      FROM validation_responses v
      WHERE v."userId" = :u AND v."sessionId" IS NOT NULL AND v."respondedAt" < :now
      GROUP BY 1
    )
    SELECT ss.id,
           ss."startedAt" AT TIME ZONE 'UTC' AS started_at,
           extract(epoch FROM ss."startedAt")::float8 AS start_epoch,
           coalesce(ss."durationMs" / 60000.0,
                    extract(epoch FROM ss."completedAt" - ss."startedAt") / 60.0)::float8
             AS minutes,
           CASE WHEN jsonb_typeof(m.objectives) = 'array'
                THEN jsonb_array_length(m.objectives) END AS planned,
           CASE WHEN jsonb_typeof(ss."objectiveCompletions") = 'array'
                THEN jsonb_array_length(ss."objectiveCompletions") END AS completed,
           coalesce(ragg.n, 0) AS reviews, coalesce(ragg.good, 0) AS good,
           coalesce(ragg.repeats, 0) AS repeats,
           coalesce(ragg.repeats_recalled, 0) AS repeats_recalled,
           ragg.epochs AS review_epochs, ragg.correct AS review_correct, ragg.complexity,
           coalesce(val.n, 0) AS val_n, coalesce(val.total, 0) AS val_total,
           coalesce(ev.start_type, ev.end_type) AS content_type,
           """
    + _json_number("ev.end_data->'engagementScore'", "engagement_score")
    + """,
           ev.level AS engagement_level,
           """
    + ",\n           ".join(
        _json_number(f"ev.end_data->'contentMinutes'->'{t}'", f"minutes_{t}") for t in CONTENT_TYPES
    )
    + """
    FROM ss
    LEFT JOIN missions m ON m.id = ss."missionId"
    LEFT JOIN ragg ON ragg.sid = ss.id
    LEFT JOIN val ON val.sid = ss.id
    LEFT JOIN ev ON ev.sid = ss.id
    ORDER BY ss."startedAt", ss.id
    """
)

# Repeat reviews (cards reviewed before): days since the card's previous review, recalled.
REPEAT_REVIEWS_SQL = sa.text(
    "WITH "
    + _REVIEWS_CTE
    + """
    SELECT (extract(epoch FROM rv.at - rv.previous_at) / 86400.0)::float8 AS elapsed_days,
           rv.rating <> 'AGAIN' AS recalled,
           rv.at AT TIME ZONE 'UTC' AS reviewed_at,
           (rv.ordinal - 1)::int AS repeat_number,
           rv.previous_rating <> 'AGAIN' AS previous_recalled
    FROM rv
    WHERE rv.previous_at IS NOT NULL AND rv.at >= :since
    """
)

# Item-level content fallback (see the module docstring).
REVIEW_TOTALS_SQL = sa.text(
    "WITH "
    + _REVIEWS_CTE
    + """
    SELECT count(*) AS n,
           count(*) FILTER (WHERE rv.rating IN ('GOOD', 'EASY')) AS good,
           count(*) FILTER (WHERE rv.previous_at IS NOT NULL) AS repeats,
           count(*) FILTER (WHERE rv.previous_at IS NOT NULL AND rv.rating <> 'AGAIN')
             AS repeats_recalled,
           coalesce(sum(rv.time_ms), 0) AS time_ms
    FROM rv
    WHERE rv.at >= :since
    """
)

VALIDATIONS_BY_PROMPT_SQL = sa.text(
    """
    SELECT v."promptType" AS prompt_type, count(*) AS n, avg(v.score) AS mean_score
    FROM validation_responses v
    WHERE v."userId" = :u AND v."respondedAt" < :now AND v."respondedAt" >= :since
    GROUP BY 1
    """
)


@dataclass(frozen=True)
class LoadedData:
    """What :func:`load_learner_data` built: the analysis input and each session's content type."""

    data: LearnerData
    primary_types: dict[str, str]
    counts: DataCounts


def _engagement(score: float | None, level: str | None) -> float | None:
    if score is not None and math.isfinite(score):
        return min(PERCENT_MAX, max(0.0, score))
    return ENGAGEMENT_BY_LEVEL.get(level) if level is not None else None


def _content_minutes(row: Any) -> tuple[tuple[str, float], ...]:
    out = []
    for content_type in CONTENT_TYPES:
        minutes = getattr(row, f"minutes_{content_type}")
        if minutes is not None and math.isfinite(minutes) and minutes > 0:
            out.append((content_type, float(minutes)))
    return tuple(out)


def _primary_type(content_type: str | None, minutes: tuple[tuple[str, float], ...]) -> str | None:
    if content_type in CONTENT_TYPES:
        return content_type
    if minutes:
        return max(minutes, key=lambda m: (m[1], -CONTENT_TYPES.index(m[0])))[0]
    return None


def _item_level_content(session: Session, params: dict[str, Any]) -> tuple[ContentObs, ...]:
    """Fallback: reviews as flashcards, validations by prompt type (see the module docstring)."""
    out = []
    totals = session.execute(REVIEW_TOTALS_SQL, params).one()
    if totals.n:
        out.append(
            ContentObs(
                content_type="flashcard",
                items=int(totals.n),
                minutes=float(totals.time_ms) / MS_PER_MINUTE,
                performance=PERCENT_MAX * int(totals.good) / int(totals.n),
                retention=(
                    int(totals.repeats_recalled) / int(totals.repeats) if totals.repeats else None
                ),
            )
        )
    groups: dict[str, list[tuple[int, float]]] = {}
    for prompt_type, n, mean_score in session.execute(VALIDATIONS_BY_PROMPT_SQL, params):
        kind = "clinical_reasoning" if prompt_type in CLINICAL_PROMPT_TYPES else "validation"
        groups.setdefault(kind, []).append((int(n), float(mean_score)))
    for kind in ("validation", "clinical_reasoning"):
        if kind in groups:
            n = sum(k for k, _ in groups[kind])
            mean = sum(k * v for k, v in groups[kind]) / n
            out.append(
                ContentObs(
                    content_type=kind,
                    items=n,
                    minutes=0.0,
                    performance=min(PERCENT_MAX, max(0.0, PERCENT_MAX * mean)),
                )
            )
    return tuple(out)


@dataclass(frozen=True)
class LoadedSessions:
    """The learner's scored sessions, each session's primary content type, reviews in them."""

    sessions: tuple[SessionObs, ...]
    primary_types: dict[str, str]
    reviews_in_window: int


def load_sessions(
    session: Session, user: User, now: datetime, *, since: datetime | None = None
) -> LoadedSessions:
    """The learner's completed, scored sessions before ``now`` (from ``since`` if given).

    One query (:data:`SESSIONS_SQL`); what a study-time view needs, without the repeat
    reviews, the content fallback or the sufficiency counts of a full analysis.
    """
    now = aware_utc(now)
    zone = ZoneInfo(user.timezone)
    lower = aware_utc(since) if since is not None else datetime(1900, 1, 1, tzinfo=UTC)
    params = {"u": user.id, "now": storage_time(now), "since": storage_time(lower)}
    # psycopg prepares statements run 5 times on a connection; PostgreSQL then tries a
    # generic plan, which for these per-learner queries can be 5× slower (measured).
    session.execute(sa.text("SET LOCAL plan_cache_mode = force_custom_plan"))
    sessions: list[SessionObs] = []
    primary: dict[str, str] = {}
    reviews_in_window = 0
    for row in session.execute(SESSIONS_SQL, params).all():
        reviews = int(row.reviews)
        reviews_in_window += reviews
        items = reviews + int(row.val_n)
        if items == 0:
            continue  # no reviews and no validations: no performance to speak of
        minutes = _content_minutes(row)
        marks: tuple[ReviewMark, ...] = ()
        if reviews:
            start = row.start_epoch
            minutes_in = [
                (e - start) / SECONDS_PER_MINUTE if e > start else 0.0 for e in row.review_epochs
            ]
            # Positional and mapped: ReviewMark(minute, correct), a few thousand of them.
            marks = tuple(map(ReviewMark, minutes_in, row.review_correct))
        sessions.append(
            SessionObs(
                session_id=row.id,
                started_at=row.started_at.astimezone(zone),
                duration_minutes=max(0.0, row.minutes),
                performance=min(
                    PERCENT_MAX, PERCENT_MAX * (int(row.good) + float(row.val_total)) / items
                ),
                retention=int(row.repeats_recalled) / int(row.repeats) if row.repeats else None,
                engagement=_engagement(row.engagement_score, row.engagement_level),
                objectives_planned=int(row.planned or 0),
                objectives_completed=int(row.completed or 0) if row.planned else 0,
                reviews=marks,
                content_minutes=minutes,
                complexity=row.complexity if row.complexity in COMPLEXITIES else None,
            )
        )
        kind = _primary_type(row.content_type, minutes)
        if kind is not None:
            primary[row.id] = kind
    return LoadedSessions(tuple(sessions), primary, reviews_in_window)


def load_learner_data(
    session: Session,
    user: User,
    now: datetime,
    *,
    since: datetime | None = None,
    counts: DataCounts | None = None,
) -> LoadedData:
    """The learner's analysis input before ``now`` (sessions and reviews from ``since`` if given)."""
    now = aware_utc(now)
    lower = aware_utc(since) if since is not None else datetime(1900, 1, 1, tzinfo=UTC)
    counts = counts or data_counts(session, user.id, now)
    params = {"u": user.id, "now": storage_time(now), "since": storage_time(lower)}
    loaded = load_sessions(session, user, now, since=since)
    review_obs = [
        ReviewObs("", at, days if days > 0.0 else 0.0, ok, repeat, previous_ok)
        for days, ok, at, repeat, previous_ok in session.execute(REPEAT_REVIEWS_SQL, params).all()
    ]
    content = (
        content_by_primary_type(loaded.sessions, loaded.primary_types)
        if loaded.primary_types
        else _item_level_content(session, params)
    )
    data = LearnerData(
        now=now,
        sessions=loaded.sessions,
        reviews=tuple(review_obs),
        content=content,
        total_reviews=counts.reviews if since is None else loaded.reviews_in_window,
        first_session_at=counts.first_session_at if since is None else None,
        last_analyzed_at=counts.last_analyzed_at,
        first_activity_at=counts.first_activity_at if since is None else None,
        last_activity_at=counts.last_activity_at if since is None else None,
    )
    return LoadedData(data=data, primary_types=loaded.primary_types, counts=counts)
