"""Off-policy evaluation: what another policy would have earned, from the decision log.

Every logged decision i has a context ``xᵢ`` (any key the caller chooses: the
personalization context, or context and learner), the arm ``aᵢ`` the engine chose, the
propensity ``pᵢ`` the policy gave it when it chose, and the reward ``rᵢ``. For a candidate
policy π (probabilities over arms for a context), with ``wᵢ = π(aᵢ|xᵢ)/pᵢ``:

- **inverse propensity, self-normalised (IPS)**: ``V = Σ wᵢ·rᵢ / Σ wᵢ`` — the weighted
  mean reward of the decisions the candidate would have made. Consistent whenever every
  arm π may pick had a positive propensity (its bias is O(1/n)). Why not the plain
  ``mean(wᵢ·rᵢ)``: its error is dominated by how far ``mean(wᵢ)`` (1 in expectation)
  happens to be from 1 — a few decisions of a rarely logged arm carry weights up to
  1/(0.1/4) = 40 — and its sampling distribution is skewed right with a standard error
  that is small exactly when the big weights happen to be missing. On the benchmark's
  simulated logs (321 trials, 40 learners each) its clustered t interval covered the truth
  for 96.9% / 94.1% / 93.5% of trials (always BALANCED / always CONSERVATIVE / uniform),
  missing mostly by being too low; the self-normalised one covers 96.9% / 96.6% / 96.0%
  while being 2.2–2.8× narrower (mean half-width 0.033 / 0.032 / 0.015 against 0.082 /
  0.089 / 0.034): normalising by ``Σ wᵢ`` cancels the weights' own noise. Its
  standard error is the delta method's: the terms ``ψᵢ = wᵢ·(rᵢ − V)/mean(w)`` (mean 0)
  take the place of the plain terms below. No decision the candidate would take
  (``Σ wᵢ = 0``): insufficient data;
- **doubly robust (DR)**: ``V = mean(Σₐ π(a|xᵢ)·q(xᵢ, a) + wᵢ·(rᵢ − q(xᵢ, aᵢ)))`` with a
  reward model q: the mean logged reward of (context, arm), leaving decision i itself out
  (so its own reward cannot leak into its correction term) and shrunk towards the
  context's mean reward by 2 pseudo-decisions, so an arm seldom tried in a context falls
  back to that context's level. DR is unbiased if either the propensities or q are right,
  and has lower variance when q is good.

Both come with a 95% interval ``V ± q·SE``. Decisions of one learner are not
independent (they share the learner's responses, and a bandit's propensities depend on
the rewards before them), so when the log says which learner (``cluster``) each decision
belongs to, SE is cluster-robust — the spread of the per-learner sums, learners being
independent — with Student's t quantile on G − 1 degrees of freedom (G learners);
otherwise ``sd(terms)/√n`` with the normal quantile. (On the benchmark's simulated logs the
iid SE left the plain IPS interval of a uniformly random policy covering the truth in 88% of
trials.) The effective sample size ``(Σw)²/Σw²`` and the largest weight say
how far the candidate is from what was logged: a few huge weights make any interval wide
(or, with few decisions, too optimistic).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from twin.analysis.common import InsufficientData
from twin.analysis.personalization.common import Z_95, InvalidParameter, rounded
from twin.analysis.personalization.strategy import StrategyArm

MIN_DECISIONS = 10
MIN_CLUSTERS = 2
CONFIDENCE_QUANTILE = 0.975
REWARD_MODEL_PRIOR_DECISIONS = 2.0
PROBABILITY_SUM_TOLERANCE = 1e-6
IPS_METHOD = "IPS"  # self-normalised (module docstring); the name the API and CLI have always shown

TargetPolicy = Callable[[Hashable], Mapping[StrategyArm, float]]
"""Candidate policy: context → probability of each arm (arms left out have probability 0)."""


@dataclass(frozen=True)
class LoggedDecision:
    """One row of the decision log."""

    context: Hashable
    arm: StrategyArm
    propensity: float
    reward: float
    cluster: Hashable | None = None
    """The independent unit the decision belongs to (the learner); None: every decision is."""


@dataclass(frozen=True)
class Estimate:
    """A policy value estimate with its 95% interval."""

    method: str
    value: float
    low: float
    high: float
    standard_error: float
    n: int

    def covers(self, value: float) -> bool:
        """``low ≤ value ≤ high``."""
        return self.low <= value <= self.high

    def to_json(self) -> dict[str, Any]:
        """``{method, value, ci95: [low, high], standardError, n}``."""
        return {
            "method": self.method,
            "value": rounded(self.value, 6),
            "ci95": [rounded(self.low, 6), rounded(self.high, 6)],
            "standardError": rounded(self.standard_error, 6),
            "n": self.n,
        }


@dataclass(frozen=True)
class PolicyEvaluation:
    """IPS and DR estimates of a candidate policy, with overlap diagnostics."""

    ips: Estimate
    dr: Estimate
    logged_value: float
    """Mean logged reward (the logging policy's own value)."""
    effective_sample_size: float
    max_weight: float
    decisions: int

    def to_json(self) -> dict[str, Any]:
        """JSON form for the evaluation command and API."""
        return {
            "ips": self.ips.to_json(),
            "doublyRobust": self.dr.to_json(),
            "loggedValue": rounded(self.logged_value, 6),
            "effectiveSampleSize": rounded(self.effective_sample_size, 2),
            "maxWeight": rounded(self.max_weight, 4),
            "decisions": self.decisions,
        }


def standard_error(terms: np.ndarray, clusters: Sequence[Hashable] | None) -> tuple[float, float]:
    """SE of the mean of ``terms`` and the 97.5% quantile its interval uses.

    iid: ``sd/√n`` with the normal quantile. Cluster-robust over ``clusters`` (≥ 2):
    ``√(G/(G − 1) · Σ_g (Σ_{i∈g} (tᵢ − t̄))²) / n`` with G clusters and Student's t
    quantile with G − 1 degrees of freedom (the usual small-G correction: 2.02 for 40).
    """
    n = terms.size
    if clusters is None or len(set(clusters)) < MIN_CLUSTERS:
        return float(terms.std(ddof=1)) / math.sqrt(n), Z_95
    dev = terms - terms.mean()
    sums: dict[Hashable, float] = defaultdict(float)
    for c, d in zip(clusters, dev, strict=True):
        sums[c] += float(d)
    g = len(sums)
    se = math.sqrt(g / (g - 1) * sum(v * v for v in sums.values())) / n
    return se, float(stats.t.ppf(CONFIDENCE_QUANTILE, g - 1))


def _estimate(method: str, terms: np.ndarray, clusters: Sequence[Hashable] | None) -> Estimate:
    value = float(terms.mean())
    se, q = standard_error(terms, clusters)
    return Estimate(method, value, value - q * se, value + q * se, se, terms.size)


def self_normalised_ips(
    weights: np.ndarray, rewards: np.ndarray, clusters: Sequence[Hashable] | None
) -> Estimate:
    """``Σ w·r / Σ w`` with the delta-method SE: :func:`standard_error` of ``w·(r − V)/mean(w)``."""
    value = float((weights * rewards).sum() / weights.sum())
    influence = weights * (rewards - value) / weights.mean()
    se, q = standard_error(influence, clusters)
    return Estimate(IPS_METHOD, value, value - q * se, value + q * se, se, weights.size)


def _validate(log: Sequence[LoggedDecision]) -> None:
    for i, d in enumerate(log):
        if not (math.isfinite(d.propensity) and 0.0 < d.propensity <= 1.0):
            raise InvalidParameter(f"log[{i}].propensity", f"must be in (0, 1], got {d.propensity}")
        if not (math.isfinite(d.reward) and 0.0 <= d.reward <= 1.0):
            raise InvalidParameter(f"log[{i}].reward", f"must be in [0, 1], got {d.reward}")
        if not isinstance(d.arm, StrategyArm):
            raise InvalidParameter(f"log[{i}].arm", f"unknown strategy {d.arm!r}")


def _clusters(log: Sequence[LoggedDecision]) -> list[Hashable] | None:
    """Each decision's cluster, or None when the log has none; mixing is a bad log."""
    given = [d.cluster is not None for d in log]
    if not any(given):
        return None
    if not all(given):
        i = given.index(False)
        raise InvalidParameter(f"log[{i}].cluster", "either every decision has a cluster or none")
    return [d.cluster for d in log]


def _policy_probs(target: TargetPolicy, context: Hashable) -> dict[StrategyArm, float]:
    probs = dict(target(context))
    if any(not (math.isfinite(p) and p >= 0.0) for p in probs.values()):
        raise InvalidParameter("policy", f"negative or non-finite probability for {context!r}")
    if abs(sum(probs.values()) - 1.0) > PROBABILITY_SUM_TOLERANCE:
        raise InvalidParameter("policy", f"probabilities for {context!r} do not sum to 1")
    return probs


def _reward_model(
    sums: Mapping[tuple[Hashable, StrategyArm], float],
    counts: Mapping[tuple[Hashable, StrategyArm], int],
    decision: LoggedDecision,
    arm: StrategyArm,
    context_mean: float,
) -> float:
    """q(context, arm): mean logged reward, decision itself left out, shrunk to the context mean."""
    own = arm is decision.arm
    s = sums.get((decision.context, arm), 0.0) - (decision.reward if own else 0.0)
    k = counts.get((decision.context, arm), 0) - (1 if own else 0)
    m0 = REWARD_MODEL_PRIOR_DECISIONS
    return (s + m0 * context_mean) / (k + m0)


def evaluate_policy(
    log: Sequence[LoggedDecision], target: TargetPolicy
) -> PolicyEvaluation | InsufficientData:
    """Self-normalised IPS and doubly-robust value of ``target`` from ``log`` (at least 10 decisions)."""
    if len(log) < MIN_DECISIONS:
        return InsufficientData("decisions", len(log), MIN_DECISIONS)
    _validate(log)
    n = len(log)
    rewards = np.array([d.reward for d in log])
    sums: dict[tuple[Hashable, StrategyArm], float] = defaultdict(float)
    counts: dict[tuple[Hashable, StrategyArm], int] = defaultdict(int)
    ctx_sum: dict[Hashable, float] = defaultdict(float)
    ctx_n: dict[Hashable, int] = defaultdict(int)
    for d in log:
        sums[(d.context, d.arm)] += d.reward
        counts[(d.context, d.arm)] += 1
        ctx_sum[d.context] += d.reward
        ctx_n[d.context] += 1
    cache: dict[Hashable, dict[StrategyArm, float]] = {}
    dr_terms = np.empty(n)
    weights = np.empty(n)
    for i, d in enumerate(log):
        probs = cache.get(d.context)
        if probs is None:
            probs = cache[d.context] = _policy_probs(target, d.context)
        w = probs.get(d.arm, 0.0) / d.propensity
        weights[i] = w
        prior = ctx_sum[d.context] / ctx_n[d.context]
        direct = sum(
            p * _reward_model(sums, counts, d, a, prior) for a, p in probs.items() if p > 0.0
        )
        dr_terms[i] = direct + w * (d.reward - _reward_model(sums, counts, d, d.arm, prior))
    if not weights.any():
        return InsufficientData("decisionsTheCandidateWouldTake", 0, 1)
    ess = float(weights.sum() ** 2 / (weights**2).sum())
    clusters = _clusters(log)
    return PolicyEvaluation(
        ips=self_normalised_ips(weights, rewards, clusters),
        dr=_estimate("DR", dr_terms, clusters),
        logged_value=float(rewards.mean()),
        effective_sample_size=ess,
        max_weight=float(weights.max()),
        decisions=n,
    )


def fixed_policy(arm: StrategyArm) -> TargetPolicy:
    """The policy that always picks ``arm``."""
    return lambda _context: {arm: 1.0}
