"""The ENGINE exponential ``R(t) = R0·e^(−k·t)`` over all repeat reviews: the documented baseline.

ENGINE.md 5.1's forgetting curve, fitted exactly as specified below. It is *not* the
learner-facing curve any more: in spaced-repetition data it sees almost no forgetting
for anyone (see :mod:`twin.analysis.patterns.memory_curve`, which fits the curve of a
new card after its first success and reports this fit beside it, as ``exponentialFit``).

Data: repeat reviews (cards reviewed at least twice), each with the days elapsed since
that card's previous review, when it happened and whether it was recalled. A fit needs
at least 50 such reviews whose dates span at least 30 days; otherwise the baseline curve
(R0 = 1.0, k = 0.14 per day, half-life ln 2 / 0.14 ≈ 4.95 days) is returned with
confidence ``min(1, reviews/50)`` — additionally capped by ``span/30 days`` so the
baseline is never reported at full confidence without the minimum being met.

**Why not a plain single-exponential fit.** Recall in a given study session is moved up
or down by things that do not depend on t (time of day, fatigue, overload or burnout
days). A multiplicative level m with mean 1 alone would not bias a Bernoulli fit of
``R0·e^(−k·t)`` (E[R0·m·e^(−k·t)] is still a single exponential), but a probability
cannot exceed 1: in good sessions ``R0·m·e^(−k·t)`` saturates at short intervals, so the
average curve is flattened near t = 0 and the single-exponential fit reads that as slow
forgetting (k ≈ 6–8% low on the simulated cohorts, where R0 is 0.94–0.99).

**The model.** Reviews are grouped into study sessions (a gap of more than 30 minutes
between consecutive reviews starts a new one). Each session s draws a level
``m_s = exp(σ·z − σ²/2)``, z ~ N(0, 1) (log-normal with mean 1: a session-level
random effect, or frailty, on R0), and, given it, reviews are independent Bernoulli with
``p = min(1, R0·m_s·e^(−k·t))``. The likelihood of a session integrates m out with
Gauss–Hermite quadrature (9 nodes): ``L_s = Σ_q w_q Π_i p_iq^y (1 − p_iq)^(1−y)``; the
fit maximises ``Σ_s ln L_s`` over R0 ∈ [0.5, 1], k ∈ [0.01, 1] per day and the spread
σ ∈ [0, 1.5] (a nuisance parameter, identified by how much recall varies between sessions
beyond chance) with scipy's SLSQP (bounds only) and the analytic gradient, starting from the plain
single-exponential ML fit (TNC from three fixed starting points, kept as the σ = 0 special
case, ``fit_forgetting_curve``). With σ = 0 the model *is* the single exponential, so it
only departs from it when the data show session-to-session variation. R0 is reported as
the learner's typical level (the mean level of a session before the cap at 1).

The standard error of k comes from the expected Fisher information of the per-review
marginal curve ``p̄(t) = Σ_q w_q min(1, R0·m_q·e^(−k·t))`` at the estimate
(Σ ∇p̄ ∇p̄ᵀ / (p̄(1 − p̄)) over (R0, k), σ held at its estimate); when R0 sits on a bound,
R0 is treated as known and se(k) = 1/√I_kk. With σ = 0 this is exactly the information of
the single-exponential model. Confidence = ``min(1, reviews/50) × max(0, 1 − 1.96·se(k)/k)``:
the share of k not covered by the half-width of its 95% interval. The mean log loss of the
fitted curve (p̄ per review) is reported beside the baseline curve's on the same reviews.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from twin.analysis.common import clip01, rounded
from twin.analysis.patterns.common import data_factor
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
# Session-level random effect on R0 (see the module docstring).
SESSION_GAP_MINUTES = 30.0  # a longer gap between consecutive reviews starts a new session
MINUTES_PER_DAY = 1_440.0
QUADRATURE_NODES = 9  # Gauss–Hermite nodes integrating the session level out
LEVEL_SPREAD_MIN = 0.0
LEVEL_SPREAD_MAX = 1.5  # σ of ln m; 1.5 already spreads session levels over ×/÷ 20
LEVEL_SPREAD_START = 0.1  # σ = 0 is a stationary point of the likelihood: start off it
RECALL_CEILING = 1.0

_NODES, _RAW_WEIGHTS = np.polynomial.hermite_e.hermegauss(QUADRATURE_NODES)
_WEIGHTS = _RAW_WEIGHTS / _RAW_WEIGHTS.sum()
_LOG_WEIGHTS = np.log(_WEIGHTS)


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


def session_levels(level_spread: float) -> np.ndarray:
    """The quadrature's session levels ``m_q = exp(σ·z_q − σ²/2)`` (weights ``_WEIGHTS``, mean 1)."""
    return np.asarray(np.exp(level_spread * _NODES - 0.5 * level_spread * level_spread))


def session_starts(reviewed_days: np.ndarray) -> np.ndarray:
    """Indices where a new study session starts in time-sorted review times (in days).

    A gap of more than ``SESSION_GAP_MINUTES`` between consecutive reviews starts one; the
    first review always does.
    """
    at = np.asarray(reviewed_days, dtype=float)
    if at.size == 0:
        return np.zeros(0, dtype=np.intp)
    gaps = np.diff(at) > SESSION_GAP_MINUTES / MINUTES_PER_DAY
    return np.concatenate([[0], np.flatnonzero(gaps) + 1]).astype(np.intp)


def marginal_recall(
    r0: float, decay_per_day: float, days: np.ndarray, level_spread: float = 0.0
) -> np.ndarray:
    """``p̄(t) = Σ_q w_q min(1, R0·m_q·e^(−k·t))``, clipped to [1e-9, 1 − 1e-9]; R0·e^(−k·t) at σ = 0."""
    t = np.asarray(days, dtype=float)
    raw = r0 * np.exp(-decay_per_day * t)[:, None] * session_levels(level_spread)[None, :]
    p = np.minimum(raw, RECALL_CEILING) @ _WEIGHTS
    return np.asarray(np.clip(p, PROBABILITY_FLOOR, 1.0 - PROBABILITY_FLOOR))


def _probabilities(r0: float, k: float, t: np.ndarray) -> np.ndarray:
    return np.clip(r0 * np.exp(-k * t), PROBABILITY_FLOOR, 1.0 - PROBABILITY_FLOOR)


def log_likelihood(
    r0: float,
    decay_per_day: float,
    days: np.ndarray,
    recalled: np.ndarray,
    level_spread: float = 0.0,
) -> float:
    """Bernoulli log-likelihood of the outcomes, each on its own, under the marginal curve p̄(t).

    With ``level_spread`` 0 (the default) that is the curve ``R0·e^(−k·t)`` itself.
    """
    t = np.asarray(days, dtype=float)
    if level_spread == 0.0:
        p = _probabilities(r0, decay_per_day, t)
    else:
        p = marginal_recall(r0, decay_per_day, t, level_spread)
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
    """Single-exponential maximum-likelihood (R0, k, standard error of k) within the clamps.

    The σ = 0 case of :func:`fit_forgetting_curve_sessions`, and its starting point.
    """
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


def session_log_likelihood_and_gradient(
    theta: np.ndarray, days: np.ndarray, recalled: np.ndarray, starts: np.ndarray
) -> tuple[float, np.ndarray]:
    """Marginal log-likelihood ``Σ_s ln Σ_q w_q Π_i p_iq^y (1 − p_iq)^(1−y)`` and its gradient.

    ``theta`` = (R0, k, σ); reviews are time-sorted and session s is
    ``starts[s]:starts[s+1]``; ``p_iq = min(1, R0·m_q·e^(−k·t_i))`` (clipped to
    [1e-9, 1 − 1e-9] for the logarithms). With ``v_iq = (y − p)/(1 − p)`` (0 where the cap
    binds) and the posterior weights ``π_sq ∝ w_q·e^(S_sq)`` of the session's level:
    ∂/∂R0 = Σ π·Σ_i v/R0, ∂/∂k = −Σ π·Σ_i v·t, ∂/∂σ = Σ π·(z_q − σ)·Σ_i v.
    """
    r0, k, sigma = float(theta[0]), float(theta[1]), float(theta[2])
    t = np.asarray(days, dtype=float)
    y = np.asarray(recalled, dtype=float)[:, None]
    raw = (r0 * np.exp(-k * t))[:, None] * session_levels(sigma)[None, :]
    p = np.clip(raw, PROBABILITY_FLOOR, 1.0 - PROBABILITY_FLOOR)
    ll = np.log(np.where(y > 0.0, p, 1.0 - p))
    v = np.where(raw < RECALL_CEILING, (y - p) / (1.0 - p), 0.0)
    per_session = np.add.reduceat(ll, starts, axis=0) + _LOG_WEIGHTS
    top = per_session.max(axis=1, keepdims=True)
    joint = np.exp(per_session - top)
    norm = joint.sum(axis=1, keepdims=True)
    posterior = joint / norm
    v_sum = np.add.reduceat(v, starts, axis=0)
    vt_sum = np.add.reduceat(v * t[:, None], starts, axis=0)
    total = float(np.sum(top[:, 0] + np.log(norm[:, 0])))
    grad = np.array(
        [
            float(np.sum(posterior * v_sum)) / r0,
            -float(np.sum(posterior * vt_sum)),
            float(np.sum(posterior * v_sum * (_NODES - sigma)[None, :])),
        ]
    )
    return total, grad


def _session_objective(
    theta: np.ndarray, t: np.ndarray, y: np.ndarray, starts: np.ndarray
) -> tuple[float, np.ndarray]:
    ll, grad = session_log_likelihood_and_gradient(theta, t, y, starts)
    return -ll, -grad


@dataclass(frozen=True)
class SessionCurveFit:
    """Maximum-likelihood estimate of the session-level random-effect curve."""

    r0: float
    decay_per_day: float
    level_spread: float
    decay_standard_error: float
    log_likelihood: float


def fit_forgetting_curve_sessions(
    days: np.ndarray, recalled: np.ndarray, starts: np.ndarray
) -> SessionCurveFit:
    """ML (R0, k, σ) of the session random-effect model (module docstring), within the clamps.

    Reviews must be time-sorted with ``starts`` from :func:`session_starts`. The search
    starts from the single-exponential fit with σ = ``LEVEL_SPREAD_START``; that fit is kept
    (σ = 0) when the random-effect optimum is not more likely.
    """
    t = np.asarray(days, dtype=float)
    y = np.asarray(recalled, dtype=float)
    r0_single, k_single, _ = fit_forgetting_curve(t, y)
    single = np.array([r0_single, k_single, LEVEL_SPREAD_MIN])
    best_theta = single
    best_ll = session_log_likelihood_and_gradient(single, t, y, starts)[0]
    res = optimize.minimize(
        _session_objective,
        np.array([r0_single, k_single, LEVEL_SPREAD_START]),
        args=(t, y, starts),
        jac=True,
        method="SLSQP",
        bounds=[
            (R0_MIN, R0_MAX),
            (DECAY_MIN_PER_DAY, DECAY_MAX_PER_DAY),
            (LEVEL_SPREAD_MIN, LEVEL_SPREAD_MAX),
        ],
    )
    theta = np.clip(
        res.x,
        [R0_MIN, DECAY_MIN_PER_DAY, LEVEL_SPREAD_MIN],
        [R0_MAX, DECAY_MAX_PER_DAY, LEVEL_SPREAD_MAX],
    )
    ll = session_log_likelihood_and_gradient(theta, t, y, starts)[0]
    if ll > best_ll:
        best_theta, best_ll = theta, ll
    r0, k, sigma = (float(x) for x in best_theta)
    return SessionCurveFit(
        r0=r0,
        decay_per_day=k,
        level_spread=sigma,
        decay_standard_error=decay_standard_error(r0, k, t, sigma),
        log_likelihood=best_ll,
    )


def decay_standard_error(
    r0: float, decay_per_day: float, days: np.ndarray, level_spread: float = 0.0
) -> float:
    """Standard error of k from the expected Fisher information of the marginal curve p̄(t).

    ∇p̄ over (R0, k) is ``Σ_q w_q·[R0·m_q·e^(−k·t) < 1]·(m_q·e^(−k·t), −t·R0·m_q·e^(−k·t))``;
    σ is held at its estimate. At σ = 0 this is the single-exponential Bernoulli model's.
    """
    t = np.asarray(days, dtype=float)
    e = np.exp(-decay_per_day * t)
    levels = session_levels(level_spread)
    raw = (r0 * e)[:, None] * levels[None, :]
    below = raw < RECALL_CEILING
    if level_spread == 0.0:
        # Exactly the single-exponential information (no cap for R0 ≤ 1).
        p = _probabilities(r0, decay_per_day, t)
        g_r0 = e
        g_k = -t * r0 * e
    else:
        p = marginal_recall(r0, decay_per_day, t, level_spread)
        g_r0 = np.where(below, e[:, None] * levels[None, :], 0.0) @ _WEIGHTS
        g_k = -t * (np.where(below, raw, 0.0) @ _WEIGHTS)
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
    level_spread: float = 0.0
    sessions: int = 0

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
            "sessionLevelSpread": rounded(self.level_spread, 4),
            "sessions": self.sessions,
        }


def analyze_forgetting(reviews: Sequence[ReviewObs]) -> ForgettingResult:
    """Fit the personal forgetting curve, or return the baseline with how far the learner is."""
    n = len(reviews)
    # Time order (ties by elapsed days, then outcome) groups reviews into sessions and
    # makes the fit independent of input order.
    ordered = sorted(reviews, key=lambda r: (r.reviewed_at, r.elapsed_days, r.recalled))
    first = ordered[0].reviewed_at if ordered else None
    at = np.array(
        [(r.reviewed_at - first).total_seconds() / SECONDS_PER_DAY for r in ordered]
        if first is not None
        else [],
        dtype=float,
    )
    span = float(at[-1]) if n else 0.0
    t = np.array([r.elapsed_days for r in ordered], dtype=float)
    y = np.array([float(r.recalled) for r in ordered])
    starts = session_starts(at)
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
            sessions=len(starts),
        )
    fit = fit_forgetting_curve_sessions(t, y, starts)
    r0, k, se = fit.r0, fit.decay_per_day, fit.decay_standard_error
    precision = clip01(1.0 - CI_Z_95 * se / k) if math.isfinite(se) else 0.0
    return ForgettingResult(
        source="fitted",
        r0=r0,
        decay_per_day=k,
        decay_standard_error=se,
        reviews=n,
        span_days=span,
        recall_rate=recall_rate,
        mean_log_loss=-log_likelihood(r0, k, t, y, fit.level_spread) / n,
        baseline_mean_log_loss=baseline_ll,
        r0_clamped=r0 <= R0_MIN + BOUND_TOLERANCE or r0 >= R0_MAX - BOUND_TOLERANCE,
        decay_clamped=k <= DECAY_MIN_PER_DAY + BOUND_TOLERANCE
        or k >= DECAY_MAX_PER_DAY - BOUND_TOLERANCE,
        confidence=data_factor(n, FORGETTING_FULL_CONFIDENCE_REVIEWS) * precision,
        insufficient={},
        level_spread=fit.level_spread,
        sessions=len(starts),
    )


# --- the curve as a learner sees it: their own recall per interval beside the model ------------

RECALL_BIN_EDGES_DAYS: tuple[float, ...] = (0.0, 1.0, 2.0, 4.0, 7.0, 14.0, 30.0, 60.0, math.inf)
"""Interval bins of the observed-recall points, about doubling: spacing schedules do too."""
MIN_REVIEWS_PER_RECALL_BIN = 10  # fewer reviews make a point too noisy to show beside the curve
CURVE_SAMPLES = 61
CURVE_MIN_HORIZON_DAYS = 30.0
CURVE_MAX_HORIZON_DAYS = 120.0
CURVE_HORIZON_MARGIN = 1.1  # the curve runs a little past the learner's farthest point


@dataclass(frozen=True)
class RecallBin:
    """The learner's observed recall of repeat reviews whose interval fell in [low, high) days."""

    low_days: float
    high_days: float
    mean_days: float
    reviews: int
    recalled: int

    @property
    def share(self) -> float:
        """Share recalled (rating other than AGAIN)."""
        return self.recalled / self.reviews

    @property
    def ci95(self) -> tuple[float, float]:
        """Wilson 95% interval of the share (stays inside [0, 1] at 0% and 100%)."""
        n, p, z = self.reviews, self.share, CI_Z_95
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        # At 0% and 100% the bound is exactly 0 or 1; rounding would leave it a hair off.
        low = 0.0 if self.recalled == 0 else max(0.0, centre - half)
        high = 1.0 if self.recalled == n else min(1.0, centre + half)
        return low, high


def recall_by_interval(
    elapsed_days: Sequence[float],
    recalled: Sequence[bool],
    edges: Sequence[float] = RECALL_BIN_EDGES_DAYS,
    min_reviews: int = MIN_REVIEWS_PER_RECALL_BIN,
) -> tuple[RecallBin, ...]:
    """Observed recall per interval bin (bins with at least ``min_reviews`` reviews), shortest first."""
    if len(elapsed_days) != len(recalled):
        raise ValueError("elapsed_days and recalled must have the same length")
    t = np.asarray(elapsed_days, dtype=float)
    y = np.asarray(recalled, dtype=bool)
    out = []
    for low, high in itertools.pairwise(edges):
        inside = (t >= low) & (t < high)
        n = int(inside.sum())
        if n >= min_reviews:
            out.append(RecallBin(low, high, float(t[inside].mean()), n, int(y[inside].sum())))
    return tuple(out)


@dataclass(frozen=True)
class CurvePoints:
    """The model's curve, the typical curve and the learner's own points, ready to draw."""

    days: tuple[float, ...]
    model: tuple[float, ...]
    baseline: tuple[float, ...]
    bins: tuple[RecallBin, ...]


def forgetting_curve_points(
    elapsed_days: Sequence[float],
    recalled: Sequence[bool],
    r0: float,
    decay_per_day: float,
    level_spread: float = 0.0,
) -> CurvePoints:
    """Sample the learner's curve (recall per review, session levels integrated out) and the
    typical one over the span of the learner's points, beside their observed recall per bin."""
    bins = recall_by_interval(elapsed_days, recalled)
    farthest = max((b.mean_days for b in bins), default=0.0) * CURVE_HORIZON_MARGIN
    horizon = min(CURVE_MAX_HORIZON_DAYS, max(CURVE_MIN_HORIZON_DAYS, farthest))
    days = np.linspace(0.0, horizon, CURVE_SAMPLES)
    model = marginal_recall(r0, decay_per_day, days, level_spread)
    baseline = BASELINE_R0 * np.exp(-BASELINE_DECAY_PER_DAY * days)
    return CurvePoints(
        days=tuple(rounded(d, 3) for d in days),
        model=tuple(rounded(p) for p in model),
        baseline=tuple(rounded(p) for p in baseline),
        bins=bins,
    )
