"""The learner-facing forgetting curve: how a newly learned card fades after its first success.

**Why not the ENGINE exponential over all reviews** (:mod:`twin.analysis.patterns.forgetting`,
kept as the documented baseline). In spaced-repetition data reviews come when recall is
predicted to be near 90%, whatever the card's stability: intervals grow with stability
and recall stays near 90% at every interval, so one exponential over all repeat reviews
sees almost no forgetting (k at its clamp of 0.01, half-life 69 days) for every learner —
two learners whose memories differ 4× get the same curve (ENGINE.md 5.1, "Trap").

**What is comparable across learners.** Every card's *first repeat* — its second review,
after a first review that was recalled — measures the same thing for everyone: the
curve of a newly learned card after one successful review, at the interval the learner
actually waited. Fitting on those reviews only (one per card) removes the confounding
of interval with stability, so a learner whose memory is 4× weaker waits (or is
scheduled) 4× shorter or recalls less at the same wait, and the fit sees it.

**The curve.** ``R(t) = e^(−k·t)`` with R0 = 1: recall right after a successful review
is taken as certain. Under a scheduler the first repeats all sit near one interval, and
a single interval cannot separate a starting level below 1 from the decay (the two-
parameter fit is unidentified there: it wanders to either clamp), so the curve is
anchored at 1 and k carries everything the learner loses by the time they come back —
forgetting and slips alike, which is what "how fast do I forget new material" means to
them. k is fitted by maximum likelihood on the individual outcomes (recalled = rating ≠
AGAIN, at the elapsed days), a one-parameter Bernoulli problem solved with scipy's
bounded scalar search on ln k. half-life = ln 2 / k.

**Uncertainty.** Fisher information of k: ``I = Σ t²·p/(1 − p)`` (p = e^(−k·t)); the 95%
interval is taken on ln k (``k·e^(±1.96·se(k)/k)``, always positive) and carried to the
half-life. Confidence = ``min(1, n/50) × max(0, 1 − 1.96·se(k)/k)`` as for the baseline.

**Minimum.** 30 first repeats; below it the typical curve (R0 = 1, k = 0.14, ENGINE's
baseline) is returned with confidence ``min(1, n/30)`` capped by the same precision rule.

**Advice consistent with the numbers.** The learner is said to forget faster or slower
than typical only when the 95% interval of k excludes the typical 0.14, and by the ratio
of half-lives the text cites. The first review of new material is advised after the
whole number of days N at which the curve reaches 80% (``ln 1.25 / k``, at least 1);
when recall is below 80% already after one day the text says so instead of promising it.

Measured with ``python -m benchmarks.twin_quality`` (250 learners per family; pairs of
learners whose true memory differs ≥ 2×): this curve orders 99.5% of the pairs of the
spaced-repetition family (seed 14014) and 97.2% of the classic one (seed 5101), with the
half-life ratio within 2× of the truth for 93.8% / 84.9%; the ENGINE exponential over all
reviews orders 54.3% / 100% (0.0% / 99.7% within 2×); the fitted FSRS-6 model's new-card
stability 93.6% / 82.5% (67.9% / 36.0%).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from twin.analysis.common import clip01, rounded
from twin.analysis.patterns.common import DetectedPattern, data_factor
from twin.analysis.patterns.forgetting import (
    BASELINE_DECAY_PER_DAY,
    CI_Z_95,
    PROBABILITY_FLOOR,
    ForgettingResult,
    analyze_forgetting,
)
from twin.analysis.patterns.inputs import ReviewObs
from twin.enums import BehavioralPatternType

CURVE_R0 = 1.0
MIN_FIRST_REPEATS = 30
CURVE_FULL_CONFIDENCE_REVIEWS = 50
DECAY_SEARCH_MIN_PER_DAY = 1e-3  # half-life 693 days
DECAY_SEARCH_MAX_PER_DAY = 10.0  # half-life 1.7 hours
BOUND_TOLERANCE_LOG = 1e-4
MAX_LOG_HALF_WIDTH = 20.0  # an interval wider than ×/÷ e^20 says nothing
REVIEW_TARGET_RECALL = 0.8
MIN_REVIEW_INTERVAL_DAYS = 1
# Below this ratio of half-lives the learner is "about typical" even when the interval excludes it.
TYPICAL_RATIO_BAND = 1.1
SOURCE_FITTED = "newCardCurve"
SOURCE_BASELINE = "baseline"
CURVE_DESCRIPTION = "recall of a new card after a successful first review: R(t) = e^(−k·t)"


def select_first_repeats(reviews: Sequence[ReviewObs]) -> list[ReviewObs]:
    """The first repeat of each card whose first review was recalled (time order).

    Uses ``repeat_number`` / ``previous_recalled`` when the caller knows them; reviews
    without them are not first repeats we can vouch for.
    """
    chosen = [r for r in reviews if r.repeat_number == 1 and r.previous_recalled is True]
    return sorted(chosen, key=lambda r: (r.reviewed_at, r.elapsed_days, r.recalled))


def _negative_log_likelihood(log_k: float, t: np.ndarray, y: np.ndarray) -> float:
    p = np.clip(np.exp(-math.exp(log_k) * t), PROBABILITY_FLOOR, 1.0 - PROBABILITY_FLOOR)
    return -float(np.sum(y * np.log(p) + (1.0 - y) * np.log1p(-p)))


def fit_new_card_decay(days: np.ndarray, recalled: np.ndarray) -> tuple[float, float]:
    """Maximum-likelihood k of ``e^(−k·t)`` (bounded to [0.001, 10] per day) and its standard error."""
    t = np.asarray(days, dtype=float)
    y = np.asarray(recalled, dtype=float)
    res = optimize.minimize_scalar(
        _negative_log_likelihood,
        bounds=(math.log(DECAY_SEARCH_MIN_PER_DAY), math.log(DECAY_SEARCH_MAX_PER_DAY)),
        args=(t, y),
        method="bounded",
        options={"xatol": 1e-7},
    )
    k = math.exp(float(res.x))
    return k, decay_standard_error(k, t)


def decay_standard_error(decay_per_day: float, days: np.ndarray) -> float:
    """``1/√I`` with ``I = Σ t²·p/(1 − p)``, p = e^(−k·t) (inf without information)."""
    t = np.asarray(days, dtype=float)
    p = np.clip(np.exp(-decay_per_day * t), PROBABILITY_FLOOR, 1.0 - PROBABILITY_FLOOR)
    info = float(np.sum(t * t * p / (1.0 - p)))
    return 1.0 / math.sqrt(info) if info > 0 else math.inf


def half_life_days(decay_per_day: float) -> float:
    """ln 2 / k."""
    return math.log(2.0) / decay_per_day


def curve_recall(decay_per_day: float, days: float) -> float:
    """``e^(−k·t)``."""
    return math.exp(-decay_per_day * days)


def first_review_interval_days(decay_per_day: float) -> int:
    """Whole days until the curve reaches 80% (``ln 1.25 / k`` rounded), at least 1."""
    return max(
        MIN_REVIEW_INTERVAL_DAYS, round(math.log(1.0 / REVIEW_TARGET_RECALL) / decay_per_day)
    )


@dataclass(frozen=True)
class NewCardCurve:
    """The fitted (or typical) curve of a new card after a successful first review."""

    source: str
    decay_per_day: float
    decay_standard_error: float | None
    first_repeats: int
    recall_rate: float | None
    mean_elapsed_days: float | None
    on_bound: bool
    confidence: float
    insufficient: dict[str, dict[str, float]]

    @property
    def fitted(self) -> bool:
        """True when fitted to the learner's first repeats."""
        return self.source == SOURCE_FITTED

    @property
    def half_life_days(self) -> float:
        """ln 2 / k."""
        return half_life_days(self.decay_per_day)

    @property
    def decay_ci95(self) -> tuple[float, float] | None:
        """95% interval of k on the log scale; None without a finite standard error or on a bound."""
        se = self.decay_standard_error
        if se is None or not math.isfinite(se) or not self.fitted or self.on_bound:
            return None
        log_half_width = CI_Z_95 * se / self.decay_per_day
        if log_half_width > MAX_LOG_HALF_WIDTH:
            return None  # no information on k worth an interval
        spread = math.exp(log_half_width)
        return self.decay_per_day / spread, self.decay_per_day * spread

    @property
    def half_life_ci95(self) -> tuple[float, float] | None:
        """The interval of k carried to the half-life (low, high)."""
        ci = self.decay_ci95
        return None if ci is None else (half_life_days(ci[1]), half_life_days(ci[0]))

    @property
    def differs_from_typical(self) -> bool:
        """The 95% interval of k excludes the typical 0.14 and the half-lives differ > 10%."""
        ci = self.decay_ci95
        if ci is None or self.on_bound:
            return False
        ratio = self.decay_per_day / BASELINE_DECAY_PER_DAY
        outside = ci[1] < BASELINE_DECAY_PER_DAY or ci[0] > BASELINE_DECAY_PER_DAY
        return outside and max(ratio, 1.0 / ratio) >= TYPICAL_RATIO_BAND

    @property
    def review_interval_days(self) -> int:
        """Days until the first review of new material (curve at 80%, at least 1)."""
        return first_review_interval_days(self.decay_per_day)

    @property
    def deviation_percent(self) -> float:
        """Decay rate vs the typical k = 0.14 in percent (+ = faster forgetting)."""
        return 100.0 * (self.decay_per_day - BASELINE_DECAY_PER_DAY) / BASELINE_DECAY_PER_DAY


@dataclass(frozen=True)
class LearnerForgetting:
    """The learner-facing new-card curve and the ENGINE exponential baseline, side by side."""

    curve: NewCardCurve
    exponential: ForgettingResult

    @property
    def fitted(self) -> bool:
        """True when the learner-facing curve is fitted."""
        return self.curve.fitted

    @property
    def confidence(self) -> float:
        """The learner-facing curve's confidence."""
        return self.curve.confidence

    @property
    def insufficient(self) -> dict[str, dict[str, float]]:
        """What the learner-facing curve still lacks."""
        return self.curve.insufficient

    def comparison_text(self) -> str:
        """ "You forget new material 2.1× faster than typical", or a statement that it is typical."""
        c = self.curve
        typical = half_life_days(BASELINE_DECAY_PER_DAY)
        if not c.differs_from_typical:
            return "You forget new material at about the typical rate"
        ratio = typical / c.half_life_days
        if ratio > 1.0:
            return f"You forget new material {ratio:.1f}× faster than typical"
        return f"You forget new material {1.0 / ratio:.1f}× slower than typical"

    def to_profile(self) -> dict[str, object]:
        """``personalizedForgettingCurve``: the new-card curve, its interval, and the baseline fit."""
        c = self.curve
        ci = c.decay_ci95
        hl_ci = c.half_life_ci95
        interval = c.review_interval_days
        return {
            "R0": CURVE_R0,
            "k": rounded(c.decay_per_day, 5),
            "halfLife": rounded(c.half_life_days, 3),
            "source": c.source,
            "curve": CURVE_DESCRIPTION,
            "confidence": rounded(c.confidence),
            "firstRepeats": c.first_repeats,
            "recallRate": rounded(c.recall_rate, 4) if c.recall_rate is not None else None,
            "meanElapsedDays": (
                rounded(c.mean_elapsed_days, 3) if c.mean_elapsed_days is not None else None
            ),
            "kStandardError": (
                rounded(c.decay_standard_error, 5)
                if c.decay_standard_error is not None and math.isfinite(c.decay_standard_error)
                else None
            ),
            "kCi95": [rounded(ci[0], 5), rounded(ci[1], 5)] if ci else None,
            "halfLifeCi95": [rounded(hl_ci[0], 3), rounded(hl_ci[1], 3)] if hl_ci else None,
            "onBound": c.on_bound,
            "differsFromTypical": c.differs_from_typical,
            "deviationFromBaselinePercent": rounded(c.deviation_percent, 1),
            "reviewIntervalDays": interval,
            "recallAtReviewInterval": rounded(curve_recall(c.decay_per_day, interval), 4),
            "baseline": {"R0": CURVE_R0, "k": BASELINE_DECAY_PER_DAY},
            "exponentialFit": self.exponential.to_profile(),
        }

    def patterns(self) -> list[DetectedPattern]:
        """The FORGETTING_CURVE pattern, only for a fitted curve."""
        c = self.curve
        if not c.fitted:
            return []
        hl_ci = c.half_life_ci95
        ci_text = f" (95% interval {hl_ci[0]:.1f}–{hl_ci[1]:.1f} days)" if hl_ci else ""
        e = self.exponential
        baseline_text = (
            f"ENGINE exponential over all {e.reviews} repeat reviews (baseline): "
            f"R0 {e.r0:.2f}, k {e.decay_per_day:.3f}/day"
            + (" at its clamp" if e.decay_clamped else "")
            if e.fitted
            else f"ENGINE exponential over all repeat reviews: not fitted ({e.reviews} reviews)"
        )
        return [
            DetectedPattern(
                pattern_type=BehavioralPatternType.FORGETTING_CURVE,
                key="curve",
                name=self.comparison_text(),
                confidence=c.confidence,
                evidence=(
                    f"New material: R(t) = e^(−{c.decay_per_day:.3f}·t), half-life "
                    f"{c.half_life_days:.1f} days{ci_text} vs "
                    f"{half_life_days(BASELINE_DECAY_PER_DAY):.1f} typical",
                    f"{c.first_repeats} first repeats of cards answered correctly the first "
                    f"time, {(c.recall_rate or 0.0):.0%} recalled after "
                    f"{(c.mean_elapsed_days or 0.0):.1f} days on average",
                    baseline_text,
                ),
                data=self.to_profile(),
            )
        ]


def analyze_new_card_curve(reviews: Sequence[ReviewObs]) -> NewCardCurve:
    """Fit the new-card curve on the learner's first repeats, or return the typical one."""
    chosen = select_first_repeats(reviews)
    n = len(chosen)
    t = np.array([r.elapsed_days for r in chosen], dtype=float)
    y = np.array([float(r.recalled) for r in chosen])
    recall_rate = float(y.mean()) if n else None
    mean_elapsed = float(t.mean()) if n else None
    if n < MIN_FIRST_REPEATS:
        return NewCardCurve(
            source=SOURCE_BASELINE,
            decay_per_day=BASELINE_DECAY_PER_DAY,
            decay_standard_error=None,
            first_repeats=n,
            recall_rate=recall_rate,
            mean_elapsed_days=mean_elapsed,
            on_bound=False,
            confidence=data_factor(n, MIN_FIRST_REPEATS)
            * data_factor(n, CURVE_FULL_CONFIDENCE_REVIEWS),
            insufficient={"firstRepeats": {"have": n, "need": MIN_FIRST_REPEATS}},
        )
    k, se = fit_new_card_decay(t, y)
    log_k = math.log(k)
    on_bound = (
        log_k <= math.log(DECAY_SEARCH_MIN_PER_DAY) + BOUND_TOLERANCE_LOG
        or log_k >= math.log(DECAY_SEARCH_MAX_PER_DAY) - BOUND_TOLERANCE_LOG
    )
    precision = clip01(1.0 - CI_Z_95 * se / k) if math.isfinite(se) and not on_bound else 0.0
    return NewCardCurve(
        source=SOURCE_FITTED,
        decay_per_day=k,
        decay_standard_error=se,
        first_repeats=n,
        recall_rate=recall_rate,
        mean_elapsed_days=mean_elapsed,
        on_bound=on_bound,
        confidence=data_factor(n, CURVE_FULL_CONFIDENCE_REVIEWS) * precision,
        insufficient={},
    )


def analyze_learner_forgetting(reviews: Sequence[ReviewObs]) -> LearnerForgetting:
    """The learner-facing new-card curve with the ENGINE exponential fit as its baseline."""
    return LearnerForgetting(
        curve=analyze_new_card_curve(reviews), exponential=analyze_forgetting(reviews)
    )
