"""Did following the recommendations help? Adherence and outcome difference (ENGINE.md 5.3).

**Adherence** over a window: of the accepted slots that have started (start ≤ ``now``),
the share with a study session started within ±30 minutes of the slot's start (one
session per slot, closest start first), and of those the share whose duration is
within ±20% of the slot's planned minutes.

**Outcome difference**: sessions that followed a recommendation (matched to an accepted
slot) against all other sessions of the window, for performance (0–100) and retention
(0–1, sessions where it was measured), with n, the difference of means and its Welch
95% interval. Below 10 sessions in either group the answer is ``InsufficientData`` —
never a made-up number. The comparison is observational: learners who follow their
plan may differ on days they follow it in other ways too, so the interval says how
large the difference is, not that the plan caused it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from twin.analysis.common import InsufficientData
from twin.analysis.orchestration.common import iso, require_aware, rounded, utc
from twin.analysis.patterns.study_time import welch_difference

START_TOLERANCE_MINUTES = 30
DURATION_TOLERANCE_SHARE = 0.2
MIN_SESSIONS_PER_GROUP = 10
CONFIDENCE_LEVEL = 0.95


@dataclass(frozen=True)
class AcceptedSlot:
    """A slot the learner accepted (``appliedAt`` set): its start and planned minutes."""

    slot_id: str
    start: datetime
    duration_minutes: float

    def __post_init__(self) -> None:
        require_aware("start", self.start)
        object.__setattr__(self, "start", utc(self.start))
        if self.duration_minutes <= 0:
            raise ValueError(f"duration_minutes must be > 0, got {self.duration_minutes}")


@dataclass(frozen=True)
class SessionOutcome:
    """A study session that happened: start, minutes, performance (0–100) and retention (0–1)."""

    session_id: str
    started_at: datetime
    duration_minutes: float
    performance: float | None = None
    retention: float | None = None

    def __post_init__(self) -> None:
        require_aware("started_at", self.started_at)
        object.__setattr__(self, "started_at", utc(self.started_at))
        if self.duration_minutes < 0:
            raise ValueError(f"duration_minutes must be ≥ 0, got {self.duration_minutes}")
        if self.performance is not None and not 0.0 <= self.performance <= 100.0:
            raise ValueError(f"performance must be in [0, 100], got {self.performance}")
        if self.retention is not None and not 0.0 <= self.retention <= 1.0:
            raise ValueError(f"retention must be in [0, 1], got {self.retention}")


def match_sessions(
    slots: Sequence[AcceptedSlot], sessions: Sequence[SessionOutcome]
) -> dict[str, SessionOutcome]:
    """Slot id → the session started within ±30 min of it; one-to-one, closest pairs first."""
    tolerance = timedelta(minutes=START_TOLERANCE_MINUTES)
    pairs = sorted(
        (
            (abs(sess.started_at - slot.start), slot.start, sess.started_at, slot.slot_id, i)
            for slot in slots
            for i, sess in enumerate(sessions)
            if abs(sess.started_at - slot.start) <= tolerance
        ),
    )
    matched: dict[str, SessionOutcome] = {}
    used: set[int] = set()
    for _gap, _slot_start, _sess_start, slot_id, i in pairs:
        if slot_id in matched or i in used:
            continue
        matched[slot_id] = sessions[i]
        used.add(i)
    return matched


def duration_adhered(slot: AcceptedSlot, session: SessionOutcome) -> bool:
    """The session lasted within ±20% of the slot's planned minutes."""
    return (
        abs(session.duration_minutes - slot.duration_minutes)
        <= DURATION_TOLERANCE_SHARE * slot.duration_minutes
    )


@dataclass(frozen=True)
class Adherence:
    """How many accepted slots were followed, on time and for about the planned length."""

    accepted_slots: int
    started_on_time: int
    duration_within: int

    @property
    def start_rate(self) -> float | None:
        """Share of accepted slots with a session started within ±30 min."""
        return self.started_on_time / self.accepted_slots if self.accepted_slots else None

    @property
    def duration_rate(self) -> float | None:
        """Share of the followed slots whose session lasted within ±20% of the plan."""
        return self.duration_within / self.started_on_time if self.started_on_time else None

    def to_json(self) -> dict[str, object]:
        """JSON form."""
        return {
            "acceptedSlots": self.accepted_slots,
            "startedWithin30Min": self.started_on_time,
            "durationWithin20Percent": self.duration_within,
            "startRate": None if self.start_rate is None else rounded(self.start_rate),
            "durationRate": None if self.duration_rate is None else rounded(self.duration_rate),
        }


@dataclass(frozen=True)
class OutcomeDifference:
    """Followed minus not-followed sessions on one outcome, with its Welch 95% interval."""

    metric: str
    followed_n: int
    other_n: int
    followed_mean: float
    other_mean: float
    difference: float
    ci_low: float
    ci_high: float

    @property
    def detected(self) -> bool:
        """The interval excludes 0."""
        return self.ci_low > 0.0 or self.ci_high < 0.0

    def to_json(self) -> dict[str, object]:
        """JSON form."""
        return {
            "metric": self.metric,
            "followedN": self.followed_n,
            "otherN": self.other_n,
            "followedMean": rounded(self.followed_mean),
            "otherMean": rounded(self.other_mean),
            "difference": rounded(self.difference),
            "ciLow": rounded(self.ci_low),
            "ciHigh": rounded(self.ci_high),
            "confidenceLevel": CONFIDENCE_LEVEL,
            "detected": self.detected,
        }


def outcome_difference(
    metric: str, followed: Sequence[float], other: Sequence[float]
) -> OutcomeDifference | InsufficientData:
    """Welch difference of means with its 95% interval; InsufficientData below 10 in a group."""
    if len(followed) < MIN_SESSIONS_PER_GROUP:
        return InsufficientData("followedSessions", len(followed), MIN_SESSIONS_PER_GROUP)
    if len(other) < MIN_SESSIONS_PER_GROUP:
        return InsufficientData("otherSessions", len(other), MIN_SESSIONS_PER_GROUP)
    a = np.asarray(followed, dtype=float)
    b = np.asarray(other, dtype=float)
    w = welch_difference(a, b, confidence_level=CONFIDENCE_LEVEL)
    return OutcomeDifference(
        metric=metric,
        followed_n=len(a),
        other_n=len(b),
        followed_mean=float(a.mean()),
        other_mean=float(b.mean()),
        difference=w.difference,
        ci_low=w.ci_low,
        ci_high=w.ci_high,
    )


@dataclass(frozen=True)
class Effectiveness:
    """Adherence and outcome differences over ``[window_start, window_end)``."""

    window_start: datetime
    window_end: datetime
    adherence: Adherence
    performance: OutcomeDifference | InsufficientData
    retention: OutcomeDifference | InsufficientData

    def to_json(self) -> dict[str, object]:
        """JSON form; an insufficient-data answer is ``{"insufficientData": {...}}``."""

        def part(x: OutcomeDifference | InsufficientData) -> dict[str, object]:
            if isinstance(x, InsufficientData):
                return {"insufficientData": x.to_json()}
            return x.to_json()

        return {
            "from": iso(self.window_start),
            "to": iso(self.window_end),
            "adherence": self.adherence.to_json(),
            "performance": part(self.performance),
            "retention": part(self.retention),
        }


def measure_effectiveness(
    slots: Sequence[AcceptedSlot],
    sessions: Sequence[SessionOutcome],
    *,
    window_start: datetime,
    window_end: datetime,
) -> Effectiveness:
    """Adherence to the accepted slots of the window and the outcome difference it goes with."""
    require_aware("window_start", window_start)
    require_aware("window_end", window_end)
    in_slots = [s for s in slots if window_start <= s.start < window_end]
    in_sessions = [s for s in sessions if window_start <= s.started_at < window_end]
    matched = match_sessions(in_slots, in_sessions)
    by_id = {s.slot_id: s for s in in_slots}
    within = sum(1 for sid, sess in matched.items() if duration_adhered(by_id[sid], sess))
    followed_ids = {sess.session_id for sess in matched.values()}
    followed = [s for s in in_sessions if s.session_id in followed_ids]
    other = [s for s in in_sessions if s.session_id not in followed_ids]
    return Effectiveness(
        window_start=window_start,
        window_end=window_end,
        adherence=Adherence(len(in_slots), len(matched), within),
        performance=outcome_difference(
            "performance",
            [s.performance for s in followed if s.performance is not None],
            [s.performance for s in other if s.performance is not None],
        ),
        retention=outcome_difference(
            "retention",
            [s.retention for s in followed if s.retention is not None],
            [s.retention for s in other if s.retention is not None],
        ),
    )


ADAPTATION_WINDOW_DAYS = 7


@dataclass(frozen=True)
class PeriodOutcome:
    """Adherence and mean performance of the accepted slots and sessions of one period."""

    adherence: Adherence
    sessions: int
    mean_performance: float | None

    def to_json(self) -> dict[str, object]:
        """JSON form."""
        return {
            "adherence": self.adherence.to_json(),
            "sessions": self.sessions,
            "meanPerformance": None
            if self.mean_performance is None
            else rounded(self.mean_performance),
        }


@dataclass(frozen=True)
class AdaptationScore:
    """How the schedule went in the 7 days before an adaptation and the 7 days after it."""

    at: datetime
    before: PeriodOutcome
    after: PeriodOutcome
    complete: bool
    """True once the 7 days after the adaptation have passed."""


def _period(
    slots: Sequence[AcceptedSlot],
    sessions: Sequence[SessionOutcome],
    start: datetime,
    end: datetime,
) -> PeriodOutcome:
    in_slots = [s for s in slots if start <= s.start < end]
    in_sessions = [s for s in sessions if start <= s.started_at < end]
    matched = match_sessions(in_slots, in_sessions)
    by_id = {s.slot_id: s for s in in_slots}
    within = sum(1 for sid, sess in matched.items() if duration_adhered(by_id[sid], sess))
    scores = [s.performance for s in in_sessions if s.performance is not None]
    return PeriodOutcome(
        Adherence(len(in_slots), len(matched), within),
        len(in_sessions),
        float(np.mean(scores)) if scores else None,
    )


def score_adaptation(
    at: datetime,
    slots: Sequence[AcceptedSlot],
    sessions: Sequence[SessionOutcome],
    now: datetime,
    *,
    days: int = ADAPTATION_WINDOW_DAYS,
) -> AdaptationScore:
    """Adherence and performance in the ``days`` before ``at`` and after it (up to ``now``)."""
    require_aware("at", at)
    require_aware("now", now)
    at, now = utc(at), utc(now)
    span = timedelta(days=days)
    after_end = min(at + span, now)
    return AdaptationScore(
        at=at,
        before=_period(slots, sessions, at - span, at),
        after=_period(slots, sessions, at, after_end),
        complete=now >= at + span,
    )
