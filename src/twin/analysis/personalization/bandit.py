"""Thompson sampling over the four strategy arms, its propensities, and the pooled prior.

**Posterior.** Each arm has a Beta posterior over its mean reward (rewards are in [0, 1]).
A reward ``r`` updates it as ``α += c·r``, ``β += c·(1 − r)``: the fractional form of the
Bernoulli update, so with 0/1 rewards and ``c = 1`` it *is* the Beta-Bernoulli posterior
(and MABWiser's ThompsonSampling, draw for draw). The posterior is therefore a function
of the stored columns only: ``Beta(α₀ + c·totalReward, β₀ + c·(timesSelected − totalReward))``.

``c`` (the *reward scale*) is the number of Bernoulli trials one reward is worth. A
[0, 1] reward with mean m and variance s² carries as much information about m as
``m(1 − m)/s²`` coin flips (moment matching: that many flips have the same variance of
the mean); with ``c = 1`` a reward that varies little around 0.5 would be treated as
noisy as a coin and the bandit would explore for many weeks. ``reward_scale`` estimates
c from the learner's recent rewards in the context, pooled over arms (arm differences
only inflate s², so the estimate errs towards exploring), from 8 rewards on, clipped to
[1, 25]; a Bernoulli reward gives c ≈ 1. Before 8 rewards c is 1. (Starting a new
learner from the sharing peers' median c was tried and made things worse: peers' recent
rewards come mostly from their best arm, vary less, and so overstate c for a newcomer,
who then commits too early.)

**Decision.** With probability ε (the exploration floor, 0.1) the arm is drawn uniformly
from the active arms (one ``rng.random()``, then ``rng.integers(K)``); otherwise one Beta
draw per active arm, in arm order, and the first arm with the largest draw wins. The
propensity of arm a is ``(1 − ε)·P(a's draw is the largest) + ε/K``. The floor keeps
every arm's propensity ≥ ε/K (0.025 with four arms), which is what lets the decision log
evaluate *any* other policy off-line: plain Thompson sampling drives the propensity of an
arm that is not the learner's best towards 0, and inverse-propensity weights of 1/0.001
leave off-policy intervals far too narrow (measured in the benchmark: 73–87% coverage of
nominal 95% without the floor). It costs ε·(mean gap) of reward, about 0.01 here. With
``exploration=0`` the decision is plain Thompson sampling and takes no extra random
number, so a seeded run reproduces MABWiser's ThompsonSampling draw for draw (the oracle
test). With auto-adapt off the arm with the largest posterior mean is used (propensity 1).
P(a's draw is the largest) is computed by numerical integration (never by sampling):
``P_k = ∫₀¹ Π_{j≠k} F_j(Q_k(u)) du`` — the substitution ``x = Q_k(u)`` (Q_k the quantile
function of arm k) makes the integrand bounded and non-decreasing in u, even when a Beta
density is unbounded at 0 or 1. Composite Gauss–Legendre on panels whose edges are where
the integrand changes fastest: the positions ``F_k(Q_j(q))`` of the other arms' quantiles
q (their steps), plus a uniform grid and both tails graded geometrically (``10⁻ᵐ`` and
``1 − 10⁻ᵐ``, m = 0.5, 1, …, 8: an integrand like ``u^(1/200)`` is steep at 0). The
propensities sum to 1 within 1e-6 for any α, β in [1, 1e5] (property-tested, not forced
by normalisation); against closed forms the error is below 1e-8.

**Pooled prior (empirical Bayes).** From other learners' statistics for the same arm and
context — only learners who share anonymised patterns; the caller filters — each with at
least 3 pulls, at least 5 learners: their mean rewards p̂ᵢ = totalᵢ/nᵢ have mean μ and
variance s². The true means' variance is ``τ² = s² − mean(μ(1 − μ)/(cᵢ·nᵢ))`` (the
sampling noise of each p̂ᵢ under the same Bernoulli-equivalent model the posterior uses).
Method of moments on ``Beta(μM, (1 − μ)M)``: ``M = μ(1 − μ)/τ² − 1``, at least 2 (the
uniform's strength) and at most 5 pseudo-trials (τ² ≤ 0, i.e. no detectable spread
beyond noise, gives the cap). The cap is in trials, not in the learner's sessions: while
the learner's own reward scale is unknown (c = 1 for the first 8 rewards) the crowd
tilts the first choices towards what worked for others, and once c is estimated (about
8 here) two or three of the learner's own sessions on an arm outweigh it. The cap binds
in practice — with rewards measured against each learner's *recent* baseline, an arm's
mean reward is compressed towards 0.5 for everyone, so peers look more alike than their
best arms are and the moments alone ask for a prior worth ten or more sessions per arm,
which, on the benchmark's simulated learners, delayed finding a best arm that differs
from the crowd's. Its size was chosen on the benchmark: its ``priors`` section compares
caps of 5, 10 and 20 trials; caps of 1–10 of the learner's own sessions (i.e. scaled by
c) were tried first and were slower than the uniform prior in both populations.
Each of α, β is at least 1 (a prior may not be more extreme at 0 or 1 than the uniform;
when the moments ask for that, the mean moves towards 0.5), so every posterior has
α, β ≥ 1. Too few peers: the uniform prior, and the answer says why. μ is kept in
[0.01, 0.99].
Peers' statistics come from their own bandits (adaptively sampled), which biases an
arm's mean slightly downwards for learners who abandoned it early; the cap bounds
what such bias can cost.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import special

from twin.analysis.personalization.common import InvalidParameter, rounded
from twin.analysis.personalization.strategy import ARMS, StrategyArm

FloatArray = npt.NDArray[np.float64]

# --- reward scale ---------------------------------------------------------------------
MIN_REWARDS_FOR_SCALE = 8
MIN_REWARD_SCALE = 1.0
MAX_REWARD_SCALE = 25.0

# --- pooled prior ---------------------------------------------------------------------
MIN_PEER_PULLS = 3
MIN_PEERS = 5
MIN_PRIOR_STRENGTH = 2.0
MAX_PRIOR_STRENGTH = 5.0
"""Cap of a pooled prior's strength α + β, in pseudo-trials (uniform: 2; see the docstring)."""
PRIOR_MEAN_MIN = 0.01
PRIOR_MEAN_MAX = 0.99
MIN_PRIOR_PARAMETER = 1.0
"""α, β ≥ 1: no prior is more extreme at 0 or 1 than the uniform (such priors put almost all
their mass within 1e-20 of the edge, where floating point cannot tell draws apart)."""

# --- exploration floor ---------------------------------------------------------------
EXPLORATION_FLOOR = 0.1
"""Share of decisions made uniformly at random, so every arm keeps a propensity ≥ 0.1/K."""

# --- propensity quadrature ------------------------------------------------------------
GAUSS_NODES_PER_PANEL = 6
UNIFORM_PANELS = 8
QUANTILE_MARKS: tuple[float, ...] = (
    1e-6,
    1e-4,
    1e-3,
    0.01,
    0.05,
    0.15,
    0.3,
    0.5,
    0.7,
    0.85,
    0.95,
    0.99,
    0.999,
    1 - 1e-4,
    1 - 1e-6,
)
TAIL_DECADES = 8
MIN_PANEL_WIDTH = 1e-15

_GL_X, _GL_W = np.polynomial.legendre.leggauss(GAUSS_NODES_PER_PANEL)


@dataclass(frozen=True)
class ArmStats:
    """One arm's statistics: a ``personalization_configs`` row (timesSelected, totalReward …)."""

    arm: StrategyArm
    times_selected: int = 0
    total_reward: float = 0.0
    is_active: bool = True

    def __post_init__(self) -> None:
        if self.times_selected < 0:
            raise InvalidParameter("timesSelected", f"must be ≥ 0, got {self.times_selected}")
        if not (0.0 <= self.total_reward <= self.times_selected + 1e-9):
            raise InvalidParameter(
                "totalReward",
                f"must be in [0, timesSelected = {self.times_selected}], got {self.total_reward}",
            )

    @property
    def avg_reward(self) -> float:
        """``totalReward / timesSelected`` (0 before the first reward, as the column's default)."""
        return self.total_reward / self.times_selected if self.times_selected else 0.0

    def updated(self, reward: float) -> ArmStats:
        """The statistics after one more reward in [0, 1]."""
        check_reward(reward)
        return ArmStats(
            self.arm, self.times_selected + 1, self.total_reward + reward, self.is_active
        )


def check_reward(reward: float) -> None:
    """InvalidParameter unless the reward is in [0, 1]."""
    if not (math.isfinite(reward) and 0.0 <= reward <= 1.0):
        raise InvalidParameter("reward", f"must be in [0, 1], got {reward}")


def initial_stats(arms: Sequence[StrategyArm] = ARMS) -> tuple[ArmStats, ...]:
    """Fresh arms (what a reset leaves)."""
    return tuple(ArmStats(a) for a in arms)


@dataclass(frozen=True)
class BetaPrior:
    """Beta(α, β) prior of an arm's mean reward, with where it came from."""

    alpha: float = 1.0
    beta: float = 1.0
    source: str = "uniform"
    peers: int = 0
    note: str = "uniform prior Beta(1, 1)"

    def __post_init__(self) -> None:
        if not (self.alpha > 0 and self.beta > 0):
            raise ValueError(f"Beta parameters must be positive, got {self.alpha}, {self.beta}")

    @property
    def mean(self) -> float:
        """α / (α + β)."""
        return self.alpha / (self.alpha + self.beta)

    @property
    def strength(self) -> float:
        """α + β (pseudo-trials)."""
        return self.alpha + self.beta

    def to_json(self) -> dict[str, Any]:
        """``{alpha, beta, mean, strength, source, peers, note}``."""
        return {
            "alpha": rounded(self.alpha),
            "beta": rounded(self.beta),
            "mean": rounded(self.mean),
            "strength": rounded(self.strength),
            "source": self.source,
            "peers": self.peers,
            "note": self.note,
        }


UNIFORM_PRIOR = BetaPrior()


@dataclass(frozen=True)
class RewardScale:
    """How many Bernoulli trials one reward is worth (``c``), and what it was estimated from."""

    scale: float
    rewards: int
    mean: float | None = None
    variance: float | None = None
    note: str = ""


def reward_scale(rewards: Sequence[float]) -> RewardScale:
    """``c = m(1 − m)/s²`` of the learner's recent rewards, in [1, 25]; 1 under 8 rewards."""
    n = len(rewards)
    if n < MIN_REWARDS_FOR_SCALE:
        return RewardScale(
            MIN_REWARD_SCALE,
            n,
            note=f"{n} rewards < {MIN_REWARDS_FOR_SCALE}: each reward counts as one trial",
        )
    arr = np.asarray(rewards, dtype=np.float64)
    if not np.all((arr >= 0.0) & (arr <= 1.0)):
        raise InvalidParameter("rewards", "every reward must be in [0, 1]")
    m = float(arr.mean())
    var = float(arr.var(ddof=1))
    raw = m * (1.0 - m) / var if var > 0 else MAX_REWARD_SCALE
    c = min(MAX_REWARD_SCALE, max(MIN_REWARD_SCALE, raw))
    return RewardScale(
        c, n, m, var, note=f"mean {m:.3f}, variance {var:.4f} over {n} rewards → c = {c:.2f}"
    )


@dataclass(frozen=True)
class Posterior:
    """An arm's Beta posterior."""

    arm: StrategyArm
    alpha: float
    beta: float

    @property
    def mean(self) -> float:
        """Posterior mean reward."""
        return self.alpha / (self.alpha + self.beta)

    @property
    def sd(self) -> float:
        """Posterior standard deviation."""
        s = self.alpha + self.beta
        return math.sqrt(self.alpha * self.beta / (s * s * (s + 1.0)))


def beta_parameters(
    times_selected: npt.ArrayLike,
    total_reward: npt.ArrayLike,
    prior_alpha: npt.ArrayLike = 1.0,
    prior_beta: npt.ArrayLike = 1.0,
    scale: float = 1.0,
) -> tuple[FloatArray, FloatArray]:
    """Posterior ``(α, β)`` per arm: ``α₀ + c·total`` and ``β₀ + c·(n − total)``."""
    n = np.asarray(times_selected, dtype=np.float64)
    total = np.asarray(total_reward, dtype=np.float64)
    # Filled in place rather than broadcast_to(...).copy(): the same values in half the time,
    # and every decision and every simulated step calls this.
    alpha = np.empty(n.shape)
    beta = np.empty(n.shape)
    alpha[...] = np.asarray(prior_alpha, dtype=np.float64) + scale * total
    beta[...] = np.asarray(prior_beta, dtype=np.float64) + scale * np.maximum(0.0, n - total)
    return alpha, beta


def thompson_draw(
    alphas: npt.ArrayLike, betas: npt.ArrayLike, rng: np.random.Generator
) -> tuple[int, FloatArray]:
    """One Beta draw per arm, in arm order; the index of the first largest draw, and the draws."""
    draws = rng.beta(np.asarray(alphas, dtype=np.float64), np.asarray(betas, dtype=np.float64))
    return int(np.argmax(draws)), draws


def thompson_choice(
    alphas: npt.ArrayLike,
    betas: npt.ArrayLike,
    rng: np.random.Generator,
    exploration: float = EXPLORATION_FLOOR,
) -> tuple[int, FloatArray | None]:
    """The chosen arm's index: uniform with probability ``exploration``, else Thompson's.

    Returns the draws too (None for a uniform pick). Without a floor no extra random
    number is drawn, so plain Thompson sampling keeps MABWiser's random stream.
    """
    if exploration > 0.0 and rng.random() < exploration:
        return int(rng.integers(np.asarray(alphas).size)), None
    return thompson_draw(alphas, betas, rng)


def posterior(stats: ArmStats, prior: BetaPrior = UNIFORM_PRIOR, scale: float = 1.0) -> Posterior:
    """``Beta(α₀ + c·total, β₀ + c·(n − total))``."""
    a, b = beta_parameters(
        [stats.times_selected], [stats.total_reward], prior.alpha, prior.beta, scale
    )
    return Posterior(stats.arm, float(a[0]), float(b[0]))


# --- propensities ---------------------------------------------------------------------


def _panels(breaks: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Gauss–Legendre nodes and weights on the panels between sorted unique ``breaks``."""
    edges = np.unique(np.clip(breaks, 0.0, 1.0))
    lo, hi = edges[:-1], edges[1:]
    keep = hi - lo > MIN_PANEL_WIDTH
    lo, hi = lo[keep], hi[keep]
    half = (hi - lo) / 2.0
    mid = (hi + lo) / 2.0
    nodes = (mid[:, None] + half[:, None] * _GL_X[None, :]).ravel()
    weights = (half[:, None] * _GL_W[None, :]).ravel()
    return nodes, weights


# Geometric grading towards both ends, half a decade per panel: 10^-0.5 … 10^-8 (the
# panel beyond holds at most 1e-8 of the integral).
_TAIL = 10.0 ** -np.arange(0.5, TAIL_DECADES + 0.5, 0.5)
_BASE_BREAKS = np.concatenate(
    [
        np.linspace(0.0, 1.0, UNIFORM_PANELS + 1),
        _TAIL,
        1.0 - _TAIL,
    ]
)
_MARKS = np.asarray(QUANTILE_MARKS)


PROB_BEST_CACHE_SIZE = 4096
"""Posteriors remembered: a learner asking again before any new reward reuses the integral."""


def prob_best(alphas: Sequence[float], betas: Sequence[float]) -> FloatArray:
    """P(arm k's Beta draw is the largest) for every arm, by numerical integration."""
    key = (tuple(float(x) for x in alphas), tuple(float(x) for x in betas))
    return np.array(_prob_best_cached(*key))


@functools.lru_cache(maxsize=PROB_BEST_CACHE_SIZE)
def _prob_best_cached(alphas: tuple[float, ...], betas: tuple[float, ...]) -> tuple[float, ...]:
    """:func:`prob_best` of exact parameters (a pure function of them, so safe to remember)."""
    a = np.asarray(alphas, dtype=np.float64)
    b = np.asarray(betas, dtype=np.float64)
    k_arms = a.size
    if k_arms == 0 or b.size != k_arms:
        raise ValueError("need one (alpha, beta) per arm")
    if not (np.all(a > 0) and np.all(b > 0) and np.all(np.isfinite(a + b))):
        raise ValueError("Beta parameters must be positive and finite")
    if k_arms == 1:
        return (1.0,)
    # Quantiles of every arm at the marks: where each arm's mass (and so each step) lies.
    marks = special.betaincinv(a[:, None], b[:, None], _MARKS[None, :])
    out = np.empty(k_arms)
    for k in range(k_arms):
        others = np.arange(k_arms) != k
        steps = special.betainc(a[k], b[k], marks[others].ravel())
        nodes, weights = _panels(np.concatenate([_BASE_BREAKS, steps]))
        x = special.betaincinv(a[k], b[k], nodes)
        cdf = special.betainc(a[others][:, None], b[others][:, None], x[None, :])
        out[k] = float(weights @ np.prod(cdf, axis=0))
    return tuple(float(v) for v in out)


def propensities(posteriors: Sequence[Posterior]) -> FloatArray:
    """Thompson sampling's probability of choosing each arm (ties have probability 0)."""
    return prob_best([p.alpha for p in posteriors], [p.beta for p in posteriors])


# --- decisions ------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """The arm chosen, the probability the policy gave it, and what the choice was based on."""

    arm: StrategyArm
    propensity: float
    probabilities: tuple[tuple[StrategyArm, float], ...]
    """P(choose arm) for every active arm (Thompson: P(largest draw); fixed: 1 and 0s)."""
    mode: str
    """``thompson``, ``explore`` (the floor's uniform pick) or ``fixed`` (auto-adapt off)."""
    posteriors: tuple[Posterior, ...]
    draws: tuple[float, ...] | None = None
    scale: float = 1.0
    priors: tuple[tuple[StrategyArm, BetaPrior], ...] = field(default=())
    exploration: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """JSON form for the decision log."""
        return {
            "strategy": self.arm.value,
            "propensity": self.propensity,
            "mode": self.mode,
            "probabilities": {a.value: p for a, p in self.probabilities},
            "posteriors": {
                p.arm.value: {"alpha": p.alpha, "beta": p.beta, "mean": rounded(p.mean)}
                for p in self.posteriors
            },
            "draws": None if self.draws is None else list(self.draws),
            "rewardScale": self.scale,
            "exploration": self.exploration,
            "priors": {a.value: pr.to_json() for a, pr in self.priors},
        }


def _prior_for(priors: Mapping[StrategyArm, BetaPrior] | BetaPrior, arm: StrategyArm) -> BetaPrior:
    if isinstance(priors, BetaPrior):
        return priors
    return priors.get(arm, UNIFORM_PRIOR)


def posteriors_of(
    stats: Sequence[ArmStats],
    priors: Mapping[StrategyArm, BetaPrior] | BetaPrior = UNIFORM_PRIOR,
    scale: float = 1.0,
) -> tuple[Posterior, ...]:
    """Posteriors of the active arms, in the given order."""
    if not MIN_REWARD_SCALE <= scale <= MAX_REWARD_SCALE:
        raise InvalidParameter(
            "rewardScale", f"must be in [{MIN_REWARD_SCALE:g}, {MAX_REWARD_SCALE:g}], got {scale}"
        )
    return tuple(posterior(s, _prior_for(priors, s.arm), scale) for s in stats if s.is_active)


def choose_arm(
    stats: Sequence[ArmStats],
    rng: np.random.Generator,
    *,
    priors: Mapping[StrategyArm, BetaPrior] | BetaPrior = UNIFORM_PRIOR,
    scale: float = 1.0,
    auto_adapt: bool = True,
    exploration: float = EXPLORATION_FLOOR,
    with_propensities: bool = True,
) -> Decision:
    """Thompson sampling with an exploration floor (or the best posterior mean, auto-adapt off).

    With probability ``exploration`` the arm is uniform over the active arms, otherwise
    Thompson's; ``exploration=0`` is plain Thompson sampling, draw for draw MABWiser's.
    ``with_propensities=False`` skips the integration (propensity NaN): for simulations
    that need only the choice; the engine always logs the propensity.
    """
    if len({s.arm for s in stats}) != len(stats):
        raise InvalidParameter("arms", "each arm at most once")
    if not 0.0 <= exploration < 1.0:
        raise InvalidParameter("exploration", f"must be in [0, 1), got {exploration}")
    posts = posteriors_of(stats, priors, scale)
    if not posts:
        raise InvalidParameter("arms", "no active arm to choose from")
    prior_list = tuple((p.arm, _prior_for(priors, p.arm)) for p in posts)
    if not auto_adapt:
        means = [p.mean for p in posts]
        best = int(np.argmax(means))
        return Decision(
            arm=posts[best].arm,
            propensity=1.0,
            probabilities=tuple((p.arm, 1.0 if i == best else 0.0) for i, p in enumerate(posts)),
            mode="fixed",
            posteriors=posts,
            scale=scale,
            priors=prior_list,
        )
    k = len(posts)
    chosen, draws = thompson_choice(
        [p.alpha for p in posts], [p.beta for p in posts], rng, exploration
    )
    mode = "explore" if draws is None else "thompson"
    if with_propensities:
        probs = (1.0 - exploration) * propensities(posts) + exploration / k
        propensity = float(probs[chosen])
        prob_list = tuple((p.arm, float(q)) for p, q in zip(posts, probs, strict=True))
    else:
        propensity = math.nan
        prob_list = ()
    return Decision(
        arm=posts[chosen].arm,
        propensity=propensity,
        probabilities=prob_list,
        mode=mode,
        posteriors=posts,
        draws=None if draws is None else tuple(float(d) for d in draws),
        scale=scale,
        priors=prior_list,
        exploration=exploration,
    )


def arm_confidences(
    stats: Sequence[ArmStats],
    priors: Mapping[StrategyArm, BetaPrior] | BetaPrior = UNIFORM_PRIOR,
    scale: float = 1.0,
) -> dict[StrategyArm, float]:
    """``confidenceScore`` per active arm: the posterior probability that it is the best arm."""
    posts = posteriors_of(stats, priors, scale)
    return {p.arm: float(q) for p, q in zip(posts, propensities(posts), strict=True)}


# --- pooled prior ---------------------------------------------------------------------


@dataclass(frozen=True)
class PeerArm:
    """Another learner's statistics for the same arm and context (and their reward scale)."""

    times_selected: int
    total_reward: float
    scale: float = 1.0


def pooled_prior(
    peers: Sequence[PeerArm], *, max_strength: float = MAX_PRIOR_STRENGTH
) -> BetaPrior:
    """Empirical-Bayes Beta prior from peers' arm statistics (method of moments, capped)."""
    eligible = [p for p in peers if p.times_selected >= MIN_PEER_PULLS]
    if len(eligible) < MIN_PEERS:
        return BetaPrior(
            note=(
                f"uniform prior: {len(eligible)} sharing learners with ≥ {MIN_PEER_PULLS} "
                f"sessions on this strategy, {MIN_PEERS} needed"
            ),
            peers=len(eligible),
        )
    n = np.array([p.times_selected for p in eligible], dtype=np.float64)
    c = np.array([p.scale for p in eligible], dtype=np.float64)
    means = np.array([p.total_reward for p in eligible], dtype=np.float64) / n
    mu = float(means.mean())
    s2 = float(means.var(ddof=1))
    mu = min(PRIOR_MEAN_MAX, max(PRIOR_MEAN_MIN, mu))
    noise = float(np.mean(mu * (1.0 - mu) / (c * n)))
    tau2 = s2 - noise
    cap = max(MIN_PRIOR_STRENGTH, max_strength)
    if tau2 <= 0:
        strength = cap
        why = "no spread between learners beyond noise"
    else:
        strength = min(cap, max(MIN_PRIOR_STRENGTH, mu * (1.0 - mu) / tau2 - 1.0))
        why = f"between-learner sd {math.sqrt(tau2):.3f}"
    capped = f" (capped at {cap:g})" if strength >= cap else ""
    return BetaPrior(
        alpha=max(MIN_PRIOR_PARAMETER, mu * strength),
        beta=max(MIN_PRIOR_PARAMETER, (1.0 - mu) * strength),
        source="pooled",
        peers=len(eligible),
        note=(
            f"pooled from {len(eligible)} sharing learners: mean reward {mu:.3f}, {why}, "
            f"strength {strength:.1f}{capped}"
        ),
    )


def pooled_priors(
    peers_by_arm: Mapping[StrategyArm, Sequence[PeerArm]],
    *,
    max_strength: float = MAX_PRIOR_STRENGTH,
) -> dict[StrategyArm, BetaPrior]:
    """:func:`pooled_prior` for every arm (uniform for an arm with too few peers)."""
    return {a: pooled_prior(peers_by_arm.get(a, ()), max_strength=max_strength) for a in ARMS}
