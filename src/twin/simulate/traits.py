"""Hidden traits of a simulated learner (the simulator's ground truth) and their sampling.

Every trait is drawn from the learner's own ``numpy.random.Generator`` and recorded in
``simulation_truth.traits`` (see :meth:`LearnerTraits.to_json`). The generator in
:mod:`twin.simulate.generate` turns traits into learning data; analyses never read them.

Units are in the names: ``_MINUTES``, ``_DAYS``, ``_MS``, ``_PER_DAY``; hours are local
clock hours in the learner's IANA time zone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np

TRAITS_VERSION = 2

# Time zones spread over the world (north/south hemisphere DST, half-hour offset, no DST).
TIMEZONES: tuple[str, ...] = (
    "America/Los_Angeles",
    "America/Denver",
    "America/Chicago",
    "America/New_York",
    "America/Sao_Paulo",
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "Africa/Lagos",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
)

CONTENT_TYPES: tuple[str, ...] = ("lecture", "flashcard", "validation", "clinical_reasoning")

# Session-length buckets of ENGINE.md 5.1: (label, lower bound, upper bound) in minutes.
SESSION_BUCKETS: tuple[tuple[str, int, int], ...] = (
    ("<30", 0, 30),
    ("30-40", 30, 40),
    ("40-50", 40, 50),
    ("50-60", 50, 60),
    ("60-90", 60, 90),
    ("90+", 90, 10_000),
)
# Where the attention span falls inside each bucket (kept off the edges), minutes.
ATTENTION_SPAN_RANGE_MINUTES: tuple[tuple[float, float], ...] = (
    (20.0, 27.0),
    (32.0, 38.0),
    (42.0, 48.0),
    (52.0, 58.0),
    (65.0, 85.0),
    (95.0, 115.0),
)

# Missions plan the lower edge of the best bucket: shorter sessions leave objectives
# unfinished, longer ones run past the attention span into fatigue.
PLANNED_SESSION_MINUTES: tuple[int, ...] = (15, 30, 40, 50, 60, 90)

NO_CHRONOTYPE_SHARE = 0.30
PEAK_HOUR_MIN_LOCAL = 6
PEAK_HOUR_MAX_LOCAL = 22
CHRONOTYPE_AMPLITUDE_RANGE = (0.32, 0.44)  # relative performance drop far from the peak
CHRONOTYPE_FALLOFF_HOURS = 1.5  # Gaussian width (σ) of the peak
HABIT_HOUR_MIN_LOCAL = 7  # session-time habit of learners without a chronotype
HABIT_HOUR_MAX_LOCAL = 21

FORGETTING_K_RANGE_PER_DAY = (0.025, 0.20)  # log-uniform; half-lives 3.5–28 days
INITIAL_RECALL_R0_RANGE = (0.94, 0.99)

DOMINANT_AFFINITY_RANGE = (0.45, 0.65)
OTHER_AFFINITY_DIRICHLET_ALPHA = 2.0
# No other type comes closer to the dominant one than this share of its affinity.
OTHER_AFFINITY_MAX_SHARE_OF_DOMINANT = 0.6

STUDY_DAYS_PER_WEEK_CHOICES = (5, 6, 7)
STUDY_DAYS_PER_WEEK_WEIGHTS = (0.35, 0.4, 0.25)
WEEKDAY_PLAN_WEIGHTS = (1.0, 1.0, 1.0, 1.0, 0.9, 0.55, 0.55)  # Monday … Sunday

IRREGULARITY_RANGE = (0.02, 0.18)  # probability of skipping a planned study day
INTERVENTION_RESPONSIVE_SHARE = 0.6
REVIEWS_PER_MINUTE_RANGE = (0.22, 0.34)
BASE_RESPONSE_LATENCY_RANGE_MS = (5_000.0, 11_000.0)

EPISODE_COUNT_WEIGHTS = (0.45, 0.35, 0.20)  # none, one, two
OVERLOAD_SHARE = 0.55
OVERLOAD_DURATION_RANGE_DAYS = (5, 10)
# Burnout = an overload phase of about a week, then withdrawal.
BURNOUT_OVERLOAD_PHASE_RANGE_DAYS = (5, 8)
BURNOUT_WITHDRAWAL_RANGE_DAYS = (7, 14)
EPISODE_INTENSITY_RANGE = (0.7, 1.0)
EPISODE_BASELINE_DAYS = 14  # no episode starts before this many days of normal study
EPISODE_TAIL_DAYS = 8  # nor later than this many days before the end of the window
EPISODE_MIN_GAP_DAYS = 10  # normal days between two episodes

# Learner ability on the complexity scale of ENGINE 5.2 (BASIC 0.3, INTERMEDIATE 0.6,
# ADVANCED 0.9): objectives above it are likelier struggles (complexity mismatch).
ABILITY_RANGE = (0.55, 0.95)
COMPLEXITY_LEVEL = {"BASIC": 0.3, "INTERMEDIATE": 0.6, "ADVANCED": 0.9}
# Probability that an objective outside the prerequisite-gap chains is a struggle, per
# unit of complexity mismatch (max(0, complexity − ability)).
MISMATCH_STRUGGLE_PER_UNIT = 1.0
MISMATCH_STRUGGLE_MAX = 0.3

# Curriculum shape.
COURSE_COUNT_CHOICES = (1, 2, 3)
LECTURES_PER_COURSE_RANGE = (4, 6)
OBJECTIVES_PER_LECTURE_RANGE = (2, 4)
CARDS_PER_OBJECTIVE_RANGE = (4, 24)  # bounds; the count follows cards_wanted()
# Card supply (cards_wanted): sessions review about reviews-per-minute × minutes cards,
# and a card leaves the queue after ~this many reviews (see generate.GRADUATION_RECALLS).
SESSIONS_PER_DAY_ESTIMATE = 1.2
MEAN_SESSION_MINUTES_ESTIMATE = 52.0
REVIEWS_PER_CARD_ESTIMATE = 12.0
CARD_SUPPLY_MARGIN = 1.6
PREREQUISITE_SHARE = 0.7  # objectives after the first lecture that have prerequisites
COMPLEXITIES: tuple[str, ...] = ("BASIC", "INTERMEDIATE", "ADVANCED")
COMPLEXITY_WEIGHTS = (0.3, 0.45, 0.25)
HIGH_YIELD_SHARE = 0.3
CARD_TYPES: tuple[str, ...] = ("BASIC", "CLOZE", "CLINICAL_REASONING")
CARD_TYPE_WEIGHTS = (0.6, 0.3, 0.1)
MAX_STRUGGLE_SHARE = 0.2  # of a learner's objectives
MAX_GAP_PREREQUISITES = 2


@dataclass(frozen=True)
class Chronotype:
    """Time-of-day effect: performance best for sessions starting in ``peak_hour_local``."""

    peak_hour_local: int | None
    amplitude: float  # relative drop of performance far from the peak (0 = no effect)
    falloff_hours: float = CHRONOTYPE_FALLOFF_HOURS

    @property
    def has_peak(self) -> bool:
        """True when the learner has a time-of-day effect at all."""
        return self.peak_hour_local is not None


@dataclass(frozen=True)
class Episode:
    """An overload or burnout episode over local days ``onset_day`` … ``end_day`` (inclusive).

    Every episode starts with an overload phase (``onset_day`` … ``overload_end_day``);
    a burnout episode then withdraws (``overload_end_day + 1`` … ``end_day``).
    """

    kind: str  # "overload" | "burnout"
    onset_day: int  # days since the simulation start
    end_day: int
    intensity: float  # 0–1
    overload_end_day: int = -1  # last day of the overload phase (-1: the whole episode)

    @property
    def overload_last_day(self) -> int:
        """Last day of the overload phase."""
        return self.end_day if self.overload_end_day < 0 else self.overload_end_day

    @property
    def withdrawal_onset_day(self) -> int | None:
        """First day of withdrawal (burnout only)."""
        last = self.overload_last_day
        return last + 1 if last < self.end_day else None


@dataclass(frozen=True)
class Curriculum:
    """The learner's courses, lectures, objectives (with prerequisite edges) and cards."""

    lecture_course: tuple[int, ...]  # course index per lecture
    objective_lecture: tuple[int, ...]  # lecture index per objective
    objective_complexity: tuple[str, ...]
    objective_high_yield: tuple[bool, ...]
    prerequisites: tuple[tuple[int, int, float], ...]  # (objective, prerequisite, strength)
    card_objective: tuple[int, ...]  # objective index per card
    card_type: tuple[str, ...]
    course_names: tuple[int, ...]  # index into the course catalogue per course

    @property
    def course_count(self) -> int:
        """Number of courses."""
        return len(self.course_names)


@dataclass(frozen=True)
class LearnerTraits:
    """Every hidden trait of one simulated learner."""

    seed: int
    index: int
    timezone: str
    chronotype: Chronotype
    habit_hour_local: int  # the local hour most sessions start in (the peak, when there is one)
    attention_span_minutes: float
    best_session_bucket: int  # index into SESSION_BUCKETS
    forgetting_rate_k_per_day: float
    initial_recall_r0: float
    content_affinities: tuple[float, ...]  # per CONTENT_TYPES, sums to 1
    gap_prerequisite_objectives: tuple[int, ...]
    struggle_objectives: tuple[int, ...]
    ability: float  # on the complexity scale (BASIC 0.3 … ADVANCED 0.9)
    mismatch_struggle_objectives: tuple[int, ...]  # struggles from complexity > ability
    episodes: tuple[Episode, ...]
    irregularity: float
    intervention_responsive: bool
    study_weekdays: tuple[int, ...]  # 0 = Monday
    reviews_per_minute: float
    base_response_latency_ms: float
    curriculum: Curriculum

    @property
    def user_id(self) -> str:
        """The learner's deterministic user id."""
        return user_id(self.seed, self.index)

    @property
    def dominant_content_type(self) -> str:
        """The content type with the largest affinity."""
        return CONTENT_TYPES[int(np.argmax(self.content_affinities))]

    @property
    def planned_session_minutes(self) -> int:
        """The mission length the learner plans: the lower edge of their best bucket."""
        return PLANNED_SESSION_MINUTES[self.best_session_bucket]

    def objective_id(self, objective: int) -> str:
        """The id of objective number ``objective``."""
        return f"{self.user_id}-o{objective}"

    def to_json(self, start: date) -> dict[str, Any]:
        """The traits as stored in ``simulation_truth.traits`` (dates relative to ``start``)."""
        label, low, high = SESSION_BUCKETS[self.best_session_bucket]
        k = self.forgetting_rate_k_per_day
        return {
            "version": TRAITS_VERSION,
            "learnerIndex": self.index,
            "timezone": self.timezone,
            "chronotype": {
                "hasPeak": self.chronotype.has_peak,
                "peakHourLocal": self.chronotype.peak_hour_local,
                "amplitude": round(self.chronotype.amplitude, 4),
                "falloffHours": self.chronotype.falloff_hours,
            },
            "habitHourLocal": self.habit_hour_local,
            "attentionSpanMinutes": round(self.attention_span_minutes, 2),
            "bestSessionBucket": label,
            "bestSessionBucketMinutes": [low, None if high >= 10_000 else high],
            "plannedSessionMinutes": self.planned_session_minutes,
            "forgettingRateK": round(k, 6),
            "initialRecallR0": round(self.initial_recall_r0, 4),
            "halfLifeDays": round(math.log(2) / k, 4),
            "contentAffinities": {
                name: round(w, 4)
                for name, w in zip(CONTENT_TYPES, self.content_affinities, strict=True)
            },
            "dominantContentType": self.dominant_content_type,
            "prerequisiteGapObjectiveIds": [
                self.objective_id(o) for o in self.gap_prerequisite_objectives
            ],
            "struggleObjectiveIds": [self.objective_id(o) for o in self.struggle_objectives],
            "complexityMismatchObjectiveIds": [
                self.objective_id(o) for o in self.mismatch_struggle_objectives
            ],
            "abilityLevel": round(self.ability, 4),
            "episodes": [
                {
                    "kind": e.kind,
                    "onsetDate": (start + timedelta(days=e.onset_day)).isoformat(),
                    "endDate": (start + timedelta(days=e.end_day)).isoformat(),
                    "durationDays": e.end_day - e.onset_day + 1,
                    "intensity": round(e.intensity, 4),
                    "overloadEndDate": (start + timedelta(days=e.overload_last_day)).isoformat(),
                    "withdrawalOnsetDate": (
                        None
                        if e.withdrawal_onset_day is None
                        else (start + timedelta(days=e.withdrawal_onset_day)).isoformat()
                    ),
                }
                for e in self.episodes
            ],
            "irregularity": round(self.irregularity, 4),
            "interventionResponsive": self.intervention_responsive,
            "studyWeekdays": list(self.study_weekdays),
            "reviewsPerMinute": round(self.reviews_per_minute, 4),
            "baseResponseLatencyMs": round(self.base_response_latency_ms, 1),
            "units": {
                "peakHourLocal": "hour of day 0-23, learner's local time (IANA timezone)",
                "habitHourLocal": "hour of day 0-23, local time",
                "amplitude": "relative drop of performance far (>= 4 h) from the peak",
                "attentionSpanMinutes": "minutes; accuracy decays after this point of a session",
                "forgettingRateK": "1/day in R(t) = R0*exp(-k*t), t = days since previous review",
                "initialRecallR0": (
                    "probability 0-1: recall right after a review, in the learner's usual "
                    "conditions (time of day, content, fatigue effects are centred on them)"
                ),
                "halfLifeDays": "days (ln 2 / k)",
                "contentAffinities": "weights summing to 1",
                "episodes": (
                    "onsetDate/endDate are local ISO dates, endDate inclusive; every episode "
                    "starts with overload (onsetDate … overloadEndDate); burnout then withdraws "
                    "(withdrawalOnsetDate … endDate)"
                ),
                "abilityLevel": "complexity scale: BASIC 0.3, INTERMEDIATE 0.6, ADVANCED 0.9",
                "sessionHiddenLoad": (
                    "per study session (id suffix -s<i>), the load 0-100 ENGINE 5.4's formula "
                    "gives on the session's noise-free generative quantities"
                ),
                "irregularity": "probability of skipping a planned study day",
                "studyWeekdays": "0 = Monday ... 6 = Sunday",
                "reviewsPerMinute": "flashcard reviews per session minute",
            },
        }


def user_id(seed: int, index: int) -> str:
    """The deterministic id of learner ``index`` of cohort ``seed``."""
    return f"sim{seed}-u{index}"


def learner_rng(seed: int, index: int) -> np.random.Generator:
    """The learner's own random generator, independent of every other learner."""
    return np.random.default_rng(np.random.SeedSequence([seed, index]))


def _choice(rng: np.random.Generator, n: int, weights: tuple[float, ...]) -> int:
    cumulative = np.cumsum(weights[:n])
    return min(n - 1, int(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right")))


def cards_wanted(weeks: int, reviews_per_minute: float) -> int:
    """How many cards a learner needs so that graduation never empties their sessions.

    Expected review slots over the window (sessions per day × mean minutes × reviews per
    minute) over the reviews a card takes to graduate, with a margin for the cards of
    lectures that arrive late in the window.
    """
    slots = weeks * 7 * SESSIONS_PER_DAY_ESTIMATE * MEAN_SESSION_MINUTES_ESTIMATE
    return math.ceil(slots * reviews_per_minute / REVIEWS_PER_CARD_ESTIMATE * CARD_SUPPLY_MARGIN)


def sample_curriculum(
    rng: np.random.Generator, course_catalogue_size: int, cards_total: int = 0
) -> Curriculum:
    """Courses → lectures → objectives (with prerequisite edges inside a course) → cards.

    Each objective gets about ``cards_total / objectives`` cards (± 1), at least
    ``CARDS_PER_OBJECTIVE_RANGE[0]`` and at most ``CARDS_PER_OBJECTIVE_RANGE[1]``.
    """
    n_courses = int(rng.choice(COURSE_COUNT_CHOICES))
    course_names = tuple(
        int(c) for c in rng.choice(course_catalogue_size, size=n_courses, replace=False)
    )
    lecture_course: list[int] = []
    objective_lecture: list[int] = []
    complexity: list[str] = []
    high_yield: list[bool] = []
    prerequisites: list[tuple[int, int, float]] = []
    for course in range(n_courses):
        n_lectures = int(
            rng.integers(LECTURES_PER_COURSE_RANGE[0], LECTURES_PER_COURSE_RANGE[1] + 1)
        )
        earlier: list[int] = []  # objectives of this course's earlier lectures
        for _ in range(n_lectures):
            lecture = len(lecture_course)
            lecture_course.append(course)
            n_obj = int(
                rng.integers(OBJECTIVES_PER_LECTURE_RANGE[0], OBJECTIVES_PER_LECTURE_RANGE[1] + 1)
            )
            this_lecture: list[int] = []
            for _ in range(n_obj):
                objective = len(objective_lecture)
                objective_lecture.append(lecture)
                complexity.append(COMPLEXITIES[_choice(rng, 3, COMPLEXITY_WEIGHTS)])
                high_yield.append(bool(rng.random() < HIGH_YIELD_SHARE))
                if earlier and rng.random() < PREREQUISITE_SHARE:
                    n_pre = min(len(earlier), int(rng.integers(1, 3)))
                    for pre in sorted(rng.choice(earlier, size=n_pre, replace=False).tolist()):
                        strength = round(float(rng.uniform(0.5, 1.0)), 3)
                        prerequisites.append((objective, int(pre), strength))
                this_lecture.append(objective)
            earlier.extend(this_lecture)
    card_objective: list[int] = []
    card_type: list[str] = []
    low, high = CARDS_PER_OBJECTIVE_RANGE
    per_objective = cards_total / max(1, len(objective_lecture))
    centre = min(high - 1, max(low + 1, round(per_objective)))
    for objective in range(len(objective_lecture)):
        n_cards = int(rng.integers(centre - 1, centre + 2))
        for _ in range(n_cards):
            card_objective.append(objective)
            card_type.append(CARD_TYPES[_choice(rng, 3, CARD_TYPE_WEIGHTS)])
    return Curriculum(
        lecture_course=tuple(lecture_course),
        objective_lecture=tuple(objective_lecture),
        objective_complexity=tuple(complexity),
        objective_high_yield=tuple(high_yield),
        prerequisites=tuple(prerequisites),
        card_objective=tuple(card_objective),
        card_type=tuple(card_type),
        course_names=course_names,
    )


def _sample_struggles(
    rng: np.random.Generator, curriculum: Curriculum, ability: float
) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """Unmastered prerequisites, the objectives the learner struggles on, and mismatch struggles.

    Struggles are the unmastered prerequisites and their dependents (same course), plus
    objectives whose complexity exceeds the learner's ability, each with probability
    ``MISMATCH_STRUGGLE_PER_UNIT × mismatch`` (at most ``MISMATCH_STRUGGLE_MAX``), while
    the struggle share stays at most ``MAX_STRUGGLE_SHARE``.
    """
    n_objectives = len(curriculum.objective_lecture)
    dependents: dict[int, set[int]] = {}
    for objective, pre, _strength in curriculum.prerequisites:
        dependents.setdefault(pre, set()).add(objective)
    candidates = sorted(dependents)
    limit = max(2, int(MAX_STRUGGLE_SHARE * n_objectives))
    gaps: list[int] = []
    struggle: set[int] = set()
    order = rng.permutation(len(candidates)).tolist() if candidates else []
    wanted = int(rng.integers(1, MAX_GAP_PREREQUISITES + 1))
    for i in order:
        pre = candidates[i]
        grown = struggle | {pre} | dependents[pre]
        if len(grown) > limit and gaps:
            continue
        gaps.append(pre)
        struggle = grown
        if len(gaps) >= wanted:
            break
    mismatch: list[int] = []
    draws = rng.random(n_objectives)
    for objective in range(n_objectives):
        gap = COMPLEXITY_LEVEL[curriculum.objective_complexity[objective]] - ability
        p = min(MISMATCH_STRUGGLE_MAX, MISMATCH_STRUGGLE_PER_UNIT * max(0.0, gap))
        if objective not in struggle and draws[objective] < p and len(struggle) < limit:
            struggle.add(objective)
            mismatch.append(objective)
    return tuple(sorted(gaps)), tuple(sorted(struggle)), tuple(mismatch)


def _sample_episodes(rng: np.random.Generator, days: int) -> tuple[Episode, ...]:
    """Zero to two non-overlapping overload/burnout episodes inside the window."""
    last_onset = days - EPISODE_TAIL_DAYS
    n = _choice(rng, 3, EPISODE_COUNT_WEIGHTS)
    if last_onset <= EPISODE_BASELINE_DAYS:
        return ()
    episodes: list[Episode] = []
    for _ in range(n):
        kind = "overload" if rng.random() < OVERLOAD_SHARE else "burnout"
        if kind == "overload":
            low, high = OVERLOAD_DURATION_RANGE_DAYS
            overload_days = int(rng.integers(low, high + 1))
            withdrawal_days = 0
        else:
            low, high = BURNOUT_OVERLOAD_PHASE_RANGE_DAYS
            overload_days = int(rng.integers(low, high + 1))
            low, high = BURNOUT_WITHDRAWAL_RANGE_DAYS
            withdrawal_days = int(rng.integers(low, high + 1))
        onset = int(rng.integers(EPISODE_BASELINE_DAYS, last_onset + 1))
        end = min(days - 1, onset + overload_days + withdrawal_days - 1)
        overload_end = min(end, onset + overload_days - 1)
        intensity = float(rng.uniform(*EPISODE_INTENSITY_RANGE))
        gap = EPISODE_MIN_GAP_DAYS
        if any(onset <= e.end_day + gap and end >= e.onset_day - gap for e in episodes):
            continue
        episodes.append(
            Episode(
                kind=kind,
                onset_day=onset,
                end_day=end,
                intensity=intensity,
                overload_end_day=overload_end,
            )
        )
    return tuple(sorted(episodes, key=lambda e: e.onset_day))


def sample_traits(
    seed: int, index: int, weeks: int, rng: np.random.Generator, course_catalogue_size: int
) -> LearnerTraits:
    """Draw every hidden trait of learner ``index`` from ``rng``."""
    timezone = TIMEZONES[int(rng.integers(len(TIMEZONES)))]
    if rng.random() < NO_CHRONOTYPE_SHARE:
        chronotype = Chronotype(peak_hour_local=None, amplitude=0.0)
        habit = int(rng.integers(HABIT_HOUR_MIN_LOCAL, HABIT_HOUR_MAX_LOCAL + 1))
    else:
        peak = int(rng.integers(PEAK_HOUR_MIN_LOCAL, PEAK_HOUR_MAX_LOCAL + 1))
        chronotype = Chronotype(
            peak_hour_local=peak,
            amplitude=float(rng.uniform(*CHRONOTYPE_AMPLITUDE_RANGE)),
            falloff_hours=CHRONOTYPE_FALLOFF_HOURS,
        )
        habit = peak
    bucket = int(rng.integers(len(SESSION_BUCKETS)))
    span = float(rng.uniform(*ATTENTION_SPAN_RANGE_MINUTES[bucket]))
    log_k = rng.uniform(
        math.log(FORGETTING_K_RANGE_PER_DAY[0]), math.log(FORGETTING_K_RANGE_PER_DAY[1])
    )
    k = float(math.exp(log_k))
    r0 = float(rng.uniform(*INITIAL_RECALL_R0_RANGE))
    dominant = int(rng.integers(len(CONTENT_TYPES)))
    top = float(rng.uniform(*DOMINANT_AFFINITY_RANGE))
    rest = rng.dirichlet([OTHER_AFFINITY_DIRICHLET_ALPHA] * (len(CONTENT_TYPES) - 1)) * (1 - top)
    # The dominant type must stay strictly the largest.
    rest = np.minimum(rest, top * OTHER_AFFINITY_MAX_SHARE_OF_DOMINANT)
    affinities = np.insert(rest, dominant, top)
    affinities = affinities / affinities.sum()
    reviews_per_minute = float(rng.uniform(*REVIEWS_PER_MINUTE_RANGE))
    curriculum = sample_curriculum(
        rng, course_catalogue_size, cards_wanted(weeks, reviews_per_minute)
    )
    ability = float(rng.uniform(*ABILITY_RANGE))
    gaps, struggle, mismatch = _sample_struggles(rng, curriculum, ability)
    episodes = _sample_episodes(rng, weeks * 7)
    irregularity = float(rng.uniform(*IRREGULARITY_RANGE))
    responsive = bool(rng.random() < INTERVENTION_RESPONSIVE_SHARE)
    n_days = int(
        rng.choice(STUDY_DAYS_PER_WEEK_CHOICES, p=_normalised(STUDY_DAYS_PER_WEEK_WEIGHTS))
    )
    weekdays = rng.choice(7, size=n_days, replace=False, p=_normalised(WEEKDAY_PLAN_WEIGHTS))
    return LearnerTraits(
        seed=seed,
        index=index,
        timezone=timezone,
        chronotype=chronotype,
        habit_hour_local=habit,
        attention_span_minutes=span,
        best_session_bucket=bucket,
        forgetting_rate_k_per_day=k,
        initial_recall_r0=r0,
        content_affinities=tuple(float(a) for a in affinities),
        gap_prerequisite_objectives=gaps,
        struggle_objectives=struggle,
        ability=ability,
        mismatch_struggle_objectives=mismatch,
        episodes=episodes,
        irregularity=irregularity,
        intervention_responsive=responsive,
        study_weekdays=tuple(sorted(int(d) for d in weekdays)),
        reviews_per_minute=reviews_per_minute,
        base_response_latency_ms=float(rng.uniform(*BASE_RESPONSE_LATENCY_RANGE_MS)),
        curriculum=curriculum,
    )


def _normalised(weights: tuple[float, ...]) -> np.ndarray:
    p = np.asarray(weights, dtype=float)
    return np.asarray(p / p.sum(), dtype=np.float64)
