"""Pure generation of one simulated learner's learning data from their hidden traits.

``generate_learner(traits, rng, start, weeks)`` returns every row of the learner, by
table (:class:`twin.simulate.rows.Table`), with deterministic ids derived from the
learner's id. No database, no clock: the window starts at local midnight of ``start``
in the learner's time zone and lasts ``weeks`` weeks.

How traits become data (the ground truth analyses are tested against; the numbers are
measured by ``python -m benchmarks.simulator_truth_check``):

* **Recall** of a card at a review ``t`` days after its previous review is drawn with
  probability ``R0·e^(−k·t)·m``. ``m`` multiplies effects that do not depend on ``t``:
  time of day, content affinity and fatigue (each centred on the learner's own average,
  so R0 is their recall in their usual conditions), episodes, struggle objectives. An
  ML fit of ``R0·e^(−k·t)`` on (elapsed days, rating ≠ AGAIN) recovers ``k`` (±25% for
  ≥ 90% of learners); a card's first review is recalled with ``FIRST_REVIEW_RECALL·m``.
* **Scheduling** is adaptive, like a spaced-repetition scheduler on the learner's own
  curve: after each review the card falls due when ``e^(−k·t)`` reaches a target drawn
  per review (0.94–0.995 of R0; 14% of reviews are put off to 0.25–0.60, so long
  ``k·t`` are observed too and R0 and k stay identifiable). A session takes the cards
  due before the middle of the gap to the learner's next session, earliest first; the
  deck grows while the mean session keeps up, and a card leaves the queue once learned
  (10 recalls) or as a leech (3 lapses). Calm sessions have ≈ 20% AGAIN, ≈ 0.8 overall.
* **Rating quality** (HARD vs GOOD/EASY among recalled cards) follows a quality factor
  ``q`` with the same effects at full strength, so performance (share of GOOD/EASY)
  peaks at the chronotype's peak hour and drops after the attention span.
* **Session length**: missions plan the lower edge of the best bucket (the attention span
  lies inside it); shorter sessions complete fewer objectives and are rushed (lower
  quality); longer ones run past the attention span into fatigue (quality, and 70% as
  much recall, decay after it), so sessions in the best bucket score best. Lengths come
  from the best bucket (40%), its neighbours, and every other bucket (≥ 3 sessions each).
* **Content**: each session has a primary content type drawn from the affinities; every
  outcome of a session scales with the affinity of its type (dominant = best, and no
  other type within 60% of its affinity), and half its minutes go to that type.
* **Struggle objectives** (unmastered prerequisites and their dependents, plus
  objectives more complex than the learner's ability): recall × 0.62, HARD more often,
  validation scores × 0.6, fewer completions — session accuracy on them ≈ 0.5 against
  ≈ 0.8 on the learner's other objectives.
* **Chronotype**: a Gaussian (σ 1.5 h) around the peak hour lowers quality (by the
  amplitude, 0.32–0.44 far from the peak), recall (30% of it) and engagement (50% of it
  more); each session starts in the peak (or, without a chronotype, habit) hour 36% of
  the time, otherwise anywhere from 6 h before to 7 h after it; about 1.5 sessions per
  study day give about 100 sessions in 12 weeks.
* **Episodes** (intensity ``I`` 0.7–1): *overload* = about 1.6–2× the study hours
  (extra and 23:00–02:00 sessions, study on unplanned days, sessions × (1 + 0.6·I)
  while the attention span shrinks), answers ≈ 40–80% slower, cramming (new cards fill
  free slots and are recalled poorly; repeat recall × (1 − 0.15·I)): AGAIN ≈ 30–45%,
  5× more and longer pauses — session load > 60 on most days. *Burnout* = an overload
  phase of 5–8 days, then withdrawal: planned missions skipped (up to ≈ 75%), shorter
  and fewer sessions, performance and engagement falling day by day, while the sessions
  that happen stay slow, error-prone and paused.
* **Hidden load**: per session, ENGINE 5.4's load formula applied to the session's
  noise-free generative quantities (expected latency ratio to the learner's calm
  sessions, expected error rate, expected pause rate and share, expected decline of the
  GOOD/EASY share between the halves of the session, length beyond the best bucket's
  midpoint); returned as ``LearnerData.session_hidden_load`` and stored in the truth as
  ``sessionHiddenLoad`` (not in any other table).
* **Interventions** (optional, ``interventions={objective id or index: first day}``, the
  day counted from ``start`` in the learner's local calendar, or a ``date``): from the
  sessions of that day on, a learner with ``traits.intervention_responsive`` has the
  struggle penalties of that objective lifted ``INTERVENTION_LIFT_SHARE`` (75%) of the
  way back to 1 — recall × 0.62 → × 0.905, quality × 0.7 → × 0.925, validation × 0.6
  → × 0.9, completion × 0.6 → × 0.9; a non-responsive learner is unaffected. Every
  random draw is the same as in the run without interventions, so all rows dated before
  the earliest intervention day (sessions, reviews, validations, missions, events, their
  ids) are identical to it; end-of-window snapshots (card memory state, objective
  mastery, the truth's ``sessionHiddenLoad``) may differ. Per-review draws after the
  schedule are drawn for as many reviews as the run without interventions has (a second,
  intervention-free pass of the schedule counts them); extra reviews draw from a side
  stream of the learner's seed. The truth records them as ``interventions``.
* **Sharing**: ``share_patterns=True`` sets ``users.shareAnonymizedPatterns`` (default
  False), so cross-learner training may use the learner.
"""

# size: one generative model (~2,000 lines): every step of a simulated week — scheduling,
# recall, ratings, sessions, missions, events, episodes — reads and advances the same
# learner state and the same seeded random stream, so the rows of a seed depend on the
# order of the draws across all of them. Splitting it means moving that state into
# shared objects without changing one draw; do it with the seeded-row tests of
# tests/simulate/test_generate.py as the guard, not as a side effect of another change.

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np

from twin.analysis.cognitive.load import (
    DECLINE_POINTS_AT_MAX,
    DURATION_EXCESS_FRACTION_AT_MAX,
    ERROR_RATE_AT_MAX,
    EXPECTED_ERROR_RATE,
    LATENCY_RATIO_AT_MAX,
    LOAD_WEIGHTS,
    PAUSE_SHARE_AT_MAX,
    PAUSES_PER_HOUR_AT_MAX,
)
from twin.simulate.localtime import DAY_MS, HOUR_MS, LocalClock, local_clock
from twin.simulate.memory_batch import replay_cards, retrievability_at
from twin.simulate.rows import NULL_MS, Column, Kind, Table, iso_ms
from twin.simulate.traits import (
    CONTENT_TYPES,
    SESSION_BUCKETS,
    LearnerTraits,
    learner_rng,
    sample_traits,
)
from twin.simulate.window import DEFAULT_START as DEFAULT_START  # the fixed start (a Monday)

# --- catalogue -----------------------------------------------------------------------
COURSE_CATALOGUE: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Anatomy", "ANAT", ("upper limb", "thorax", "abdomen", "head and neck", "pelvis")),
    ("Physiology", "PHYS", ("cardiac cycle", "renal clearance", "respiration", "acid-base")),
    (
        "Pharmacology",
        "PHAR",
        ("pharmacokinetics", "autonomic drugs", "antibiotics", "anticoagulants"),
    ),
    ("Pathology", "PATH", ("inflammation", "neoplasia", "hemodynamics", "cell injury")),
    ("Biochemistry", "BIOC", ("glycolysis", "lipid metabolism", "enzyme kinetics", "vitamins")),
    ("Microbiology", "MICR", ("gram-positive cocci", "virology", "mycology", "parasites")),
    ("Immunology", "IMMU", ("innate immunity", "antibodies", "hypersensitivity", "transplants")),
    ("Neuroscience", "NEUR", ("cranial nerves", "spinal tracts", "basal ganglia", "stroke")),
)
OBJECTIVE_VERBS = ("Explain", "Describe", "Compare", "Apply", "Identify", "Interpret")
PROMPT_TYPES = ("EXPLAIN_TO_PATIENT", "CLINICAL_REASONING", "CONTROLLED_FAILURE")
RATINGS = ("AGAIN", "HARD", "GOOD", "EASY")

# --- calendar ------------------------------------------------------------------------
LECTURES_BEFORE_START_PER_COURSE = 2
LECTURE_UPLOAD_BEFORE_START_RANGE_DAYS = (3, 20)
LECTURE_UPLOAD_WINDOW_SHARE = 0.7  # later lectures arrive within this share of the window
LECTURE_UPLOAD_HOURS_LOCAL = (10.0, 22.0)
USER_CREATED_BEFORE_START_DAYS = 28
FUTURE_MISSION_DAYS = 7  # PENDING missions planned after the window
EXAM_OFFSET_RANGE_DAYS = (-10, 21)  # relative to the end of the window
EXAM_HOUR_LOCAL = 9.0

# --- sessions ------------------------------------------------------------------------
PEAK_SESSION_SHARE = 0.36  # sessions starting in the habit (peak) hour
START_SPREAD_BEFORE_HOURS = 6.0
START_SPREAD_AFTER_HOURS = 7.0
EARLIEST_START_HOUR_LOCAL = 6.0
LATEST_START_HOUR_LOCAL = 23.75
SECOND_SESSION_PROBABILITY = 0.5  # a second session on a study day
THIRD_SESSION_PROBABILITY = 0.15  # a third, given a second
UNPLANNED_SESSION_PROBABILITY = 0.08  # a session on a day without a mission
MIN_GAP_BETWEEN_SESSIONS_HOURS = 0.5
BEST_BUCKET_SESSION_SHARE = 0.40
NEIGHBOUR_BUCKET_WEIGHT = 2.0  # adjacent buckets are this many times as likely as far ones
BUCKET_SAMPLING_RANGES_MINUTES = ((15, 30), (30, 40), (40, 50), (50, 60), (60, 90), (90, 125))
MIN_SESSION_MINUTES = 10.0
MAX_SESSION_MINUTES = 180.0
PRIMARY_CONTENT_MINUTES_SHARE = 0.5  # of a session spent on its primary content type
FLASHCARD_SESSION_REVIEW_FACTOR = 1.25
OTHER_SESSION_REVIEW_FACTOR = 0.92
MIN_REVIEWS_PER_SESSION = 3
MAX_REVIEWS_PER_SESSION = 90
NEW_CARD_LOOKAHEAD_MS = 86_400_000  # cards due within a day count as load for new cards
MAX_NEW_CARDS_SHARE = 0.6  # of the learner's usual review slots per session
MISSION_NEW_CARDS_PER_OBJECTIVE = 1
DECK_BUDGET_FACTOR = 1.5  # cards due soon may exceed the mean session's slots by this factor
REVIEW_POSITION_RANGE = (0.02, 0.98)  # reviews fall strictly inside the session
MISSION_OBJECTIVES_RANGE = (2, 4)
RECENT_LECTURE_DAYS = 14
RECENT_LECTURE_WEIGHT = 3.0

# --- performance model ---------------------------------------------------------------
# Recall effects of the time of day, content and fatigue are centred on the learner's own
# mean over their calm sessions (see _SessionEffects): they move recall without biasing it.
CHRONO_RECALL_SHARE = 0.3  # share of the chronotype amplitude that also affects recall
CHRONO_ENGAGEMENT_SHARE = 0.5  # … and that lowers engagement on top of quality
FATIGUE_MAX_DROP = 0.6  # of quality, long after the attention span
FATIGUE_RECALL_SHARE = 0.7  # share of the fatigue drop that also lowers recall
FATIGUE_TAU_SPAN_SHARE = 0.12  # fatigue time constant as a share of the attention span
FATIGUE_TAU_MIN_MINUTES = 4.0
RUSH_QUALITY_PENALTY = 0.6  # quality × (1 − this × share of the planned minutes missing)
AFFINITY_MAX_PENALTY = 0.3  # quality (GOOD/EASY share, scores) of the least liked type
AFFINITY_RECALL_SHARE = 0.06  # share of that penalty that also affects recall
STRUGGLE_RECALL_FACTOR = 0.62
STRUGGLE_QUALITY_FACTOR = 0.7
STRUGGLE_COMPLETION_FACTOR = 0.6
# Interventions lift a struggle penalty this share of the way back to 1 (responsive learners).
INTERVENTION_LIFT_SHARE = 0.75
# Side stream of the learner's seed for per-review draws beyond the intervention-free count.
INTERVENTION_DRAW_STREAM = 0x1A7E
NO_INTERVENTION_DAY = np.iinfo(np.int64).max
COMPLEXITY_QUALITY_FACTOR = {"BASIC": 1.0, "INTERMEDIATE": 0.97, "ADVANCED": 0.93}
FIRST_REVIEW_RECALL = 0.95  # a new card (seen in its lecture) is recalled this often × m
RECALL_PROBABILITY_RANGE = (0.0, 0.99)
HARD_BASE = 0.08
HARD_SLOPE = 0.9
EASY_BASE = 0.18
COMPLETION_EFFICIENCY_RANGE = (1.0, 1.15)  # minutes of planned work done per minute

# --- adaptive review scheduling on the learner's own curve ------------------------------
# The next review is due when recall on the learner's curve falls to a target share of
# R0: usually 0.94–0.995; a share of reviews is put off to 0.25–0.60 (long intervals), so
# the decay is observed over a wide range of k·t. A session takes the cards that fall
# due before the middle of the gap to the learner's next session (reviewing them now is
# closer to their due time than waiting), at most ``DUE_LOOKAHEAD_MS`` ahead.
TARGET_RELATIVE_RECALL_RANGE = (0.94, 0.995)
PUT_OFF_SHARE = 0.14
PUT_OFF_RELATIVE_RECALL_RANGE = (0.25, 0.60)
DUE_LOOKAHEAD_MS = 24 * 3_600_000
DUE_GAP_SHARE = 0.5  # of the time to the next session
# A card is learned after this many recalled repeat reviews and leaves the review queue
# for the window (its next interval would exceed it); a card lapsing this often is a
# leech and is suspended. Both depend on past outcomes only, so the ML fit stays valid.
GRADUATION_RECALLS = 10
LEECH_LAPSES = 3
MIN_INTERVAL_DAYS = 0.3  # a card can come back in a later session of the same day
MAX_INTERVAL_DAYS = 30.0

# --- latency and pauses ----------------------------------------------------------------
LATENCY_SIGMA = 0.35
CARD_LATENCY_SIGMA = 0.2
AGAIN_LATENCY_FACTOR = 1.6
HARD_LATENCY_FACTOR = 1.25
FATIGUE_LATENCY_GAIN = 0.6
ANSWER_READ_RANGE_MS = (1_500, 6_000)
MAX_LATENCY_MS = 120_000
PAUSES_PER_HOUR = 2.0
MEAN_PAUSE_MS = 90_000.0

# --- episodes (effects scale with the episode's intensity I, 0.7–1) ---------------------
NO_PHASE, OVERLOAD_PHASE, WITHDRAWAL_PHASE = 0, 1, 2
OVERLOAD_SKIP_FACTOR = 0.3  # of the learner's irregularity: overloaded learners keep plans
OVERLOAD_UNPLANNED_STUDY_PROBABILITY = 0.5  # × I, studying on a day without a mission
OVERLOAD_SECOND_SESSION_PROBABILITY = 0.25
OVERLOAD_LATE_NIGHT_PROBABILITY = 0.5  # × I, an extra session at 23:00–02:00
LATE_NIGHT_START_RANGE_HOURS = (23.0, 25.5)
LATEST_LATE_NIGHT_START_HOURS = 26.0
OVERLOAD_DURATION_GAIN = 0.6  # minutes × (1 + gain·I)
OVERLOAD_SPAN_SHRINK = 0.3  # attention span × (1 − shrink·I)
OVERLOAD_RECALL_DROP = 0.15  # recall × (1 − drop·I)
# Overloaded learners cram: new cards fill every free slot, and crammed material is
# recalled poorly at its first review (× (1 − drop·I) on top). Most of the extra AGAIN
# is on first reviews, which a forgetting-curve fit does not use.
OVERLOAD_FIRST_RECALL_DROP = 0.45
OVERLOAD_QUALITY_DROP = 0.35
OVERLOAD_LATENCY_GAIN = 0.4  # latency × (1 + gain·I)
OVERLOAD_PAUSE_RATE_GAIN = 4.5  # pauses per hour × (1 + gain·I)
OVERLOAD_PAUSE_LENGTH_GAIN = 1.5  # mean pause × (1 + gain·I)
OVERLOAD_ENGAGEMENT_DROP = 0.1
WITHDRAWAL_SKIP = 0.75  # extra skip probability × I, growing from 60% to 100% over the phase
WITHDRAWAL_SKIP_START_SHARE = 0.6
WITHDRAWAL_SECOND_SESSION_FACTOR = 0.3
WITHDRAWAL_DURATION_DROP = 0.35  # minutes × (1 − drop·I)
WITHDRAWAL_RECALL_DROP = 0.25
WITHDRAWAL_QUALITY_DROP = 0.2  # quality × (1 − (drop + decline·progress)·I)
WITHDRAWAL_QUALITY_DECLINE = 0.25
WITHDRAWAL_LATENCY_GAIN = 0.7
WITHDRAWAL_PAUSE_RATE_GAIN = 3.0
WITHDRAWAL_PAUSE_LENGTH_GAIN = 1.2
WITHDRAWAL_ENGAGEMENT_DROP = 0.3  # × I × (0.5 + 0.5·progress)

# --- hidden load -------------------------------------------------------------------------
# The optimal session length the engine should find: the best bucket's midpoint (5.1).
BUCKET_MIDPOINT_MINUTES = (15.0, 35.0, 45.0, 55.0, 75.0, 90.0)
HIDDEN_LOAD_DECIMALS = 1

# --- validations, engagement, other events ------------------------------------------------
VALIDATIONS_PER_SESSION = 0.8
VALIDATIONS_EXTRA_FOR_ASSESSMENT_SESSIONS = 1.5
MAX_VALIDATIONS_PER_SESSION = 4
VALIDATION_BASE_SCORE = 0.88
# Share of the session's quality effects (time of day, content, rushing, fatigue, episodes)
# that a validation score carries: an explanation is judged less harshly than a recall.
VALIDATION_EFFECT_SHARE = 0.6
VALIDATION_SCORE_SD = 0.08
STRUGGLE_VALIDATION_FACTOR = 0.6
VALIDATION_CONFIDENCE_SD = 0.15
# Prompt-type mix (EXPLAIN_TO_PATIENT, CLINICAL_REASONING, CONTROLLED_FAILURE) by the
# session's primary content type.
PROMPT_TYPE_WEIGHTS: dict[str, tuple[float, float, float]] = {
    "clinical_reasoning": (0.15, 0.70, 0.15),
    "validation": (0.60, 0.00, 0.40),
    "other": (0.45, 0.30, 0.25),
}
SELF_ASSESSMENT_NOISE_SD = 0.5  # on the 1–5 scale
CONFIDENCE_RATING_NOISE_SD = 0.1
DIFFICULTY_RATING_NOISE_SD = 0.5  # on the 1–5 scale
SEARCHES_PER_SESSION = 0.5
GRAPH_VIEWS_PER_SESSION = 0.3
ENGAGEMENT_NOISE_SD = 0.06
ENGAGEMENT_OVERRUN_PENALTY = 0.3
ENGAGEMENT_HIGH_MIN = 0.88
ENGAGEMENT_MEDIUM_MIN = 0.72
RUSHED_DURATION_SHARE = 0.6
THOROUGH_MIN_PERFORMANCE = 75
PERFORMANCE_REVIEW_WEIGHT = 0.7  # session performance = 0.7·GOOD/EASY share + 0.3·validation

# Ordering of events sharing a timestamp.
_EVENT_PRIORITY = {
    "LECTURE_UPLOADED": 0,
    "SESSION_STARTED": 1,
    "MISSION_STARTED": 2,
    "CARD_REVIEWED": 3,
    "VALIDATION_COMPLETED": 3,
    "SEARCH_PERFORMED": 3,
    "GRAPH_VIEWED": 3,
    "MISSION_COMPLETED": 4,
    "SESSION_ENDED": 5,
}

# Load order (foreign keys first); every table the simulator writes.
TABLE_ORDER: tuple[str, ...] = (
    "users",
    "courses",
    "lectures",
    "learning_objectives",
    "objective_prerequisites",
    "cards",
    "missions",
    "study_sessions",
    "reviews",
    "validation_responses",
    "exams",
    "behavioral_events",
    "simulation_truth",
)


@dataclass(frozen=True)
class LearnerData:
    """Everything generated for one learner: traits, rows by table (in load order), truth.

    ``session_hidden_load`` is the hidden load per study session (same order as the
    ``study_sessions`` rows; also in ``truth["sessionHiddenLoad"]``).
    """

    traits: LearnerTraits
    tables: dict[str, Table]
    truth: dict[str, Any]
    session_hidden_load: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def table(self, name: str) -> Table:
        """The rows of table ``name``."""
        return self.tables[name]


@dataclass
class _Sessions:
    """Per-session arrays built while planning the days."""

    day: list[int] = field(default_factory=list)
    start_ms: list[int] = field(default_factory=list)
    duration_min: list[float] = field(default_factory=list)
    primary: list[int] = field(default_factory=list)  # index into CONTENT_TYPES
    mission: list[int] = field(default_factory=list)  # mission index or -1
    phase: list[int] = field(default_factory=list)  # NO_PHASE, OVERLOAD_PHASE, WITHDRAWAL_PHASE
    intensity: list[float] = field(default_factory=list)
    progress: list[float] = field(default_factory=list)  # through the withdrawal, 0–1


@dataclass(frozen=True)
class _SessionEffects:
    """Per-session multipliers of the performance, latency and pause model."""

    recall: np.ndarray  # × recall probability
    quality: np.ndarray  # × quality (GOOD/EASY vs HARD), scores, engagement
    quality_no_affinity: np.ndarray
    engagement: np.ndarray  # × engagement (time of day), on top of quality
    latency: np.ndarray  # × response latency
    span: np.ndarray  # effective attention span, minutes
    pause_rate: np.ndarray  # × pauses per hour
    pause_length: np.ndarray  # × mean pause
    engagement_drop: np.ndarray  # subtracted from engagement (0–1)
    first_recall: np.ndarray  # × recall of a card's first review (crammed new material)
    cramming: np.ndarray  # bool: new cards fill every free slot
    fatigue_recall_offset: float = 0.0  # the learner's usual recall loss to fatigue


Interventions = Mapping[int | str, int | date]
"""Objective (id or index) → first day the intervention takes effect (day index or date)."""
DayHours = Callable[[int, list[float]], list[float]]
"""(day index, the day's drawn local start hours) → the hours the sessions start at instead."""

SessionQuality = Callable[[np.ndarray], np.ndarray]
"""Session day indices → a multiplier of each session's quality and recall (the hook of
:mod:`twin.simulate.insights`: what following a recommendation, or a good week, does)."""


def lifted(factor: float) -> float:
    """A struggle penalty ``factor`` once an intervention has lifted it (responsive learners)."""
    return factor + INTERVENTION_LIFT_SHARE * (1.0 - factor)


def generate_cohort_learner(
    seed: int,
    index: int,
    start: date,
    weeks: int,
    *,
    interventions: Interventions | None = None,
    share_patterns: bool = False,
) -> LearnerData:
    """Sample learner ``index`` of cohort ``seed`` and generate their data."""
    rng = learner_rng(seed, index)
    traits = sample_traits(seed, index, weeks, rng, len(COURSE_CATALOGUE))
    return generate_learner(
        traits, rng, start, weeks, interventions=interventions, share_patterns=share_patterns
    )


def intervention_days(
    traits: LearnerTraits, start: date, interventions: Interventions | None
) -> dict[int, int]:
    """Objective index → first day of effect, validated; the earliest day wins per objective.

    Keys are objective indices or ids (``<userId>-o<i>``); values day indices from
    ``start`` (≥ 0) or dates. Raises ``ValueError`` naming the bad entry.
    """
    n = len(traits.curriculum.objective_lecture)
    prefix = f"{traits.user_id}-o"
    days: dict[int, int] = {}
    for key, when in (interventions or {}).items():
        if isinstance(key, str):
            suffix = key.removeprefix(prefix)
            if suffix == key or not suffix.isdigit():
                raise ValueError(
                    f"intervention objective {key!r} is not an objective of {traits.user_id}"
                )
            objective = int(suffix)
        else:
            objective = int(key)
        if not 0 <= objective < n:
            raise ValueError(f"intervention objective {key!r} is out of range (0–{n - 1})")
        day = (when - start).days if isinstance(when, date) else int(when)
        if day < 0:
            raise ValueError(f"intervention day of {key!r} is before the window start ({day})")
        days[objective] = min(day, days.get(objective, day))
    return days


def _affinity_factor(affinities: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 - AFFINITY_MAX_PENALTY * (1.0 - affinities / affinities.max()))


def _fatigue(minutes_in: np.ndarray, span: np.ndarray | float) -> np.ndarray:
    """Quality multiplier at ``minutes_in`` minutes into a session with attention span ``span``."""
    over = np.maximum(0.0, minutes_in - span)
    tau = np.maximum(FATIGUE_TAU_MIN_MINUTES, FATIGUE_TAU_SPAN_SHARE * np.asarray(span))
    return np.asarray(1.0 - FATIGUE_MAX_DROP * (1.0 - np.exp(-over / tau)))


def _usual_fatigue_drop(minutes: np.ndarray, span: float) -> float:
    """Mean quality drop to fatigue over the reviews of sessions of these lengths.

    Reviews are spread evenly over a session (and their number grows with its length),
    so this is the minute-weighted mean over sessions of the drop averaged over time.
    """
    if len(minutes) == 0:
        return 0.0
    tau = max(FATIGUE_TAU_MIN_MINUTES, FATIGUE_TAU_SPAN_SHARE * span)
    over = np.maximum(0.0, minutes - span)
    integral = FATIGUE_MAX_DROP * (over - tau * (1 - np.exp(-over / tau)))
    return float(integral.sum() / minutes.sum())


def _episode_days(traits: LearnerTraits, days: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per day: phase, intensity, and progress through the withdrawal (0 → 1)."""
    phase = np.full(days, NO_PHASE, dtype=np.int64)
    intensity = np.zeros(days)
    progress = np.zeros(days)
    for e in traits.episodes:
        overload = np.arange(e.onset_day, min(days - 1, e.overload_last_day) + 1)
        phase[overload] = OVERLOAD_PHASE
        intensity[overload] = e.intensity
        withdrawal_onset = e.withdrawal_onset_day
        if withdrawal_onset is not None and withdrawal_onset < days:
            span = np.arange(withdrawal_onset, min(days - 1, e.end_day) + 1)
            phase[span] = WITHDRAWAL_PHASE
            intensity[span] = e.intensity
            progress[span] = (span - withdrawal_onset) / max(1, e.end_day - withdrawal_onset)
    return phase, intensity, progress


def _start_hour(rng: np.random.Generator, habit: int) -> float:
    """A session's local start hour: the habit (peak) hour 36% of the time, else spread around it."""
    if rng.random() < PEAK_SESSION_SHARE:
        return habit + float(rng.random())
    low = max(EARLIEST_START_HOUR_LOCAL, habit - START_SPREAD_BEFORE_HOURS)
    high = min(LATEST_START_HOUR_LOCAL, habit + START_SPREAD_AFTER_HOURS)
    return float(rng.uniform(low, high))


def _bucket_weights(best_bucket: int) -> np.ndarray:
    """Cumulative probabilities of the session-length buckets for a learner's best bucket.

    The best bucket 40% of the time; its neighbours ``NEIGHBOUR_BUCKET_WEIGHT`` times as
    often as the other buckets.
    """
    n = len(SESSION_BUCKETS)
    distance = np.abs(np.arange(n) - best_bucket)
    weights = np.where(
        distance == 0,
        BEST_BUCKET_SESSION_SHARE,
        np.where(distance == 1, NEIGHBOUR_BUCKET_WEIGHT, 1.0),
    )
    others = distance > 0
    weights[others] *= (1 - BEST_BUCKET_SESSION_SHARE) / weights[others].sum()
    return np.asarray(np.cumsum(weights))


def _session_minutes(rng: np.random.Generator, cumulative: np.ndarray) -> float:
    """A session length drawn from the buckets (``cumulative`` from :func:`_bucket_weights`)."""
    n = len(cumulative)
    bucket = min(n - 1, int(np.searchsorted(cumulative, rng.random(), side="right")))
    low, high = BUCKET_SAMPLING_RANGES_MINUTES[bucket]
    return float(rng.uniform(low, high))


def _scaled(value: np.ndarray, zero_at: float, max_at: float) -> np.ndarray:
    """ENGINE 5.4's linear sub-score, vectorised: 0 at or below ``zero_at``, 100 at ``max_at``."""
    return np.asarray(np.clip(100.0 * (value - zero_at) / (max_at - zero_at), 0.0, 100.0))


def _half_difference(values: np.ndarray, session: np.ndarray, n_sessions: int) -> np.ndarray:
    """Per session: mean of the first half of ``values`` minus the second half (time order).

    ``session`` must be sorted (the reviews of a session are contiguous and in time order);
    with an odd count the middle value is left out; 0 for sessions under 2 values.
    """
    counts = np.bincount(session, minlength=n_sessions)
    first = np.r_[0, np.cumsum(counts)[:-1]]
    rank = np.arange(len(session)) - first[session]
    half = counts // 2
    n = counts[session]
    in_first = rank < half[session]
    in_second = rank >= n - half[session]
    s1 = np.bincount(session, weights=values * in_first, minlength=n_sessions)
    s2 = np.bincount(session, weights=values * in_second, minlength=n_sessions)
    with np.errstate(invalid="ignore", divide="ignore"):
        diff = np.where(half > 0, (s1 - s2) / np.maximum(half, 1), 0.0)
    return np.asarray(diff)


def generate_learner(
    traits: LearnerTraits,
    rng: np.random.Generator,
    start: date,
    weeks: int,
    *,
    interventions: Interventions | None = None,
    share_patterns: bool = False,
    day_hours: DayHours | None = None,
    session_quality: SessionQuality | None = None,
) -> LearnerData:
    """Every row of one learner over ``weeks`` weeks from local ``start`` (pure).

    ``interventions`` (objective id or index → first day of effect) lift the struggle
    penalties of responsive learners from that day (see the module docstring);
    ``share_patterns`` sets ``users.shareAnonymizedPatterns``; ``day_hours`` may move the
    day's drawn session start hours (a calendar, :mod:`twin.simulate.calendars`).
    ``session_quality`` (session day indices → multiplier) scales each session's quality and
    recall.
    """
    return _Generator(
        traits,
        rng,
        start,
        weeks,
        interventions=interventions,
        share_patterns=share_patterns,
        day_hours=day_hours,
        session_quality=session_quality,
    ).run()


class _Generator:
    """One learner's simulation; state lives here only while generating."""

    def __init__(
        self,
        traits: LearnerTraits,
        rng: np.random.Generator,
        start: date,
        weeks: int,
        *,
        interventions: Interventions | None = None,
        share_patterns: bool = False,
        day_hours: DayHours | None = None,
        session_quality: SessionQuality | None = None,
    ) -> None:
        self.t = traits
        self.day_hours = day_hours
        self.session_quality = session_quality
        self.rng = rng
        self.start = start
        self.days = weeks * 7
        self.clock: LocalClock = local_clock(traits.timezone, start, self.days)
        self.uid = traits.user_id
        cur = traits.curriculum
        self.n_objectives = len(cur.objective_lecture)
        self.n_cards = len(cur.card_objective)
        self.n_lectures = len(cur.lecture_course)
        self.card_objective = np.asarray(cur.card_objective, dtype=np.int64)
        self.objective_lecture = np.asarray(cur.objective_lecture, dtype=np.int64)
        struggle = np.zeros(self.n_objectives, dtype=bool)
        struggle[list(traits.struggle_objectives)] = True
        self.objective_struggle = struggle
        self.card_struggle = struggle[self.card_objective]
        self.share_patterns = share_patterns
        self.intervention_days = intervention_days(traits, start, interventions)
        self.interventions_given = interventions is not None
        effect_day = np.full(self.n_objectives, NO_INTERVENTION_DAY, dtype=np.int64)
        if traits.intervention_responsive:
            for objective, day in self.intervention_days.items():
                effect_day[objective] = day
        self.objective_effect_day = effect_day
        self.card_effect_day = effect_day[self.card_objective]
        # Only struggle objectives have penalties to lift.
        self.lifts = bool(np.any(struggle & (effect_day < self.days)))
        self.session_day = np.zeros(0, dtype=np.int64)
        self.affinity = np.asarray(traits.content_affinities)
        self.affinity_factor = _affinity_factor(self.affinity)
        self.window_start_ms = self.clock.to_utc_ms(start, 0.0)
        self.window_end_ms = self.clock.to_utc_ms(start + timedelta(days=self.days), 0.0)

    # --- calendar ------------------------------------------------------------------------
    def _lecture_uploads(self) -> np.ndarray:
        rng = self.rng
        uploads = np.zeros(self.n_lectures, dtype=np.int64)
        seen_per_course: dict[int, int] = {}
        for lecture, course in enumerate(self.t.curriculum.lecture_course):
            n = seen_per_course.get(course, 0)
            seen_per_course[course] = n + 1
            if n < LECTURES_BEFORE_START_PER_COURSE:
                day = -int(rng.integers(*LECTURE_UPLOAD_BEFORE_START_RANGE_DAYS))
            else:
                day = int(rng.integers(0, max(1, int(self.days * LECTURE_UPLOAD_WINDOW_SHARE))))
            hour = float(rng.uniform(*LECTURE_UPLOAD_HOURS_LOCAL))
            uploads[lecture] = self.clock.to_utc_ms(self.start + timedelta(days=day), hour)
        return uploads

    def _day_sessions(
        self, planned: bool, phase: int, intensity: float, skip_p: float
    ) -> tuple[str | None, int, bool]:
        """(mission status or None, daytime sessions, late-night session?) of one day."""
        rng = self.rng
        status: str | None = None
        studies = False
        if planned:
            if rng.random() < skip_p:
                status = "SKIPPED"
            else:
                status = "PLANNED"
                studies = True
        elif phase == OVERLOAD_PHASE:
            studies = rng.random() < OVERLOAD_UNPLANNED_STUDY_PROBABILITY * intensity
        else:
            studies = rng.random() < UNPLANNED_SESSION_PROBABILITY * (1 - skip_p)
        if not studies:
            return status, 0, False
        if phase == OVERLOAD_PHASE:
            second_p = OVERLOAD_SECOND_SESSION_PROBABILITY
        elif phase == WITHDRAWAL_PHASE:
            second_p = SECOND_SESSION_PROBABILITY * WITHDRAWAL_SECOND_SESSION_FACTOR
        else:
            second_p = SECOND_SESSION_PROBABILITY
        n = 1
        if rng.random() < second_p:
            n += 1 + (rng.random() < THIRD_SESSION_PROBABILITY)
        late = (
            phase == OVERLOAD_PHASE and rng.random() < OVERLOAD_LATE_NIGHT_PROBABILITY * intensity
        )
        return status, n, late

    def _plan(self) -> tuple[_Sessions, list[tuple[int, str]]]:
        """Days → missions (day, status placeholder) and sessions."""
        t, rng = self.t, self.rng
        phase, intensity, progress = _episode_days(t, self.days)
        sessions = _Sessions()
        missions: list[tuple[int, str]] = []  # (day, "SKIPPED" | "PLANNED" | "PENDING")
        start_weekday = self.start.weekday()
        bucket_weights = _bucket_weights(t.best_session_bucket)
        for day in range(self.days):
            weekday = (start_weekday + day) % 7
            planned = weekday in t.study_weekdays
            ph, level = int(phase[day]), float(intensity[day])
            skip_p = t.irregularity
            if ph == OVERLOAD_PHASE:
                skip_p *= OVERLOAD_SKIP_FACTOR
            elif ph == WITHDRAWAL_PHASE:
                ramp = (
                    WITHDRAWAL_SKIP_START_SHARE + (1 - WITHDRAWAL_SKIP_START_SHARE) * progress[day]
                )
                skip_p += (1 - skip_p) * WITHDRAWAL_SKIP * level * ramp
            status, n_day, late = self._day_sessions(planned, ph, level, skip_p)
            mission = -1
            if status is not None:
                mission = len(missions)
                missions.append((day, status))
            hours = sorted(self._session_start_hour(day, ph, level) for _ in range(n_day))
            if self.day_hours is not None:
                # Moves start hours only (same count, no draws): every later draw is unchanged.
                hours = sorted(self.day_hours(day, hours))
            if late:
                hours.append(float(rng.uniform(*LATE_NIGHT_START_RANGE_HOURS)))
            previous_end = -math.inf
            for j, wanted in enumerate(hours):
                is_late = late and j == len(hours) - 1
                minutes = _session_minutes(rng, bucket_weights)
                if ph == OVERLOAD_PHASE:
                    minutes *= 1 + OVERLOAD_DURATION_GAIN * level
                elif ph == WITHDRAWAL_PHASE:
                    minutes *= 1 - WITHDRAWAL_DURATION_DROP * level
                minutes = min(MAX_SESSION_MINUTES, max(MIN_SESSION_MINUTES, minutes))
                hour = max(wanted, previous_end + MIN_GAP_BETWEEN_SESSIONS_HOURS)
                latest = LATEST_LATE_NIGHT_START_HOURS if is_late else LATEST_START_HOUR_LOCAL
                if hour > latest:
                    continue  # no room left today (a late-night session may still follow)
                previous_end = hour + minutes / 60.0
                sessions.day.append(day)
                sessions.start_ms.append(
                    self.clock.to_utc_ms(self.start + timedelta(days=day), hour)
                )
                sessions.duration_min.append(minutes)
                sessions.primary.append(int(rng.choice(len(CONTENT_TYPES), p=self.affinity)))
                sessions.mission.append(mission if j == 0 and status == "PLANNED" else -1)
                sessions.phase.append(ph)
                sessions.intensity.append(level)
                sessions.progress.append(float(progress[day]))
        for day in range(self.days, self.days + FUTURE_MISSION_DAYS):
            if (start_weekday + day) % 7 in t.study_weekdays:
                missions.append((day, "PENDING"))
        return sessions, missions

    def _effects(
        self, plan: _Sessions, start_hour: np.ndarray, minutes: np.ndarray
    ) -> _SessionEffects:
        """Per-session multipliers from the chronotype, content, rushing and episodes.

        Recall effects of the time of day, content and fatigue are centred on their mean
        over the learner's calm sessions, so they add contrast without moving the
        learner's usual recall (R0 is the recall in their usual conditions).
        """
        t = self.t
        n_s = len(plan.day)
        phase = np.asarray(plan.phase, dtype=np.int64)
        level = np.asarray(plan.intensity)
        prog = np.asarray(plan.progress)
        over = phase == OVERLOAD_PHASE
        withdraw = phase == WITHDRAWAL_PHASE
        calm = phase == NO_PHASE

        def calm_mean(values: np.ndarray) -> float:
            return float(values[calm].mean()) if calm.any() else 0.0

        def by_phase(overload: np.ndarray | float, withdrawal: np.ndarray | float) -> np.ndarray:
            return np.asarray(np.where(over, overload, np.where(withdraw, withdrawal, 1.0)))

        chrono = t.chronotype
        off = np.zeros(n_s)
        if chrono.peak_hour_local is not None:
            d = np.abs(start_hour - (chrono.peak_hour_local + 0.5))
            d = np.minimum(d, 24 - d)
            off = 1 - np.exp(-(d**2) / (2 * chrono.falloff_hours**2))
        amplitude = chrono.amplitude
        q_chrono = 1 - amplitude * off
        m_chrono = 1 + CHRONO_RECALL_SHARE * amplitude * (calm_mean(off) - off)
        a_sess = self.affinity_factor[np.asarray(plan.primary, dtype=np.int64)]
        m_affinity = 1 + AFFINITY_RECALL_SHARE * (a_sess - calm_mean(a_sess))
        rush = 1 - RUSH_QUALITY_PENALTY * np.maximum(0.0, 1 - minutes / t.planned_session_minutes)
        e_recall = by_phase(1 - OVERLOAD_RECALL_DROP * level, 1 - WITHDRAWAL_RECALL_DROP * level)
        e_quality = by_phase(
            1 - OVERLOAD_QUALITY_DROP * level,
            1 - (WITHDRAWAL_QUALITY_DROP + WITHDRAWAL_QUALITY_DECLINE * prog) * level,
        )
        quality_no_affinity = q_chrono * e_quality * rush
        boost = np.ones(n_s)
        if self.session_quality is not None:
            boost = self.session_quality(np.asarray(plan.day, dtype=np.int64))
            quality_no_affinity = quality_no_affinity * boost
        span = t.attention_span_minutes * by_phase(1 - OVERLOAD_SPAN_SHRINK * level, 1.0)
        return _SessionEffects(
            recall=m_chrono * m_affinity * e_recall * boost,
            quality=quality_no_affinity * a_sess,
            quality_no_affinity=quality_no_affinity,
            engagement=1 - CHRONO_ENGAGEMENT_SHARE * amplitude * off,
            latency=by_phase(
                1 + OVERLOAD_LATENCY_GAIN * level, 1 + WITHDRAWAL_LATENCY_GAIN * level
            ),
            span=span,
            pause_rate=by_phase(
                1 + OVERLOAD_PAUSE_RATE_GAIN * level, 1 + WITHDRAWAL_PAUSE_RATE_GAIN * level
            ),
            pause_length=by_phase(
                1 + OVERLOAD_PAUSE_LENGTH_GAIN * level, 1 + WITHDRAWAL_PAUSE_LENGTH_GAIN * level
            ),
            engagement_drop=np.where(
                over,
                OVERLOAD_ENGAGEMENT_DROP * level,
                np.where(withdraw, WITHDRAWAL_ENGAGEMENT_DROP * level * (0.5 + 0.5 * prog), 0.0),
            ),
            first_recall=by_phase(1 - OVERLOAD_FIRST_RECALL_DROP * level, 1.0),
            cramming=over,
            fatigue_recall_offset=FATIGUE_RECALL_SHARE
            * _usual_fatigue_drop(minutes[calm], t.attention_span_minutes),
        )

    # --- hooks a second generative family overrides (twin.simulate.srs_family) ------------
    def _session_start_hour(self, day: int, phase: int, intensity: float) -> float:
        """Local start hour of one daytime session on ``day`` (its episode phase and intensity)."""
        return _start_hour(self.rng, self.t.habit_hour_local)

    def _start_schedule(self) -> None:
        """Reset per-card memory before a pass of the review schedule (there may be two)."""

    def _repeat_curve(self, cards: np.ndarray, days_since: np.ndarray) -> np.ndarray:
        """Recall probability of repeat reviews before session effects: ``R0·e^(−k·t)``."""
        t = self.t
        return np.asarray(t.initial_recall_r0 * np.exp(-t.forgetting_rate_k_per_day * days_since))

    def _review_intervals(
        self,
        relative: np.ndarray,
        cards: np.ndarray,
        recalled: np.ndarray,
        first_time: np.ndarray,
        days_since: np.ndarray,
    ) -> np.ndarray:
        """Days until the just-reviewed ``cards`` are due again (``relative`` = drawn targets)."""
        return self._next_intervals(relative)

    # --- main ----------------------------------------------------------------------------
    def run(self) -> LearnerData:
        """Plan the days, simulate sessions and reviews, and assemble the rows."""
        t, rng = self.t, self.rng
        uploads = self._lecture_uploads()
        card_intro_ms = uploads[self.objective_lecture[self.card_objective]]
        plan, missions = self._plan()
        n_s = len(plan.day)
        s_start = np.asarray(plan.start_ms, dtype=np.int64)
        s_minutes = np.asarray(plan.duration_min)
        s_dur_ms = np.rint(s_minutes * 60_000).astype(np.int64)
        s_end = s_start + s_dur_ms
        s_primary = np.asarray(plan.primary, dtype=np.int64)
        s_mission = np.asarray(plan.mission, dtype=np.int64)
        self.session_day = np.asarray(plan.day, dtype=np.int64)
        local_start = self.clock.local_ms(s_start)
        start_hour = (local_start % DAY_MS) / HOUR_MS
        effects = self._adjust_effects(plan, self._effects(plan, start_hour, s_minutes))

        review_factor = np.where(
            s_primary == CONTENT_TYPES.index("flashcard"),
            FLASHCARD_SESSION_REVIEW_FACTOR,
            OTHER_SESSION_REVIEW_FACTOR,
        )
        expected_reviews = s_minutes * t.reviews_per_minute * review_factor
        slots = np.clip(
            rng.poisson(expected_reviews) if n_s else np.zeros(0, dtype=np.int64),
            MIN_REVIEWS_PER_SESSION,
            MAX_REVIEWS_PER_SESSION,
        )

        # Missions: objectives planned per mission (active objectives, recent lectures favoured).
        mission_objectives = self._mission_objectives(missions, uploads)
        session_objectives = [mission_objectives[m] if m >= 0 else [] for m in s_mission.tolist()]

        reviews = self._reviews(
            s_start, s_dur_ms, slots, session_objectives, card_intro_ms, effects
        )
        validations = self._validations(
            s_start,
            s_dur_ms,
            s_primary,
            session_objectives,
            effects,
            reviews["seen_objectives_at"],
        )
        return self._assemble(
            uploads=uploads,
            plan=plan,
            missions=missions,
            mission_objectives=mission_objectives,
            s_start=s_start,
            s_end=s_end,
            s_dur_ms=s_dur_ms,
            s_minutes=s_minutes,
            s_primary=s_primary,
            effects=effects,
            reviews=reviews,
            validations=validations,
        )

    def _mission_objectives(
        self, missions: list[tuple[int, str]], uploads: np.ndarray
    ) -> list[list[int]]:
        """Objectives of each mission: a weighted draw without replacement among active ones."""
        rng = self.rng
        if not missions:
            return []
        obj_upload = uploads[self.objective_lecture]
        day_start = self.window_start_ms + np.array([d for d, _ in missions]) * DAY_MS
        active = obj_upload[None, :] <= (day_start + DAY_MS)[:, None]
        active[~active.any(axis=1)] = True
        recent = obj_upload[None, :] >= (day_start - RECENT_LECTURE_DAYS * DAY_MS)[:, None]
        weight = np.where(recent, RECENT_LECTURE_WEIGHT, 1.0)
        # Efraimidis–Spirakis: the n largest of u^(1/w) are a weighted sample without replacement.
        keys = np.where(active, np.log(rng.random(active.shape)) / weight, -np.inf)
        wanted = rng.integers(
            MISSION_OBJECTIVES_RANGE[0], MISSION_OBJECTIVES_RANGE[1] + 1, len(missions)
        )
        n = np.minimum(wanted, active.sum(axis=1))
        order = np.argsort(-keys, axis=1, kind="stable")
        return [sorted(order[m, : n[m]].tolist()) for m in range(len(missions))]

    def _next_intervals(self, relative: np.ndarray) -> np.ndarray:
        """Days until just-reviewed cards are due: ``e^(−k·t)`` falls to ``relative`` (of R0)."""
        days = -np.log(relative) / self.t.forgetting_rate_k_per_day
        return np.asarray(np.minimum(MAX_INTERVAL_DAYS, np.maximum(MIN_INTERVAL_DAYS, days)))

    def _reviews(
        self,
        s_start: np.ndarray,
        s_dur_ms: np.ndarray,
        slots: np.ndarray,
        session_objectives: list[list[int]],
        card_intro_ms: np.ndarray,
        effects: _SessionEffects,
    ) -> dict[str, Any]:
        """Session by session: which cards are reviewed, when, and whether they are recalled.

        Recall is drawn inside the loop because graduation and leech suspension depend
        on past outcomes; ratings, latencies and memory state are then vectorised.
        """
        t, rng = self.t, self.rng
        n_cards = self.n_cards
        complexity_q = np.array(
            [COMPLEXITY_QUALITY_FACTOR[c] for c in t.curriculum.objective_complexity]
        )[self.card_objective]
        card_q = np.where(self.card_struggle, STRUGGLE_QUALITY_FACTOR, 1.0) * complexity_q
        card_m = np.where(self.card_struggle, STRUGGLE_RECALL_FACTOR, 1.0)
        lifted_q = np.where(self.card_struggle, lifted(STRUGGLE_QUALITY_FACTOR), 1.0) * complexity_q
        lifted_m = np.where(self.card_struggle, lifted(STRUGGLE_RECALL_FACTOR), 1.0)
        card_effect_day = self.card_effect_day
        s_day = self.session_day
        card_latency = np.exp(rng.normal(0.0, CARD_LATENCY_SIGMA, n_cards))
        # The deck grows only while the learner's usual session could keep up with it.
        typical = max(
            MIN_REVIEWS_PER_SESSION,
            round(DECK_BUDGET_FACTOR * float(np.mean(slots))) if len(slots) else 0,
        )
        # Cards are generated objective by objective: objective o owns card_range[o]:card_range[o+1].
        card_range = np.searchsorted(self.card_objective, np.arange(self.n_objectives + 1))
        # Random draws for every review slot, up front (a session reviews at most its slots).
        block_start = np.r_[0, np.cumsum(slots)].astype(np.int64)
        total = int(block_start[-1])
        u_order = rng.random(total)
        u_position = rng.uniform(*REVIEW_POSITION_RANGE, total)
        u_recall = rng.random(total)
        target = np.where(
            rng.random(total) < PUT_OFF_SHARE,
            rng.uniform(*PUT_OFF_RELATIVE_RECALL_RANGE, total),
            rng.uniform(*TARGET_RELATIVE_RECALL_RANGE, total),
        )
        gap_to_next = (
            np.diff(s_start, append=s_start[-1] + 2 * DUE_LOOKAHEAD_MS) if len(s_start) else s_start
        )
        lookahead = np.minimum(DUE_LOOKAHEAD_MS, np.rint(DUE_GAP_SHARE * gap_to_next)).astype(
            np.int64
        )

        def schedule(lift: bool) -> tuple[np.ndarray, ...]:
            """The session-by-session schedule (no draws); ``lift`` applies the interventions."""
            self._start_schedule()
            last = np.full(n_cards, NULL_MS, dtype=np.int64)
            due = np.full(n_cards, np.iinfo(np.int64).max, dtype=np.int64)
            seen = np.zeros(n_cards, dtype=bool)
            recalls = np.zeros(n_cards, dtype=np.int64)
            lapses = np.zeros(n_cards, dtype=np.int64)
            never = np.iinfo(np.int64).max
            out_card: list[np.ndarray] = []
            out_session: list[np.ndarray] = []
            out_time: list[np.ndarray] = []
            out_elapsed: list[np.ndarray] = []
            out_first: list[np.ndarray] = []
            out_p: list[np.ndarray] = []
            out_recalled: list[np.ndarray] = []
            out_fatigue: list[np.ndarray] = []
            for s in range(len(s_start)):
                t0 = int(s_start[s])
                n = int(slots[s])
                # Due before the middle of the gap to the next session (learning cards can come
                # back in a later session of the same day, as with a scheduler's learning steps).
                due_idx = np.flatnonzero(seen & (due <= t0 + int(lookahead[s])))
                # New cards only into spare capacity: cards due soon count against the slots.
                upcoming = int(np.count_nonzero(seen & (due <= t0 + NEW_CARD_LOOKAHEAD_MS)))
                if len(due_idx) > n:
                    due_idx = due_idx[np.argsort(due[due_idx], kind="stable")[:n]]
                if effects.cramming[s]:
                    # Overloaded learners cram new material into every free slot.
                    room = n - len(due_idx)
                else:
                    room = min(
                        n - len(due_idx), typical - upcoming, round(MAX_NEW_CARDS_SHARE * typical)
                    )
                objectives = session_objectives[s]
                new_idx = np.zeros(0, dtype=np.int64)
                if room > 0 or objectives:
                    fresh = ~seen & (card_intro_ms <= t0)
                    forced: list[int] = []
                    in_mission = np.zeros(n_cards, dtype=bool)
                    for o in objectives:
                        lo, hi = card_range[o], card_range[o + 1]
                        in_mission[lo:hi] = True
                        first_fresh = np.flatnonzero(fresh[lo:hi])[:MISSION_NEW_CARDS_PER_OBJECTIVE]
                        forced.extend((first_fresh + lo).tolist())
                    # A mission's objectives are always started, even over the deck budget.
                    forced = forced[: max(0, n - len(due_idx))]
                    fresh[forced] = False
                    candidates = np.concatenate(
                        [
                            np.asarray(forced, dtype=np.int64),
                            np.flatnonzero(fresh & in_mission),
                            np.flatnonzero(fresh & ~in_mission),
                        ]
                    )
                    new_idx = candidates[: max(0, room, len(forced))]
                chosen = np.concatenate([due_idx, new_idx])
                if len(chosen) == 0:
                    continue
                block = slice(int(block_start[s]), int(block_start[s]) + len(chosen))
                chosen = chosen[np.argsort(u_order[block], kind="stable")]
                pos = np.sort(u_position[block])
                at = t0 + np.rint(pos * s_dur_ms[s]).astype(np.int64)
                first_time = ~seen[chosen]
                days_since = np.where(first_time, 0.0, (at - last[chosen]) / DAY_MS)
                elapsed = np.where(first_time, np.nan, days_since)
                fatigue = _fatigue((at - t0) / 60_000.0, float(effects.span[s]))
                curve = np.where(
                    first_time,
                    FIRST_REVIEW_RECALL * effects.first_recall[s],
                    self._repeat_curve(chosen, days_since),
                )
                m_total = (
                    effects.recall[s]
                    * (1 + effects.fatigue_recall_offset - FATIGUE_RECALL_SHARE * (1 - fatigue))
                    * (
                        np.where(
                            card_effect_day[chosen] <= s_day[s], lifted_m[chosen], card_m[chosen]
                        )
                        if lift
                        else card_m[chosen]
                    )
                )
                p = np.minimum(
                    RECALL_PROBABILITY_RANGE[1],
                    np.maximum(RECALL_PROBABILITY_RANGE[0], curve * m_total),
                )
                recalled = u_recall[block] < p
                out_card.append(chosen)
                out_session.append(np.full(len(chosen), s, dtype=np.int64))
                out_time.append(at)
                out_elapsed.append(elapsed)
                out_first.append(first_time)
                out_p.append(p)
                out_recalled.append(recalled)
                out_fatigue.append(fatigue)
                last[chosen] = at
                recalls[chosen] += recalled & ~first_time
                lapses[chosen] += ~recalled & ~first_time
                intervals = self._review_intervals(
                    target[block], chosen, recalled, first_time, days_since
                )
                next_due = at + np.rint(intervals * DAY_MS).astype(np.int64)
                done = (recalls[chosen] >= GRADUATION_RECALLS) | (lapses[chosen] >= LEECH_LAPSES)
                due[chosen] = np.where(done, never, next_due)
                seen[chosen] = True
            if out_card:
                card = np.concatenate(out_card)
                session = np.concatenate(out_session)
                at = np.concatenate(out_time)
                elapsed = np.concatenate(out_elapsed)
                first = np.concatenate(out_first)
                p = np.concatenate(out_p)
                recalled = np.concatenate(out_recalled)
                fatigue = np.concatenate(out_fatigue)
            else:
                card = session = at = np.zeros(0, dtype=np.int64)
                elapsed = p = fatigue = np.zeros(0)
                first = recalled = np.zeros(0, dtype=bool)
            return card, session, at, elapsed, first, p, recalled, fatigue

        card, session, at, elapsed, first, p, recalled, fatigue = schedule(self.lifts)
        n = len(card)
        # Per-review draws: as many as the run without interventions makes (so that every
        # later draw, and every review before the first intervention day, is unchanged);
        # reviews beyond that count draw from a side stream.
        n_draw = len(schedule(False)[0]) if self.lifts else n
        u = rng.random(n_draw)
        latency_noise = rng.normal(0.0, LATENCY_SIGMA, n_draw)
        read_draw = rng.integers(*ANSWER_READ_RANGE_MS, n_draw)
        if n > n_draw:
            side = np.random.default_rng(
                np.random.SeedSequence([t.seed, t.index, INTERVENTION_DRAW_STREAM])
            )
            extra = n - n_draw
            u = np.concatenate([u, side.random(extra)])
            latency_noise = np.concatenate([latency_noise, side.normal(0.0, LATENCY_SIGMA, extra)])
            read_draw = np.concatenate([read_draw, side.integers(*ANSWER_READ_RANGE_MS, extra)])
        u, latency_noise, read_draw = u[:n], latency_noise[:n], read_draw[:n]
        review_q = (
            np.where(card_effect_day[card] <= s_day[session], lifted_q[card], card_q[card])
            if self.lifts
            else card_q[card]
        )
        q_total = effects.quality[session] * fatigue * review_q
        p_hard = np.clip(HARD_BASE + HARD_SLOPE * (1 - q_total), 0.0, 0.9)
        p_easy = EASY_BASE * q_total**2
        rating = np.where(
            ~recalled, 1, np.where(u < p_hard, 2, np.where(u > 1 - p_easy, 4, 3))
        ).astype(np.int64)
        fatigue_latency = 1 + FATIGUE_LATENCY_GAIN * (1 - fatigue) / FATIGUE_MAX_DROP
        rating_latency = np.where(
            rating == 1, AGAIN_LATENCY_FACTOR, np.where(rating == 2, HARD_LATENCY_FACTOR, 1.0)
        )
        slow = effects.latency[session]
        latency = (
            t.base_response_latency_ms
            * card_latency[card]
            * slow
            * fatigue_latency
            * rating_latency
            * np.exp(latency_noise)
        )
        latency_ms = np.minimum(np.rint(latency), MAX_LATENCY_MS).astype(np.int64)
        # Reading the answer slows down with the session's latency factor too.
        read_ms = np.rint(read_draw * slow).astype(np.int64)
        time_spent = latency_ms + read_ms
        replay = replay_cards(n_cards, card, at, rating)
        objective = self.card_objective[card]
        # When each objective was first studied (for validation prompts of extra sessions).
        first_seen = np.full(self.n_objectives, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(first_seen, objective, at)
        # Expected latency factor of each review (for the hidden load): everything but noise.
        expected_rating_latency = (1 - p) * AGAIN_LATENCY_FACTOR + p * (
            p_hard * HARD_LATENCY_FACTOR + (1 - p_hard)
        )
        return {
            "card": card,
            "session": session,
            "at": at,
            "elapsed": elapsed,
            "first": first,
            "rating": rating,
            "recalled": recalled,
            "latency_ms": latency_ms,
            "time_spent_ms": time_spent,
            "fatigue": fatigue,
            "replay": replay,
            "objective": objective,
            "seen_objectives_at": first_seen,
            "p_recall": p,
            "p_good": p * (1 - p_hard),
            "expected_latency": slow * fatigue_latency * expected_rating_latency,
        }

    def _validations(
        self,
        s_start: np.ndarray,
        s_dur_ms: np.ndarray,
        s_primary: np.ndarray,
        session_objectives: list[list[int]],
        effects: _SessionEffects,
        first_seen: np.ndarray,
    ) -> dict[str, np.ndarray]:
        rng = self.rng
        n_s = len(s_start)
        assessment = np.isin(
            s_primary,
            [CONTENT_TYPES.index("validation"), CONTENT_TYPES.index("clinical_reasoning")],
        )
        counts = (
            rng.poisson(
                VALIDATIONS_PER_SESSION + VALIDATIONS_EXTRA_FOR_ASSESSMENT_SESSIONS * assessment
            )
            if n_s
            else np.zeros(0, np.int64)
        )
        counts = np.minimum(counts, MAX_VALIDATIONS_PER_SESSION).astype(np.int64)
        session = np.repeat(np.arange(n_s), counts)
        n = len(session)
        pos = rng.uniform(*REVIEW_POSITION_RANGE, n)
        at = s_start[session] + np.rint(pos * s_dur_ms[session]).astype(np.int64)
        objective = np.empty(n, dtype=np.int64)
        u = rng.random(n)
        for i, s in enumerate(session.tolist()):
            options = session_objectives[s]
            if not options:
                studied = np.flatnonzero(first_seen <= at[i])
                options = studied.tolist() if len(studied) else list(range(self.n_objectives))
            objective[i] = options[int(u[i] * len(options))]
        prim = s_primary[session]
        clinical = CONTENT_TYPES.index("clinical_reasoning")
        validation = CONTENT_TYPES.index("validation")
        cumulative = np.cumsum(
            [
                PROMPT_TYPE_WEIGHTS.get(CONTENT_TYPES[p], PROMPT_TYPE_WEIGHTS["other"])
                for p in range(len(CONTENT_TYPES))
            ],
            axis=1,
        )
        v = rng.random(n)
        prompt = np.minimum(
            (v[:, None] >= cumulative[prim]).sum(axis=1), len(PROMPT_TYPES) - 1
        ).astype(np.int64)
        own_type = np.where(prompt == 1, clinical, validation)
        own_factor = np.sqrt(self.affinity_factor[own_type])
        fatigue = _fatigue((at - s_start[session]) / 60_000.0, effects.span[session])
        struggle = np.where(self.objective_struggle[objective], STRUGGLE_VALIDATION_FACTOR, 1.0)
        if self.lifts:
            effective = self.objective_effect_day[objective] <= self.session_day[session]
            struggle = np.where(
                self.objective_struggle[objective] & effective,
                lifted(STRUGGLE_VALIDATION_FACTOR),
                struggle,
            )
        factor = effects.quality_no_affinity[session] * self.affinity_factor[prim] * own_factor
        factor = factor * fatigue
        mean = VALIDATION_BASE_SCORE * (1 - VALIDATION_EFFECT_SHARE * (1 - factor)) * struggle
        score = np.clip(mean + rng.normal(0.0, VALIDATION_SCORE_SD, n), 0.0, 1.0).round(3)
        confidence = np.clip(score + rng.normal(0.0, VALIDATION_CONFIDENCE_SD, n), 0.0, 1.0)
        confidence = confidence.round(3)
        return {
            "session": session,
            "at": at,
            "objective": objective,
            "prompt": prompt,
            "content": own_type,
            "score": score,
            "confidence": confidence,
        }

    def _hidden_load(
        self,
        s_minutes: np.ndarray,
        phase: np.ndarray,
        effects: _SessionEffects,
        reviews: dict[str, Any],
    ) -> np.ndarray:
        """ENGINE 5.4's load formula on each session's noise-free generative quantities."""
        n_s = len(s_minutes)
        session = reviews["session"]
        n_rev = np.bincount(session, minlength=n_s)
        has = n_rev > 0
        denom = np.maximum(n_rev, 1)
        latency = np.bincount(session, weights=reviews["expected_latency"], minlength=n_s) / denom
        calm = has & (phase == NO_PHASE)
        baseline = float(np.median(latency[calm])) if calm.any() else 1.0
        error_rate = np.bincount(session, weights=1 - reviews["p_recall"], minlength=n_s) / denom
        decline_points = 100.0 * _half_difference(reviews["p_good"], session, n_s)
        pauses_per_hour = PAUSES_PER_HOUR * effects.pause_rate
        pause_share = np.minimum(
            1.0, pauses_per_hour * MEAN_PAUSE_MS * effects.pause_length / HOUR_MS
        )
        per_active_hour = pauses_per_hour / np.maximum(1e-9, 1 - pause_share)
        optimal = BUCKET_MIDPOINT_MINUTES[self.t.best_session_bucket]
        latency_ratio = np.where(has, latency / baseline, 1.0)
        w = LOAD_WEIGHTS
        load = (
            w.latency * _scaled(latency_ratio, 1.0, LATENCY_RATIO_AT_MAX)
            + w.errors
            * np.where(has, _scaled(error_rate, EXPECTED_ERROR_RATE, ERROR_RATE_AT_MAX), 0.0)
            + w.engagement
            * (
                _scaled(pause_share, 0.0, PAUSE_SHARE_AT_MAX)
                + _scaled(per_active_hour, 0.0, PAUSES_PER_HOUR_AT_MAX)
            )
            / 2
            + w.decline * _scaled(decline_points, 0.0, DECLINE_POINTS_AT_MAX)
            + w.duration
            * _scaled((s_minutes - optimal) / optimal, 0.0, DURATION_EXCESS_FRACTION_AT_MAX)
        )
        return np.asarray(np.round(np.clip(load, 0.0, 100.0), HIDDEN_LOAD_DECIMALS))

    # --- rows ----------------------------------------------------------------------------
    def _assemble(
        self,
        *,
        uploads: np.ndarray,
        plan: _Sessions,
        missions: list[tuple[int, str]],
        mission_objectives: list[list[int]],
        s_start: np.ndarray,
        s_end: np.ndarray,
        s_dur_ms: np.ndarray,
        s_minutes: np.ndarray,
        s_primary: np.ndarray,
        effects: _SessionEffects,
        reviews: dict[str, Any],
        validations: dict[str, np.ndarray],
    ) -> LearnerData:
        t, rng, uid, cur = self.t, self.rng, self.uid, self.t.curriculum
        n_s = len(s_start)
        s_quality = effects.quality
        planned_minutes = t.planned_session_minutes
        created_ms = self.window_start_ms - USER_CREATED_BEFORE_START_DAYS * DAY_MS
        session_ids = [f"{uid}-s{i}" for i in range(n_s)]
        mission_ids = [f"{uid}-m{i}" for i in range(len(missions))]
        objective_ids = [f"{uid}-o{i}" for i in range(self.n_objectives)]
        card_ids = [f"{uid}-k{i}" for i in range(self.n_cards)]
        lecture_ids = [f"{uid}-l{i}" for i in range(self.n_lectures)]
        course_ids = [f"{uid}-c{i}" for i in range(cur.course_count)]

        # --- per-session outcomes ---
        r_session = reviews["session"]
        rating = reviews["rating"]
        n_rev = np.bincount(r_session, minlength=n_s)
        n_good = np.bincount(r_session, weights=rating >= 3, minlength=n_s)
        n_correct = np.bincount(r_session, weights=rating >= 2, minlength=n_s)
        n_new = np.bincount(r_session, weights=reviews["first"], minlength=n_s).astype(np.int64)
        v_session = validations["session"]
        n_val = np.bincount(v_session, minlength=n_s)
        val_sum = np.bincount(v_session, weights=validations["score"], minlength=n_s)
        with np.errstate(invalid="ignore", divide="ignore"):
            good_share = np.where(n_rev > 0, n_good / np.maximum(n_rev, 1), np.nan)
            accuracy = np.where(n_rev > 0, n_correct / np.maximum(n_rev, 1), np.nan)
            val_mean = np.where(n_val > 0, val_sum / np.maximum(n_val, 1), np.nan)
        perf_raw = np.where(
            np.isnan(val_mean),
            good_share,
            np.where(
                np.isnan(good_share),
                val_mean,
                PERFORMANCE_REVIEW_WEIGHT * good_share + (1 - PERFORMANCE_REVIEW_WEIGHT) * val_mean,
            ),
        )
        perf = np.rint(100 * np.nan_to_num(perf_raw, nan=0.5)).astype(np.int64)

        # Mission completion of the sessions that run a mission.
        s_mission = np.asarray(plan.mission, dtype=np.int64)
        completions: list[str | None] = []
        planned_count = np.zeros(n_s, dtype=np.int64)
        done_count = np.zeros(n_s, dtype=np.int64)
        mission_done: dict[int, list[bool]] = {}
        efficiency = rng.uniform(*COMPLETION_EFFICIENCY_RANGE, n_s)
        # Accuracy per (session, objective) of the session's reviews, for self-assessments.
        pair = r_session * self.n_objectives + reviews["objective"]
        pair_n = np.bincount(pair, minlength=n_s * self.n_objectives)
        pair_ok = np.bincount(pair, weights=rating >= 2, minlength=n_s * self.n_objectives)
        max_objectives = MISSION_OBJECTIVES_RANGE[1]
        u_done = rng.random((n_s, max_objectives))
        assessment_noise = rng.normal(0.0, SELF_ASSESSMENT_NOISE_SD, (n_s, max_objectives))
        confidence_noise = rng.normal(0.0, CONFIDENCE_RATING_NOISE_SD, (n_s, max_objectives))
        for s in range(n_s):
            m = int(s_mission[s])
            if m < 0:
                completions.append(None)
                continue
            objectives = mission_objectives[m]
            per = planned_minutes / len(objectives)
            cum = per * np.arange(1, len(objectives) + 1)
            budget = s_minutes[s] * efficiency[s]
            chance = np.where(self.objective_struggle[objectives], STRUGGLE_COMPLETION_FACTOR, 1.0)
            if self.lifts:
                effective = self.objective_effect_day[objectives] <= self.session_day[s]
                chance = np.where(
                    self.objective_struggle[objectives] & effective,
                    lifted(STRUGGLE_COMPLETION_FACTOR),
                    chance,
                )
            done = (cum <= budget) & (u_done[s, : len(objectives)] < chance)
            mission_done[m] = done.tolist()
            planned_count[s] = len(objectives)
            done_count[s] = int(done.sum())
            parts = []
            for j, objective in enumerate(objectives):
                if not done[j]:
                    continue
                at = int(s_start[s] + min(cum[j] / efficiency[s], s_minutes[s]) * 60_000)
                key = s * self.n_objectives + objective
                n_pair = int(pair_n[key])
                acc = float(pair_ok[key]) / n_pair if n_pair else float(s_quality[s])
                self_assessment = min(5, max(1, round(1 + 4 * acc + assessment_noise[s, j])))
                confidence = round(min(1.0, max(0.0, acc + confidence_noise[s, j])), 2)
                parts.append(
                    f'{{"objectiveId": "{objective_ids[objective]}", "completedAt": "{iso_ms(at)}", '
                    f'"selfAssessment": {self_assessment}, "confidenceRating": {confidence}}}'
                )
            completions.append("[" + ", ".join(parts) + "]")
        completion = np.where(planned_count > 0, done_count / np.maximum(planned_count, 1), np.nan)

        overrun = np.maximum(0.0, (s_minutes - effects.span) / s_minutes)
        engagement = np.clip(
            s_quality * effects.engagement * (1 - ENGAGEMENT_OVERRUN_PENALTY * overrun)
            - effects.engagement_drop
            + rng.normal(0.0, ENGAGEMENT_NOISE_SD, n_s),
            0.0,
            1.0,
        )
        engagement_level = np.where(
            engagement >= ENGAGEMENT_HIGH_MIN,
            "HIGH",
            np.where(engagement >= ENGAGEMENT_MEDIUM_MIN, "MEDIUM", "LOW"),
        )
        pauses = (
            rng.poisson(s_minutes / 60 * PAUSES_PER_HOUR * effects.pause_rate)
            if n_s
            else np.zeros(0, np.int64)
        )
        paused_ms = np.rint(
            rng.gamma(np.maximum(pauses, 1), MEAN_PAUSE_MS * effects.pause_length) * (pauses > 0)
        ).astype(np.int64)
        # Pauses happen inside the session: never more than half of it.
        paused_ms = np.minimum(paused_ms, s_dur_ms // 2)
        quality = np.where(
            s_minutes < RUSHED_DURATION_SHARE * planned_minutes,
            "RUSHED",
            np.where(
                (perf >= THOROUGH_MIN_PERFORMANCE) & (np.nan_to_num(completion, nan=1.0) >= 1.0),
                "THOROUGH",
                "NORMAL",
            ),
        )

        # --- events ---
        ev_ts: list[np.ndarray] = []
        ev_type: list[list[str]] = []
        ev_data: list[list[str]] = []
        ev_quality: list[list[str | None]] = []
        ev_content: list[list[str | None]] = []
        ev_difficulty: list[list[str | None]] = []
        ev_engagement: list[list[str | None]] = []
        ev_perf: list[list[int | None]] = []

        def add(
            ts: np.ndarray,
            kind: str,
            data: list[str],
            *,
            quality_: list[str | None] | None = None,
            content: list[str | None] | None = None,
            difficulty: list[str | None] | None = None,
            engagement_: list[str | None] | None = None,
            perf_: list[int | None] | None = None,
        ) -> None:
            n = len(data)
            none: list[Any] = [None] * n
            ev_ts.append(np.asarray(ts, dtype=np.int64))
            ev_type.append([kind] * n)
            ev_data.append(data)
            ev_quality.append(quality_ if quality_ is not None else none)
            ev_content.append(content if content is not None else none)
            ev_difficulty.append(difficulty if difficulty is not None else none)
            ev_engagement.append(engagement_ if engagement_ is not None else none)
            ev_perf.append(perf_ if perf_ is not None else none)

        course_of_lecture = cur.lecture_course
        add(
            uploads,
            "LECTURE_UPLOADED",
            [
                f'{{"lectureId": "{lecture_ids[i]}", "courseId": "{course_ids[course_of_lecture[i]]}"}}'
                for i in range(self.n_lectures)
            ],
            content=["lecture"] * self.n_lectures,
        )
        mission_json = ["null" if m < 0 else f'"{mission_ids[m]}"' for m in s_mission.tolist()]
        primary_names = [CONTENT_TYPES[p] for p in s_primary.tolist()]
        add(
            s_start,
            "SESSION_STARTED",
            [
                f'{{"sessionId": "{session_ids[s]}", "missionId": {mission_json[s]}, '
                f'"plannedMinutes": {planned_minutes}}}'
                for s in range(n_s)
            ],
            content=list(primary_names),
        )
        shares = 0.5 * self.affinity
        content_minutes = [
            ", ".join(
                f'"{name}": {round(float(s_minutes[s] * (shares[c] + (PRIMARY_CONTENT_MINUTES_SHARE if c == s_primary[s] else 0.0))), 1)}'
                for c, name in enumerate(CONTENT_TYPES)
            )
            for s in range(n_s)
        ]
        add(
            s_end,
            "SESSION_ENDED",
            [
                f'{{"sessionId": "{session_ids[s]}", "missionId": {mission_json[s]}, '
                f'"durationMs": {int(s_dur_ms[s])}, "reviewsCompleted": {int(n_rev[s])}, '
                f'"accuracy": {_json_float(accuracy[s])}, "goodEasyShare": {_json_float(good_share[s])}, '
                f'"validationMean": {_json_float(val_mean[s])}, "pauseCount": {int(pauses[s])}, '
                f'"pausedMs": {int(paused_ms[s])}, "objectivesPlanned": {int(planned_count[s])}, '
                f'"objectivesCompleted": {int(done_count[s])}, '
                f'"engagementScore": {round(float(engagement[s]) * 100)}, '
                f'"contentMinutes": {{{content_minutes[s]}}}}}'
                for s in range(n_s)
            ],
            quality_=quality.tolist(),
            content=list(primary_names),
            engagement_=engagement_level.tolist(),
            perf_=perf.tolist(),
        )
        # Reviews.
        r_card = reviews["card"]
        rating_names = [RATINGS[r - 1] for r in rating.tolist()]
        complexity = cur.objective_complexity
        add(
            reviews["at"],
            "CARD_REVIEWED",
            [
                f'{{"cardId": "{card_ids[c]}", "rating": "{rn}", "responseLatencyMs": {lat}, '
                f'"sessionId": "{session_ids[s]}"}}'
                for c, rn, lat, s in zip(
                    r_card.tolist(),
                    rating_names,
                    reviews["latency_ms"].tolist(),
                    r_session.tolist(),
                    strict=True,
                )
            ],
            content=["flashcard"] * len(r_card),
            difficulty=[complexity[o] for o in reviews["objective"].tolist()],
        )
        # Validations.
        n_v = len(v_session)
        validation_ids = [f"{uid}-v{i}" for i in range(n_v)]
        v_obj = validations["objective"].tolist()
        v_prompt = [PROMPT_TYPES[p] for p in validations["prompt"].tolist()]
        v_score = validations["score"].tolist()
        add(
            validations["at"],
            "VALIDATION_COMPLETED",
            [
                f'{{"validationId": "{validation_ids[i]}", "objectiveId": "{objective_ids[v_obj[i]]}", '
                f'"promptType": "{v_prompt[i]}", "score": {v_score[i]}, '
                f'"sessionId": "{session_ids[v_session[i]]}"}}'
                for i in range(n_v)
            ],
            content=[CONTENT_TYPES[c] for c in validations["content"].tolist()],
            difficulty=[complexity[o] for o in v_obj],
        )
        # Missions started / completed.
        mission_sessions = np.flatnonzero(s_mission >= 0)
        m_status: list[str] = [status for _day, status in missions]
        for s in mission_sessions.tolist():
            m = int(s_mission[s])
            m_status[m] = "COMPLETED" if all(mission_done[m]) else "IN_PROGRESS"
        add(
            s_start[mission_sessions],
            "MISSION_STARTED",
            [
                f'{{"missionId": "{mission_ids[s_mission[s]]}", "sessionId": "{session_ids[s]}", '
                f'"objectivesPlanned": {int(planned_count[s])}, "estimatedMinutes": {planned_minutes}}}'
                for s in mission_sessions.tolist()
            ],
            content=[primary_names[s] for s in mission_sessions.tolist()],
        )
        completed_sessions = [
            s for s in mission_sessions.tolist() if m_status[int(s_mission[s])] == "COMPLETED"
        ]
        add(
            s_end[completed_sessions],
            "MISSION_COMPLETED",
            [
                f'{{"missionId": "{mission_ids[s_mission[s]]}", "sessionId": "{session_ids[s]}", '
                f'"objectivesCompleted": {int(done_count[s])}, "actualMinutes": {round(float(s_minutes[s]))}}}'
                for s in completed_sessions
            ],
            quality_=[str(quality[s]) for s in completed_sessions],
            content=[primary_names[s] for s in completed_sessions],
            perf_=[int(perf[s]) for s in completed_sessions],
        )
        # Searches and graph views inside sessions.
        topics_of_course = [COURSE_CATALOGUE[c][2] for c in cur.course_names]
        n_search = rng.poisson(SEARCHES_PER_SESSION, n_s) if n_s else np.zeros(0, np.int64)
        search_session = np.repeat(np.arange(n_s), n_search)
        search_at = s_start[search_session] + np.rint(
            rng.uniform(*REVIEW_POSITION_RANGE, len(search_session)) * s_dur_ms[search_session]
        ).astype(np.int64)
        search_topic = rng.integers(0, 1 << 30, len(search_session))
        search_course = rng.integers(0, cur.course_count, len(search_session))
        add(
            search_at,
            "SEARCH_PERFORMED",
            [
                f'{{"sessionId": "{session_ids[s]}", "query": "{topics_of_course[c][q % len(topics_of_course[c])]}"}}'
                for s, c, q in zip(
                    search_session.tolist(),
                    search_course.tolist(),
                    search_topic.tolist(),
                    strict=True,
                )
            ],
            content=["lecture"] * len(search_session),
        )
        n_graph = rng.poisson(GRAPH_VIEWS_PER_SESSION, n_s) if n_s else np.zeros(0, np.int64)
        graph_session = np.repeat(np.arange(n_s), n_graph)
        graph_at = s_start[graph_session] + np.rint(
            rng.uniform(*REVIEW_POSITION_RANGE, len(graph_session)) * s_dur_ms[graph_session]
        ).astype(np.int64)
        graph_objective = rng.integers(0, self.n_objectives, len(graph_session))
        add(
            graph_at,
            "GRAPH_VIEWED",
            [
                f'{{"sessionId": "{session_ids[s]}", "objectiveId": "{objective_ids[o]}"}}'
                for s, o in zip(graph_session.tolist(), graph_objective.tolist(), strict=True)
            ],
            content=["lecture"] * len(graph_session),
        )

        ts = np.concatenate(ev_ts)
        types = [x for part in ev_type for x in part]
        priority = np.array([_EVENT_PRIORITY[x] for x in types], dtype=np.int64)
        order = np.lexsort((priority, ts))
        ts = ts[order]
        order_list = order.tolist()

        def pick(parts: list[list[Any]]) -> list[Any]:
            flat = [x for part in parts for x in part]
            return [flat[i] for i in order_list]

        hour, weekday = self.clock.hour_and_weekday(ts)
        n_ev = len(ts)
        events = Table(
            "behavioral_events",
            (
                Column("id", Kind.TEXT, [f"{uid}-e{i}" for i in range(n_ev)]),
                Column("userId", Kind.TEXT, [uid] * n_ev),
                Column("eventType", Kind.TEXT, [types[i] for i in order_list]),
                Column("eventData", Kind.JSON, pick(ev_data)),
                Column("timestamp", Kind.TIMESTAMP, ts),
                Column("completionQuality", Kind.TEXT, pick(ev_quality)),
                Column("contentType", Kind.TEXT, pick(ev_content)),
                Column("dayOfWeek", Kind.INT, weekday),
                Column("difficultyLevel", Kind.TEXT, pick(ev_difficulty)),
                Column("engagementLevel", Kind.TEXT, pick(ev_engagement)),
                Column("sessionPerformanceScore", Kind.INT, pick(ev_perf)),
                Column("timeOfDay", Kind.INT, hour),
            ),
        )

        # --- reviews, cards, objectives ---
        replay = reviews["replay"]
        n_r = len(r_card)
        review_table = Table(
            "reviews",
            (
                Column("id", Kind.TEXT, [f"{uid}-r{i}" for i in range(n_r)]),
                Column("userId", Kind.TEXT, [uid] * n_r),
                Column("cardId", Kind.TEXT, [card_ids[c] for c in r_card.tolist()]),
                Column("sessionId", Kind.TEXT, [session_ids[s] for s in r_session.tolist()]),
                Column("rating", Kind.TEXT, rating_names),
                Column("timeSpentMs", Kind.INT, reviews["time_spent_ms"]),
                Column("reviewedAt", Kind.TIMESTAMP, reviews["at"]),
                Column("difficultyBefore", Kind.FLOAT, replay.difficulty_before),
                Column("difficultyAfter", Kind.FLOAT, replay.difficulty_after),
                Column("stabilityBefore", Kind.FLOAT, replay.stability_before),
                Column("stabilityAfter", Kind.FLOAT, replay.stability_after),
            ),
        )
        retrievability = retrievability_at(
            replay.card_stability, replay.card_last_review_ms, self.window_end_ms
        )
        card_lecture = self.objective_lecture[self.card_objective]
        cards = Table(
            "cards",
            (
                Column("id", Kind.TEXT, card_ids),
                Column(
                    "courseId",
                    Kind.TEXT,
                    [course_ids[course_of_lecture[lec]] for lec in card_lecture.tolist()],
                ),
                Column("lectureId", Kind.TEXT, [lecture_ids[lec] for lec in card_lecture.tolist()]),
                Column("objectiveId", Kind.TEXT, [objective_ids[o] for o in cur.card_objective]),
                Column("cardType", Kind.TEXT, list(cur.card_type)),
                Column("difficulty", Kind.FLOAT, replay.card_difficulty),
                Column("stability", Kind.FLOAT, replay.card_stability),
                Column("retrievability", Kind.FLOAT, retrievability),
                Column("lastReviewedAt", Kind.TIMESTAMP, replay.card_last_review_ms),
                Column("nextReviewAt", Kind.TIMESTAMP, replay.card_next_review_ms),
                Column("reviewCount", Kind.INT, replay.card_review_count),
                Column("lapseCount", Kind.INT, replay.card_lapse_count),
            ),
        )
        r_obj = reviews["objective"]
        obj_n = np.bincount(r_obj, minlength=self.n_objectives)
        obj_correct = np.bincount(r_obj, weights=rating >= 2, minlength=self.n_objectives)
        obj_time = np.bincount(r_obj, weights=reviews["time_spent_ms"], minlength=self.n_objectives)
        obj_last = np.full(self.n_objectives, NULL_MS, dtype=np.int64)
        np.maximum.at(obj_last, r_obj, reviews["at"])
        obj_acc = np.where(obj_n > 0, obj_correct / np.maximum(obj_n, 1), np.nan)
        mastery = [
            "NOT_STARTED"
            if n == 0
            else "BEGINNER"
            if a < 0.5
            else "INTERMEDIATE"
            if a < 0.7
            else "ADVANCED"
            if a < 0.85
            else "MASTERED"
            for n, a in zip(obj_n.tolist(), obj_acc.tolist(), strict=True)
        ]
        weakness = np.where(obj_n > 0, np.round(1 - np.nan_to_num(obj_acc), 4), 0.5)
        objectives_table = Table(
            "learning_objectives",
            (
                Column("id", Kind.TEXT, objective_ids),
                Column("lectureId", Kind.TEXT, [lecture_ids[lec] for lec in cur.objective_lecture]),
                Column(
                    "objective",
                    Kind.TEXT,
                    [self._objective_text(o) for o in range(self.n_objectives)],
                ),
                Column("isHighYield", Kind.BOOL, list(cur.objective_high_yield)),
                Column("complexity", Kind.TEXT, list(complexity)),
                Column("masteryLevel", Kind.TEXT, mastery),
                Column("weaknessScore", Kind.FLOAT, weakness),
                Column("lastStudiedAt", Kind.TIMESTAMP, obj_last),
                Column("totalStudyTimeMs", Kind.INT, np.rint(obj_time).astype(np.int64)),
                Column("createdAt", Kind.TIMESTAMP, uploads[self.objective_lecture]),
            ),
        )
        prereq = cur.prerequisites
        prerequisites = Table(
            "objective_prerequisites",
            (
                Column("id", Kind.TEXT, [f"{uid}-p{i}" for i in range(len(prereq))]),
                Column("objectiveId", Kind.TEXT, [objective_ids[o] for o, _p, _s in prereq]),
                Column("prerequisiteId", Kind.TEXT, [objective_ids[p] for _o, p, _s in prereq]),
                Column("strength", Kind.FLOAT, [s for _o, _p, s in prereq]),
            ),
        )

        # --- sessions and missions ---
        sessions = Table(
            "study_sessions",
            (
                Column("id", Kind.TEXT, session_ids),
                Column("userId", Kind.TEXT, [uid] * n_s),
                Column(
                    "missionId",
                    Kind.TEXT,
                    [None if m < 0 else mission_ids[m] for m in s_mission.tolist()],
                ),
                Column("startedAt", Kind.TIMESTAMP, s_start),
                Column("completedAt", Kind.TIMESTAMP, s_end),
                Column("durationMs", Kind.INT, s_dur_ms),
                Column("reviewsCompleted", Kind.INT, n_rev),
                Column("newCardsStudied", Kind.INT, n_new),
                Column("sessionNotes", Kind.TEXT, [None] * n_s),
                Column("objectiveCompletions", Kind.JSON, completions),
            ),
        )
        session_of_mission = {int(s_mission[s]): s for s in mission_sessions.tolist()}
        n_m = len(missions)
        m_date = [
            self.clock.to_utc_ms(self.start + timedelta(days=day), 0.0) for day, _ in missions
        ]
        m_session = [session_of_mission.get(m, -1) for m in range(n_m)]
        planned_reviews = round(planned_minutes * t.reviews_per_minute)
        m_objectives_json = []
        for m in range(n_m):
            done = mission_done.get(m, [False] * len(mission_objectives[m]))
            per = round(planned_minutes / len(mission_objectives[m]))
            m_objectives_json.append(
                "["
                + ", ".join(
                    f'{{"objectiveId": "{objective_ids[o]}", "estimatedMinutes": {per}, '
                    f'"completed": {"true" if d else "false"}}}'
                    for o, d in zip(mission_objectives[m], done, strict=True)
                )
                + "]"
            )
        difficulty_rating = np.clip(
            np.rint(5 - 4 * perf / 100 + rng.normal(0, DIFFICULTY_RATING_NOISE_SD, n_s)), 1, 5
        ).astype(np.int64)

        def by_session(values: list[Any] | np.ndarray, default: Any = None) -> list[Any]:
            return [default if s < 0 else values[s] for s in m_session]

        missions_table = Table(
            "missions",
            (
                Column("id", Kind.TEXT, mission_ids),
                Column("userId", Kind.TEXT, [uid] * n_m),
                Column("date", Kind.TIMESTAMP, np.asarray(m_date, dtype=np.int64)),
                Column("status", Kind.TEXT, m_status),
                Column("estimatedMinutes", Kind.INT, [planned_minutes] * n_m),
                Column(
                    "completedAt",
                    Kind.TIMESTAMP,
                    np.asarray(
                        [
                            int(s_end[s]) if s >= 0 and m_status[m] == "COMPLETED" else NULL_MS
                            for m, s in enumerate(m_session)
                        ],
                        dtype=np.int64,
                    ),
                ),
                Column("objectives", Kind.JSON, m_objectives_json),
                Column(
                    "reviewCardCount",
                    Kind.INT,
                    by_session((n_rev - n_new).tolist(), planned_reviews),
                ),
                Column("newContentCount", Kind.INT, by_session(n_new.tolist(), 0)),
                Column(
                    "actualMinutes",
                    Kind.INT,
                    by_session(np.rint(s_minutes).astype(np.int64).tolist()),
                ),
                Column("difficultyRating", Kind.INT, by_session(difficulty_rating.tolist())),
                Column(
                    "successScore",
                    Kind.FLOAT,
                    by_session(np.round(np.nan_to_num(completion) * perf / 100, 4).tolist()),
                ),
                Column(
                    "recommendedStartTime", Kind.TIMESTAMP, np.full(n_m, NULL_MS, dtype=np.int64)
                ),
                Column(
                    "actualStartTime",
                    Kind.TIMESTAMP,
                    np.asarray(by_session(s_start.tolist(), NULL_MS), dtype=np.int64),
                ),
                Column("recommendedDuration", Kind.INT, [planned_minutes] * n_m),
                Column(
                    "actualDuration",
                    Kind.INT,
                    by_session(np.rint(s_minutes).astype(np.int64).tolist()),
                ),
                Column(
                    "sessionPerformanceScore",
                    Kind.FLOAT,
                    by_session([float(p) for p in perf.tolist()]),
                ),
            ),
        )
        validation_table = Table(
            "validation_responses",
            (
                Column("id", Kind.TEXT, validation_ids),
                Column("userId", Kind.TEXT, [uid] * n_v),
                Column("sessionId", Kind.TEXT, [session_ids[s] for s in v_session.tolist()]),
                Column("objectiveId", Kind.TEXT, [objective_ids[o] for o in v_obj]),
                Column("promptType", Kind.TEXT, v_prompt),
                Column("score", Kind.FLOAT, validations["score"]),
                Column("confidence", Kind.FLOAT, validations["confidence"]),
                Column("respondedAt", Kind.TIMESTAMP, validations["at"]),
            ),
        )

        # --- user, courses, lectures, exams, truth ---
        users = Table(
            "users",
            (
                Column("id", Kind.TEXT, [uid]),
                Column("email", Kind.TEXT, [f"{uid}@simulated.invalid"]),
                Column("name", Kind.TEXT, [f"Simulated learner {t.index} (seed {t.seed})"]),
                Column("createdAt", Kind.TIMESTAMP, np.asarray([created_ms], dtype=np.int64)),
                Column(
                    "updatedAt", Kind.TIMESTAMP, np.asarray([self.window_end_ms], dtype=np.int64)
                ),
                Column("defaultMissionMinutes", Kind.INT, [planned_minutes]),
                Column("behavioralAnalysisEnabled", Kind.BOOL, [True]),
                Column("learningStyleProfilingEnabled", Kind.BOOL, [True]),
                Column("shareAnonymizedPatterns", Kind.BOOL, [self.share_patterns]),
                Column("timezone", Kind.TEXT, [t.timezone]),
            ),
        )
        catalogue = [COURSE_CATALOGUE[c] for c in cur.course_names]
        courses = Table(
            "courses",
            (
                Column("id", Kind.TEXT, course_ids),
                Column("userId", Kind.TEXT, [uid] * cur.course_count),
                Column("name", Kind.TEXT, [c[0] for c in catalogue]),
                Column("code", Kind.TEXT, [f"{c[1]}{101 + i}" for i, c in enumerate(catalogue)]),
                Column(
                    "createdAt",
                    Kind.TIMESTAMP,
                    np.full(cur.course_count, created_ms, dtype=np.int64),
                ),
                Column(
                    "updatedAt",
                    Kind.TIMESTAMP,
                    np.full(cur.course_count, created_ms, dtype=np.int64),
                ),
            ),
        )
        lecture_titles: list[str] = []
        lecture_tags: list[list[str]] = []
        lecture_topics: list[str] = []
        per_course: dict[int, int] = {}
        for course in course_of_lecture:
            n = per_course.get(course, 0)
            per_course[course] = n + 1
            name, code, topics = catalogue[course]
            topic = topics[n % len(topics)]
            lecture_topics.append(topic)
            lecture_titles.append(f"{name} lecture {n + 1}: {topic}")
            lecture_tags.append([topic, code.lower()])
        lectures = Table(
            "lectures",
            (
                Column("id", Kind.TEXT, lecture_ids),
                Column("userId", Kind.TEXT, [uid] * self.n_lectures),
                Column("courseId", Kind.TEXT, [course_ids[c] for c in course_of_lecture]),
                Column("title", Kind.TEXT, lecture_titles),
                Column("topicTags", Kind.TEXT_ARRAY, lecture_tags),
                Column("uploadedAt", Kind.TIMESTAMP, uploads),
            ),
        )
        exam_days = rng.integers(
            EXAM_OFFSET_RANGE_DAYS[0], EXAM_OFFSET_RANGE_DAYS[1] + 1, cur.course_count
        )
        exam_ms = np.asarray(
            [
                self.clock.to_utc_ms(
                    self.start + timedelta(days=self.days + int(d)), EXAM_HOUR_LOCAL
                )
                for d in exam_days.tolist()
            ],
            dtype=np.int64,
        )
        exams = Table(
            "exams",
            (
                Column("id", Kind.TEXT, [f"{uid}-x{i}" for i in range(cur.course_count)]),
                Column("userId", Kind.TEXT, [uid] * cur.course_count),
                Column("courseId", Kind.TEXT, course_ids),
                Column(
                    "name",
                    Kind.TEXT,
                    [
                        f"{c[0]} {'midterm' if d < 0 else 'final'} exam"
                        for c, d in zip(catalogue, exam_days.tolist(), strict=True)
                    ],
                ),
                Column("date", Kind.TIMESTAMP, exam_ms),
                Column(
                    "coverageTopics",
                    Kind.TEXT_ARRAY,
                    [
                        sorted(
                            {
                                lecture_topics[lec]
                                for lec in range(self.n_lectures)
                                if course_of_lecture[lec] == c
                            }
                        )
                        for c in range(cur.course_count)
                    ],
                ),
            ),
        )
        hidden_load = self._hidden_load(
            s_minutes, np.asarray(plan.phase, dtype=np.int64), effects, reviews
        )
        truth = t.to_json(self.start)
        truth["userId"] = uid
        truth["seed"] = t.seed
        truth["window"] = {"startDate": self.start.isoformat(), "weeks": self.days // 7}
        truth["sessionHiddenLoad"] = hidden_load.tolist()
        if self.interventions_given:
            truth["interventions"] = {
                objective_ids[o]: (self.start + timedelta(days=d)).isoformat()
                for o, d in sorted(self.intervention_days.items())
            }
            truth["interventionLiftShare"] = INTERVENTION_LIFT_SHARE
        truth_table = Table(
            "simulation_truth",
            (
                Column("id", Kind.TEXT, [f"{uid}-truth"]),
                Column("userId", Kind.TEXT, [uid]),
                Column("seed", Kind.INT, [t.seed]),
                Column("traits", Kind.JSON, [json.dumps(truth, sort_keys=True)]),
                Column(
                    "createdAt", Kind.TIMESTAMP, np.asarray([self.window_end_ms], dtype=np.int64)
                ),
            ),
        )
        tables = {
            "users": users,
            "courses": courses,
            "lectures": lectures,
            "learning_objectives": objectives_table,
            "objective_prerequisites": prerequisites,
            "cards": cards,
            "missions": missions_table,
            "study_sessions": sessions,
            "reviews": review_table,
            "validation_responses": validation_table,
            "exams": exams,
            "behavioral_events": events,
            "simulation_truth": truth_table,
        }
        assert tuple(tables) == TABLE_ORDER
        return LearnerData(traits=t, tables=tables, truth=truth, session_hidden_load=hidden_load)

    def _adjust_effects(self, plan: _Sessions, effects: _SessionEffects) -> _SessionEffects:
        """Hook: change the per-session multipliers (the identity here).

        ``twin.simulate.experiments`` overrides it to apply an experiment variant's effect to
        the sessions after assignment; it may only scale quality-type multipliers, which
        change no random draw, so rows before the changed sessions stay identical.
        """
        return effects

    def _objective_text(self, objective: int) -> str:
        cur = self.t.curriculum
        lecture = cur.objective_lecture[objective]
        course = cur.lecture_course[lecture]
        name, _code, topics = COURSE_CATALOGUE[cur.course_names[course]]
        verb = OBJECTIVE_VERBS[objective % len(OBJECTIVE_VERBS)]
        topic = topics[(lecture + objective) % len(topics)]
        return f"{verb} key concept {objective + 1} of {topic} ({name})"


def _json_float(value: float) -> str:
    """A JSON number rounded to 4 decimals, or null for NaN."""
    return "null" if math.isnan(value) else repr(round(float(value), 4))
