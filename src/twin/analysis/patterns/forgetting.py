"""FORGETTING_CURVE: the learner's personal ``R(t) = R0·e^(−k·t)`` (t in days) by maximum likelihood.

Data: repeat reviews (cards reviewed at least twice), each with the days elapsed since
that card's previous review and whether it was recalled. A fit needs at least 50 such
reviews whose dates span at least 30 days; otherwise the baseline curve (R0 = 1.0,
k = 0.14 per day, half-life ln 2 / 0.14 ≈ 4.95 days) is returned with confidence
``min(1, reviews/50)`` — additionally capped by ``span/30 days`` so the baseline is
never reported at full confidence without the minimum being met.

The fit maximises the Bernoulli log-likelihood Σ y·ln p + (1 − y)·ln(1 − p),
p = R0·e^(−k·t) (clipped to [1e-9, 1 − 1e-9]), over R0 ∈ [0.5, 1] and k ∈ [0.01, 1] per
day with scipy's bounded truncated Newton (TNC) from three fixed starting points, keeping the best. The
standard error of k comes from the expected Fisher information at the estimate
(Σ ∇p ∇pᵀ / (p(1 − p))); when R0 sits on a bound, R0 is treated as known and
se(k) = 1/√I_kk. Confidence = ``min(1, reviews/50) × max(0, 1 − 1.96·se(k)/k)``: the
share of k not covered by the half-width of its 95% interval.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from twin.analysis.patterns.common import DetectedPattern, PatternType, clip01, data_factor, rounded
from twin.analysis.patterns.inputs import ReviewObs

BASELINE_R0 = 1.0
BASELINE_DECAY_PER_DAY = 0.14
R0_MIN = 0.5
R0_MAX = 1.0
DECAY_MIN_PER_DAY = 0.01
DECAY_MAX_PER_DAY = 1.0
MIN_REVIEWS_FOR_FIT = 50
MIN_SPAN_DAYS_FOR_FIT = 30.0
FORGETTING_FULL_CONFIDENCE_REVIEWS = 50
PROBABILITY_FLOOR = 1e-9
CI_Z_95 = 1.959963984540054
FIT_STARTS: tuple[tuple[float, float], ...] = (
    (0.9, BASELINE_DECAY_PER_DAY),
    (0.99, 0.05),
    (0.7, 0.5),
)
REVIEW_TARGET_RECALL = 0.8
MIN_REVIEW_INTERVAL_DAYS = 1
SIMILAR_TO_BASELINE_PERCENT = 5.0
SECONDS_PER_DAY = 86_400.0
BOUND_TOLERANCE = 1e-6


def half_life_days(decay_per_day: float) -> float:
    """ln 2 / k."""
    return math.log(2.0) / decay_per_day


def recall_probability(r0: float, decay_per_day: float, days: float) -> float:
    """``R0·e^(−k·t)``."""
    return r0 * math.exp(-decay_per_day * days)


def review_interval_days(r0: float, decay_per_day: float) -> int:
    """Whole days until predicted recall falls to 80% (at least 1): ``ln(R0/0.8)/k``, rounded."""
    if r0 <= REVIEW_TARGET_RECALL:
        return MIN_REVIEW_INTERVAL_DAYS
    return max(MIN_REVIEW_INTERVAL_DAYS, round(math.log(r0 / REVIEW_TARGET_RECALL) / decay_per_day))


def _probabilities(r0: float, k: float, t: np.ndarray) -> np.ndarray:
    return np.clip(r0 * np.exp(-k * t), PROBABILITY_FLOOR, 1.0 - PROBABILITY_FLOOR)


def log_likelihood(
    r0: float, decay_per_day: float, days: np.ndarray, recalled: np.ndarray
) -> float:
    """Bernoulli log-likelihood of the outcomes under ``R0·e^(−k·t)``."""
    p = _probabilities(r0, decay_per_day, days)
    return float(np.sum(recalled * np.log(p) + (1.0 - recalled) * np.log1p(-p)))


def _negative_ll_and_gradient(
    theta: np.ndarray, t: np.ndarray, y: np.ndarray
) -> tuple[float, np.ndarray]:
    r0, k = float(theta[0]), float(theta[1])
    e = np.exp(-k * t)
    p = np.clip(r0 * e, PROBABILITY_FLOOR, 1.0 - PROBABILITY_FLOOR)
    ll = np.sum(y * np.log(p) + (1.0 - y) * np.log1p(-p))
    w = y / p - (1.0 - y) / (1.0 - p)
    grad = np.array([-np.sum(w * e), np.sum(w * t * r0 * e)])
    return -float(ll), grad


def fit_forgetting_curve(days: np.ndarray, recalled: np.ndarray) -> tuple[float, float, float]:
    """Maximum-likelihood (R0, k, standard error of k) within the clamps."""
    t = np.asarray(days, dtype=float)
    y = np.asarray(recalled, dtype=float)
    best: tuple[float, float, float] | None = None
    for start in FIT_STARTS:
        res = optimize.minimize(
            _negative_ll_and_gradient,
            np.array(start),
            args=(t, y),
            jac=True,
            method="TNC",
            bounds=[(R0_MIN, R0_MAX), (DECAY_MIN_PER_DAY, DECAY_MAX_PER_DAY)],
        )
        r0 = float(np.clip(res.x[0], R0_MIN, R0_MAX))
        k = float(np.clip(res.x[1], DECAY_MIN_PER_DAY, DECAY_MAX_PER_DAY))
        nll = -log_likelihood(r0, k, t, y)
        if best is None or nll < best[2] - 1e-12:
            best = (r0, k, nll)
    assert best is not None
    r0, k, _ = best
    return r0, k, decay_standard_error(r0, k, t)


def decay_standard_error(r0: float, decay_per_day: float, days: np.ndarray) -> float:
    """Standard error of k from the expected Fisher information of the Bernoulli model."""
    t = np.asarray(days, dtype=float)
    e = np.exp(-decay_per_day * t)
    p = _probabilities(r0, decay_per_day, t)
    g_r0 = e
    g_k = -t * r0 * e
    inv_var = 1.0 / (p * (1.0 - p))
    i_rr = float(np.sum(g_r0 * g_r0 * inv_var))
    i_rk = float(np.sum(g_r0 * g_k * inv_var))
    i_kk = float(np.sum(g_k * g_k * inv_var))
    r0_on_bound = r0 <= R0_MIN + BOUND_TOLERANCE or r0 >= R0_MAX - BOUND_TOLERANCE
    if i_kk <= 0:
        return math.inf
    if r0_on_bound:
        return 1.0 / math.sqrt(i_kk)
    det = i_rr * i_kk - i_rk * i_rk
    if det <= 0:
        return 1.0 / math.sqrt(i_kk)
    return math.sqrt(i_rr / det)


@dataclass(frozen=True)
class ForgettingResult:
    """The learner's forgetting curve (fitted or baseline) with its evidence."""

    source: str
    r0: float
    decay_per_day: float
    decay_standard_error: float | None
    reviews: int
    span_days: float
    recall_rate: float | None
    mean_log_loss: float | None
    baseline_mean_log_loss: float | None
    r0_clamped: bool
    decay_clamped: bool
    confidence: float
    insufficient: dict[str, dict[str, float]]

    @property
    def fitted(self) -> bool:
        """True when the curve was fitted to the learner's reviews."""
        return self.source == "fitted"

    @property
    def half_life_days(self) -> float:
        """ln 2 / k."""
        return half_life_days(self.decay_per_day)

    @property
    def deviation_percent(self) -> float:
        """How much faster (+) or slower (−) than the baseline k = 0.14 the learner forgets."""
        return 100.0 * (self.decay_per_day - BASELINE_DECAY_PER_DAY) / BASELINE_DECAY_PER_DAY

    @property
    def decay_ci95(self) -> tuple[float, float] | None:
        """Wald 95% interval of k, clipped to the clamps."""
        if self.decay_standard_error is None or not math.isfinite(self.decay_standard_error):
            return None
        half = CI_Z_95 * self.decay_standard_error
        return (
            max(DECAY_MIN_PER_DAY, self.decay_per_day - half),
            min(DECAY_MAX_PER_DAY, self.decay_per_day + half),
        )

    @property
    def review_interval_days(self) -> int:
        """Suggested days between reviews to keep predicted recall near 80%."""
        return review_interval_days(self.r0, self.decay_per_day)

    def comparison_text(self) -> str:
        """E.g. "You forget 15% faster than typical"."""
        dev = self.deviation_percent
        if abs(dev) < SIMILAR_TO_BASELINE_PERCENT:
            return "You forget at about the typical rate"
        return f"You forget {abs(dev):.0f}% {'faster' if dev > 0 else 'slower'} than typical"

    def to_profile(self) -> dict[str, object]:
        """The ``personalizedForgettingCurve`` JSON of the profile."""
        ci = self.decay_ci95
        return {
            "R0": rounded(self.r0),
            "k": rounded(self.decay_per_day, 5),
            "halfLife": rounded(self.half_life_days, 3),
            "source": self.source,
            "confidence": rounded(self.confidence),
            "reviews": self.reviews,
            "spanDays": rounded(self.span_days, 1),
            "deviationFromBaselinePercent": rounded(self.deviation_percent, 1),
            "kStandardError": (
                rounded(self.decay_standard_error, 5)
                if self.decay_standard_error is not None
                and math.isfinite(self.decay_standard_error)
                else None
            ),
            "kCi95": [rounded(ci[0], 5), rounded(ci[1], 5)] if ci else None,
            "reviewIntervalDays": self.review_interval_days,
            "baseline": {"R0": BASELINE_R0, "k": BASELINE_DECAY_PER_DAY},
            "clamped": {"R0": self.r0_clamped, "k": self.decay_clamped},
        }

    def patterns(self) -> list[DetectedPattern]:
        """The FORGETTING_CURVE pattern, only for a fitted curve."""
        if not self.fitted:
            return []
        ci = self.decay_ci95
        ci_text = f" (95% interval {ci[0]:.3f}–{ci[1]:.3f})" if ci else ""
        return [
            DetectedPattern(
                pattern_type=PatternType.FORGETTING_CURVE,
                key="curve",
                name=self.comparison_text(),
                confidence=self.confidence,
                evidence=(
                    f"Fitted R(t) = {self.r0:.2f}·e^(−{self.decay_per_day:.3f}·t){ci_text}: half-life "
                    f"{self.half_life_days:.1f} days vs {half_life_days(BASELINE_DECAY_PER_DAY):.1f} typical",
                    f"{self.reviews} repeat reviews over {self.span_days:.0f} days, "
                    f"{(self.recall_rate or 0.0):.0%} recalled",
                    f"Mean log loss {self.mean_log_loss:.3f} vs {self.baseline_mean_log_loss:.3f} "
                    "for the typical curve on the same reviews",
                ),
                data={**self.to_profile(), "recallRate": rounded(self.recall_rate or 0.0)},
            )
        ]


def analyze_forgetting(reviews: Sequence[ReviewObs]) -> ForgettingResult:
    """Fit the personal forgetting curve, or return the baseline with how far the learner is."""
    n = len(reviews)
    times = [r.reviewed_at for r in reviews]
    span = (max(times) - min(times)).total_seconds() / SECONDS_PER_DAY if times else 0.0
    # Sorting by (elapsed, outcome) makes the fit independent of input order.
    pairs = sorted((r.elapsed_days, r.recalled) for r in reviews)
    t = np.array([p[0] for p in pairs], dtype=float)
    y = np.array([float(p[1]) for p in pairs])
    recall_rate = float(y.mean()) if n else None
    insufficient: dict[str, dict[str, float]] = {}
    if n < MIN_REVIEWS_FOR_FIT:
        insufficient["reviews"] = {"have": n, "need": MIN_REVIEWS_FOR_FIT}
    if span < MIN_SPAN_DAYS_FOR_FIT:
        insufficient["spanDays"] = {"have": rounded(span, 1), "need": MIN_SPAN_DAYS_FOR_FIT}
    baseline_ll = -log_likelihood(BASELINE_R0, BASELINE_DECAY_PER_DAY, t, y) / n if n else None
    if insufficient:
        confidence = min(
            data_factor(n, FORGETTING_FULL_CONFIDENCE_REVIEWS),
            data_factor(span, MIN_SPAN_DAYS_FOR_FIT),
        )
        return ForgettingResult(
            source="baseline",
            r0=BASELINE_R0,
            decay_per_day=BASELINE_DECAY_PER_DAY,
            decay_standard_error=None,
            reviews=n,
            span_days=span,
            recall_rate=recall_rate,
            mean_log_loss=None,
            baseline_mean_log_loss=baseline_ll,
            r0_clamped=False,
            decay_clamped=False,
            confidence=confidence,
            insufficient=insufficient,
        )
    r0, k, se = fit_forgetting_curve(t, y)
    precision = clip01(1.0 - CI_Z_95 * se / k) if math.isfinite(se) else 0.0
    return ForgettingResult(
        source="fitted",
        r0=r0,
        decay_per_day=k,
        decay_standard_error=se,
        reviews=n,
        span_days=span,
        recall_rate=recall_rate,
        mean_log_loss=-log_likelihood(r0, k, t, y) / n,
        baseline_mean_log_loss=baseline_ll,
        r0_clamped=r0 <= R0_MIN + BOUND_TOLERANCE or r0 >= R0_MAX - BOUND_TOLERANCE,
        decay_clamped=k <= DECAY_MIN_PER_DAY + BOUND_TOLERANCE
        or k >= DECAY_MAX_PER_DAY - BOUND_TOLERANCE,
        confidence=data_factor(n, FORGETTING_FULL_CONFIDENCE_REVIEWS) * precision,
        insufficient={},
    )
