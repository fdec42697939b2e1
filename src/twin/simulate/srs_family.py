"""A second generative family of simulated learners that does not share the analyses' assumptions.

The first family (:mod:`twin.simulate.generate`, ``family="classic"``) draws recall from
one exponential ``R0·e^(−k·t)`` per learner, overload as episodes of 5–10 days and a
Gaussian time-of-day effect — the very shapes the pattern analyses fit. This family
(``family="srs"``) keeps the classic generator's calendar, curriculum, content, session,
rating, latency and event machinery, and replaces the three dynamics the twin
summarises:

* **Memory with spacing-dependent stability, scheduled by a spaced-repetition
  scheduler.** Each card has a stability S (days until recall falls to 90%) and a
  difficulty D (1–10); recall after t days is the power curve ``(1 + f·t/S)^(−d)``
  (``f = 0.9^(−1/d) − 1``) with a per-learner decay d ∈ [0.12, 0.5]. The first review
  sets ``S = c·u·S0`` (S0 of FSRS-6's defaults for a recalled / forgotten first
  review), a recall multiplies S by FSRS-6's growth term (larger the lower the
  retrievability at the review: the spacing effect) scaled by a per-learner growth
  factor, a lapse shrinks it by FSRS-6's post-lapse rule. ``c`` is the learner's
  **stability scale** (log-uniform 0.25–4, the truth the forgetting benchmark orders
  learners by) and ``u`` a per-card factor (log-normal, σ 0.3). Every stability term
  is written in units of ``S/c``, so a learner with scale c lives the same memory
  dynamics as the default learner with time divided by c. The scheduler sets the next
  review when recall is predicted to fall to 90% (one in seven reviews is put off until
  it falls to 75%: backlog, holidays); sessions then take due cards as in the classic
  family. Truth: ``memory.stabilityScale`` and the new card's curve after a first
  successful review, ``memory.newCardStabilityDays`` = c·S0(GOOD)·E[u]; the classic
  truth keys ``forgettingRateK`` / ``halfLifeDays`` hold the exponential with R0 = 1
  through that curve's 90% point (``k = −ln 0.9 / S``), the quantity the twin's
  learner-facing curve reports.
* **Sustained overload** (one learner in three): 21–42 days (onset ≥ 21 days into the
  window, its third week always inside it) of longer and later sessions (start hours
  2–4 h later, the classic overload's session lengthening and 23:00–02:00 sessions) with
  performance down by a drawn 15–30 points (mostly more HARD answers, partly more
  AGAIN), answers ~15% slower, and no burst of pauses. One learner in four has instead
  the classic family's short overload / burnout episodes.
* **Hour effects as additive bumps or plateaus**, or none: a triangular bump
  (half-width 1.5–3 h) or a flat plateau (2–4 h, sharp edges) adds 0.28–0.42 to the
  answer quality of sessions starting under it; 35% of learners have no hour effect,
  half of them with high quality at every hour (mean score above 80 everywhere).

Generation is pure and seeded like the classic family (its own stream of the learner's
seed); user ids are ``srs<seed>-u<index>``, the truth is stored the same way
(``simulation_truth``, with ``"family": "srs"``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from datetime import date, timedelta
from typing import Any

import numpy as np

from twin.analysis.recall.weights import DEFAULT_FSRS_WEIGHTS
from twin.simulate.generate import (
    COURSE_CATALOGUE,
    EARLIEST_START_HOUR_LOCAL,
    LATEST_START_HOUR_LOCAL,
    NO_PHASE,
    Interventions,
    LearnerData,
    _Generator,
    _SessionEffects,
    _Sessions,
)
from twin.simulate.traits import (
    Chronotype,
    Episode,
    LearnerTraits,
    _sample_struggles,
    cards_wanted,
    sample_curriculum,
    sample_traits,
)

FAMILY = "srs"
FAMILY_STREAM = 0x5125  # the family's own stream of the learner's seed
MEMORY_STREAM = 0x5126  # per-card factors, drawn apart from the generator's draws

# --- memory -------------------------------------------------------------------------------
STABILITY_SCALE_RANGE = (0.25, 4.0)  # log-uniform: the truth the forgetting benchmark uses
DECAY_RANGE = (0.12, 0.5)  # power-curve decay d (FSRS-6 default 0.154, FSRS-5 0.5)
GROWTH_FACTOR_SIGMA = 0.2  # log-normal per-learner factor on the stability growth term
CARD_FACTOR_SIGMA = 0.3  # log-normal per-card factor on the stability
RECALL_AT_STABILITY = 0.9  # S is the time until recall falls to this
SCHEDULED_RECALL = 0.9  # the scheduler's desired retention
OVERDUE_RECALL = 0.75  # put-off reviews come when recall falls to this
PUT_OFF_TARGET_BELOW = 0.7  # the classic target draws below this are the put-off ones (14%)
STABILITY_MIN_DAYS = 0.01
MAX_INTERVAL_DAYS = 365.0
CARD_SUPPLY_FACTOR = 2.0  # cards grow out of the window faster than in the classic family
_W = DEFAULT_FSRS_WEIGHTS

# --- hour effects -------------------------------------------------------------------------
NO_HOUR_EFFECT_SHARE = 0.35
HIGH_QUALITY_SHARE_OF_NO_EFFECT = 0.5
BUMP_SHARE_OF_EFFECT = 0.5  # the rest are plateaus
HOUR_EFFECT_HEIGHT_RANGE = (0.34, 0.46)  # added to the quality factor under the bump/plateau
BUMP_HALF_WIDTH_RANGE_HOURS = (2.5, 4.0)
PLATEAU_LENGTH_CHOICES_HOURS = (2, 3, 4)
EFFECT_HOUR_RANGE_LOCAL = (7, 21)  # centre / first hour of the effect
BASE_QUALITY_WITH_EFFECT_RANGE = (0.6, 0.7)
BASE_QUALITY_NO_EFFECT_RANGE = (0.8, 1.0)
HIGH_BASE_QUALITY_RANGE = (1.08, 1.2)
HOUR_RECALL_SHARE = 0.3  # share of the hour effect that also moves recall (centred)
HOUR_ENGAGEMENT_SHARE = 0.5
HABIT_AT_EFFECT_SHARE = 0.35  # sessions starting in the habit hour
SPREAD_BEFORE_HOURS = 5.0
SPREAD_AFTER_HOURS = 6.0

# --- episodes -----------------------------------------------------------------------------
SUSTAINED_SHARE = 0.35
SHORT_EPISODES_SHARE = 0.25  # of the learners without a sustained overload: classic episodes
SUSTAINED_DURATION_RANGE_DAYS = (21, 42)
SUSTAINED_EARLIEST_ONSET_DAYS = 21  # a reference period before it
SUSTAINED_THIRD_WEEK_DAYS = 14  # the third week starts this many days after the onset
SUSTAINED_INTENSITY_RANGE = (0.75, 1.0)
SUSTAINED_DROP_POINTS_RANGE = (15.0, 30.0)  # performance points lost
SUSTAINED_START_SHIFT_RANGE_HOURS = (2.0, 4.0)
# How a drop of D points splits: quality × (1 − D·QUALITY_PER_POINT), recall × (1 − D·RECALL_PER_POINT).
SUSTAINED_QUALITY_PER_POINT = 0.011
SUSTAINED_RECALL_PER_POINT = 0.004
SUSTAINED_LATENCY_GAIN = 0.15
SUSTAINED_SPAN_SHRINK = 0.15
SUSTAINED_ENGAGEMENT_DROP = 0.1


@dataclass(frozen=True)
class HourEffect:
    """An additive time-of-day effect on answer quality (none, a triangular bump or a plateau)."""

    kind: str  # "none" | "bump" | "plateau"
    center_hour: float  # bump centre / plateau midpoint (local, hours)
    height: float  # added to the quality factor at the top
    half_width_hours: float = 0.0  # bump
    start_hour: int = 0  # plateau: first hour …
    length_hours: int = 0  # … and how many hours
    base_quality: float = 1.0  # quality factor away from the effect
    high_accuracy: bool = False

    def shape(self, hour: np.ndarray) -> np.ndarray:
        """0–1 height of the effect for sessions starting at local ``hour`` (fractional)."""
        h = np.asarray(hour, dtype=float)
        if self.kind == "bump":
            d = np.abs(h - self.center_hour)
            d = np.minimum(d, 24.0 - d)
            return np.asarray(np.clip(1.0 - d / self.half_width_hours, 0.0, 1.0))
        if self.kind == "plateau":
            inside = (np.floor(h) - self.start_hour) % 24 < self.length_hours
            return np.asarray(inside, dtype=float)
        return np.zeros_like(h)

    @property
    def peak_hours(self) -> tuple[int, ...]:
        """Local hours whose sessions get at least half the effect (the true peak)."""
        if self.kind == "none":
            return ()
        hours = np.arange(24) + 0.5
        return tuple(int(h) for h in np.flatnonzero(self.shape(hours) >= 0.5))

    def to_json(self) -> dict[str, Any]:
        """The truth of the effect."""
        return {
            "kind": self.kind,
            "centerHourLocal": None if self.kind == "none" else round(self.center_hour, 2),
            "peakHoursLocal": list(self.peak_hours),
            "heightQuality": round(self.height, 4),
            "halfWidthHours": round(self.half_width_hours, 3) if self.kind == "bump" else None,
            "plateauStartHourLocal": self.start_hour if self.kind == "plateau" else None,
            "plateauLengthHours": self.length_hours if self.kind == "plateau" else None,
            "baseQuality": round(self.base_quality, 4),
            "highAccuracy": self.high_accuracy,
        }


@dataclass(frozen=True)
class SustainedOverload:
    """Weeks of overload: days ``onset_day`` … ``end_day`` (inclusive)."""

    onset_day: int
    end_day: int
    intensity: float
    drop_points: float
    start_shift_hours: float


@dataclass(frozen=True)
class SrsTraits(LearnerTraits):
    """The classic traits plus this family's memory, hour effect and sustained overload."""

    stability_scale: float = 1.0
    decay: float = 0.1542
    growth_factor: float = 1.0
    hour_effect: HourEffect = HourEffect("none", 0.0, 0.0)
    sustained: SustainedOverload | None = None

    @property
    def user_id(self) -> str:
        """``srs<seed>-u<index>``: apart from the classic family's ids of the same seed."""
        return srs_user_id(self.seed, self.index)

    @property
    def new_card_stability_days(self) -> float:
        """Days until a new card recalled at its first review falls to 90% (mean card)."""
        return (
            self.stability_scale * _W.initial_stability_good * math.exp(CARD_FACTOR_SIGMA**2 / 2.0)
        )

    def to_json(self, start: date) -> dict[str, Any]:
        """The classic truth with this family's dynamics in place of the classic ones."""
        out = super().to_json(start)
        s1 = self.new_card_stability_days
        k = -math.log(RECALL_AT_STABILITY) / s1
        effect = self.hour_effect
        out["family"] = FAMILY
        out["forgettingRateK"] = round(k, 6)
        out["initialRecallR0"] = 1.0
        out["halfLifeDays"] = round(math.log(2) / k, 4)
        out["chronotype"] = {
            "hasPeak": effect.kind != "none",
            "peakHourLocal": None if effect.kind == "none" else int(effect.center_hour) % 24,
            "amplitude": round(effect.height, 4),
            "falloffHours": None,
        }
        out["hourEffect"] = effect.to_json()
        out["memory"] = {
            "model": "FSRS-6-like power curve, per-learner scaled stability",
            "stabilityScale": round(self.stability_scale, 6),
            "decay": round(self.decay, 4),
            "growthFactor": round(self.growth_factor, 4),
            "cardFactorSigma": CARD_FACTOR_SIGMA,
            "newCardStabilityDays": round(s1, 4),
            "scheduledRecall": SCHEDULED_RECALL,
        }
        if self.sustained is not None:
            e = self.sustained
            for episode in out["episodes"]:
                if episode["kind"] == "sustained":
                    episode["thirdWeekStartDate"] = (
                        start + timedelta(days=e.onset_day + SUSTAINED_THIRD_WEEK_DAYS)
                    ).isoformat()
                    episode["performanceDropPoints"] = round(e.drop_points, 2)
                    episode["startShiftHours"] = round(e.start_shift_hours, 2)
        out["units"] = {
            **out["units"],
            "forgettingRateK": (
                "1/day: the exponential with R0 = 1 through the 90% point of a new card's "
                "curve after a successful first review (srs family)"
            ),
            "memory.stabilityScale": "multiplies every stability of the learner (the truth)",
            "hourEffect": "additive to the quality factor of sessions starting under it",
        }
        return out


def srs_user_id(seed: int, index: int) -> str:
    """The deterministic id of learner ``index`` of srs cohort ``seed``."""
    return f"srs{seed}-u{index}"


def family_rng(seed: int, index: int) -> np.random.Generator:
    """The learner's random generator in this family (independent of the classic family's)."""
    return np.random.default_rng(np.random.SeedSequence([seed, index, FAMILY_STREAM]))


def _hour_effect(rng: np.random.Generator) -> HourEffect:
    if rng.random() < NO_HOUR_EFFECT_SHARE:
        high = bool(rng.random() < HIGH_QUALITY_SHARE_OF_NO_EFFECT)
        base = float(
            rng.uniform(*(HIGH_BASE_QUALITY_RANGE if high else BASE_QUALITY_NO_EFFECT_RANGE))
        )
        return HourEffect("none", 0.0, 0.0, base_quality=base, high_accuracy=high)
    height = float(rng.uniform(*HOUR_EFFECT_HEIGHT_RANGE))
    base = float(rng.uniform(*BASE_QUALITY_WITH_EFFECT_RANGE))
    low, high_hour = EFFECT_HOUR_RANGE_LOCAL
    if rng.random() < BUMP_SHARE_OF_EFFECT:
        centre = float(rng.integers(low, high_hour + 1)) + 0.5
        width = float(rng.uniform(*BUMP_HALF_WIDTH_RANGE_HOURS))
        return HourEffect("bump", centre, height, half_width_hours=width, base_quality=base)
    length = int(rng.choice(PLATEAU_LENGTH_CHOICES_HOURS))
    first = int(rng.integers(low, high_hour - length + 2))
    return HourEffect(
        "plateau",
        first + length / 2.0,
        height,
        start_hour=first,
        length_hours=length,
        base_quality=base,
    )


def _sustained(rng: np.random.Generator, days: int) -> SustainedOverload | None:
    last_onset = days - SUSTAINED_THIRD_WEEK_DAYS - 8  # the third week is inside the window
    if last_onset < SUSTAINED_EARLIEST_ONSET_DAYS:
        return None
    onset = int(rng.integers(SUSTAINED_EARLIEST_ONSET_DAYS, last_onset + 1))
    length = int(
        rng.integers(SUSTAINED_DURATION_RANGE_DAYS[0], SUSTAINED_DURATION_RANGE_DAYS[1] + 1)
    )
    return SustainedOverload(
        onset_day=onset,
        end_day=min(days - 1, onset + length - 1),
        intensity=float(rng.uniform(*SUSTAINED_INTENSITY_RANGE)),
        drop_points=float(rng.uniform(*SUSTAINED_DROP_POINTS_RANGE)),
        start_shift_hours=float(rng.uniform(*SUSTAINED_START_SHIFT_RANGE_HOURS)),
    )


def sample_srs_traits(seed: int, index: int, weeks: int) -> tuple[SrsTraits, np.random.Generator]:
    """Draw every hidden trait of srs learner ``index`` (and return the generator to go on with)."""
    rng = family_rng(seed, index)
    base = sample_traits(seed, index, weeks, rng, len(COURSE_CATALOGUE))
    curriculum = sample_curriculum(
        rng,
        len(COURSE_CATALOGUE),
        round(CARD_SUPPLY_FACTOR * cards_wanted(weeks, base.reviews_per_minute)),
    )
    gaps, struggle, mismatch = _sample_struggles(rng, curriculum, base.ability)
    effect = _hour_effect(rng)
    habit = (
        int(rng.integers(EFFECT_HOUR_RANGE_LOCAL[0], EFFECT_HOUR_RANGE_LOCAL[1] + 1))
        if effect.kind == "none"
        else int(effect.center_hour) % 24
    )
    days = weeks * 7
    roll = rng.random()
    sustained = _sustained(rng, days) if roll < SUSTAINED_SHARE else None
    if sustained is not None:
        episodes: tuple[Episode, ...] = (
            Episode("sustained", sustained.onset_day, sustained.end_day, sustained.intensity),
        )
    elif roll < SUSTAINED_SHARE + SHORT_EPISODES_SHARE * (1 - SUSTAINED_SHARE):
        episodes = base.episodes
    else:
        episodes = ()
    scale = math.exp(rng.uniform(*np.log(STABILITY_SCALE_RANGE)))
    values = {f.name: getattr(base, f.name) for f in fields(LearnerTraits)}
    values.update(
        chronotype=Chronotype(peak_hour_local=None, amplitude=0.0),
        habit_hour_local=habit,
        episodes=episodes,
        curriculum=curriculum,
        gap_prerequisite_objectives=gaps,
        struggle_objectives=struggle,
        mismatch_struggle_objectives=mismatch,
    )
    traits = SrsTraits(
        **values,
        stability_scale=float(scale),
        decay=float(rng.uniform(*DECAY_RANGE)),
        growth_factor=float(math.exp(rng.normal(0.0, GROWTH_FACTOR_SIGMA))),
        hour_effect=effect,
        sustained=sustained,
    )
    return traits, rng


class _SrsGenerator(_Generator):
    """The classic generator with this family's memory, hour effects and sustained overload."""

    t: SrsTraits

    def __init__(
        self, traits: SrsTraits, rng: np.random.Generator, start: date, weeks: int, **kw: Any
    ) -> None:
        super().__init__(traits, rng, start, weeks, **kw)
        side = np.random.default_rng(
            np.random.SeedSequence([traits.seed, traits.index, MEMORY_STREAM])
        )
        self.card_factor = np.exp(side.normal(0.0, CARD_FACTOR_SIGMA, self.n_cards))
        self.factor = RECALL_AT_STABILITY ** (-1.0 / traits.decay) - 1.0
        self.sustained_day = np.zeros(self.days, dtype=bool)
        if traits.sustained is not None:
            e = traits.sustained
            self.sustained_day[e.onset_day : min(self.days, e.end_day + 1)] = True
        self._start_schedule()

    # --- sessions --------------------------------------------------------------------------
    def _session_start_hour(self, day: int, phase: int, intensity: float) -> float:
        t, rng = self.t, self.rng
        habit = float(t.habit_hour_local)
        if rng.random() < HABIT_AT_EFFECT_SHARE:
            hour = habit + float(rng.random())
        else:
            low = max(EARLIEST_START_HOUR_LOCAL, habit - SPREAD_BEFORE_HOURS)
            high = min(LATEST_START_HOUR_LOCAL, habit + SPREAD_AFTER_HOURS)
            hour = float(rng.uniform(low, high))
        if 0 <= day < self.days and self.sustained_day[day] and t.sustained is not None:
            hour = min(LATEST_START_HOUR_LOCAL, hour + t.sustained.start_shift_hours)
        return hour

    def _effects(
        self, plan: _Sessions, start_hour: np.ndarray, minutes: np.ndarray
    ) -> _SessionEffects:
        t = self.t
        day = np.asarray(plan.day, dtype=np.int64)
        sustained = self.sustained_day[day] if len(day) else np.zeros(0, dtype=bool)
        # The classic effects without its overload profile on sustained days (calm there) …
        calm_plan = replace(
            plan,
            phase=[
                NO_PHASE if s else p for p, s in zip(plan.phase, sustained.tolist(), strict=True)
            ],
        )
        base = super()._effects(calm_plan, start_hour, minutes)
        phase = np.asarray(plan.phase, dtype=np.int64)
        calm = phase == NO_PHASE
        effect = t.hour_effect
        shape = effect.shape(start_hour)
        q_hour = effect.base_quality + effect.height * shape
        mean_shape = float(shape[calm].mean()) if calm.any() else 0.0
        m_hour = 1.0 + HOUR_RECALL_SHARE * effect.height * (shape - mean_shape)
        e_hour = 1.0 - HOUR_ENGAGEMENT_SHARE * effect.height * (1.0 - shape)
        # … then this family's sustained overload.
        drop = t.sustained.drop_points if t.sustained is not None else 0.0
        q_sus = np.where(sustained, 1.0 - SUSTAINED_QUALITY_PER_POINT * drop, 1.0)
        m_sus = np.where(sustained, 1.0 - SUSTAINED_RECALL_PER_POINT * drop, 1.0)
        return replace(
            base,
            recall=base.recall * m_hour * m_sus,
            quality=base.quality * q_hour * q_sus,
            quality_no_affinity=base.quality_no_affinity * q_hour * q_sus,
            engagement=base.engagement * e_hour,
            latency=np.where(
                sustained, base.latency * (1.0 + SUSTAINED_LATENCY_GAIN), base.latency
            ),
            span=np.where(sustained, base.span * (1.0 - SUSTAINED_SPAN_SHRINK), base.span),
            engagement_drop=np.where(
                sustained, base.engagement_drop + SUSTAINED_ENGAGEMENT_DROP, base.engagement_drop
            ),
        )

    # --- memory ----------------------------------------------------------------------------
    def _start_schedule(self) -> None:
        self.stability = np.full(self.n_cards, np.nan)
        self.difficulty = np.full(self.n_cards, np.nan)

    def _recall(self, stability: np.ndarray, days: np.ndarray) -> np.ndarray:
        return np.asarray(
            (1.0 + self.factor * np.maximum(days, 0.0) / stability) ** (-self.t.decay)
        )

    def _repeat_curve(self, cards: np.ndarray, days_since: np.ndarray) -> np.ndarray:
        s = self.stability[cards]
        known = np.isfinite(s)
        return np.where(known, self._recall(np.where(known, s, 1.0), days_since), 0.0)

    def _interval_to(self, stability: np.ndarray, recall: float) -> np.ndarray:
        """Days until recall falls to ``recall`` from a review that left ``stability``."""
        return np.asarray(stability * (recall ** (-1.0 / self.t.decay) - 1.0) / self.factor)

    def _review_intervals(
        self,
        relative: np.ndarray,
        cards: np.ndarray,
        recalled: np.ndarray,
        first_time: np.ndarray,
        days_since: np.ndarray,
    ) -> np.ndarray:
        t = self.t
        c = t.stability_scale * self.card_factor[cards]
        s_old = np.where(first_time, 1.0, self.stability[cards])
        d_old = np.where(first_time, 5.0, self.difficulty[cards])
        r = self._recall(s_old, days_since)
        unit = s_old / c  # stability in the default learner's days
        grow = (
            math.exp(_W.recall_stability_scale)
            * (11.0 - d_old)
            * unit ** (-_W.recall_stability_exponent)
            * (np.exp((1.0 - r) * _W.recall_retrievability_factor) - 1.0)
            * t.growth_factor
        )
        success = s_old * (1.0 + grow)
        lapse = np.minimum(
            s_old,
            c
            * _W.forget_stability_scale
            * d_old ** (-_W.forget_difficulty_exponent)
            * ((unit + 1.0) ** _W.forget_stability_exponent - 1.0)
            * np.exp((1.0 - r) * _W.forget_retrievability_factor),
        )
        first = c * np.where(recalled, _W.initial_stability_good, _W.initial_stability_again)
        s_new = np.where(first_time, first, np.where(recalled, success, lapse))
        s_new = np.maximum(s_new, STABILITY_MIN_DAYS)
        rating = np.where(recalled, 3.0, 1.0)
        d0 = (
            _W.initial_difficulty_again
            - np.exp(_W.initial_difficulty_rating_factor * (rating - 1.0))
            + 1.0
        )
        damped = d_old + (10.0 - d_old) * (-_W.difficulty_step * (rating - 3.0)) / 9.0
        target = (
            _W.initial_difficulty_again - math.exp(_W.initial_difficulty_rating_factor * 3.0) + 1.0
        )
        d_next = (
            _W.difficulty_mean_reversion * target + (1.0 - _W.difficulty_mean_reversion) * damped
        )
        d_new = np.clip(np.where(first_time, d0, d_next), 1.0, 10.0)
        self.stability[cards] = s_new
        self.difficulty[cards] = d_new
        # The scheduler: due when recall is predicted to fall to 90%; put-off reviews to 75%.
        interval = np.where(
            relative < PUT_OFF_TARGET_BELOW, self._interval_to(s_new, OVERDUE_RECALL), s_new
        )
        return np.asarray(np.minimum(MAX_INTERVAL_DAYS, interval))


def generate_srs_learner(
    seed: int,
    index: int,
    start: date,
    weeks: int,
    *,
    interventions: Interventions | None = None,
    share_patterns: bool = False,
) -> LearnerData:
    """Sample srs learner ``index`` of cohort ``seed`` and generate their data (pure)."""
    traits, rng = sample_srs_traits(seed, index, weeks)
    return _SrsGenerator(
        traits, rng, start, weeks, interventions=interventions, share_patterns=share_patterns
    ).run()


__all__ = [
    "FAMILY",
    "HourEffect",
    "SrsTraits",
    "SustainedOverload",
    "generate_srs_learner",
    "sample_srs_traits",
    "srs_user_id",
]
