"""Learning-pattern recognition (ENGINE.md 5.1): load a learner's inputs, analyse, write the twin.

One analysis of one learner (:func:`analyze_user`), in the caller's transaction:

1. **Gates.** ``behavioralAnalysisEnabled = false`` → :class:`~twin.errors.Forbidden`.
   A transaction-level advisory lock per learner (``pg_try_advisory_xact_lock(5101,
   hashtext(userId))``) makes concurrent analyses of one learner impossible: a request
   that finds it taken gets :class:`~twin.errors.Conflict`, a scheduled run skips.
   On request, at most one run a day unless 10 sessions arrived since ``lastAnalyzedAt``
   or a service forces it (``Conflict`` says when the next run is allowed).
2. **Sufficiency** from three counts (completed sessions, the data span from the first to
   the last session or review, reviews). Below
   the minimums of a full analysis (6 weeks, 20 sessions, 50 reviews) the answer is
   ``insufficient_data`` with the progress towards each minimum, and **nothing is
   stored** — no patterns, no insights, no profile: a profile built from a handful of
   sessions would be shown as if it meant something. (The memory model is still
   refreshed: it has its own minimum.) ``GET learning-profile`` answers the same
   progress from the counts.
3. **Load** (:func:`load_learner_data`), a few set-based queries:

   * completed sessions with their mission (objectives planned), objective completions,
     validation count and score sum, and the ``SESSION_STARTED``/``SESSION_ENDED``
     events (content type, engagement, content minutes); local start time in the
     learner's IANA zone (``users.timezone``);
   * every review with ``LAG(reviewedAt) OVER (PARTITION BY cardId ORDER BY reviewedAt)``
     (plus the previous rating and the review's ordinal on its card, for the first
     repeats the forgetting curve is fitted on) and its objective's complexity. In
     Python they become, per session, performance =
     100 × (GOOD/EASY reviews + Σ validation scores) / (reviews + validations);
     retention = share of the session's *repeat* reviews recalled (rating ≠ AGAIN; the
     log does not record when each card was due, so a repeat review stands in for a due
     one); completion = objectives completed / planned (sessions without a mission have
     none); engagement = ``SESSION_ENDED.eventData.engagementScore`` (0-100), else its
     ``engagementLevel`` (LOW 25 / MEDIUM 60 / HIGH 90), else none; review marks (minute
     in session, recalled) for attention; complexity = the most common complexity of
     the session's reviewed objectives. Repeat reviews become ``ReviewObs`` (elapsed
     days from the LAG). Sessions with neither reviews nor validations have no
     performance and are left out.
   * **Content** (``ContentObs``): a session is attributed to its primary content type
     (the content type of its session events, else the type with most minutes in
     ``contentMinutes``); a type's outcomes are the means over its sessions, its minutes
     the sum of ``contentMinutes`` over all sessions. Attributing items instead (reviews
     → flashcard, validations → validation / clinical_reasoning by ``promptType``)
     cannot tell formats apart: every review is a flashcard whatever the session was
     about, and lectures have no scored items. That item-level view is the fallback
     when no session carries a content type.
4. **Analyse** with :func:`twin.analysis.patterns.profile.analyze_learner`
   (``style_profiling = users.learningStyleProfilingEnabled``).
5. **Write**: the pattern lifecycle (:func:`~twin.analysis.patterns.lifecycle.plan_lifecycle`
   on the stored patterns; ``key`` and ``consecutiveMisses`` live in ``patternData``);
   ≤ 5 new insights (:func:`~twin.analysis.patterns.insights.generate_insights`, skipping
   the keys of unacknowledged insights: :func:`open_insight_keys`) with their
   ``insight_patterns`` and their key in ``insight_keys`` (so the key outlives the
   pattern, which the lifecycle may delete while the insight is still open); the ``user_learning_profiles`` row (upsert, ``lastAnalyzedAt``,
   ``dataQualityScore``). With style profiling off no content preference or
   learning-style profile is stored, and stored content-preference patterns are deleted.

All times given to this module may be aware or naive-UTC; they are stored naive UTC.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from twin.analysis.patterns.common import DetectedPattern, PatternType, rounded
from twin.analysis.patterns.inputs import (
    COMPLEXITIES,
    CONTENT_TYPES,
    PERCENT_MAX,
    ContentObs,
    LearnerData,
    ReviewMark,
    ReviewObs,
    SessionObs,
)
from twin.analysis.patterns.insights import generate_insights
from twin.analysis.patterns.lifecycle import LifecyclePlan, StoredPattern, plan_lifecycle
from twin.analysis.patterns.profile import TwinAnalysis, analyze_learner
from twin.analysis.patterns.study_time import StudyTimeResult, analyze_study_time
from twin.analysis.patterns.sufficiency import (
    ON_REQUEST_MIN_INTERVAL,
    REANALYSIS_MIN_NEW_SESSIONS,
    Sufficiency,
    data_span,
    reanalysis_due,
)
from twin.db.base import new_id
from twin.db.models import (
    BehavioralInsight,
    BehavioralPattern,
    InsightKey,
    InsightPattern,
    User,
    UserLearningProfile,
)
from twin.enums import BehavioralPatternType, InsightType
from twin.errors import Conflict, Forbidden, NotFound
from twin.services.memory import MemoryRefresh, as_utc, naive_utc, refresh_memory_model
from twin.services.users import get_user

# First key of the two-key advisory lock: "pattern analysis of one learner".
ANALYSIS_LOCK_CLASS = 5101
TRIGGER_REQUEST = "request"
TRIGGER_SCHEDULED = "scheduled"
STATUS_ANALYZED = "analyzed"
STATUS_INSUFFICIENT = "insufficient_data"
STATUS_SKIPPED = "skipped"
STATUS_NOT_ANALYZED = "not_analyzed"

GOOD_RATINGS = frozenset({"GOOD", "EASY"})
AGAIN_RATING = "AGAIN"
ENGAGEMENT_BY_LEVEL = {"LOW": 25.0, "MEDIUM": 60.0, "HIGH": 90.0}
CLINICAL_PROMPT_TYPES = frozenset({"CLINICAL_REASONING"})
SECONDS_PER_DAY = 86_400.0
SECONDS_PER_MINUTE = 60.0
MS_PER_MINUTE = 60_000.0
DEFAULT_HEATMAP_WEEKS = 6
STYLE_PATTERN_TYPE = PatternType.CONTENT_TYPE_PREFERENCE.value
PATTERN_DATA_KEY = "key"
PATTERN_DATA_MISSES = "consecutiveMisses"


def check_analysis_consent(user_id: str, enabled: bool) -> None:
    """Forbidden (403) unless behavioural analysis is allowed: the one consent gate of every analysis."""
    if not enabled:
        raise Forbidden(
            f"behavioural analysis is switched off for learner {user_id!r} "
            "(users.behavioralAnalysisEnabled = false): no analysis or prediction runs and no "
            "derived data (patterns, insights, profile, predictions…) is kept; switch it on "
            f"with PATCH /v1/users/{user_id}/privacy",
            details={"behavioralAnalysisEnabled": False},
        )


def require_analysis_enabled(user: User) -> None:
    """Forbidden (403) unless the learner allows behavioural analysis."""
    check_analysis_consent(user.id, user.behavioralAnalysisEnabled)


def analysis_user(session: Session, user_id: str) -> User:
    """The learner (404 if unknown), checked for consent to behavioural analysis (403)."""
    user = get_user(session, user_id)
    require_analysis_enabled(user)
    return user


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
    row = session.execute(COUNTS_SQL, {"u": user_id, "now": naive_utc(now)}).one()
    return DataCounts(
        sessions=int(row.n),
        first_session_at=as_utc(row.first_at) if row.first_at is not None else None,
        reviews=int(row.reviews),
        new_sessions=int(row.new_n),
        last_analyzed_at=as_utc(row.last_at) if row.last_at is not None else None,
        first_activity_at=as_utc(row.first_activity) if row.first_activity is not None else None,
        last_activity_at=as_utc(row.last_activity) if row.last_activity is not None else None,
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
    ), ragg AS (
      -- grouped by the review's own session id, not joined with ss first: the planner
      -- cannot know that a learner's reviews belong to their sessions and would expect
      -- a handful of rows (then loop over the cards row by row)
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
    ), ev AS (
      SELECT e."eventData"->>'sessionId' AS sid,
             max(e."contentType") FILTER (WHERE e."eventType" = 'SESSION_STARTED') AS start_type,
             max(e."contentType") FILTER (WHERE e."eventType" = 'SESSION_ENDED') AS end_type,
             (array_agg(e."eventData" ORDER BY e."timestamp" DESC)
                FILTER (WHERE e."eventType" = 'SESSION_ENDED'))[1] AS end_data,
             max(e."engagementLevel"::text) FILTER (WHERE e."eventType" = 'SESSION_ENDED') AS level
      FROM behavioral_events e
      WHERE e."userId" = :u AND e."eventType" IN ('SESSION_STARTED', 'SESSION_ENDED')
      GROUP BY 1
    ), val AS (
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


def _mean(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def content_by_primary_type(
    sessions: Sequence[SessionObs], primary: dict[str, str]
) -> tuple[ContentObs, ...]:
    """Per content type, the mean outcomes of the sessions attributed to it (minutes from all sessions)."""
    minutes: dict[str, float] = dict.fromkeys(CONTENT_TYPES, 0.0)
    members: dict[str, list[SessionObs]] = {t: [] for t in CONTENT_TYPES}
    for s in sessions:
        for content_type, m in s.content_minutes:
            minutes[content_type] += m
        kind = primary.get(s.session_id)
        if kind is not None:
            members[kind].append(s)
            if not s.content_minutes:
                minutes[kind] += s.duration_minutes
    out = []
    for content_type in CONTENT_TYPES:
        group = members[content_type]
        if not group and minutes[content_type] <= 0:
            continue
        out.append(
            ContentObs(
                content_type=content_type,
                items=len(group),
                minutes=minutes[content_type],
                performance=_mean([s.performance for s in group]),
                retention=_mean([s.retention for s in group]),
                completion=_mean([s.completion_rate for s in group]),
                engagement=_mean([s.engagement for s in group]),
            )
        )
    return tuple(out)


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


def load_learner_data(
    session: Session,
    user: User,
    now: datetime,
    *,
    since: datetime | None = None,
    counts: DataCounts | None = None,
) -> LoadedData:
    """The learner's analysis input before ``now`` (sessions and reviews from ``since`` if given)."""
    now = as_utc(now)
    zone = ZoneInfo(user.timezone)
    lower = as_utc(since) if since is not None else datetime(1900, 1, 1, tzinfo=UTC)
    counts = counts or data_counts(session, user.id, now)
    params = {"u": user.id, "now": naive_utc(now), "since": naive_utc(lower)}
    # psycopg prepares statements run 5 times on a connection; PostgreSQL then tries a
    # generic plan, which for these per-learner queries can be 5× slower (measured).
    session.execute(sa.text("SET LOCAL plan_cache_mode = force_custom_plan"))
    review_obs = [
        ReviewObs("", at, days if days > 0.0 else 0.0, ok, repeat, previous_ok)
        for days, ok, at, repeat, previous_ok in session.execute(REPEAT_REVIEWS_SQL, params).all()
    ]
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

    content = (
        content_by_primary_type(sessions, primary)
        if primary
        else _item_level_content(session, params)
    )
    data = LearnerData(
        now=now,
        sessions=tuple(sessions),
        reviews=tuple(review_obs),
        content=content,
        total_reviews=counts.reviews if since is None else reviews_in_window,
        first_session_at=counts.first_session_at if since is None else None,
        last_analyzed_at=counts.last_analyzed_at,
        first_activity_at=counts.first_activity_at if since is None else None,
        last_activity_at=counts.last_activity_at if since is None else None,
    )
    return LoadedData(data=data, primary_types=primary, counts=counts)


# --- one analysis ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AnalysisOutcome:
    """What one call of :func:`analyze_user` did."""

    user_id: str
    status: str
    trigger: str
    now: datetime
    sufficiency: Sufficiency | None = None
    analysis: TwinAnalysis | None = None
    created: int = 0
    updated: int = 0
    deleted: int = 0
    not_saved: int = 0
    insight_ids: tuple[str, ...] = ()
    memory: MemoryRefresh | None = None
    reason: str | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        a = self.analysis
        return {
            "userId": self.user_id,
            "status": self.status,
            "trigger": self.trigger,
            "analyzedAt": self.now if self.status == STATUS_ANALYZED else None,
            "reason": self.reason,
            "sufficiency": self.sufficiency.to_dict() if self.sufficiency else None,
            "patterns": {
                "created": self.created,
                "updated": self.updated,
                "deleted": self.deleted,
                "notSaved": self.not_saved,
            },
            "insightsCreated": list(self.insight_ids),
            "dataQualityScore": a.profile.data_quality_score if a else None,
            "analyserConfidences": (
                {k: rounded(v) for k, v in a.analyser_confidences.items()} if a else {}
            ),
            "insufficient": a.insufficient if a else {},
            "notes": list(a.notes) if a else [],
            "memoryModel": (
                {
                    **self.memory.stored.summary(),
                    "refitted": self.memory.refitted,
                    "reviewsTotal": self.memory.reviews_total,
                }
                if self.memory
                else None
            ),
            "durationMs": round(self.seconds * 1000.0, 1),
        }


def try_lock_learner(session: Session, user_id: str) -> bool:
    """Take the learner's analysis lock for this transaction; False when another holds it."""
    return bool(
        session.execute(
            sa.text("SELECT pg_try_advisory_xact_lock(:c, hashtext(:u))"),
            {"c": ANALYSIS_LOCK_CLASS, "u": user_id},
        ).scalar_one()
    )


def _daily_limit_error(counts: DataCounts) -> Conflict:
    assert counts.last_analyzed_at is not None
    next_at = counts.last_analyzed_at + ON_REQUEST_MIN_INTERVAL
    needed = REANALYSIS_MIN_NEW_SESSIONS - counts.new_sessions
    return Conflict(
        f"this learner was analysed at {counts.last_analyzed_at.isoformat()}; an analysis on "
        f"request runs at most once a day: the next is allowed at {next_at.isoformat()}, or "
        f"earlier after {needed} more session(s) (10 new sessions since the last analysis). "
        'A service key may force it with {"force": true}.',
        details={
            "lastAnalyzedAt": counts.last_analyzed_at.isoformat(),
            "nextAllowedAt": next_at.isoformat(),
            "sessionsSinceLastAnalysis": counts.new_sessions,
            "sessionsForEarlierRun": REANALYSIS_MIN_NEW_SESSIONS,
        },
    )


def analyze_user(
    session: Session,
    user_id: str,
    *,
    now: datetime,
    trigger: str = TRIGGER_REQUEST,
    force: bool = False,
    skip_if_analyzed_since: datetime | None = None,
) -> AnalysisOutcome:
    """Analyse one learner and write patterns, insights and profile (see the module docstring).

    ``trigger`` is ``"request"`` (once a day unless ``force`` or 10 new sessions) or
    ``"scheduled"`` (never raises for a held lock, an analysis newer than
    ``skip_if_analyzed_since`` or a withdrawn consent: it reports ``skipped``).
    """
    began = time.perf_counter()
    now = as_utc(now)
    scheduled = trigger == TRIGGER_SCHEDULED

    def skipped(reason: str) -> AnalysisOutcome:
        return AnalysisOutcome(
            user_id,
            STATUS_SKIPPED,
            trigger,
            now,
            reason=reason,
            seconds=time.perf_counter() - began,
        )

    user = get_user(session, user_id)
    if scheduled and not user.behavioralAnalysisEnabled:
        return skipped("behavioural analysis is switched off")
    require_analysis_enabled(user)
    if not try_lock_learner(session, user_id):
        if scheduled:
            return skipped("another analysis of this learner is running")
        raise Conflict(
            f"an analysis of learner {user_id!r} is already running; try again in a minute"
        )
    counts = data_counts(session, user_id, now)
    if (
        scheduled
        and skip_if_analyzed_since is not None
        and counts.last_analyzed_at is not None
        and counts.last_analyzed_at >= as_utc(skip_if_analyzed_since)
    ):
        return skipped(f"already analysed at {counts.last_analyzed_at.isoformat()}")
    suff = counts.sufficiency(now, requested=not scheduled, forced=force)
    if not scheduled and not suff.reanalysis_due:
        raise _daily_limit_error(counts)
    memory = refresh_memory_model(session, user, now, reviews_total=counts.reviews)
    if not suff.sufficient:
        return AnalysisOutcome(
            user_id,
            STATUS_INSUFFICIENT,
            trigger,
            now,
            sufficiency=suff,
            memory=memory,
            reason="not enough data for a full analysis: nothing was stored",
            seconds=time.perf_counter() - began,
        )

    loaded = load_learner_data(session, user, now, counts=counts)
    analysis = analyze_learner(loaded.data, style_profiling=user.learningStyleProfilingEnabled)
    if not analysis.sufficiency.sufficient:
        # Sessions without any scored item were left out and the rest fall short.
        return AnalysisOutcome(
            user_id,
            STATUS_INSUFFICIENT,
            trigger,
            now,
            sufficiency=analysis.sufficiency,
            analysis=analysis,
            memory=memory,
            reason="not enough scored sessions for a full analysis: nothing was stored",
            seconds=time.perf_counter() - began,
        )
    written = _write_analysis(session, user, analysis, now)
    return AnalysisOutcome(
        user_id,
        STATUS_ANALYZED,
        trigger,
        now,
        sufficiency=suff,
        analysis=analysis,
        created=len(written.plan.creates),
        updated=len(written.plan.updates),
        deleted=len(written.plan.deletes) + written.style_deleted,
        not_saved=len(written.plan.not_saved),
        insight_ids=written.insight_ids,
        memory=memory,
        seconds=time.perf_counter() - began,
    )


# --- writing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Written:
    plan: LifecyclePlan
    insight_ids: tuple[str, ...]
    style_deleted: int


def _pattern_key(row: BehavioralPattern) -> str:
    # A row without a key (written by something else) never matches and fades out.
    return pattern_key(row) or f"unkeyed:{row.id}"


def _misses(row: BehavioralPattern) -> int:
    value = row.patternData.get(PATTERN_DATA_MISSES) if isinstance(row.patternData, dict) else None
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else 0


def _pattern_data(pattern: DetectedPattern, misses: int) -> dict[str, Any]:
    return {**pattern.data, PATTERN_DATA_KEY: pattern.key, PATTERN_DATA_MISSES: misses}


def stored_insight_keys(session: Session, user_id: str) -> set[str]:
    """Keys stored in ``insight_keys`` for the learner's unacknowledged insights."""
    return set(
        session.scalars(
            sa.select(InsightKey.key)
            .join(BehavioralInsight, BehavioralInsight.id == InsightKey.insightId)
            .where(
                InsightKey.userId == user_id,
                BehavioralInsight.userId == user_id,
                BehavioralInsight.acknowledgedAt.is_(None),
            )
        )
    )


def linked_insight_keys(session: Session, user_id: str) -> set[str]:
    """Keys derived from the patterns still linked to unacknowledged insights (type, key)."""
    rows = session.execute(
        sa.select(
            BehavioralInsight.insightType,
            BehavioralPattern.patternType,
            BehavioralPattern.patternData,
        )
        .join(InsightPattern, InsightPattern.insightId == BehavioralInsight.id)
        .join(BehavioralPattern, BehavioralPattern.id == InsightPattern.patternId)
        .where(BehavioralInsight.userId == user_id, BehavioralInsight.acknowledgedAt.is_(None))
    ).all()
    keys = set()
    for insight_type, pattern_type, data in rows:
        key = data.get(PATTERN_DATA_KEY) if isinstance(data, dict) else None
        if isinstance(key, str):
            keys.add(f"{insight_type.value}:{pattern_type.value}:{key}")
    return keys


def open_insight_keys(session: Session, user_id: str) -> set[str]:
    """Keys no new insight may take: those of the learner's unacknowledged insights.

    The stored key of each insight (``insight_keys``, written with it since migration
    0008) survives the deletion of the pattern it came from; the keys derived from the
    patterns still linked cover insights written before 0008 (no stored key) and keep
    blocking an insight about a secondary linked pattern, as before 0008.
    """
    return stored_insight_keys(session, user_id) | linked_insight_keys(session, user_id)


def _write_analysis(
    session: Session, user: User, analysis: TwinAnalysis, now: datetime
) -> _Written:
    stamp = naive_utc(now)
    rows = list(
        session.scalars(sa.select(BehavioralPattern).where(BehavioralPattern.userId == user.id))
    )
    style_rows = (
        []
        if user.learningStyleProfilingEnabled
        else [r for r in rows if r.patternType.value == STYLE_PATTERN_TYPE]
    )
    rows = [r for r in rows if r not in style_rows]
    by_id = {r.id: r for r in rows}
    stored = [
        StoredPattern(
            pattern_id=r.id,
            pattern_type=r.patternType.value,
            key=_pattern_key(r),
            confidence=r.confidence,
            occurrence_count=r.occurrenceCount,
            consecutive_misses=_misses(r),
            first_detected_at=as_utc(r.firstDetectedAt),
            last_seen_at=as_utc(r.lastSeenAt),
        )
        for r in rows
    ]
    plan = plan_lifecycle(stored, analysis.patterns, now=now, new_data=analysis.new_data)

    ids: dict[tuple[str, str], str] = {}
    for c in plan.creates:
        pattern_id = new_id()
        ids[(str(c.pattern.pattern_type), c.pattern.key)] = pattern_id
        session.add(
            BehavioralPattern(
                id=pattern_id,
                userId=user.id,
                patternType=BehavioralPatternType(str(c.pattern.pattern_type)),
                patternData=_pattern_data(c.pattern, 0),
                confidence=c.confidence,
                firstDetectedAt=stamp,
                lastSeenAt=stamp,
                detectedAt=stamp,
                patternName=c.pattern.name,
                evidence=list(c.pattern.evidence),
                occurrenceCount=c.occurrence_count,
            )
        )
    for u in plan.updates:
        row = by_id[u.pattern_id]
        row.confidence = u.confidence
        row.occurrenceCount = u.occurrence_count
        row.lastSeenAt = naive_utc(u.last_seen_at)
        if u.pattern is not None:
            ids[(u.pattern_type, u.key)] = u.pattern_id
            row.patternData = _pattern_data(u.pattern, u.consecutive_misses)
            row.patternName = u.pattern.name
            row.evidence = list(u.pattern.evidence)
            row.detectedAt = stamp
        else:
            row.patternData = {**row.patternData, PATTERN_DATA_MISSES: u.consecutive_misses}
    doomed = [d.pattern_id for d in plan.deletes] + [r.id for r in style_rows]
    session.flush()
    if doomed:
        session.execute(sa.delete(BehavioralPattern).where(BehavioralPattern.id.in_(doomed)))

    insights = generate_insights(
        plan.current(), open_insight_keys=open_insight_keys(session, user.id)
    )
    insight_ids = []
    for insight in insights:
        insight_id = new_id()
        insight_ids.append(insight_id)
        session.add(
            BehavioralInsight(
                id=insight_id,
                userId=user.id,
                insightType=InsightType(str(insight.insight_type)),
                title=insight.title,
                description=insight.description,
                actionableRecommendation=insight.actionable_recommendation,
                confidence=round(insight.confidence, 6),
                createdAt=stamp,
            )
        )
        session.add(
            InsightKey(
                id=new_id(), insightId=insight_id, userId=user.id, key=insight.key, createdAt=stamp
            )
        )
        linked = {ids[p] for p in insight.patterns if p in ids}
        for pattern_id in sorted(linked):
            session.add(InsightPattern(id=new_id(), insightId=insight_id, patternId=pattern_id))

    values = {
        **analysis.profile.to_dict(),
        "lastAnalyzedAt": stamp,
    }
    insert = pg_insert(UserLearningProfile).values(id=new_id(), userId=user.id, **values)
    session.execute(
        insert.on_conflict_do_update(
            index_elements=[UserLearningProfile.userId],
            set_={k: getattr(insert.excluded, k) for k in values},
        )
    )
    session.flush()
    return _Written(plan=plan, insight_ids=tuple(insight_ids), style_deleted=len(style_rows))


# --- reads -------------------------------------------------------------------------------------


def pattern_key(row: BehavioralPattern) -> str | None:
    """The lifecycle key stored in ``patternData`` (None for rows written elsewhere)."""
    key = row.patternData.get(PATTERN_DATA_KEY) if isinstance(row.patternData, dict) else None
    return key if isinstance(key, str) else None


def list_patterns(
    session: Session,
    user_id: str,
    *,
    pattern_type: str | None = None,
    min_confidence: float = 0.6,
    limit: int = 20,
) -> list[BehavioralPattern]:
    """The learner's patterns, most confident first, then most recently seen."""
    query = sa.select(BehavioralPattern).where(
        BehavioralPattern.userId == user_id, BehavioralPattern.confidence >= min_confidence
    )
    if pattern_type is not None:
        query = query.where(BehavioralPattern.patternType == BehavioralPatternType(pattern_type))
    query = query.order_by(
        BehavioralPattern.confidence.desc(),
        BehavioralPattern.lastSeenAt.desc(),
        BehavioralPattern.id,
    ).limit(limit)
    return list(session.scalars(query))


def open_insights(
    session: Session, user_id: str
) -> list[tuple[BehavioralInsight, list[BehavioralPattern]]]:
    """Unacknowledged insights, newest and most confident first, each with its patterns."""
    insights = list(
        session.scalars(
            sa.select(BehavioralInsight)
            .where(BehavioralInsight.userId == user_id, BehavioralInsight.acknowledgedAt.is_(None))
            .order_by(
                BehavioralInsight.createdAt.desc(),
                BehavioralInsight.confidence.desc(),
                BehavioralInsight.id,
            )
        )
    )
    links: dict[str, list[BehavioralPattern]] = {i.id: [] for i in insights}
    if insights:
        rows = session.execute(
            sa.select(InsightPattern.insightId, BehavioralPattern)
            .join(BehavioralPattern, BehavioralPattern.id == InsightPattern.patternId)
            .where(InsightPattern.insightId.in_(list(links)))
            .order_by(BehavioralPattern.confidence.desc(), BehavioralPattern.id)
        ).all()
        for insight_id, pattern in rows:
            links[insight_id].append(pattern)
    return [(i, links[i.id]) for i in insights]


def insight_patterns(session: Session, insight_id: str) -> list[BehavioralPattern]:
    """The patterns linked to one insight."""
    return list(
        session.scalars(
            sa.select(BehavioralPattern)
            .join(InsightPattern, InsightPattern.patternId == BehavioralPattern.id)
            .where(InsightPattern.insightId == insight_id)
            .order_by(BehavioralPattern.confidence.desc(), BehavioralPattern.id)
        )
    )


def acknowledge_insight(
    session: Session, user_id: str, insight_id: str, *, applied: bool | None, now: datetime
) -> BehavioralInsight:
    """Mark the insight seen (and applied, if said); a second call only updates ``applied``."""
    insight = session.scalar(
        sa.select(BehavioralInsight).where(
            BehavioralInsight.id == insight_id, BehavioralInsight.userId == user_id
        )
    )
    if insight is None:
        raise NotFound(f"learner {user_id!r} has no insight {insight_id!r}")
    if insight.acknowledgedAt is None:
        insight.acknowledgedAt = naive_utc(now)
    if applied is not None:
        insight.applied = applied
    session.flush()
    return insight


ProfileStatus = Literal["analyzed", "not_analyzed", "insufficient_data"]


@dataclass(frozen=True)
class ProfileView:
    """The stored profile (None before the first full analysis) and the data sufficiency now."""

    profile: UserLearningProfile | None
    sufficiency: Sufficiency
    status: ProfileStatus


def learning_profile(session: Session, user_id: str, now: datetime) -> ProfileView:
    """The learner's profile, or why there is none yet (progress towards each minimum)."""
    now = as_utc(now)
    profile = session.scalar(
        sa.select(UserLearningProfile).where(UserLearningProfile.userId == user_id)
    )
    suff = data_counts(session, user_id, now).sufficiency(now, requested=False, forced=False)
    status: ProfileStatus
    if profile is not None:
        status = "analyzed"
    elif suff.sufficient:
        status = "not_analyzed"
    else:
        status = "insufficient_data"
    return ProfileView(profile=profile, sufficiency=suff, status=status)


@dataclass(frozen=True)
class HeatmapView:
    """Weekday × local-hour performance over the last ``weeks`` weeks, with optimal windows."""

    weeks: int
    since: datetime
    until: datetime
    timezone: str
    sessions: int
    study_time: StudyTimeResult


def study_time_heatmap(session: Session, user: User, now: datetime, weeks: int) -> HeatmapView:
    """The 7 × 24 grid (mean performance, session count) and the optimal hours of the window."""
    now = as_utc(now)
    since = now - timedelta(weeks=weeks)
    loaded = load_learner_data(session, user, now, since=since)
    result = analyze_study_time(loaded.data.sessions_sorted())
    return HeatmapView(
        weeks=weeks,
        since=since,
        until=now,
        timezone=user.timezone,
        sessions=len(loaded.data.sessions),
        study_time=result,
    )


def delete_patterns(session: Session, user_id: str) -> dict[str, int]:
    """Delete the learner's patterns, insights (with their links) and profile; raw inputs stay."""
    counts = {}
    for table in ("behavioral_insights", "behavioral_patterns", "user_learning_profiles"):
        result = session.execute(
            sa.text(f'DELETE FROM "{table}" WHERE "userId" = :u'), {"u": user_id}
        )
        counts[table] = int(result.rowcount or 0)  # type: ignore[attr-defined]
    return counts


__all__ = [
    "ANALYSIS_LOCK_CLASS",
    "STATUS_ANALYZED",
    "STATUS_INSUFFICIENT",
    "STATUS_NOT_ANALYZED",
    "STATUS_SKIPPED",
    "TRIGGER_REQUEST",
    "TRIGGER_SCHEDULED",
    "AnalysisOutcome",
    "DataCounts",
    "HeatmapView",
    "LoadedData",
    "ProfileView",
    "acknowledge_insight",
    "analysis_user",
    "analyze_user",
    "check_analysis_consent",
    "content_by_primary_type",
    "data_counts",
    "delete_patterns",
    "insight_patterns",
    "learning_profile",
    "linked_insight_keys",
    "list_patterns",
    "load_learner_data",
    "open_insight_keys",
    "open_insights",
    "pattern_key",
    "require_analysis_enabled",
    "stored_insight_keys",
    "study_time_heatmap",
    "try_lock_learner",
]
