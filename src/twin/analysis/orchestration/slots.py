"""Recommended study slots around the learner's calendar (ENGINE.md 5.3 "Time slots").

Candidates start every 30 minutes of local wall time from 06:00; a candidate's session
must end by 23:00 local, and it needs a block of the planned duration plus a 10-minute
buffer after it — ``[start, start + duration + 10 min)`` — with nothing busy in it.
Durations are real minutes, so on a DST day a 60-minute slot is 60 minutes long and
wall times in the spring-forward gap are never offered (fall-back repeats are offered
once, at their first occurrence).

``score = 0.4·historical + 0.3·availability + 0.2·preference + 0.1·recentSuccess``, each 0–100:

- historical: the 5.1 hour score (the per-session ``study_time.session_score``) at the
  slot's local start hour and weekday type (Mon–Fri / Sat–Sun), shrunk towards a local
  prior by ``(n·mean + k·prior) / (n + k)`` with k = 5 sessions, so a cold start is the
  prior and five sessions weigh as much as it. Confidence ``n / (n + k)``, at least 0.1
  (the prior's own, low, confidence). The local prior borrows strength from the
  neighbouring hours of the same day type (empirical Bayes): a kernel-smoothed mean of
  the population prior (weight 1, at distance 0) and the neighbours' means, each weighted
  ``wⱼ = K(dⱼ)·nⱼ/(nⱼ + k)`` — a Gaussian kernel of the hour distance (σ = 1.5 h, hours
  within ±3 h, the hour itself excluded) times the neighbour's own confidence:
  ``prior = (1·population + Σ wⱼ·meanⱼ) / (1 + Σ wⱼ)``. A sparse hour beside a strong one
  thus inherits part of its strength, an hour with many sessions is still its own mean,
  and with no neighbouring data the prior is the population's.
- availability: ``100 × (1 − the largest busy weight in the block)`` — 100 free, 50
  tentative; a busy block (weight 1) is not a candidate at all.
- preference: 100 inside a declared preferred window, 0 inside an avoided one (avoid
  wins), 25 outside all preferred windows when some are declared, 50 when none apply.
- recentSuccess: mean performance (0–100) of the sessions of the last 14 days whose
  local start time of day is within ±1 h of the slot's (circularly); 50 with none.

The top K (5) are taken greedily by score (ties: earlier first) with at most 2 a day
and no two slots overlapping (buffers included) — two overlapping slots would be
alternatives for one session, not two sessions. Burnout HIGH: one short review slot
a day at most (30 min, the 5.4 HIGH session cap); CRITICAL: no slot at all, a rest
recommendation (the 5.4 rest days) instead.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum

from twin.analysis.cognitive.burnout import (
    CRITICAL_REST_DAYS,
    HIGH_MAX_SESSION_MINUTES,
)
from twin.analysis.orchestration.busy import BUSY_WEIGHT, BusyInterval, BusyTime
from twin.analysis.orchestration.common import (
    MINUTES_PER_DAY,
    MINUTES_PER_HOUR,
    PERCENT_MAX,
    day_type,
    iso,
    local_wall_time,
    minute_of_day,
    minutes_between,
    require_aware,
    rounded,
    utc,
    zone,
)
from twin.analysis.patterns.study_time import Heatmap
from twin.enums import BurnoutRiskLevel

SLOT_STEP_MINUTES = 30
DAY_START_MINUTE = 6 * MINUTES_PER_HOUR
DAY_END_MINUTE = 23 * MINUTES_PER_HOUR
SLOT_BUFFER_MINUTES = 10
DEFAULT_HORIZON_DAYS = 7
MAX_HORIZON_DAYS = 31
DEFAULT_TOP_K = 5
MAX_SLOTS_PER_DAY = 2
MIN_SLOT_MINUTES = 15
MAX_SLOT_MINUTES = 120

AVAILABILITY_FREE = 100.0

PREFERENCE_PREFERRED = 100.0
PREFERENCE_AVOIDED = 0.0
PREFERENCE_OUTSIDE_DECLARED = 25.0
PREFERENCE_NEUTRAL = 50.0

RECENT_SUCCESS_WINDOW_DAYS = 14
RECENT_SUCCESS_HALF_WIDTH_MINUTES = 60
RECENT_SUCCESS_NEUTRAL = 50.0

# Flat population prior: without cohort data no hour is assumed better than another.
DEFAULT_POPULATION_HOUR_SCORE = 50.0
PRIOR_STRENGTH_SESSIONS = 5.0
POPULATION_PRIOR_CONFIDENCE = 0.1
# Borrowing from neighbouring hours: performance changes smoothly with the time of day
# (a chronotype's peak is a few hours wide), so an hour's neighbours say something about it.
NEIGHBOUR_KERNEL_WIDTH_HOURS = 1.5  # Gaussian σ of the hour-distance kernel
NEIGHBOUR_RADIUS_HOURS = 3  # hours farther apart than this do not inform each other
# The population prior sits at distance 0 with the weight of one fully certain neighbour, so
# neighbours move the local prior only as far as their kernel weight and confidence allow.
POPULATION_PRIOR_KERNEL_WEIGHT = 1.0
HOURS_PER_DAY = 24

HIGH_BURNOUT_MAX_SLOTS_PER_DAY = 1
HIGH_BURNOUT_SLOT_MINUTES = HIGH_MAX_SESSION_MINUTES
CRITICAL_BURNOUT_REST_DAYS = CRITICAL_REST_DAYS

WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
ALL_WEEKDAYS = frozenset(range(7))


@dataclass(frozen=True)
class SlotWeights:
    """Weights of the four slot components (ENGINE.md 5.3); they sum to 1 so the score stays 0–100."""

    historical: float = 0.4
    availability: float = 0.3
    preference: float = 0.2
    recent_success: float = 0.1


SLOT_WEIGHTS = SlotWeights()


class SlotKind(StrEnum):
    """What a slot is for: a normal study session, or (burnout HIGH) a short review."""

    STUDY = "STUDY"
    REVIEW = "REVIEW"


class PreferenceKind(StrEnum):
    """A declared window the learner wants (PREFER) or does not want (AVOID)."""

    PREFER = "PREFER"
    AVOID = "AVOID"


@dataclass(frozen=True)
class PreferenceWindow:
    """Local wall-clock window ``[start_minute, end_minute)`` on ``weekdays`` (0 = Mon)."""

    start_minute: int
    end_minute: int
    kind: PreferenceKind = PreferenceKind.PREFER
    weekdays: frozenset[int] = ALL_WEEKDAYS
    label: str = ""

    def __post_init__(self) -> None:
        if not 0 <= self.start_minute < self.end_minute <= MINUTES_PER_DAY:
            raise ValueError(
                f"window must satisfy 0 ≤ start < end ≤ 1440 minutes, got {self.start_minute}–{self.end_minute}"
            )
        if not self.weekdays or not self.weekdays <= ALL_WEEKDAYS:
            raise ValueError(
                f"weekdays must be a non-empty subset of 0..6, got {set(self.weekdays)}"
            )

    def contains(self, weekday: int, minute: int) -> bool:
        """Whether local ``minute`` of day on ``weekday`` falls inside the window."""
        return weekday in self.weekdays and self.start_minute <= minute < self.end_minute

    def to_json(self) -> dict[str, object]:
        """JSON form (minutes and hh:mm labels)."""
        return {
            "kind": self.kind.value,
            "startMinute": self.start_minute,
            "endMinute": self.end_minute,
            "start": f"{self.start_minute // 60:02d}:{self.start_minute % 60:02d}",
            "end": f"{self.end_minute // 60:02d}:{self.end_minute % 60:02d}",
            "weekdays": sorted(self.weekdays),
            "label": self.label,
        }


@dataclass(frozen=True)
class HourScore:
    """Mean 5.1 hour score (0–100) of the learner's sessions starting at local ``hour`` on ``day_type``."""

    day_type: str
    hour: int
    mean_score: float
    sessions: int

    def __post_init__(self) -> None:
        if self.day_type not in ("weekday", "weekend"):
            raise ValueError(f"day_type must be 'weekday' or 'weekend', got {self.day_type!r}")
        if not 0 <= self.hour < 24:
            raise ValueError(f"hour must be 0..23, got {self.hour}")
        if not 0.0 <= self.mean_score <= PERCENT_MAX:
            raise ValueError(f"mean_score must be in [0, 100], got {self.mean_score}")
        if self.sessions < 0:
            raise ValueError(f"sessions must be ≥ 0, got {self.sessions}")


@dataclass(frozen=True)
class HistoricalScore:
    """The historical component of one slot and where it came from."""

    score: float
    sessions: int
    own_mean: float | None
    prior: float
    confidence: float
    population_prior: float = DEFAULT_POPULATION_HOUR_SCORE
    neighbour_mean: float | None = None
    neighbour_sessions: float = 0.0


@dataclass(frozen=True)
class HourScoreTable:
    """The learner's hour scores by (day type, hour), and a population prior for the same cells.

    ``prior`` cells come from consenting learners' cohort statistics when the service has
    them; a cell without a prior uses ``DEFAULT_POPULATION_HOUR_SCORE``.
    """

    cells: tuple[HourScore, ...] = ()
    prior: tuple[HourScore, ...] = ()
    _own: dict[tuple[str, int], HourScore] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _prior: dict[tuple[str, int], float] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    # Memo of historical() per (day type, hour): a week has ~200 candidates but only 48 cells.
    _memo: dict[tuple[str, int], HistoricalScore] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "_own", {(c.day_type, c.hour): c for c in self.cells})
        object.__setattr__(self, "_prior", {(c.day_type, c.hour): c.mean_score for c in self.prior})

    def neighbourhood(self, kind_of_day: str, hour: int) -> tuple[float | None, float, float]:
        """Neighbouring hours' means weighted by kernel × confidence; that weight and ``Σ wⱼ·nⱼ``."""
        weight_sum = weighted = sessions = 0.0
        for distance in range(1, NEIGHBOUR_RADIUS_HOURS + 1):
            kernel = neighbour_kernel(distance)
            # Circular: 23:00 and 00:00 are neighbours.
            sides = {(hour - distance) % HOURS_PER_DAY, (hour + distance) % HOURS_PER_DAY}
            for other in sides:
                cell = self._own.get((kind_of_day, other))
                if cell is None or cell.sessions == 0:
                    continue
                # A neighbour counts as much as it is sure of itself (its own n/(n+k)), so a
                # well-measured hour is never outweighed by borrowed strength alone.
                w = kernel * cell.sessions / (cell.sessions + PRIOR_STRENGTH_SESSIONS)
                weight_sum += w
                weighted += w * cell.mean_score
                sessions += kernel * cell.sessions
        if weight_sum == 0.0:
            return None, 0.0, 0.0
        return weighted / weight_sum, weight_sum, sessions

    def historical(self, kind_of_day: str, hour: int) -> HistoricalScore:
        """Shrunk hour score ``(n·mean + k·prior) / (n + k)`` towards the neighbourhood-informed prior."""
        key = (kind_of_day, hour)
        if key not in self._memo:
            self._memo[key] = self._historical(kind_of_day, hour)
        return self._memo[key]

    def _historical(self, kind_of_day: str, hour: int) -> HistoricalScore:
        population = self._prior.get((kind_of_day, hour), DEFAULT_POPULATION_HOUR_SCORE)
        neighbour_mean, weight, borrowed = self.neighbourhood(kind_of_day, hour)
        prior = population
        if neighbour_mean is not None:
            prior = (POPULATION_PRIOR_KERNEL_WEIGHT * population + weight * neighbour_mean) / (
                POPULATION_PRIOR_KERNEL_WEIGHT + weight
            )
        own = self._own.get((kind_of_day, hour))
        n = own.sessions if own is not None else 0
        if own is None or n == 0:
            return HistoricalScore(
                prior,
                0,
                None,
                prior,
                POPULATION_PRIOR_CONFIDENCE,
                population,
                neighbour_mean,
                borrowed,
            )
        score = (n * own.mean_score + PRIOR_STRENGTH_SESSIONS * prior) / (
            n + PRIOR_STRENGTH_SESSIONS
        )
        confidence = max(POPULATION_PRIOR_CONFIDENCE, n / (n + PRIOR_STRENGTH_SESSIONS))
        return HistoricalScore(
            score, n, own.mean_score, prior, confidence, population, neighbour_mean, borrowed
        )


def neighbour_kernel(distance_hours: int) -> float:
    """Gaussian weight ``exp(−d² / 2σ²)`` of an hour ``d`` hours away (0 beyond the radius)."""
    if distance_hours > NEIGHBOUR_RADIUS_HOURS:
        return 0.0
    return math.exp(-(distance_hours**2) / (2 * NEIGHBOUR_KERNEL_WIDTH_HOURS**2))


def hour_scores_from_heatmap(heatmap: Heatmap) -> tuple[HourScore, ...]:
    """Pool the 5.1 weekday × hour heatmap (mean score, sessions) into (day type, hour) cells."""
    totals: dict[tuple[str, int], tuple[float, int]] = {}
    for weekday, (scores, counts) in enumerate(
        zip(heatmap.mean_score, heatmap.sessions, strict=True)
    ):
        for hour, (mean, n) in enumerate(zip(scores, counts, strict=True)):
            if mean is None or n == 0:
                continue
            key = (day_type(weekday), hour)
            s, c = totals.get(key, (0.0, 0))
            totals[key] = (s + mean * n, c + n)
    return tuple(
        HourScore(kind, hour, min(PERCENT_MAX, s / c), c)
        for (kind, hour), (s, c) in sorted(totals.items())
    )


@dataclass(frozen=True)
class RecentSession:
    """A session of the recent past: its start (aware) and performance (0–100)."""

    started_at: datetime
    performance: float

    def __post_init__(self) -> None:
        require_aware("started_at", self.started_at)
        object.__setattr__(self, "started_at", utc(self.started_at))
        if not 0.0 <= self.performance <= PERCENT_MAX:
            raise ValueError(f"performance must be in [0, 100], got {self.performance}")


@dataclass(frozen=True)
class SlotRequest:
    """Everything the slot recommendation needs; ``now`` and every instant aware.

    ``duration_minutes`` is the planned session length (15–120); ``blocked`` are
    extra intervals no slot may touch (e.g. sessions already planned); ``busy_synced_at``
    is when the busy blocks were last synced (the answer says how old they are).
    """

    now: datetime
    timezone: str
    duration_minutes: int
    busy: BusyTime = field(default_factory=BusyTime)
    hour_scores: HourScoreTable = field(default_factory=HourScoreTable)
    preferences: tuple[PreferenceWindow, ...] = ()
    recent_sessions: tuple[RecentSession, ...] = ()
    burnout: BurnoutRiskLevel | None = None
    days: int = DEFAULT_HORIZON_DAYS
    top_k: int = DEFAULT_TOP_K
    busy_synced_at: datetime | None = None
    blocked: tuple[tuple[datetime, datetime], ...] = ()

    def __post_init__(self) -> None:
        require_aware("now", self.now)
        zone(self.timezone)
        if not MIN_SLOT_MINUTES <= self.duration_minutes <= MAX_SLOT_MINUTES:
            raise ValueError(
                f"duration_minutes must be {MIN_SLOT_MINUTES}–{MAX_SLOT_MINUTES}, got {self.duration_minutes}"
            )
        if not 1 <= self.days <= MAX_HORIZON_DAYS:
            raise ValueError(f"days must be 1–{MAX_HORIZON_DAYS}, got {self.days}")
        if self.top_k < 1:
            raise ValueError(f"top_k must be ≥ 1, got {self.top_k}")
        if self.busy_synced_at is not None:
            require_aware("busy_synced_at", self.busy_synced_at)


@dataclass(frozen=True)
class Conflict:
    """A calendar segment a slot overlaps (only tentative ones: busy ones exclude the slot); UTC."""

    start: datetime
    end: datetime
    weight: float

    def to_json(self) -> dict[str, object]:
        """``{"start", "end", "weight", "kind"}``."""
        kind = "busy" if self.weight >= BUSY_WEIGHT else "tentative"
        return {"start": iso(self.start), "end": iso(self.end), "weight": self.weight, "kind": kind}


@dataclass(frozen=True)
class ScoredSlot:
    """One candidate with its score, its four components and the numbers behind them."""

    start: datetime
    end: datetime
    local_date: date
    kind: SlotKind
    score: float
    historical: HistoricalScore
    availability: float
    busy_weight: float
    preference: float
    preference_windows: tuple[str, ...]
    recent_success: float
    recent_sessions: int
    conflicts: tuple[Conflict, ...]
    rank: int = 0

    @property
    def duration_minutes(self) -> int:
        """Planned length in real minutes."""
        return round(minutes_between(self.start, self.end))

    @property
    def weekday(self) -> int:
        """Local weekday, 0 = Monday."""
        return self.start.weekday()

    def reasons(self) -> dict[str, object]:
        """The score's inputs as numbers (ENGINE.md: every slot carries its reasons as numbers)."""
        w = SLOT_WEIGHTS
        return {
            "score": rounded(self.score, 2),
            "weights": {
                "historical": w.historical,
                "availability": w.availability,
                "preference": w.preference,
                "recentSuccess": w.recent_success,
            },
            "historical": rounded(self.historical.score, 2),
            "historicalSessions": self.historical.sessions,
            "historicalOwnMean": (
                None if self.historical.own_mean is None else rounded(self.historical.own_mean, 2)
            ),
            "historicalPrior": rounded(self.historical.prior, 2),
            "historicalPopulationPrior": rounded(self.historical.population_prior, 2),
            "historicalNeighbourMean": (
                None
                if self.historical.neighbour_mean is None
                else rounded(self.historical.neighbour_mean, 2)
            ),
            "historicalNeighbourSessions": rounded(self.historical.neighbour_sessions, 2),
            "historicalConfidence": rounded(self.historical.confidence, 3),
            "availability": rounded(self.availability, 2),
            "busyWeight": self.busy_weight,
            "preference": rounded(self.preference, 2),
            "preferenceWindows": list(self.preference_windows),
            "recentSuccess": rounded(self.recent_success, 2),
            "recentSessions": self.recent_sessions,
            "localHour": self.start.hour,
            "dayType": day_type(self.weekday),
        }

    def to_json(self) -> dict[str, object]:
        """The slot as stored in ``study_schedule_recommendations.recommendedSchedule``."""
        return {
            "rank": self.rank,
            "kind": self.kind.value,
            "start": iso(self.start),
            "end": iso(self.end),
            "durationMinutes": self.duration_minutes,
            "bufferMinutes": SLOT_BUFFER_MINUTES,
            "localDate": self.local_date.isoformat(),
            "localStart": f"{self.start.hour:02d}:{self.start.minute:02d}",
            "weekday": WEEKDAY_NAMES[self.weekday],
            "score": rounded(self.score, 2),
            "reasons": self.reasons(),
            "conflicts": [c.to_json() for c in self.conflicts],
        }

    def _borrowed_text(self) -> str:
        h = self.historical
        if h.neighbour_mean is None:
            return ""
        return (
            f", prior {h.prior:.0f} borrowed from neighbouring hours: mean {h.neighbour_mean:.0f},"
            f" n ≈ {h.neighbour_sessions:.1f} weighted sessions"
        )

    def reasoning_text(self) -> str:
        """One sentence for ``study_schedule_recommendations.reasoning``."""
        parts = [
            f"{WEEKDAY_NAMES[self.weekday]} {self.start:%H:%M} scores {self.score:.0f}/100",
            f"your {day_type(self.weekday)} {self.start.hour:02d}:00 hour score {self.historical.score:.0f}"
            f" (n = {self.historical.sessions} sessions{self._borrowed_text()})",
            f"availability {self.availability:.0f}",
            f"preference {self.preference:.0f}",
            f"recent success {self.recent_success:.0f} (n = {self.recent_sessions})",
        ]
        text = "; ".join(parts)
        if self.conflicts:
            text += f"; overlaps {len(self.conflicts)} tentative event(s)"
        return text + "."


@dataclass(frozen=True)
class RestRecommendation:
    """Burnout CRITICAL: no study slots, rest instead."""

    rest_days: int
    message: str

    def to_json(self) -> dict[str, object]:
        """``{"restDays", "message"}``."""
        return {"restDays": self.rest_days, "message": self.message}


@dataclass(frozen=True)
class SlotRecommendation:
    """The answer: the top slots (or a rest recommendation) and how they were found."""

    slots: tuple[ScoredSlot, ...]
    rest: RestRecommendation | None
    kind: SlotKind
    duration_minutes: int
    max_per_day: int
    candidates_considered: int
    candidates_busy: int
    candidates_past: int
    busy_age_minutes: float | None
    timezone: str

    def to_json(self) -> dict[str, object]:
        """JSON-ready answer."""
        return {
            "timezone": self.timezone,
            "kind": self.kind.value,
            "durationMinutes": self.duration_minutes,
            "maxPerDay": self.max_per_day,
            "slots": [s.to_json() for s in self.slots],
            "rest": None if self.rest is None else self.rest.to_json(),
            "candidatesConsidered": self.candidates_considered,
            "candidatesBusy": self.candidates_busy,
            "busyAgeMinutes": None
            if self.busy_age_minutes is None
            else rounded(self.busy_age_minutes, 1),
        }


def preference_score(
    windows: Sequence[PreferenceWindow], weekday: int, minute: int
) -> tuple[float, tuple[str, ...]]:
    """The preference component at local ``minute`` on ``weekday`` and the windows that decided it."""
    hits = [w for w in windows if w.contains(weekday, minute)]
    avoided = [w for w in hits if w.kind is PreferenceKind.AVOID]
    if avoided:
        return PREFERENCE_AVOIDED, tuple(w.label or "avoid" for w in avoided)
    preferred = [w for w in hits if w.kind is PreferenceKind.PREFER]
    if preferred:
        return PREFERENCE_PREFERRED, tuple(w.label or "prefer" for w in preferred)
    if any(w.kind is PreferenceKind.PREFER for w in windows):
        return PREFERENCE_OUTSIDE_DECLARED, ()
    return PREFERENCE_NEUTRAL, ()


def _circular_minutes(a: int, b: int) -> int:
    d = abs(a - b) % MINUTES_PER_DAY
    return min(d, MINUTES_PER_DAY - d)


class _RecentIndex:
    """Recent sessions' local minute of day and performance, for the ±1 h query."""

    def __init__(self, sessions: Sequence[RecentSession], now: datetime, tz_name: str) -> None:
        tz = zone(tz_name)
        since = now - timedelta(days=RECENT_SUCCESS_WINDOW_DAYS)
        self.points = [
            (minute_of_day(s.started_at.astimezone(tz)), s.performance)
            for s in sessions
            if since <= s.started_at <= now
        ]
        # Every day of the horizon asks the same minutes of the day: answer each once.
        self._seen: dict[int, tuple[float, int]] = {}

    def at(self, minute: int) -> tuple[float, int]:
        found = self._seen.get(minute)
        if found is not None:
            return found
        values = [
            p
            for m, p in self.points
            if _circular_minutes(m, minute) <= RECENT_SUCCESS_HALF_WIDTH_MINUTES
        ]
        found = (sum(values) / len(values), len(values)) if values else (RECENT_SUCCESS_NEUTRAL, 0)
        self._seen[minute] = found
        return found


def combine_score(
    historical: float, availability: float, preference: float, recent: float
) -> float:
    """``0.4·historical + 0.3·availability + 0.2·preference + 0.1·recentSuccess``."""
    w = SLOT_WEIGHTS
    return (
        w.historical * historical
        + w.availability * availability
        + w.preference * preference
        + w.recent_success * recent
    )


def score_candidates(
    request: SlotRequest, duration_minutes: int, kind: SlotKind
) -> tuple[list[ScoredSlot], int, int, int]:
    """Every candidate of the horizon that is free enough, scored; plus counts (considered, busy, past)."""
    tz = zone(request.timezone)
    now = utc(request.now)
    # N local calendar days ahead (wall-clock addition on purpose), compared in UTC.
    horizon_end = utc(request.now.astimezone(tz) + timedelta(days=request.days))
    local_today = request.now.astimezone(tz).date()
    duration = timedelta(minutes=duration_minutes)
    block = duration + timedelta(minutes=SLOT_BUFFER_MINUTES)
    recent = _RecentIndex(request.recent_sessions, now, request.timezone)
    blocked = BusyTime.of(_blocked_intervals(request.blocked))
    scored: list[ScoredSlot] = []
    considered = busy_count = past = 0
    for offset in range(request.days + 1):
        day = local_today + timedelta(days=offset)
        day_end = local_wall_time(day, DAY_END_MINUTE, tz)
        for minute in range(DAY_START_MINUTE, DAY_END_MINUTE, SLOT_STEP_MINUTES):
            start = local_wall_time(day, minute, tz)
            if start is None or day_end is None:
                continue
            start_utc = utc(start)
            end_utc = start_utc + duration
            if end_utc > utc(day_end):
                break
            if start_utc < now or start_utc >= horizon_end:
                past += start_utc < now
                continue
            considered += 1
            weight = request.busy.max_weight(start_utc, start_utc + block)
            if weight >= BUSY_WEIGHT or not blocked.is_free(start_utc, start_utc + block):
                busy_count += 1
                continue
            historical = request.hour_scores.historical(day_type(start.weekday()), start.hour)
            availability = AVAILABILITY_FREE * (1.0 - weight)
            preference, windows = preference_score(request.preferences, start.weekday(), minute)
            recent_score, recent_n = recent.at(minute)
            conflicts = tuple(
                Conflict(s.start, s.end, s.weight)
                for s in request.busy.overlapping(start_utc, start_utc + block)
            )
            scored.append(
                ScoredSlot(
                    start=start,
                    end=end_utc.astimezone(tz),
                    local_date=day,
                    kind=kind,
                    score=combine_score(historical.score, availability, preference, recent_score),
                    historical=historical,
                    availability=availability,
                    busy_weight=weight,
                    preference=preference,
                    preference_windows=windows,
                    recent_success=recent_score,
                    recent_sessions=recent_n,
                    conflicts=conflicts,
                )
            )
    return scored, considered, busy_count, past


def _blocked_intervals(blocked: Sequence[tuple[datetime, datetime]]) -> list[BusyInterval]:
    return [BusyInterval(s, e) for s, e in blocked if e > s]


def select_top(
    candidates: Sequence[ScoredSlot], *, top_k: int, max_per_day: int
) -> tuple[ScoredSlot, ...]:
    """Greedy top K by score (ties: earlier first), at most ``max_per_day`` a local day, none overlapping."""
    buffer = timedelta(minutes=SLOT_BUFFER_MINUTES)
    chosen: list[ScoredSlot] = []
    per_day: defaultdict[date, int] = defaultdict(int)
    for slot in sorted(candidates, key=lambda s: (-round(s.score, 9), utc(s.start))):
        if len(chosen) >= top_k:
            break
        if per_day[slot.local_date] >= max_per_day:
            continue
        if any(
            utc(slot.start) < utc(c.end) + buffer and utc(c.start) < utc(slot.end) + buffer
            for c in chosen
        ):
            continue
        chosen.append(slot)
        per_day[slot.local_date] += 1
    return tuple(
        _with_rank(s, rank) for rank, s in enumerate(sorted(chosen, key=lambda s: -s.score), 1)
    )


def _with_rank(slot: ScoredSlot, rank: int) -> ScoredSlot:
    return replace(slot, rank=rank)


def recommend_slots(request: SlotRequest) -> SlotRecommendation:
    """The top K study slots of the next ``days`` days around the learner's busy time."""
    age = (
        None
        if request.busy_synced_at is None
        else max(0.0, minutes_between(request.busy_synced_at, request.now))
    )
    if request.burnout == BurnoutRiskLevel.CRITICAL:
        rest = RestRecommendation(
            rest_days=CRITICAL_BURNOUT_REST_DAYS,
            message=(
                f"Your burnout risk is CRITICAL: no study slots are suggested. Rest for "
                f"{CRITICAL_BURNOUT_REST_DAYS} days, starting now."
            ),
        )
        return SlotRecommendation((), rest, SlotKind.REVIEW, 0, 0, 0, 0, 0, age, request.timezone)
    if request.burnout == BurnoutRiskLevel.HIGH:
        kind = SlotKind.REVIEW
        duration = min(request.duration_minutes, HIGH_BURNOUT_SLOT_MINUTES)
        per_day = HIGH_BURNOUT_MAX_SLOTS_PER_DAY
    else:
        kind, duration, per_day = SlotKind.STUDY, request.duration_minutes, MAX_SLOTS_PER_DAY
    candidates, considered, busy_count, past = score_candidates(request, duration, kind)
    slots = select_top(candidates, top_k=request.top_k, max_per_day=per_day)
    return SlotRecommendation(
        slots=slots,
        rest=None,
        kind=kind,
        duration_minutes=duration,
        max_per_day=per_day,
        candidates_considered=considered,
        candidates_busy=busy_count,
        candidates_past=past,
        busy_age_minutes=age,
        timezone=request.timezone,
    )
