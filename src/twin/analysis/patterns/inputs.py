"""Value objects the pattern analyses take: what the service aggregates from the database.

All datetimes are either all timezone-aware (sessions' ``started_at`` in the learner's
IANA zone, ``now`` in any zone) or all naive in the learner's local wall time. Hour of
day and weekday are read from ``started_at`` as given, so the service must convert to
the learner's zone first (``ts.astimezone(ZoneInfo(user.timezone))``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from twin.analysis.common import aware_utc

CONTENT_TYPES: tuple[str, ...] = ("lecture", "flashcard", "validation", "clinical_reasoning")
COMPLEXITIES: tuple[str, ...] = ("BASIC", "INTERMEDIATE", "ADVANCED")
PERCENT_MAX = 100.0


def _after(at: datetime, reference: datetime) -> bool:
    """``at > reference``; a naive value is read as UTC when the other is aware."""
    if (at.tzinfo is None) != (reference.tzinfo is None):
        return aware_utc(at) > aware_utc(reference)
    return at > reference


def _check_range(name: str, value: float | None, high: float) -> None:
    if value is not None and not 0.0 <= value <= high:
        raise ValueError(f"{name} must be in [0, {high:g}], got {value}")


@dataclass(frozen=True)
class ReviewMark:
    """One review inside a session: when (minutes after the session started) and whether it was right.

    ``correct`` is the service's call; the suggested rule is rating ≠ AGAIN (recalled).
    """

    minute: float
    correct: bool

    def __post_init__(self) -> None:
        if self.minute < 0:
            raise ValueError(f"minute must be ≥ 0, got {self.minute}")


@dataclass(frozen=True)
class SessionObs:
    """One completed study session, aggregated.

    ``performance`` 0-100 (share of GOOD/EASY reviews and validation scores),
    ``retention`` 0-1 (recall of the due reviews in the session), ``completion`` 0-1
    (objectives completed / planned; when None it is derived from the two counts if
    ``objectives_planned`` > 0), ``engagement`` 0-100. ``reviews`` are in time order or
    not (they are sorted on use); ``content_minutes`` is the content-type mix as
    (content type, minutes); ``complexity`` is BASIC / INTERMEDIATE / ADVANCED or None.
    """

    session_id: str
    started_at: datetime
    duration_minutes: float
    performance: float
    retention: float | None = None
    completion: float | None = None
    engagement: float | None = None
    objectives_planned: int = 0
    objectives_completed: int = 0
    reviews: tuple[ReviewMark, ...] = ()
    content_minutes: tuple[tuple[str, float], ...] = ()
    complexity: str | None = None

    def __post_init__(self) -> None:
        if self.duration_minutes < 0:
            raise ValueError(f"duration_minutes must be ≥ 0, got {self.duration_minutes}")
        _check_range("performance", self.performance, PERCENT_MAX)
        _check_range("retention", self.retention, 1.0)
        _check_range("completion", self.completion, 1.0)
        _check_range("engagement", self.engagement, PERCENT_MAX)
        if self.objectives_planned < 0 or self.objectives_completed < 0:
            raise ValueError("objective counts must be ≥ 0")
        if self.complexity is not None and self.complexity not in COMPLEXITIES:
            raise ValueError(f"complexity must be one of {COMPLEXITIES}, got {self.complexity!r}")
        for content_type, minutes in self.content_minutes:
            if content_type not in CONTENT_TYPES:
                raise ValueError(
                    f"content type must be one of {CONTENT_TYPES}, got {content_type!r}"
                )
            if minutes < 0:
                raise ValueError(f"content minutes must be ≥ 0, got {minutes}")

    @property
    def hour(self) -> int:
        """Local start hour, 0-23."""
        return self.started_at.hour

    @property
    def weekday(self) -> int:
        """Local weekday, 0 = Monday … 6 = Sunday."""
        return self.started_at.weekday()

    @property
    def completion_rate(self) -> float | None:
        """``completion`` if given, else completed / planned objectives (capped at 1), else None."""
        if self.completion is not None:
            return self.completion
        if self.objectives_planned > 0:
            return min(1.0, self.objectives_completed / self.objectives_planned)
        return None

    def sorted_reviews(self) -> tuple[ReviewMark, ...]:
        """The session's reviews in time order (ties keep a fixed order: wrong before right)."""
        return tuple(sorted(self.reviews, key=lambda r: (r.minute, r.correct)))


@dataclass(frozen=True)
class ReviewObs:
    """A repeat review of a card: days since that card's previous review, and whether it was recalled.

    Only reviews that have a previous review of the same card belong here (the service
    gets ``elapsed_days`` with ``LAG(reviewedAt) OVER (PARTITION BY cardId ORDER BY reviewedAt)``).
    ``repeat_number`` counts the card's repeats (1 = its second review) and
    ``previous_recalled`` says whether the review before this one was recalled; None when
    unknown. The learner-facing forgetting curve uses the first repeats after a recalled
    first review (see :mod:`twin.analysis.patterns.memory_curve`).
    """

    card_id: str
    reviewed_at: datetime
    elapsed_days: float
    recalled: bool
    repeat_number: int | None = None
    previous_recalled: bool | None = None

    def __post_init__(self) -> None:
        if self.elapsed_days < 0:
            raise ValueError(f"elapsed_days must be ≥ 0, got {self.elapsed_days}")
        if self.repeat_number is not None and self.repeat_number < 1:
            raise ValueError(f"repeat_number must be ≥ 1, got {self.repeat_number}")


@dataclass(frozen=True)
class ContentObs:
    """A learner's outcomes with one content type (means over the items of that type).

    ``items`` is how many items (reviews, validation responses, lecture views …) the
    means are over; ``minutes`` the time spent on the type. Any outcome may be None.
    """

    content_type: str
    items: int
    minutes: float
    performance: float | None = None
    retention: float | None = None
    completion: float | None = None
    engagement: float | None = None

    def __post_init__(self) -> None:
        if self.content_type not in CONTENT_TYPES:
            raise ValueError(
                f"content_type must be one of {CONTENT_TYPES}, got {self.content_type!r}"
            )
        if self.items < 0 or self.minutes < 0:
            raise ValueError("items and minutes must be ≥ 0")
        _check_range("performance", self.performance, PERCENT_MAX)
        _check_range("retention", self.retention, 1.0)
        _check_range("completion", self.completion, 1.0)
        _check_range("engagement", self.engagement, PERCENT_MAX)


@dataclass(frozen=True)
class LearnerData:
    """Everything one analysis of one learner needs, with the analysis time ``now``.

    ``sessions`` are the learner's completed sessions; ``reviews`` the repeat reviews
    (see ReviewObs); ``total_reviews`` counts all reviews, first ones included (defaults
    to ``len(reviews)``); ``first_session_at`` defaults to the earliest session start;
    ``content`` may be empty, then it is derived from the sessions' content mix.
    """

    now: datetime
    sessions: tuple[SessionObs, ...] = ()
    reviews: tuple[ReviewObs, ...] = ()
    content: tuple[ContentObs, ...] = ()
    total_reviews: int | None = None
    first_session_at: datetime | None = None
    last_analyzed_at: datetime | None = None
    # The learner's first and last activity (session or review) before ``now``, when the
    # caller knows them beyond the sessions and reviews given (see activity_bounds).
    first_activity_at: datetime | None = None
    last_activity_at: datetime | None = None

    @property
    def review_count(self) -> int:
        """All reviews of the learner (``total_reviews`` or the number of repeat reviews given)."""
        return len(self.reviews) if self.total_reviews is None else self.total_reviews

    @property
    def first_session(self) -> datetime | None:
        """Start of the learner's first session, if any."""
        if self.first_session_at is not None:
            return self.first_session_at
        return min((s.started_at for s in self.sessions), default=None)

    def activity_bounds(self) -> tuple[datetime | None, datetime | None]:
        """First and last activity: the given bounds, else sessions (start … end) and reviews."""
        starts = [s.started_at for s in self.sessions] + [r.reviewed_at for r in self.reviews]
        ends = [s.started_at + timedelta(minutes=s.duration_minutes) for s in self.sessions] + [
            r.reviewed_at for r in self.reviews
        ]
        first = self.first_activity_at or self.first_session_at or min(starts, default=None)
        last = self.last_activity_at or max(ends, default=None)
        return first, last

    @property
    def has_new_data(self) -> bool:
        """A session or review after ``last_analyzed_at`` (always True before the first analysis)."""
        last = self.last_analyzed_at
        if last is None:
            return True
        return any(_after(s.started_at, last) for s in self.sessions) or any(
            _after(r.reviewed_at, last) for r in self.reviews
        )

    def sessions_sorted(self) -> tuple[SessionObs, ...]:
        """Sessions in a canonical order (start, id) so results never depend on input order."""
        return tuple(sorted(self.sessions, key=lambda s: (s.started_at, s.session_id)))


def _mean(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def content_by_primary_type(
    sessions: Sequence[SessionObs], primary: dict[str, str]
) -> tuple[ContentObs, ...]:
    """Per content type, the mean outcomes of the sessions attributed to it (minutes from all sessions).

    ``primary`` maps a session id to its main content type (the service reads it from the
    session's start and end events); a session without one counts towards no type's
    outcomes, and its minutes count only through its content mix. A session with a type
    but no content mix adds its whole duration to that type.
    """
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
