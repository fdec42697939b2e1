"""Personalization quality: the bandit against MABWiser, recovery of each learner's best
strategy, pooled vs uniform prior, off-policy evaluation, effectiveness (issue #17).

    python -m benchmarks.personalization_quality [--quick] [--seed 17] [--learners 200]
                                                 [--ope-trials 120 --ope-trials-plain 50]

Path: **pure** — the engine's analysis core (``twin.analysis.personalization``) driven by
:class:`PureDriver`, which keeps each learner's arms, outcomes and rewards in memory
exactly as the services will keep them in ``personalization_configs`` /
``personalization_outcomes``. Every scenario talks to a :class:`Driver` only (decide,
record, read back), so the same scenarios can later run through the engine's services
and database by implementing the protocol with them.

1. **Bandit vs the reference** (``../shared/oracles/bandits.json``, its README's
   protocol): the engine's Thompson sampling (uniform prior, reward scale 1, draws in the
   README's exact order from ``default_rng(seed + 1,000,000)``) on the three Bernoulli
   problems, cold and round-robin starts, every horizon (200 and 1,000 with ``--quick``).
   Reported per row: mean regret, MABWiser's, their ratio, |z| and how many of the 20
   per-seed regrets are identical. Goal: ratio ≤ 1.1 (README band [0.5, 2], |z| < 3).
   Beside it, for information, the regret with the engine's exploration floor (0.1 of
   decisions uniform), which the oracle's protocol does not have.
2. **Simulated learners** with a hidden response to each strategy, per context: most
   have one best arm (effect ``e_best ~ U(0, 0.25)``, the other arms ``U(0, 0.3·e_best)``),
   ``NO_DIFFERENCE_SHARE`` have none. The best arm is the context's *popular* arm with
   probability ``POPULAR_SHARE`` (0.6, "skewed" population; 0.25 in the "even" one),
   otherwise one of the other three. An arm's effect ``e`` raises a session's expected
   retention by ``0.5·e``, performance by ``50·e`` points, each objective's completion
   chance by ``0.5·e``, engagement by ``30·e`` and the chance of positive feedback by
   ``2·e`` — about ``+e`` of reward. Noise: retention sd 0.08 (10% of sessions without
   due reviews), performance sd 10, three objectives, feedback on 15% of sessions, 4% of
   missions skipped. Each context is its own stream of 6 sessions a week: 4 weeks of
   engine defaults (the baseline), then 8 weeks personalized at level MEDIUM. Reward:
   :func:`compute_reward` against the mean of the previous 14 days' outcomes of the
   context; the reward scale from the rewards so far. The *advantage* of a learner's
   best arm = expected reward of the best minus the runner-up (Monte Carlo, 400
   sessions with the same noise for every arm, at the learner's untreated baseline).
   - **Recovery** (skewed cohort, uniform prior): after 8 weeks, the most-selected arm
     (ties: higher posterior mean) is the true best for ≥ 80% of (learner, context)
     pairs with advantage ≥ 0.1.
   - **Effectiveness**: :func:`measure_effectiveness` of the 8 personalized weeks
     against the 4 baseline weeks; learners with no difference show no significant
     effectiveness (p ≥ 0.05) in ≥ 90% of pairs (and, for information, how often it is
     significant for learners with an advantage ≥ 0.1).
   - **Pooled vs uniform prior**: a peer cohort is personalized (uniform prior); a second
     cohort of new learners (same population) then runs with common random numbers —
     uniform prior, and per-arm priors pooled (:func:`pooled_priors`, strength capped at
     5 pseudo-trials) from the peers' final arm statistics; a full run adds caps of 10
     and 20 (sensitivity). Curve: the share of pairs with
     advantage ≥ 0.1 whose most-selected arm so far is the true best (ties: higher mean
     reward), after each session; sessions needed to reach 80%. Both populations.
   The exploration floor (0.1) is on in every run here, as in the engine.
3. **Off-policy evaluation**: each trial, a fresh skewed cohort in one context (MISSION)
   is personalized for ``OPE_WEEKS`` by the engine's policy (Thompson sampling with its
   exploration floor 0.1), every decision logged with its integrated propensity; the same
   trials are repeated with plain Thompson sampling (no floor) to show why the floor is
   there. Candidate policies: always BALANCED, always CONSERVATIVE, uniformly random.
   Context key and cluster of the log: the learner (DR's reward model is per learner and
   arm; standard errors are cluster-robust over learners). True
   value = mean over the logged decisions of Σₐ π(a)·E[reward | arm a, the learner's
   state then] (Monte Carlo, 25 fresh sessions per logged state). Target: the IPS
   (self-normalised) and DR 95% intervals contain it in ≥ 90% of trials (per policy);
   each coverage comes with its Wilson 95% interval (the benchmark's own noise), and the
   plain ``mean(w·r)`` IPS interval the engine used before is reported beside it.
   ``--ope-only`` runs this part alone (``personalization_ope.json``).
4. **Cost of the pure core**: one decision (Thompson draw + integrated propensities over
   four arms) plus one ``apply_session``; p50/p95 over 2,000 calls on this machine.

Prints one table per part and writes ``benchmarks/results/personalization_quality.json``
(``personalization_quality_quick.json`` with ``--quick``) with the machine description.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from rich.console import Console
from rich.table import Table

from twin.analysis.common import InsufficientData
from twin.analysis.personalization.apply import apply_session
from twin.analysis.personalization.bandit import (
    EXPLORATION_FLOOR,
    MAX_PRIOR_STRENGTH,
    ArmStats,
    BetaPrior,
    PeerArm,
    beta_parameters,
    check_reward,
    choose_arm,
    initial_stats,
    pooled_priors,
    posterior,
    reward_scale,
    thompson_choice,
)
from twin.analysis.personalization.effectiveness import OutcomeRecord, measure_effectiveness
from twin.analysis.personalization.evidence import (
    AttentionFinding,
    DurationFinding,
    Evidence,
    LoadState,
    StrugglePrediction,
)
from twin.analysis.personalization.offpolicy import (
    LoggedDecision,
    evaluate_policy,
    standard_error,
)
from twin.analysis.personalization.params import SessionParams
from twin.analysis.personalization.reward import (
    Baseline,
    DifficultyFeedback,
    Feedback,
    ImplicitSignal,
    Outcome,
    Reward,
    compute_reward,
)
from twin.analysis.personalization.strategy import ARMS, StrategyArm
from twin.enums import PersonalizationContext, PersonalizationLevel

ORACLE_MAX_HORIZON = 5000  # the reward table is drawn for 5,000 steps whatever the horizon
ORACLE_POLICY_SEED_OFFSET = 1_000_000
ORACLE = Path(__file__).resolve().parents[2] / "shared" / "oracles" / "bandits.json"
RESULTS_DIR = Path(__file__).resolve().parent / "results"
MIN_CONSOLE_WIDTH = 130
console = Console(width=max(MIN_CONSOLE_WIDTH, Console().width))

# --- targets ---------------------------------------------------------------------------
TARGET_ORACLE_RATIO = 1.1
ORACLE_RATIO_BAND = (0.5, 2.0)
ORACLE_Z_MAX = 3.0
TARGET_RECOVERY = 0.80
ADVANTAGE_MIN = 0.1
TARGET_NO_EFFECT = 0.90
TARGET_OPE_COVERAGE = 0.90

# --- the simulated population ----------------------------------------------------------
CONTEXTS: tuple[PersonalizationContext, ...] = tuple(PersonalizationContext)
POPULAR_ARM: dict[PersonalizationContext, StrategyArm] = {
    PersonalizationContext.MISSION: StrategyArm.BALANCED,
    PersonalizationContext.CONTENT: StrategyArm.PATTERN_HEAVY,
    PersonalizationContext.ASSESSMENT: StrategyArm.PREDICTION_HEAVY,
    PersonalizationContext.SESSION: StrategyArm.CONSERVATIVE,
}
POPULAR_SHARE = {"skewed": 0.6, "even": 0.25}
NO_DIFFERENCE_SHARE = 0.15
BEST_EFFECT_MAX = 0.25
OTHER_EFFECT_FRACTION_MAX = 0.3
RETENTION_BASE = (0.60, 0.85)
PERFORMANCE_BASE = (50.0, 80.0)
COMPLETION_BASE = (0.60, 0.90)
ENGAGEMENT_BASE = (55.0, 80.0)
RETENTION_SD = 0.08
PERFORMANCE_SD = 10.0
ENGAGEMENT_SD = 8.0
OBJECTIVES_PER_SESSION = 3
NO_DUE_REVIEWS_SHARE = 0.10
FEEDBACK_SHARE = 0.15
SKIP_SHARE = 0.04
RETENTION_PER_EFFECT = 0.5
PERFORMANCE_PER_EFFECT = 50.0
COMPLETION_PER_EFFECT = 0.5
ENGAGEMENT_PER_EFFECT = 30.0
FEEDBACK_PER_EFFECT = 2.0
SESSIONS_PER_WEEK = 6
BASELINE_WEEKS = 4
PERSONALIZED_WEEKS = 8
BASELINE_WINDOW_DAYS = 14
SCALE_RECENT_REWARDS = 50
ADVANTAGE_DRAWS = 400
LEVEL = PersonalizationLevel.MEDIUM
START = datetime(2026, 1, 5, 18, 0)

# --- off-policy evaluation -------------------------------------------------------------
OPE_CONTEXT = PersonalizationContext.MISSION
OPE_WEEKS = 5
TRUTH_DRAWS_PER_STATE = 25
"""Monte Carlo sessions per logged state for the true value (fresh noise per state, so the
errors average out over the log: about 0.13/√(25·decisions))."""
OPE_POLICIES: dict[str, dict[StrategyArm, float]] = {
    "always BALANCED": {StrategyArm.BALANCED: 1.0},
    "always CONSERVATIVE": {StrategyArm.CONSERVATIVE: 1.0},
    "uniform random": dict.fromkeys(ARMS, 0.25),
}

SPEED_CALLS = 2_000
PRIOR_CAPS = (MAX_PRIOR_STRENGTH, 10.0, 20.0)
"""Pooled-prior caps (pseudo-trials) compared in a full run; the engine's first."""


# --- 1. the oracle -----------------------------------------------------------------------


def oracle_rows(path: Path = ORACLE) -> dict[str, Any]:
    """The reference file (problems, horizons, seeds, rows)."""
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def thompson_regrets_by_horizon(
    p: Sequence[float], start: str, horizons: Sequence[int], seed: int, exploration: float = 0.0
) -> dict[int, float]:
    """Regret of the engine's Thompson sampling at each horizon, under the README's protocol.

    One run of the longest horizon (a shorter horizon is its prefix). The posterior and the
    draw are the engine's (:func:`beta_parameters`, :func:`thompson_draw`, the steps
    :func:`choose_arm` takes) on integer arms, since a problem may have more arms than there
    are strategies; ``tests`` check that :func:`choose_arm` makes the same choices.
    """
    probs = np.asarray(p, dtype=np.float64)
    k = probs.size
    table = np.random.default_rng(seed).random((ORACLE_MAX_HORIZON, k))
    rng = np.random.default_rng(seed + ORACLE_POLICY_SEED_OFFSET)
    pulls = np.zeros(k)
    total = np.zeros(k)
    best = float(probs.max())
    regret = 0.0
    out: dict[int, float] = {}
    wanted = set(horizons)
    for t in range(max(horizons)):
        if start == "round_robin" and t < k:
            i = t
        else:
            i, _ = thompson_choice(*beta_parameters(pulls, total), rng, exploration)
        reward = float(table[t, i] < probs[i])
        check_reward(reward)
        pulls[i] += 1
        total[i] += reward
        regret += best - float(probs[i])
        if t + 1 in wanted:
            out[t + 1] = regret
    return out


def run_oracle(horizons: Sequence[int], path: Path = ORACLE) -> list[dict[str, Any]]:
    """Every ThompsonSampling row of the oracle at ``horizons``: ours against MABWiser's.

    Plain Thompson sampling (the exact protocol), and with the engine's exploration floor
    (for its cost in regret).
    """
    data = oracle_rows(path)
    problems = {pr["id"]: pr["p"] for pr in data["problems"]}
    rows = [
        r for r in data["results"] if r["policy"] == "ThompsonSampling" and r["horizon"] in horizons
    ]
    runs: dict[tuple[str, str, float], dict[int, list[float]]] = {}
    for problem, p in problems.items():
        for start in data["starts"]:
            for eps in (0.0, EXPLORATION_FLOOR):
                per_seed = [
                    thompson_regrets_by_horizon(p, start, horizons, s, eps)
                    for s in data["env_seeds"]
                ]
                runs[(problem, start, eps)] = {h: [r[h] for r in per_seed] for h in horizons}
    out = []
    for row in rows:
        ref_mean = float(row["regret_mean"])
        entry: dict[str, Any] = {
            "problem": row["problem"],
            "start": row["start"],
            "horizon": row["horizon"],
            "mabwiserMean": ref_mean,
            "mabwiserSem": row["regret_sem"],
        }
        for eps, tag in ((0.0, ""), (EXPLORATION_FLOOR, "Floor")):
            ours = np.asarray(runs[(row["problem"], row["start"], eps)][row["horizon"]])
            mean = float(ours.mean())
            sem = float(ours.std(ddof=1)) / math.sqrt(ours.size)
            z = abs(mean - ref_mean) / math.sqrt(sem**2 + float(row["regret_sem"]) ** 2)
            entry[f"regretMean{tag}"] = round(mean, 4)
            entry[f"regretSem{tag}"] = round(sem, 4)
            entry[f"ratio{tag}"] = round(mean / ref_mean, 6)
            entry[f"absZ{tag}"] = round(z, 4)
            if not tag:
                entry["identicalSeeds"] = int(
                    np.sum(np.isclose(ours, row["regret_per_seed"], rtol=0, atol=1e-9))
                )
                entry["seeds"] = int(ours.size)
        out.append(entry)
    return out


# --- 2. simulated learners ------------------------------------------------------------


@dataclass(frozen=True)
class SimLearner:
    """A simulated learner: untreated levels and the hidden response to each strategy."""

    learner_id: str
    retention_base: float
    performance_base: float
    completion_base: float
    engagement_base: float
    effects: dict[PersonalizationContext, dict[StrategyArm, float]]
    no_difference: bool

    def best_arm(self, context: PersonalizationContext) -> StrategyArm | None:
        """The arm with the largest effect (None: every arm the same)."""
        e = self.effects[context]
        if self.no_difference or len(set(e.values())) == 1:
            return None
        return max(ARMS, key=lambda a: e[a])


def make_cohort(n: int, rng: np.random.Generator, population: str, prefix: str) -> list[SimLearner]:
    """``n`` learners of the ``skewed`` or ``even`` population."""
    learners = []
    share = POPULAR_SHARE[population]
    for i in range(n):
        no_diff = bool(rng.random() < NO_DIFFERENCE_SHARE)
        effects: dict[PersonalizationContext, dict[StrategyArm, float]] = {}
        for ctx in CONTEXTS:
            if no_diff:
                effects[ctx] = dict.fromkeys(ARMS, 0.0)
                continue
            popular = POPULAR_ARM[ctx]
            if rng.random() < share:
                best = popular
            else:
                others = [a for a in ARMS if a is not popular]
                best = others[int(rng.integers(len(others)))]
            e_best = float(rng.uniform(0.0, BEST_EFFECT_MAX))
            effects[ctx] = {
                a: e_best
                if a is best
                else float(rng.uniform(0.0, OTHER_EFFECT_FRACTION_MAX * e_best))
                for a in ARMS
            }
        learners.append(
            SimLearner(
                learner_id=f"{prefix}{i:04d}",
                retention_base=float(rng.uniform(*RETENTION_BASE)),
                performance_base=float(rng.uniform(*PERFORMANCE_BASE)),
                completion_base=float(rng.uniform(*COMPLETION_BASE)),
                engagement_base=float(rng.uniform(*ENGAGEMENT_BASE)),
                effects=effects,
                no_difference=no_diff,
            )
        )
    return learners


@dataclass(frozen=True)
class Noise:
    """The arm-independent randomness of one session (common random numbers across arms)."""

    z_retention: float
    z_performance: float
    z_engagement: float
    u_objectives: tuple[float, ...]
    u_no_reviews: float
    u_feedback: float
    u_helpful: float
    u_difficulty: float
    u_side: float
    u_skip: float

    @staticmethod
    def draw(rng: np.random.Generator) -> Noise:
        """One session's noise."""
        z = rng.standard_normal(3)
        u = rng.random(6 + OBJECTIVES_PER_SESSION)
        return Noise(
            float(z[0]),
            float(z[1]),
            float(z[2]),
            tuple(float(x) for x in u[:OBJECTIVES_PER_SESSION]),
            *(float(x) for x in u[OBJECTIVES_PER_SESSION:]),
        )


@dataclass(frozen=True)
class SimOutcome:
    """A simulated session: what the engine records."""

    outcome: Outcome
    engagement: float | None


def simulate_session(learner: SimLearner, effect: float, noise: Noise) -> SimOutcome:
    """One session's outcome under a strategy with hidden effect ``effect`` (0: defaults)."""
    if noise.u_skip < SKIP_SHARE:
        return SimOutcome(Outcome(signals=frozenset({ImplicitSignal.MISSION_SKIPPED})), None)
    retention = None
    if noise.u_no_reviews >= NO_DUE_REVIEWS_SHARE:
        retention = min(
            1.0,
            max(
                0.0,
                learner.retention_base
                + RETENTION_PER_EFFECT * effect
                + RETENTION_SD * noise.z_retention,
            ),
        )
    performance = min(
        100.0,
        max(
            0.0,
            learner.performance_base
            + PERFORMANCE_PER_EFFECT * effect
            + PERFORMANCE_SD * noise.z_performance,
        ),
    )
    p_done = min(1.0, learner.completion_base + COMPLETION_PER_EFFECT * effect)
    completion = sum(u < p_done for u in noise.u_objectives) / OBJECTIVES_PER_SESSION
    engagement = min(
        100.0,
        max(
            0.0,
            learner.engagement_base
            + ENGAGEMENT_PER_EFFECT * effect
            + ENGAGEMENT_SD * noise.z_engagement,
        ),
    )
    feedback = Feedback()
    if noise.u_feedback < FEEDBACK_SHARE:
        good = min(1.0, 0.5 + FEEDBACK_PER_EFFECT * effect)
        difficulty = (
            DifficultyFeedback.JUST_RIGHT
            if noise.u_difficulty < good
            else (
                DifficultyFeedback.TOO_EASY if noise.u_side < 0.5 else DifficultyFeedback.TOO_HARD
            )
        )
        feedback = Feedback(helpful=noise.u_helpful < good, difficulty=difficulty)
    return SimOutcome(
        Outcome(
            retention=retention, performance=performance, completion=completion, feedback=feedback
        ),
        engagement,
    )


def expected_rewards(
    learner: SimLearner,
    context: PersonalizationContext,
    baseline: Baseline,
    rng: np.random.Generator,
    draws: int,
) -> dict[StrategyArm, float]:
    """E[reward | arm] at ``baseline`` by Monte Carlo (the same noise for every arm)."""
    noises = [Noise.draw(rng) for _ in range(draws)]
    out = {}
    for arm in ARMS:
        e = learner.effects[context][arm]
        total = 0.0
        for nz in noises:
            r = compute_reward(simulate_session(learner, e, nz).outcome, baseline)
            total += r.reward if isinstance(r, Reward) else 0.0
        out[arm] = total / draws
    return out


def untreated_baseline(learner: SimLearner) -> Baseline:
    """The learner's expected untreated retention and performance (clipping ignored)."""
    return Baseline(learner.retention_base, learner.performance_base, outcomes=30)


def advantage(
    learner: SimLearner,
    context: PersonalizationContext,
    rng: np.random.Generator,
    draws: int = ADVANTAGE_DRAWS,
) -> float:
    """Expected reward of the best arm minus the runner-up (0 with no difference)."""
    if learner.best_arm(context) is None:
        return 0.0
    means = sorted(
        expected_rewards(learner, context, untreated_baseline(learner), rng, draws).values()
    )
    return means[-1] - means[-2]


# --- the driver --------------------------------------------------------------------------


class Driver(Protocol):
    """What a scenario needs from the engine: decide, record, read back."""

    def decide(
        self, learner_id: str, context: PersonalizationContext, now: datetime
    ) -> tuple[StrategyArm, float]:
        """The arm for this decision and its propensity (NaN when not computed)."""
        ...

    def record(
        self,
        learner_id: str,
        context: PersonalizationContext,
        arm: StrategyArm | None,
        outcome: SimOutcome,
        now: datetime,
    ) -> float | None:
        """Store an outcome (arm None: not personalized); return the reward of a decision."""
        ...

    def arm_stats(self, learner_id: str, context: PersonalizationContext) -> tuple[ArmStats, ...]:
        """The learner's arms in the context (``personalization_configs``)."""
        ...

    def baseline(self, learner_id: str, context: PersonalizationContext, now: datetime) -> Baseline:
        """The recent baseline a reward at ``now`` is measured against (the OPE truth needs it)."""
        ...

    def outcomes(
        self, learner_id: str, context: PersonalizationContext
    ) -> list[tuple[datetime, OutcomeRecord]]:
        """Stored outcomes with their time (``personalization_outcomes``)."""
        ...


@dataclass
class _Stream:
    stats: tuple[ArmStats, ...] = field(default_factory=initial_stats)
    history: list[tuple[datetime, SimOutcome, PersonalizationLevel]] = field(default_factory=list)
    rewards: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class Peers:
    """What sharing peers contribute per context: their arm statistics (with their scales)."""

    arms: dict[PersonalizationContext, dict[StrategyArm, list[PeerArm]]]


class PureDriver:
    """The engine's pure core with in-memory state, as the services will store it.

    With ``peers`` a learner's priors are pooled from them (:func:`pooled_priors`, at the
    learner's current reward scale); without, uniform priors.
    """

    def __init__(
        self,
        seed: int,
        peers: Peers | None = None,
        *,
        propensities: bool = False,
        exploration: float = EXPLORATION_FLOOR,
        prior_strength: float = MAX_PRIOR_STRENGTH,
    ) -> None:
        self.seed = seed
        self.peers = peers
        self.prior_strength = prior_strength
        self.propensities = propensities
        self.exploration = exploration
        self.streams: dict[tuple[str, PersonalizationContext], _Stream] = defaultdict(_Stream)
        self.rngs: dict[tuple[str, PersonalizationContext], np.random.Generator] = {}
        self._priors: dict[PersonalizationContext, dict[StrategyArm, BetaPrior]] = {}

    def _rng(self, learner_id: str, context: PersonalizationContext) -> np.random.Generator:
        key = (learner_id, context)
        if key not in self.rngs:
            digits = int("".join(c for c in learner_id if c.isdigit()) or "0")
            self.rngs[key] = np.random.default_rng(
                [self.seed, digits, CONTEXTS.index(context), ord(learner_id[0])]
            )
        return self.rngs[key]

    def scale(self, learner_id: str, context: PersonalizationContext) -> float:
        """The learner's current reward scale in the context."""
        return reward_scale(
            self.streams[(learner_id, context)].rewards[-SCALE_RECENT_REWARDS:]
        ).scale

    def priors(self, context: PersonalizationContext) -> dict[StrategyArm, BetaPrior]:
        """Pooled priors of the context (uniform without peers)."""
        if self.peers is None:
            return {}
        if context not in self._priors:
            self._priors[context] = pooled_priors(
                self.peers.arms[context], max_strength=self.prior_strength
            )
        return self._priors[context]

    def decide(
        self, learner_id: str, context: PersonalizationContext, now: datetime
    ) -> tuple[StrategyArm, float]:
        """Thompson sampling with the learner's scale and the context's priors."""
        stream = self.streams[(learner_id, context)]
        scale = self.scale(learner_id, context)
        d = choose_arm(
            stream.stats,
            self._rng(learner_id, context),
            priors=self.priors(context),
            scale=scale,
            exploration=self.exploration,
            with_propensities=self.propensities,
        )
        return d.arm, d.propensity

    def baseline(self, learner_id: str, context: PersonalizationContext, now: datetime) -> Baseline:
        """Mean retention and performance of the previous 14 days' outcomes in the context."""
        since = now - timedelta(days=BASELINE_WINDOW_DAYS)
        recent = [o for t, o, _ in self.streams[(learner_id, context)].history if since <= t < now]
        ret = [o.outcome.retention for o in recent if o.outcome.retention is not None]
        perf = [o.outcome.performance for o in recent if o.outcome.performance is not None]
        return Baseline(
            statistics.fmean(ret) if ret else None,
            statistics.fmean(perf) if perf else None,
            outcomes=len(recent),
        )

    def record(
        self,
        learner_id: str,
        context: PersonalizationContext,
        arm: StrategyArm | None,
        outcome: SimOutcome,
        now: datetime,
    ) -> float | None:
        """Reward against the recent baseline; the arm's statistics updated."""
        stream = self.streams[(learner_id, context)]
        reward: float | None = None
        if arm is not None:
            r = compute_reward(outcome.outcome, self.baseline(learner_id, context, now))
            reward = r.reward if isinstance(r, Reward) else None
            if reward is not None:
                stream.stats = tuple(s.updated(reward) if s.arm is arm else s for s in stream.stats)
                stream.rewards.append(reward)
        level = LEVEL if arm is not None else PersonalizationLevel.NONE
        stream.history.append((now, outcome, level))
        return reward

    def arm_stats(self, learner_id: str, context: PersonalizationContext) -> tuple[ArmStats, ...]:
        """The in-memory arms."""
        return self.streams[(learner_id, context)].stats

    def outcomes(
        self, learner_id: str, context: PersonalizationContext
    ) -> list[tuple[datetime, OutcomeRecord]]:
        """Stored outcomes as effectiveness input (skipped sessions have nothing measured)."""
        out = []
        for t, o, level in self.streams[(learner_id, context)].history:
            oc = o.outcome
            if ImplicitSignal.MISSION_SKIPPED in oc.signals:
                continue
            out.append(
                (t, OutcomeRecord(level, oc.retention, oc.performance, oc.completion, o.engagement))
            )
        return out


def session_time(week: int, index: int) -> datetime:
    """Sessions on the first six days of each week, 18:00."""
    return START + timedelta(days=7 * week + index)


def learner_rng(
    seed: int, learner: SimLearner, context: PersonalizationContext, tag: int
) -> np.random.Generator:
    """The simulator's noise stream for one learner and context (same across driver runs)."""
    digits = int("".join(c for c in learner.learner_id if c.isdigit()))
    return np.random.default_rng(
        [seed, tag, digits, CONTEXTS.index(context), ord(learner.learner_id[0])]
    )


@dataclass
class StreamTrace:
    """What happened in one (learner, context) stream."""

    arms: list[StrategyArm] = field(default_factory=list)
    propensities: list[float] = field(default_factory=list)
    rewards: list[float | None] = field(default_factory=list)
    times: list[datetime] = field(default_factory=list)
    baselines: list[Baseline] = field(default_factory=list)


def run_stream(
    driver: Driver,
    learner: SimLearner,
    context: PersonalizationContext,
    seed: int,
    *,
    baseline_weeks: int = BASELINE_WEEKS,
    weeks: int = PERSONALIZED_WEEKS,
    record_baselines: bool = False,
) -> StreamTrace:
    """Baseline weeks at engine defaults, then personalized weeks through ``driver``."""
    noise_rng = learner_rng(seed, learner, context, tag=1)
    trace = StreamTrace()
    for week in range(baseline_weeks + weeks):
        for day in range(SESSIONS_PER_WEEK):
            now = session_time(week, day)
            noise = Noise.draw(noise_rng)
            if week < baseline_weeks:
                driver.record(
                    learner.learner_id, context, None, simulate_session(learner, 0.0, noise), now
                )
                continue
            if record_baselines:
                trace.baselines.append(driver.baseline(learner.learner_id, context, now))
            arm, propensity = driver.decide(learner.learner_id, context, now)
            outcome = simulate_session(learner, learner.effects[context][arm], noise)
            reward = driver.record(learner.learner_id, context, arm, outcome, now)
            trace.arms.append(arm)
            trace.propensities.append(propensity)
            trace.rewards.append(reward)
            trace.times.append(now)
    return trace


def most_selected(arms: Sequence[StrategyArm], stats: Sequence[ArmStats]) -> StrategyArm:
    """The most-selected arm; ties broken by the higher posterior mean, then arm order."""
    counts = Counter(arms)
    means = {s.arm: posterior(s).mean for s in stats}
    return max(ARMS, key=lambda a: (counts[a], means.get(a, 0.0), -ARMS.index(a)))


def identified_curve(traces: Sequence[StreamTrace], best: Sequence[StrategyArm]) -> list[float]:
    """Share of streams whose most-selected arm so far is the best, after each session."""
    n_sessions = len(traces[0].arms)
    hits = np.zeros(n_sessions)
    for trace, b in zip(traces, best, strict=True):
        counts: Counter[StrategyArm] = Counter()
        totals: dict[StrategyArm, float] = defaultdict(float)
        for t, (arm, r) in enumerate(zip(trace.arms, trace.rewards, strict=True)):
            counts[arm] += 1
            totals[arm] += r or 0.0
            top = max(
                ARMS,
                key=lambda a: (
                    counts[a],
                    (1 + totals[a]) / (2 + counts[a]),
                    -ARMS.index(a),
                ),
            )
            hits[t] += top is b
    return [round(float(h / len(traces)), 4) for h in hits]


def first_reaching(curve: Sequence[float], level: float) -> int | None:
    """1-based session at which the curve first reaches ``level`` (None: never)."""
    for i, v in enumerate(curve):
        if v >= level:
            return i + 1
    return None


@dataclass
class CohortRun:
    """A cohort personalized through a driver, with each stream's trace."""

    learners: list[SimLearner]
    driver: PureDriver
    traces: dict[tuple[str, PersonalizationContext], StreamTrace]
    seconds: float


def run_cohort(
    learners: Sequence[SimLearner],
    seed: int,
    peers: Peers | None = None,
    contexts: Sequence[PersonalizationContext] = CONTEXTS,
    *,
    weeks: int = PERSONALIZED_WEEKS,
    propensities: bool = False,
    record_baselines: bool = False,
    exploration: float = EXPLORATION_FLOOR,
    prior_strength: float = MAX_PRIOR_STRENGTH,
) -> CohortRun:
    """Every learner and context through a fresh PureDriver."""
    driver = PureDriver(
        seed,
        peers,
        propensities=propensities,
        exploration=exploration,
        prior_strength=prior_strength,
    )
    began = time.perf_counter()
    traces = {
        (lr.learner_id, ctx): run_stream(
            driver, lr, ctx, seed, weeks=weeks, record_baselines=record_baselines
        )
        for lr in learners
        for ctx in contexts
    }
    return CohortRun(list(learners), driver, traces, time.perf_counter() - began)


def peers_of(run: CohortRun) -> Peers:
    """A cohort's final arm statistics, as sharing peers (all of them share)."""
    arms: dict[PersonalizationContext, dict[StrategyArm, list[PeerArm]]] = {}
    for ctx in CONTEXTS:
        by_arm: dict[StrategyArm, list[PeerArm]] = defaultdict(list)
        for lr in run.learners:
            scale = run.driver.scale(lr.learner_id, ctx)
            for s in run.driver.arm_stats(lr.learner_id, ctx):
                by_arm[s.arm].append(PeerArm(s.times_selected, s.total_reward, scale))
        arms[ctx] = dict(by_arm)
    return Peers(arms)


def advantages(
    learners: Sequence[SimLearner], seed: int, draws: int = ADVANTAGE_DRAWS
) -> dict[tuple[str, PersonalizationContext], float]:
    """Advantage of the best arm per (learner, context), from ``draws`` sessions per arm."""
    out = {}
    for lr in learners:
        for ctx in CONTEXTS:
            rng = learner_rng(seed, lr, ctx, tag=2)
            out[(lr.learner_id, ctx)] = advantage(lr, ctx, rng, draws)
    return out


def recovery(
    run: CohortRun, adv: dict[tuple[str, PersonalizationContext], float]
) -> dict[str, Any]:
    """Share of pairs with advantage ≥ 0.1 whose most-selected arm is the best, and more."""
    hits = eligible = 0
    by_ctx: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for lr in run.learners:
        for ctx in CONTEXTS:
            best = lr.best_arm(ctx)
            if best is None or adv[(lr.learner_id, ctx)] < ADVANTAGE_MIN:
                continue
            trace = run.traces[(lr.learner_id, ctx)]
            chosen = most_selected(trace.arms, run.driver.arm_stats(lr.learner_id, ctx))
            eligible += 1
            hits += chosen is best
            by_ctx[ctx.value][0] += chosen is best
            by_ctx[ctx.value][1] += 1
    return {
        "pairs": eligible,
        "recovered": hits,
        "share": round(hits / eligible, 4) if eligible else None,
        "byContext": {k: round(h / n, 4) for k, (h, n) in by_ctx.items()},
    }


def effectiveness_check(
    run: CohortRun, adv: dict[tuple[str, PersonalizationContext], float]
) -> dict[str, Any]:
    """How often effectiveness is significant, for no-difference pairs and for the others."""
    null_sig = null_n = eff_sig = eff_n = insufficient = 0
    boundary = session_time(BASELINE_WEEKS, 0)
    for lr in run.learners:
        for ctx in CONTEXTS:
            stored = run.driver.outcomes(lr.learner_id, ctx)
            baseline = [o for t, o in stored if t < boundary]
            window = [o for t, o in stored if t >= boundary]
            result = measure_effectiveness(window, baseline)
            if isinstance(result, InsufficientData):
                insufficient += 1
                continue
            if lr.no_difference:
                null_n += 1
                null_sig += result.significant
            elif adv[(lr.learner_id, ctx)] >= ADVANTAGE_MIN:
                eff_n += 1
                eff_sig += result.significant
    return {
        "noDifferencePairs": null_n,
        "noDifferenceSignificant": null_sig,
        "noDifferenceNotSignificantShare": round(1 - null_sig / null_n, 4) if null_n else None,
        "advantagePairs": eff_n,
        "advantageSignificantShare": round(eff_sig / eff_n, 4) if eff_n else None,
        "insufficient": insufficient,
    }


def prior_comparison(
    population: str,
    n: int,
    seed: int,
    caps: Sequence[float] = (MAX_PRIOR_STRENGTH,),
    advantage_draws: int = ADVANTAGE_DRAWS,
) -> dict[str, Any]:
    """Peers (cohort A, uniform prior) → pooled priors → new learners (B) with each prior.

    ``caps``: pooled-prior caps (pseudo-trials) to run; the engine's is ``pooled``, any
    other is reported as ``pooled cap N``.
    """
    rng = np.random.default_rng([seed, 31, len(population)])
    peers = make_cohort(n, rng, population, "p")
    newcomers = make_cohort(n, rng, population, "n")
    peer_run = run_cohort(peers, seed)
    shared = peers_of(peer_run)
    adv = advantages(newcomers, seed, advantage_draws)
    pairs = [
        (lr, ctx)
        for lr in newcomers
        for ctx in CONTEXTS
        if lr.best_arm(ctx) is not None and adv[(lr.learner_id, ctx)] >= ADVANTAGE_MIN
    ]
    best = [b for lr, ctx in pairs if (b := lr.best_arm(ctx)) is not None]
    variants: list[tuple[str, Peers | None, float]] = [("uniform", None, MAX_PRIOR_STRENGTH)]
    for cap in caps:
        label = "pooled" if cap == MAX_PRIOR_STRENGTH else f"pooled cap {cap:g}"
        variants.append((label, shared, cap))
    curves = {}
    for label, pooled, cap in variants:
        run = run_cohort(newcomers, seed + 1, pooled, prior_strength=cap)
        traces = [run.traces[(lr.learner_id, ctx)] for lr, ctx in pairs]
        curves[label] = identified_curve(traces, best)
    return {
        "population": population,
        "popularShare": POPULAR_SHARE[population],
        "pairs": len(pairs),
        "sessionsTo80": {k: first_reaching(c, TARGET_RECOVERY) for k, c in curves.items()},
        "curves": curves,
        "newcomerPriors": {
            ctx.value: {a.value: p.to_json() for a, p in pooled_priors(shared.arms[ctx]).items()}
            for ctx in CONTEXTS
        },
    }


# --- 3. off-policy evaluation ----------------------------------------------------------


def plain_ips(
    log: Sequence[LoggedDecision], policy: dict[StrategyArm, float]
) -> tuple[float, float]:
    """The plain ``mean(w·r)`` interval with the same clustered t (the engine's IPS before)."""
    terms = np.array([policy.get(d.arm, 0.0) / d.propensity * d.reward for d in log])
    se, q = standard_error(terms, [d.cluster for d in log])
    return float(terms.mean()) - q * se, float(terms.mean()) + q * se


def ope_trial(n: int, seed: int, trial: int, exploration: float) -> dict[str, Any]:
    """One simulated log with propensities; IPS/DR estimates and the true value per policy."""
    rng = np.random.default_rng([seed, 97, trial])
    learners = make_cohort(n, rng, "skewed", "o")
    run = run_cohort(
        learners,
        seed * 1000 + trial,
        contexts=(OPE_CONTEXT,),
        weeks=OPE_WEEKS,
        propensities=True,
        record_baselines=True,
        exploration=exploration,
    )
    log: list[LoggedDecision] = []
    truth_terms: dict[str, list[float]] = defaultdict(list)
    truth_rng = np.random.default_rng([seed, 98, trial])
    for lr in learners:
        trace = run.traces[(lr.learner_id, OPE_CONTEXT)]
        for arm, p, r, base in zip(
            trace.arms, trace.propensities, trace.rewards, trace.baselines, strict=True
        ):
            if r is None:
                continue
            log.append(LoggedDecision(lr.learner_id, arm, p, r, cluster=lr.learner_id))
            means = expected_rewards(lr, OPE_CONTEXT, base, truth_rng, TRUTH_DRAWS_PER_STATE)
            for name, pol in OPE_POLICIES.items():
                truth_terms[name].append(sum(q * means[a] for a, q in pol.items()))
    out: dict[str, Any] = {"decisions": len(log), "seconds": round(run.seconds, 2)}
    for name, pol in OPE_POLICIES.items():
        ev = evaluate_policy(log, lambda _ctx, pol=pol: pol)
        assert not isinstance(ev, InsufficientData)
        truth = statistics.fmean(truth_terms[name])
        plain = plain_ips(log, pol)
        out[name] = {
            "truth": truth,
            "ips": ev.ips.to_json(),
            "dr": ev.dr.to_json(),
            "ipsCovers": ev.ips.covers(truth),
            "plainIpsCovers": plain[0] <= truth <= plain[1],
            "drCovers": ev.dr.covers(truth),
            "ess": round(ev.effective_sample_size, 1),
            "maxWeight": round(ev.max_weight, 1),
        }
    return out


def wilson_interval(hits: int, n: int, z: float = 1.959964) -> list[float]:
    """Wilson 95% interval of a coverage measured over ``n`` trials (the benchmark's own noise)."""
    share = hits / n
    centre = (share + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return [round(centre - half, 4), round(centre + half, 4)]


def ope_coverage(trials: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per candidate policy: share of trials whose IPS / DR interval covers the truth, and more."""

    def mean_of(name: str, f: Callable[[dict[str, Any]], float]) -> float:
        return round(statistics.fmean(f(t[name]) for t in trials), 4)

    def share(name: str, key: str) -> float:
        return round(float(sum(t[name][key] for t in trials)) / len(trials), 4)

    def interval(name: str, key: str) -> list[float]:
        return wilson_interval(sum(t[name][key] for t in trials), len(trials))

    return {
        name: {
            "ips": share(name, "ipsCovers"),
            "ipsInterval95": interval(name, "ipsCovers"),
            "plainIps": share(name, "plainIpsCovers"),
            "plainIpsInterval95": interval(name, "plainIpsCovers"),
            "dr": share(name, "drCovers"),
            "drInterval95": interval(name, "drCovers"),
            "meanTruth": mean_of(name, lambda x: x["truth"]),
            "meanIps": mean_of(name, lambda x: x["ips"]["value"]),
            "meanDr": mean_of(name, lambda x: x["dr"]["value"]),
            "meanIpsHalfWidth": mean_of(
                name, lambda x: (x["ips"]["ci95"][1] - x["ips"]["ci95"][0]) / 2
            ),
            "meanDrHalfWidth": mean_of(
                name, lambda x: (x["dr"]["ci95"][1] - x["dr"]["ci95"][0]) / 2
            ),
            "medianEss": round(statistics.median(t[name]["ess"] for t in trials), 1),
            "medianMaxWeight": round(statistics.median(t[name]["maxWeight"] for t in trials), 1),
        }
        for name in OPE_POLICIES
    }


def off_policy(opts: Options) -> dict[str, Any]:
    """Part 3: coverage of the IPS and DR intervals per candidate policy and logging policy."""
    t0 = time.perf_counter()
    out: dict[str, Any] = {
        "learnersPerTrial": opts.ope_learners,
        "weeks": OPE_WEEKS,
        "target": TARGET_OPE_COVERAGE,
        "logging": {},
    }
    for label, eps, n_trials in (
        ("engine (floor 0.1)", EXPLORATION_FLOOR, opts.ope_trials),
        ("plain Thompson", 0.0, opts.ope_trials_plain),
    ):
        if n_trials <= 0:
            continue
        trials = [ope_trial(opts.ope_learners, opts.seed, i, eps) for i in range(n_trials)]
        out["logging"][label] = {
            "exploration": eps,
            "trials": n_trials,
            "decisionsPerTrial": statistics.fmean(t["decisions"] for t in trials),
            "coverage": ope_coverage(trials),
        }
    out["seconds"] = round(time.perf_counter() - t0, 1)
    return out


def ope_table(off: dict[str, Any]) -> Table:
    """Coverage per logging policy and candidate, with the coverage's own 95% interval."""
    table = Table(title="off-policy evaluation: 95% intervals covering the true value")
    for col in ("log", "candidate", "trials", "IPS (self-normalised)", "plain IPS", "DR"):
        table.add_column(col, justify="left" if col in ("log", "candidate") else "right")
    for label, logged in off["logging"].items():
        for name, c in logged["coverage"].items():
            table.add_row(
                label,
                name,
                str(logged["trials"]),
                *(
                    f"{c[k]:.1%} [{c[k + 'Interval95'][0]:.1%}–{c[k + 'Interval95'][1]:.1%}]"
                    for k in ("ips", "plainIps", "dr")
                ),
            )
    return table


def run_ope_only(opts: Options) -> dict[str, Any]:
    """Only part 3, printed and returned (``--ope-only``)."""
    result: dict[str, Any] = {"options": opts.__dict__ | {"horizons": list(opts.horizons)}}
    result["offPolicy"] = off_policy(opts)
    console.print(ope_table(result["offPolicy"]))
    result["machine"] = machine()
    return result


# --- 4. cost ---------------------------------------------------------------------------


def speed(seed: int) -> dict[str, Any]:
    """p50/p95 of one decision with integrated propensities plus one apply_session."""
    rng = np.random.default_rng(seed)
    stats = (
        ArmStats(StrategyArm.PATTERN_HEAVY, 12, 7.1),
        ArmStats(StrategyArm.PREDICTION_HEAVY, 5, 2.2),
        ArmStats(StrategyArm.BALANCED, 20, 12.9),
        ArmStats(StrategyArm.CONSERVATIVE, 3, 1.4),
    )
    evidence = Evidence(
        duration=DurationFinding(55, 0.8),
        attention=AttentionFinding(40, 0.75),
        struggles=(StrugglePrediction("o2", 0.7, 0.8),),
        load=LoadState(35, 0.8),
    )
    times = []
    for _ in range(SPEED_CALLS):
        t0 = time.perf_counter()
        d = choose_arm(stats, rng, scale=12.0)
        apply_session(evidence, d.arm, LEVEL, SessionParams(objective_ids=("o1", "o2")))
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return {
        "calls": SPEED_CALLS,
        "p50Ms": round(times[len(times) // 2], 3),
        "p95Ms": round(times[int(0.95 * len(times))], 3),
    }


# --- the run ----------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    """Where the figures were measured."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "loadAverage": [round(x, 2) for x in os.getloadavg()],
    }


@dataclass(frozen=True)
class Options:
    """Scales of one run."""

    quick: bool
    seed: int
    learners: int
    ope_trials: int
    ope_trials_plain: int
    ope_learners: int
    horizons: tuple[int, ...]
    prior_caps: tuple[float, ...]
    ope_only: bool = False
    advantage_draws: int = ADVANTAGE_DRAWS
    """Monte Carlo sessions per arm behind each true advantage (fewer only in the smoke test)."""


def options(argv: Sequence[str] | None = None) -> Options:
    """Command-line options; ``--quick`` shrinks every scale."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--learners", type=int, default=None)
    parser.add_argument("--ope-trials", type=int, default=None)
    parser.add_argument("--ope-trials-plain", type=int, default=None)
    parser.add_argument("--ope-learners", type=int, default=None)
    parser.add_argument(
        "--ope-only",
        action="store_true",
        help="only part 3 (off-policy evaluation); writes personalization_ope.json",
    )
    a = parser.parse_args(argv)
    return Options(
        quick=a.quick,
        seed=a.seed,
        learners=a.learners or (60 if a.quick else 200),
        ope_trials=a.ope_trials if a.ope_trials is not None else (15 if a.quick else 120),
        ope_trials_plain=(
            a.ope_trials_plain if a.ope_trials_plain is not None else (15 if a.quick else 50)
        ),
        ope_learners=a.ope_learners or (20 if a.quick else 40),
        horizons=(200, 1000) if a.quick else (200, 1000, 5000),
        prior_caps=(MAX_PRIOR_STRENGTH,) if a.quick else PRIOR_CAPS,
        ope_only=a.ope_only,
    )


def _mark(ok: bool | None) -> str:
    return "—" if ok is None else ("meets" if ok else "MISSES")


def run(opts: Options, report: Callable[[str], None] = console.print) -> dict[str, Any]:
    """Every part; returns the JSON payload."""
    began = time.perf_counter()
    result: dict[str, Any] = {
        "options": opts.__dict__
        | {"horizons": list(opts.horizons), "priorCaps": list(opts.prior_caps)}
    }

    # 1. oracle
    if ORACLE.exists():
        t0 = time.perf_counter()
        rows = run_oracle(opts.horizons)
        table = Table(title="Thompson sampling vs MABWiser 2.7.4 (bandits.json, 20 seeds)")
        for col in (
            "problem",
            "start",
            "T",
            "ours",
            "MABWiser",
            "ratio",
            "|z|",
            "identical seeds",
            f"floor {EXPLORATION_FLOOR:g}",
            "ratio",
        ):
            table.add_column(col, justify="left" if col in ("problem", "start") else "right")
        for r in rows:
            table.add_row(
                r["problem"],
                r["start"],
                str(r["horizon"]),
                f"{r['regretMean']:.3f}",
                f"{r['mabwiserMean']:.3f}",
                f"{r['ratio']:.4f}",
                f"{r['absZ']:.3f}",
                f"{r['identicalSeeds']}/{r['seeds']}",
                f"{r['regretMeanFloor']:.3f}",
                f"{r['ratioFloor']:.3f}",
            )
        console.print(table)
        ratios = [r["ratio"] for r in rows]
        result["oracle"] = {
            "rows": rows,
            "maxRatio": max(ratios),
            "minRatio": min(ratios),
            "maxAbsZ": max(r["absZ"] for r in rows),
            "allSeedsIdentical": all(r["identicalSeeds"] == r["seeds"] for r in rows),
            "maxRatioWithFloor": max(r["ratioFloor"] for r in rows),
            "meetsRatioGoal": max(ratios) <= TARGET_ORACLE_RATIO,
            "seconds": round(time.perf_counter() - t0, 1),
        }
    else:
        report(f"[yellow]oracle skipped: {ORACLE} is missing[/]")
        result["oracle"] = {"skipped": f"{ORACLE} missing"}

    # 2. recovery and effectiveness (skewed population, uniform prior)
    rng = np.random.default_rng([opts.seed, 1])
    cohort = make_cohort(opts.learners, rng, "skewed", "a")
    run_a = run_cohort(cohort, opts.seed)
    adv = advantages(cohort, opts.seed, opts.advantage_draws)
    rec = recovery(run_a, adv)
    eff = effectiveness_check(run_a, adv)
    result["recovery"] = rec | {"target": TARGET_RECOVERY, "seconds": round(run_a.seconds, 1)}
    result["effectiveness"] = eff | {"target": TARGET_NO_EFFECT}
    adv_values = [v for (lid, ctx), v in adv.items()]
    result["population"] = {
        "learners": opts.learners,
        "noDifferenceLearners": sum(lr.no_difference for lr in cohort),
        "pairsWithAdvantageAtLeast0.1": sum(v >= ADVANTAGE_MIN for v in adv_values),
        "advantageQuartiles": [
            round(float(q), 4) for q in np.quantile(adv_values, [0.25, 0.5, 0.75])
        ],
        "meanScale": round(
            statistics.fmean(
                run_a.driver.scale(lr.learner_id, ctx) for lr in cohort for ctx in CONTEXTS
            ),
            2,
        ),
    }

    # 2b. pooled vs uniform prior
    priors = [
        prior_comparison(pop, opts.learners, opts.seed, opts.prior_caps, opts.advantage_draws)
        for pop in ("skewed", "even")
    ]
    result["priors"] = priors

    # 3. off-policy evaluation: the engine's logging policy (with its floor) and plain Thompson
    result["offPolicy"] = off_policy(opts)

    # 4. cost
    result["speed"] = speed(opts.seed)

    # summary table
    table = Table(title="personalization quality (pure core; simulated learners)")
    for col in ("target", "measured", "goal", ""):
        table.add_column(col, justify="left" if col in ("target", "") else "right")
    if "rows" in result["oracle"]:
        o = result["oracle"]
        table.add_row(
            "bandit vs MABWiser: worst ratio of mean regret",
            f"{o['maxRatio']:.4f} (min {o['minRatio']:.4f}, max |z| {o['maxAbsZ']:.3f})",
            f"≤ {TARGET_ORACLE_RATIO}",
            _mark(o["meetsRatioGoal"]),
        )
        table.add_row(
            "bandit vs MABWiser: per-seed regret identical",
            "all rows" if o["allSeedsIdentical"] else "not all",
            "",
            "",
        )
    table.add_row(
        f"recovery: most-selected = best (advantage ≥ {ADVANTAGE_MIN})",
        f"{rec['share']:.1%} of {rec['pairs']} pairs",
        f"≥ {TARGET_RECOVERY:.0%}",
        _mark(rec["share"] is not None and rec["share"] >= TARGET_RECOVERY),
    )
    share = eff["noDifferenceNotSignificantShare"]
    table.add_row(
        "no difference → effectiveness not significant",
        f"{share:.1%} of {eff['noDifferencePairs']} pairs" if share is not None else "—",
        f"≥ {TARGET_NO_EFFECT:.0%}",
        _mark(share is not None and share >= TARGET_NO_EFFECT),
    )
    adv_share = eff["advantageSignificantShare"]
    table.add_row(
        "advantage ≥ 0.1 → effectiveness significant (power)",
        f"{adv_share:.1%} of {eff['advantagePairs']} pairs" if adv_share is not None else "—",
        "",
        "",
    )
    for p in priors:
        s = p["sessionsTo80"]
        table.add_row(
            f"sessions to 80% identified, {p['population']} population",
            f"pooled {s['pooled']} vs uniform {s['uniform']} ({p['pairs']} pairs)",
            "pooled < uniform",
            _mark(None if None in (s["pooled"], s["uniform"]) else s["pooled"] < s["uniform"]),
        )
    for label, logged in result["offPolicy"]["logging"].items():
        for name, c in logged["coverage"].items():
            engine = logged["exploration"] == EXPLORATION_FLOOR
            table.add_row(
                f"OPE 95% coverage, {name}, log: {label}",
                f"IPS {c['ips']:.0%}, DR {c['dr']:.0%} ({logged['trials']} trials)",
                f"≥ {TARGET_OPE_COVERAGE:.0%}" if engine else "",
                _mark(min(c["ips"], c["dr"]) >= TARGET_OPE_COVERAGE) if engine else "",
            )
    sp = result["speed"]
    table.add_row(
        "decision + apply_session (pure)", f"p50 {sp['p50Ms']} ms, p95 {sp['p95Ms']} ms", "", ""
    )
    console.print(table)
    console.print(ope_table(result["offPolicy"]))
    curve_table = Table(title="share identified after n sessions (pairs with advantage ≥ 0.1)")
    curve_table.add_column("population / prior")
    checkpoints = [3, 6, 12, 18, 24, 30, 36, 42, 48]
    for cp in checkpoints:
        curve_table.add_column(str(cp), justify="right")
    curve_table.add_column("to 80%", justify="right")
    for p in priors:
        for label, curve in p["curves"].items():
            curve_table.add_row(
                f"{p['population']} / {label}",
                *(f"{curve[cp - 1]:.0%}" for cp in checkpoints if cp <= len(curve)),
                str(p["sessionsTo80"][label]),
            )
    console.print(curve_table)
    result["seconds"] = round(time.perf_counter() - began, 1)
    result["machine"] = machine()
    return result


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run, print, write the JSON."""
    opts = options(argv)
    began = time.perf_counter()
    result = run_ope_only(opts) if opts.ope_only else run(opts)
    result.setdefault("seconds", round(time.perf_counter() - began, 1))
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    name = "personalization_quality_quick.json" if opts.quick else "personalization_quality.json"
    if opts.ope_only:
        name = "personalization_ope.json"
    path = RESULTS_DIR / name
    path.write_text(json.dumps(result, indent=2) + "\n")
    console.print(f"written to {path} ({result['seconds']} s)")
    return result


if __name__ == "__main__":
    main()
