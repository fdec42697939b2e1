"""Whether a learner has enough data for a full analysis, and whether a re-analysis is due.

A full analysis needs 6 weeks of data, 20 completed sessions and 50 reviews (ENGINE.md
5.1). The 6 weeks are the learner's **data span** — from their first session or review
to their last — not the time from the first session to today: a learner whose log spans
191 days but started 982 days ago has 191 days, one with a single review has 0 (the
source's "time since the first session" passed a one-review learner as "met" after six
weeks of silence). Each minimum is reported as ``{"have": x, "need": y}``;
overall progress is the mean of ``min(1, have/need)`` over the three (a mean, not a
minimum, so the progress bar moves whichever minimum the learner works on).
Re-analysis is due when the learner was never analysed, when 10 sessions have started
since ``lastAnalyzedAt``, or on request at most once a day unless forced.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from twin.analysis.common import rounded
from twin.analysis.patterns.inputs import LearnerData

FULL_ANALYSIS_MIN_SPAN = timedelta(weeks=6)
FULL_ANALYSIS_MIN_SESSIONS = 20
FULL_ANALYSIS_MIN_REVIEWS = 50
REANALYSIS_MIN_NEW_SESSIONS = 10
ON_REQUEST_MIN_INTERVAL = timedelta(days=1)
SECONDS_PER_DAY = 86_400.0


@dataclass(frozen=True)
class Sufficiency:
    """How far the learner is towards a full analysis."""

    span: timedelta
    completed_sessions: int
    reviews: int
    sessions_since_last_analysis: int
    reanalysis_due: bool

    @property
    def data_span_days(self) -> float:
        """Days from the learner's first session or review to their last (0 without data)."""
        return max(0.0, self.span.total_seconds() / SECONDS_PER_DAY)

    @property
    def minimums(self) -> dict[str, dict[str, float]]:
        """Each minimum as ``{"have": x, "need": y}``."""
        return {
            "dataSpanDays": {
                "have": rounded(self.data_span_days, 1),
                "need": FULL_ANALYSIS_MIN_SPAN.total_seconds() / SECONDS_PER_DAY,
            },
            "sessions": {"have": self.completed_sessions, "need": FULL_ANALYSIS_MIN_SESSIONS},
            "reviews": {"have": self.reviews, "need": FULL_ANALYSIS_MIN_REVIEWS},
        }

    @property
    def met(self) -> dict[str, bool]:
        """Which minimums are met (the span is compared exactly, as a time span)."""
        return {
            "dataSpanDays": self.span >= FULL_ANALYSIS_MIN_SPAN,
            "sessions": self.completed_sessions >= FULL_ANALYSIS_MIN_SESSIONS,
            "reviews": self.reviews >= FULL_ANALYSIS_MIN_REVIEWS,
        }

    @property
    def sufficient(self) -> bool:
        """All three minimums met."""
        return all(self.met.values())

    @property
    def missing(self) -> dict[str, dict[str, float]]:
        """The minimums not yet met, with how far along the learner is."""
        return {k: v for k, v in self.minimums.items() if not self.met[k]}

    @property
    def progress(self) -> float:
        """Mean over the minimums of ``min(1, have/need)``, in [0, 1]."""
        ratios = (
            self.span / FULL_ANALYSIS_MIN_SPAN,
            self.completed_sessions / FULL_ANALYSIS_MIN_SESSIONS,
            self.reviews / FULL_ANALYSIS_MIN_REVIEWS,
        )
        return sum(min(1.0, max(0.0, r)) for r in ratios) / len(ratios)


def data_span(first: datetime | None, last: datetime | None) -> timedelta:
    """``last − first`` (0 when either is missing or the order is reversed)."""
    if first is None or last is None:
        return timedelta(0)
    return max(last - first, timedelta(0))


def reanalysis_due(
    *,
    now: datetime,
    last_analyzed_at: datetime | None,
    new_sessions: int,
    requested: bool = False,
    forced: bool = False,
) -> bool:
    """Never analysed, ≥ 10 new sessions, or requested (at most once a day unless forced)."""
    if last_analyzed_at is None or new_sessions >= REANALYSIS_MIN_NEW_SESSIONS:
        return True
    if requested:
        return forced or now - last_analyzed_at >= ON_REQUEST_MIN_INTERVAL
    return False


def assess_sufficiency(
    data: LearnerData, *, requested: bool = False, forced: bool = False
) -> Sufficiency:
    """The learner's progress towards the full-analysis minimums and whether to re-analyse."""
    first_activity, last_activity = data.activity_bounds()
    last = data.last_analyzed_at
    new_sessions = (
        len(data.sessions) if last is None else sum(1 for s in data.sessions if s.started_at > last)
    )
    return Sufficiency(
        span=data_span(first_activity, last_activity),
        completed_sessions=len(data.sessions),
        reviews=data.review_count,
        sessions_since_last_analysis=new_sessions,
        reanalysis_due=reanalysis_due(
            now=data.now,
            last_analyzed_at=last,
            new_sessions=new_sessions,
            requested=requested,
            forced=forced,
        ),
    )
