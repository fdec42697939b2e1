"""What a study session's reviews and events say (ENGINE.md 5.4): load inputs, days of study.

Pure: the service reads the rows, these functions turn them into the analyses' inputs.

**Session load input** (:func:`session_load_input`) of one session:

- latencies: the reviews' time spent in review order; correct: rating ≠ AGAIN;
- within-session performance: GOOD/EASY share of four consecutive blocks of the
  session's reviews (from 8 reviews on; fewer: not measured);
- pauses: the ``SESSION_ENDED`` event's ``pauseCount`` / ``pausedMs`` when the platform
  sent them, otherwise idle gaps longer than 2 minutes between consecutive reviews (a
  review's time is the moment of the answer, so the idle time before review *i* is
  ``reviewedAt[i] − reviewedAt[i−1] − timeSpentMs[i]``);
- duration: the session's ``durationMs``, else the event's, else its end − start, else
  (a session in progress) its last activity − start.

**Days of study** (:func:`daily_aggregates`, burnout's input): per local day, study
minutes, the mean of the sessions' latest loads (plus readings without a session),
missions planned / completed or in progress / skipped (a mission still PENDING on the
window's last day is not missed yet), mean session performance, engagement, and the
minutes between 23:00 and 05:00 local (:func:`late_night_minutes`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from itertools import pairwise
from typing import Any

import numpy as np

from twin.analysis.cognitive.burnout import DailyStudyAggregate
from twin.analysis.cognitive.load import SessionLoadInput
from twin.analysis.common import aware_utc, local_date

PAUSE_GAP_MS = 120_000
"""Idle time between two consecutive reviews above which it counts as a pause."""
PERFORMANCE_BLOCKS = 4
"""Within-session performance: GOOD/EASY share per block, this many blocks ..."""
MIN_REVIEWS_PER_BLOCK = 2
"""... each of at least this many reviews (fewer reviews: decline not measured)."""
GOOD_RATINGS = frozenset({"GOOD", "EASY"})
AGAIN_RATING = "AGAIN"
PERCENT = 100.0
MS_PER_SECOND = 1000.0
SECONDS_PER_MINUTE = 60.0

LATE_NIGHT_START_HOUR_LOCAL = 23
LATE_NIGHT_END_HOUR_LOCAL = 5
DONE_MISSION_STATUSES = frozenset({"COMPLETED", "IN_PROGRESS"})
PENDING_MISSION_STATUS = "PENDING"
SKIPPED_MISSION_STATUS = "SKIPPED"


@dataclass(frozen=True, slots=True)
class ReviewFacts:
    """One review of a session: when it was answered, how long it took, the rating."""

    reviewed_at: datetime
    time_spent_ms: int
    rating: str
    objective_id: str | None = None


@dataclass(frozen=True)
class SessionFacts:
    """One study session as read for its load (naive-UTC times, reviews in order)."""

    session_id: str
    started_at: datetime
    completed_at: datetime | None = None
    duration_ms: int | None = None
    reviews: tuple[ReviewFacts, ...] = ()
    ended: Mapping[str, Any] | None = None
    """The ``SESSION_ENDED`` event's data, when the platform sent one."""
    ended_at: datetime | None = None

    @property
    def activity_at(self) -> datetime:
        """The session's latest activity (naive UTC)."""
        times = [self.started_at]
        if self.reviews:
            times.append(self.reviews[-1].reviewed_at)
        if self.completed_at is not None:
            times.append(self.completed_at)
        if self.ended_at is not None:
            times.append(self.ended_at)
        return max(times)

    @property
    def measurable(self) -> bool:
        """False for a session that has just started: no review and no end yet."""
        return bool(
            self.reviews
            or self.completed_at is not None
            or self.duration_ms is not None
            or self.ended is not None
        )

    @property
    def dominant_objective(self) -> str | None:
        """The objective most of the session's reviews belong to (ties: smallest id)."""
        counts = Counter(r.objective_id for r in self.reviews if r.objective_id is not None)
        if not counts:
            return None
        return min(counts, key=lambda o: (-counts[o], o))


def review_gap_pauses(reviews: Sequence[ReviewFacts]) -> tuple[int, float]:
    """(pauses, idle seconds): idle gaps longer than 2 minutes between consecutive reviews."""
    count, idle_ms = 0, 0.0
    for previous, current in pairwise(reviews):
        gap = (current.reviewed_at - previous.reviewed_at).total_seconds() * MS_PER_SECOND
        gap -= max(0, current.time_spent_ms)
        if gap > PAUSE_GAP_MS:
            count += 1
            idle_ms += gap
    return count, idle_ms / MS_PER_SECOND


def session_pauses(facts: SessionFacts) -> tuple[int, float]:
    """(pause count, paused seconds): from ``SESSION_ENDED`` when sent, else the review gaps."""
    ended = facts.ended or {}
    if isinstance(ended.get("pauseCount"), int | float):
        paused_ms = ended.get("pausedMs")
        seconds = float(paused_ms) / MS_PER_SECOND if isinstance(paused_ms, int | float) else 0.0
        return int(ended["pauseCount"]), max(0.0, seconds)
    return review_gap_pauses(facts.reviews)


def session_duration_seconds(facts: SessionFacts) -> float:
    """The session's length so far."""
    if facts.duration_ms is not None and facts.duration_ms > 0:
        return facts.duration_ms / MS_PER_SECOND
    ended = facts.ended or {}
    if isinstance(ended.get("durationMs"), int | float) and ended["durationMs"] > 0:
        return float(ended["durationMs"]) / MS_PER_SECOND
    end = facts.completed_at or facts.activity_at
    return max(0.0, (end - facts.started_at).total_seconds())


def block_performance(ratings: Sequence[str]) -> tuple[float, ...]:
    """GOOD/EASY share (0–100) of four consecutive blocks of reviews; () below 8 reviews."""
    if len(ratings) < PERFORMANCE_BLOCKS * MIN_REVIEWS_PER_BLOCK:
        return ()
    good = np.asarray([r in GOOD_RATINGS for r in ratings], dtype=float)
    return tuple(float(b.mean()) * PERCENT for b in np.array_split(good, PERFORMANCE_BLOCKS))


def session_load_input(
    facts: SessionFacts, baseline_ms: float | None, optimal_minutes: float | None
) -> SessionLoadInput:
    """The load analysis's input for one session."""
    pause_count, pause_seconds = session_pauses(facts)
    duration_s = session_duration_seconds(facts)
    return SessionLoadInput(
        latencies_ms=tuple(float(r.time_spent_ms) for r in facts.reviews),
        correct=tuple(r.rating != AGAIN_RATING for r in facts.reviews),
        pause_count=pause_count,
        pause_seconds=pause_seconds,
        active_seconds=max(0.0, duration_s - pause_seconds),
        performance_scores=block_performance([r.rating for r in facts.reviews]),
        duration_minutes=duration_s / SECONDS_PER_MINUTE,
        baseline_latency_ms=baseline_ms,
        optimal_session_minutes=optimal_minutes,
    )


# --- days of study (burnout's input) ---------------------------------------------------------


@dataclass(frozen=True)
class SessionSummary:
    """A past session with its latest load and outcomes."""

    session_id: str
    started_at: datetime
    duration_minutes: float
    load: float | None
    performance: float | None
    engagement: float | None
    topic_id: str | None = None
    difficulty: float | None = None

    @property
    def ended_at(self) -> datetime:
        """When the session ended (naive UTC)."""
        return self.started_at + timedelta(minutes=self.duration_minutes)


def late_night_minutes(start: datetime, end: datetime, zone: tzinfo) -> float:
    """Minutes of [start, end) (naive UTC) that fall between 23:00 and 05:00 local time."""
    local_start = aware_utc(start).astimezone(zone).replace(tzinfo=None)
    local_end = local_start + (end - start)
    total = 0.0
    day = local_start.date() - timedelta(days=1)
    while datetime(day.year, day.month, day.day) < local_end:
        base = datetime(day.year, day.month, day.day)
        lo = base + timedelta(hours=LATE_NIGHT_START_HOUR_LOCAL)
        hi = base + timedelta(days=1, hours=LATE_NIGHT_END_HOUR_LOCAL)
        overlap = (min(local_end, hi) - max(local_start, lo)).total_seconds()
        total += max(0.0, overlap) / SECONDS_PER_MINUTE
        day += timedelta(days=1)
    return total


def daily_aggregates(
    summaries: Sequence[SessionSummary],
    missions: Sequence[tuple[date, str]],
    loose_readings: Sequence[tuple[datetime, float]],
    zone: tzinfo,
    last_day: date,
) -> list[DailyStudyAggregate]:
    """Per local day: minutes, mean load, missions, performance, engagement, late-night minutes.

    ``missions`` are (local date, status); a PENDING mission from ``last_day`` on is not
    missed yet and does not count.
    """
    days: dict[date, dict[str, Any]] = defaultdict(
        lambda: {"minutes": 0.0, "loads": [], "perf": [], "eng": [], "late": 0.0}
    )
    for s in summaries:
        day = days[local_date(s.started_at, zone)]
        day["minutes"] += s.duration_minutes
        if s.load is not None:
            day["loads"].append(s.load)
        if s.performance is not None:
            day["perf"].append(s.performance)
        if s.engagement is not None:
            day["eng"].append(s.engagement)
        day["late"] += late_night_minutes(s.started_at, s.ended_at, zone)
    for ts, load in loose_readings:
        days[local_date(ts, zone)]["loads"].append(load)
    plans: dict[date, Counter[str]] = defaultdict(Counter)
    for plan_day, status in missions:
        if status == PENDING_MISSION_STATUS and plan_day >= last_day:
            continue  # not missed yet
        plans[plan_day]["planned"] += 1
        plans[plan_day]["done"] += status in DONE_MISSION_STATUSES
        plans[plan_day]["skipped"] += status == SKIPPED_MISSION_STATUS
    out = []
    for d in sorted(set(days) | set(plans)):
        found, plan = days.get(d), plans.get(d, Counter())
        out.append(
            DailyStudyAggregate(
                day=d,
                study_minutes=found["minutes"] if found else 0.0,
                mean_load=float(np.mean(found["loads"])) if found and found["loads"] else None,
                sessions_planned=plan["planned"],
                sessions_completed=plan["done"],
                sessions_skipped=plan["skipped"],
                mean_performance=float(np.mean(found["perf"])) if found and found["perf"] else None,
                engagement=float(np.mean(found["eng"])) if found and found["eng"] else None,
                late_night_minutes=found["late"] if found else 0.0,
            )
        )
    return out
