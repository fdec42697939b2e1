"""A/B-experiment statistics on simulated experiments with a known truth (issue #18, ENGINE.md 5.5).

    python -m benchmarks.experiment_quality [--level both|statistics|engine] [--repetitions 200]
        [--seed 18] [--learners 1000] [--pilot 120] [--srm-sizes 1000,2450,2600]
        [--database-url URL] [--quick | --smoke]

Two levels, the same scenarios and targets:

- **statistics** (the pure analysis, :mod:`twin.analysis.experiments`, no database): values
  drawn with numpy, so every scenario's statistics are checked where the truth is exact;
- **engine** (:mod:`benchmarks.experiment_engine`, which explains the design): simulated
  learners whose sessions follow their variant (:mod:`twin.simulate.experiments`), every
  participant's metrics computed by the engine's metric SQL at each daily look, the engine's
  assignment hash per repetition, the engine's result code at each look, and every
  repetition's end through the service (assignments and metric documents stored, sufficient
  statistics aggregated in SQL, the service's verdict), which must agree with the look's.
  SRM goes through the service entirely. The metric is ``performance``; the true effect is a
  session-quality factor calibrated on a pilot to d ≈ 0.3; CUPED is reported per metric with
  each metric's measured pre/post correlation ρ̂ (the target applies where ρ̂ ≥ 0.5).

Path of the statistics level: **pure analysis**. Each repetition is one simulated experiment;
every number comes from the same code the service calls (``assign_variant``, the sufficient
statistics, ``analyse_experiment``).

**Cohorts.** A cohort is per-participant arrays — assigned variant, enrolment day, post-period
value, optional pre-period value (:class:`Cohort`). A participant's value is fixed when they
enrol; a look on day d sees the participants enrolled before d. Here the values are drawn
with numpy (:func:`normal_cohort`: control N(10, 2²)); the scenarios take a
:data:`CohortSource` (``rng → Cohort``), so values computed by the engine's services from
simulated learner cohorts can be swapped in without touching the evaluation. Enrolment is
uniform over the 28-day experiment; assignment is the engine's SHA-256 assignment with a
fresh salt per repetition (so arm sizes vary binomially, as they will in production) unless
a scenario fixes n per arm.

**Scenarios** (targets from issue #18):

1. *A/A with daily peeking* (no true effect, 1,000 learners, 50/50): the share of
   repetitions with a "winner" at any daily look. Sequential (the default decision method)
   through the verdict with the default minimums (20 per arm, 14 days), and peeking from day 1
   (minimum duration 1 day), at τ = 5,000 (default) and τ = 1,000 (the planned total): target
   ≤ 5%. Against it, naive daily peeking at the fixed-horizon Welch p-value (any look with ≥ 20
   per arm, from day 1 and from day 14), which should exceed 5%, and the same test read once at
   the end (≈ 5%, the level it is built for).
2. *Power*: a true standardised effect of 0.3 with exactly 200 learners per arm — detected
   (verdict "winner" = the treatment) in ≥ 80% of repetitions by the fixed-horizon test read at
   the end. Beside it, the sequential test at the end and with daily peeking (τ = 5,000 and
   τ = 400), whose always-valid guarantee costs power at this size.
3. *CUPED*: pre/post correlation ρ ∈ {0.5, 0.7, 0.9} within arms, 200 per arm: mean ratio of
   the CUPED to the unadjusted 95% interval width (fixed-horizon, absolute) against √(1 − ρ²);
   target within 10%. Also the detection rate of a 0.3-sd effect with and without CUPED.
4. *SRM*: a 55/45 assignment bug in a 50/50 experiment (the assignment run with weights
   55/45, the check against the planned 50/50), 1,000 learners: share flagged at p < 0.001;
   target ≥ 95%. Beside it the theoretical power (non-central χ², λ = N·Σ(q − w)²/w), the
   rate at larger N, the N the threshold needs for 95%, and the false-flag rate without a bug.

Prints targets and measured figures side by side and writes
``benchmarks/results/experiment_quality.json`` (``--quick``: 50 repetitions and a 300-learner
pool, printed only; ``--smoke``: the test suite's tiny run).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from rich.console import Console
from rich.table import Table
from scipy import stats

from benchmarks.experiment_engine import (
    CONTROL,
    PILOT_QUALITY_FACTOR,
    POOL_WEEKS,
    TREATMENT,
    Pool,
    build_pool,
    calibrate,
    close,
    service_results,
    srm_through_service,
)
from benchmarks.experiment_engine import (
    METRIC as ENGINE_METRIC,
)
from benchmarks.ingest_support import host_machine
from twin.analysis.experiments.assignment import assign_variant
from twin.analysis.experiments.definition import ExperimentDefinition, Variant
from twin.analysis.experiments.frequentist import (
    DEFAULT_SEQUENTIAL_TUNING_PARAMETER,
    FrequentistConfig,
    welch_ttest,
)
from twin.analysis.experiments.metrics import METRICS
from twin.analysis.experiments.srm import SRM_P_VALUE_THRESHOLD, srm_p_value
from twin.analysis.experiments.statistics import (
    ArmStatistic,
    DifferenceType,
    RegressionAdjustedStatistic,
    SampleMeanStatistic,
    StatisticKind,
)
from twin.analysis.experiments.verdict import (
    AnalysisSettings,
    DecisionMethod,
    ExperimentResult,
    Verdict,
    analyse_experiment,
)
from twin.db.engine import Database
from twin.enums import PersonalizationContext

RESULTS_DIR = Path(__file__).resolve().parent / "results"
TARGET_AA_FALSE_WINNER = 0.05
TARGET_POWER = 0.80
TARGET_CUPED_TOLERANCE = 0.10
TARGET_SRM_FLAGGED = 0.95

EXPERIMENT_DAYS = 28
START = datetime(2026, 3, 2)
END = START + timedelta(days=EXPERIMENT_DAYS)
METRIC = "performance"  # any sample-mean metric: the values are simulated
CONTROL_MEAN = 10.0
CONTROL_SD = 2.0
AA_LEARNERS = 1_000
POWER_PER_ARM = 200
POWER_EFFECT_SD = 0.3
CUPED_RHOS = (0.5, 0.7, 0.9)
CUPED_PER_ARM = 200
SRM_LEARNERS = 1_000
SRM_BUG_WEIGHTS = (0.55, 0.45)
SRM_PLANNED_WEIGHTS = (0.5, 0.5)
SRM_LARGER_LEARNERS = (2_000, 2_500, 5_000)  # 2,000 = 1,000 per arm
SRM_TARGET_RATE = 0.95
MIN_LOOK_PER_ARM = 20  # the naive fixed-horizon peeker also waits for 20 per arm
NAIVE_FROM_DAY_14 = 14
QUICK_REPETITIONS = 50
ENGINE_LEARNERS = 1_000
PILOT_LEARNERS = 120
ENGINE_SRM_SIZES = (1_000, 2_450, 2_600)
QUICK_LEARNERS = 300
QUICK_PILOT = 60
SMOKE_REPETITIONS = 3
SMOKE_LEARNERS = 16
SMOKE_PILOT = 8
MIN_CONSOLE_WIDTH = 120
console = Console(width=max(MIN_CONSOLE_WIDTH, Console().width))

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


# --- cohorts: per-participant arrays ------------------------------------------------------


@dataclass(frozen=True)
class Cohort:
    """Per-participant arrays of one experiment: variant index, enrolment day, values.

    ``post`` is each participant's value (fixed at enrolment, numpy cohorts); engine cohorts
    also give ``post_by_day`` — the value as of each daily look (row d = look on day d), as the
    daily metrics job would have stored it. NaN is "no value": left out of n, as the results
    query's ``count(y)`` leaves it out. ``indices``/``salt`` say which pool participants and
    which split an engine cohort is (for the service path).
    """

    variant: IntArray
    enrolled_day: IntArray
    post: FloatArray
    pre: FloatArray | None = None
    post_by_day: FloatArray | None = None
    indices: IntArray | None = None
    salt: str | None = None

    def assigned(self, day: int, arms: int) -> list[int]:
        """Learners assigned per variant before ``day``."""
        seen = self.enrolled_day < day
        return [int(c) for c in np.bincount(self.variant[seen], minlength=arms)]

    def values(self, day: int) -> FloatArray:
        """Post-period values as a look on ``day`` sees them."""
        return self.post if self.post_by_day is None else self.post_by_day[day]

    def statistic(self, arm: int, day: int, cuped: bool = False) -> ArmStatistic:
        """Sufficient statistic of one arm's participants enrolled before ``day`` with a value.

        CUPED: a missing pre-period value counts at the mean pre-period value of every measured
        participant (both arms) — exactly what the results query does.
        """
        y = self.values(day)
        measured = (self.enrolled_day < day) & ~np.isnan(y)
        mask = measured & (self.variant == arm)
        if cuped:
            if self.pre is None:
                raise ValueError("this cohort has no pre-period values")
            known = measured & ~np.isnan(self.pre)
            fill = float(np.mean(self.pre[known])) if known.any() else 0.0
            x = np.where(np.isnan(self.pre), fill, self.pre)
            return RegressionAdjustedStatistic.from_values(y[mask], x[mask])
        return SampleMeanStatistic.from_values(y[mask])


CohortSource = Callable[[np.random.Generator, int], Cohort]
"""(rng, repetition) → one experiment's cohort. Swap in engine-computed values here."""


def hashed_variants(salt: str, learners: int, weights: tuple[float, ...]) -> IntArray:
    """The engine's sticky assignment of ``learners`` synthetic user ids."""
    return np.array(
        [assign_variant(salt, f"learner-{i:05d}", weights) for i in range(learners)],
        dtype=np.int64,
    )


def normal_cohort(
    *,
    learners: int | None = None,
    per_arm: int | None = None,
    weights: tuple[float, ...] = SRM_PLANNED_WEIGHTS,
    effect_sd: float = 0.0,
    rho: float | None = None,
    seed: int = 0,
) -> CohortSource:
    """numpy cohorts: control N(10, 2²), treatment shifted by ``effect_sd`` standard deviations.

    ``learners``: assigned by hash with ``weights``; ``per_arm``: exactly that many in each of
    two arms. ``rho``: a pre-period value x ~ N(10, 2²) with within-arm correlation ρ to the post
    value (y = μ + ρ(x − 10) + √(1 − ρ²)·ε, ε ~ N(0, 2²)).
    """

    def source(rng: np.random.Generator, repetition: int) -> Cohort:
        if per_arm is not None:
            variant = np.repeat(np.arange(2, dtype=np.int64), per_arm)
        elif learners is not None:
            variant = hashed_variants(f"bench-{seed}-{repetition}", learners, weights)
        else:
            raise ValueError("give learners or per_arm")
        size = variant.size
        enrolled = rng.integers(0, EXPERIMENT_DAYS, size=size).astype(np.int64)
        means = CONTROL_MEAN + effect_sd * CONTROL_SD * (variant == 1)
        noise = rng.normal(0.0, CONTROL_SD, size=size)
        if rho is None:
            return Cohort(variant=variant, enrolled_day=enrolled, post=means + noise)
        pre = rng.normal(CONTROL_MEAN, CONTROL_SD, size=size)
        post = means + rho * (pre - CONTROL_MEAN) + math.sqrt(1 - rho**2) * noise
        return Cohort(variant=variant, enrolled_day=enrolled, post=post, pre=pre)

    return source


# --- the experiment as the engine would run it ---------------------------------------------


def definition(
    min_duration_days: int = 14, weights: tuple[float, ...] = (1.0, 1.0)
) -> ExperimentDefinition:
    """A two-arm experiment on one sample-mean metric over 28 days."""
    return ExperimentDefinition(
        name="benchmark",
        context=PersonalizationContext.MISSION,
        variants=tuple(
            Variant(variant_id=name, name=name, weight=w)
            for name, w in zip(("control", "treatment"), weights, strict=True)
        ),
        primary_metric=METRIC,
        start=START,
        end=END,
        min_duration_days=min_duration_days,
    )


def verdict_on_day(
    cohort: Cohort,
    experiment: ExperimentDefinition,
    settings: AnalysisSettings,
    day: int,
    *,
    cuped: bool = False,
) -> ExperimentResult:
    """The verdict a look at the start of ``day`` (day 28 = the end) would give (the engine's code)."""
    arms = len(experiment.variants)
    stats = {
        METRIC: {
            v.variant_id: cohort.statistic(i, day, cuped) for i, v in enumerate(experiment.variants)
        }
    }
    assigned = dict(
        zip((v.variant_id for v in experiment.variants), cohort.assigned(day, arms), strict=True)
    )
    return analyse_experiment(
        experiment, assigned, stats, experiment.start + timedelta(days=day), settings=settings
    )


def first_winner_day(
    cohort: Cohort, experiment: ExperimentDefinition, settings: AnalysisSettings
) -> tuple[int | None, str | None]:
    """Daily looks 1…28 through the verdict: the first day with a winner, and who."""
    for day in range(1, EXPERIMENT_DAYS + 1):
        result = verdict_on_day(cohort, experiment, settings, day)
        if result.verdict is Verdict.WINNER:
            return day, result.winner
    return None, None


def naive_fixed_peek(cohort: Cohort, first_day: int, alpha: float = 0.05) -> bool:
    """Daily Welch p < α on any look from ``first_day`` with ≥ 20 per arm: a false "winner"."""
    config = FrequentistConfig(alpha=alpha)
    for day in range(first_day, EXPERIMENT_DAYS + 1):
        a, b = cohort.statistic(0, day), cohort.statistic(1, day)
        if min(a.n, b.n) < MIN_LOOK_PER_ARM:
            continue
        if welch_ttest(a, b, config).significant:
            return True
    return False


def rate(hits: int, total: int) -> dict[str, Any]:
    """A share with its Wilson 95% interval."""
    share = hits / total
    z = float(stats.norm.ppf(0.975))
    centre = (share + z**2 / (2 * total)) / (1 + z**2 / total)
    half = z * math.sqrt(share * (1 - share) / total + z**2 / (4 * total**2)) / (1 + z**2 / total)
    return {
        "hits": hits,
        "n": total,
        "rate": share,
        "ci95": [max(0.0, centre - half), min(1.0, centre + half)],
    }


# --- scenarios ---------------------------------------------------------------------------


def aa_peeking(
    source: CohortSource,
    repetitions: int,
    rng: np.random.Generator,
    tau: float = float(AA_LEARNERS),
) -> dict[str, Any]:
    """Scenario 1: false winners under daily peeking when there is no effect (τ: the planned total)."""
    sequential_default = AnalysisSettings()
    sequential_tuned = AnalysisSettings(sequential_tuning_parameter=tau)
    fixed_at_end = AnalysisSettings(method=DecisionMethod.FIXED_HORIZON)
    counts = dict.fromkeys(
        (
            "sequentialDefaultMinimums",
            "sequentialFromDay1",
            "sequentialTunedFromDay1",
            "naiveFixedFromDay1",
            "naiveFixedFromDay14",
            "fixedReadOnceAtEnd",
            "srmFlagged",
        ),
        0,
    )
    for repetition in range(repetitions):
        cohort = source(rng, repetition)
        checks = {
            "sequentialDefaultMinimums": first_winner_day(cohort, definition(), sequential_default)[
                0
            ],
            "sequentialFromDay1": first_winner_day(cohort, definition(1), sequential_default)[0],
            "sequentialTunedFromDay1": first_winner_day(cohort, definition(1), sequential_tuned)[0],
        }
        for key, day in checks.items():
            counts[key] += day is not None
        counts["naiveFixedFromDay1"] += naive_fixed_peek(cohort, 1)
        counts["naiveFixedFromDay14"] += naive_fixed_peek(cohort, NAIVE_FROM_DAY_14)
        end = verdict_on_day(cohort, definition(), fixed_at_end, EXPERIMENT_DAYS)
        counts["fixedReadOnceAtEnd"] += end.verdict is Verdict.WINNER
        counts["srmFlagged"] += end.srm.mismatch
    return {key: rate(value, repetitions) for key, value in counts.items()}


def power(source: CohortSource, repetitions: int, rng: np.random.Generator) -> dict[str, Any]:
    """Scenario 2: how often a true 0.3-sd effect is declared the winner."""
    configs = {
        "fixedAtEnd": (AnalysisSettings(method=DecisionMethod.FIXED_HORIZON), False),
        "sequentialAtEnd": (AnalysisSettings(), False),
        "sequentialDailyPeeking": (AnalysisSettings(), True),
        "sequentialTau400AtEnd": (AnalysisSettings(sequential_tuning_parameter=400.0), False),
        "sequentialTau400DailyPeeking": (AnalysisSettings(sequential_tuning_parameter=400.0), True),
    }
    hits = dict.fromkeys(configs, 0)
    wrong_direction = 0
    for repetition in range(repetitions):
        cohort = source(rng, repetition)
        for key, (settings, daily) in configs.items():
            if daily:
                _, winner = first_winner_day(cohort, definition(), settings)
            else:
                winner = verdict_on_day(cohort, definition(), settings, EXPERIMENT_DAYS).winner
            hits[key] += winner == "treatment"
            wrong_direction += key == "fixedAtEnd" and winner == "control"
    dof = 2 * POWER_PER_ARM - 2
    critical = float(stats.t.ppf(0.975, dof))
    noncentrality = POWER_EFFECT_SD * math.sqrt(POWER_PER_ARM / 2)
    theory = float(stats.nct.sf(critical, dof, noncentrality))
    out: dict[str, Any] = {key: rate(value, repetitions) for key, value in hits.items()}
    out["fixedTheoretical"] = theory
    out["fixedWrongDirection"] = wrong_direction
    return out


def cuped(
    sources: dict[float, CohortSource], repetitions: int, rng: np.random.Generator
) -> dict[str, Any]:
    """Scenario 3: interval narrowing by CUPED against √(1 − ρ²), one source per true ρ."""
    absolute = FrequentistConfig(difference_type=DifferenceType.ABSOLUTE)
    rows: dict[str, Any] = {}
    for rho, source in sources.items():
        ratios: list[float] = []
        thetas: list[float] = []
        detected = {"plain": 0, "cuped": 0}
        for repetition in range(repetitions):
            cohort = source(rng, repetition)
            day = EXPERIMENT_DAYS
            plain = welch_ttest(cohort.statistic(0, day), cohort.statistic(1, day), absolute)
            adjusted = welch_ttest(
                cohort.statistic(0, day, cuped=True), cohort.statistic(1, day, cuped=True), absolute
            )
            ratios.append((adjusted.ci[1] - adjusted.ci[0]) / (plain.ci[1] - plain.ci[0]))
            thetas.append(adjusted.theta if adjusted.theta is not None else math.nan)
            detected["plain"] += plain.significant and plain.expected > 0
            detected["cuped"] += adjusted.significant and adjusted.expected > 0
        theory = math.sqrt(1 - rho**2)
        mean_ratio = float(np.mean(ratios))
        rows[f"rho{rho:g}"] = {
            "rho": rho,
            "meanWidthRatio": mean_ratio,
            "widthRatioP05P95": [
                float(np.quantile(ratios, 0.05)),
                float(np.quantile(ratios, 0.95)),
            ],
            "theoreticalRatio": theory,
            "relativeError": mean_ratio / theory - 1,
            "meanTheta": float(np.mean(thetas)),
            "detectedPlain": rate(detected["plain"], repetitions),
            "detectedCuped": rate(detected["cuped"], repetitions),
        }
    return rows


def best_test_power(learners: int, threshold: float) -> float:
    """Power of the most powerful level-``threshold`` test of 50/50 against the 55/45 bug.

    Neyman–Pearson: against the single alternative q = 0.55 the best test rejects when the
    first arm's count reaches c, the smallest count with P(X ≥ c | 0.5) ≤ threshold. No test
    of the split at this level (χ² included, which must also catch the other direction) can
    flag the bug more often, so a target above this number is out of reach at this size.
    """
    planned, bug = SRM_PLANNED_WEIGHTS[0], SRM_BUG_WEIGHTS[0]
    critical = int(stats.binom.isf(threshold, learners, planned)) + 1
    return float(stats.binom.sf(critical - 1, learners, bug))


def srm_detection(repetitions: int, seed: int) -> dict[str, Any]:
    """Scenario 4: the 55/45 bug against the planned 50/50 split."""
    threshold = SRM_P_VALUE_THRESHOLD
    critical = float(stats.chi2.isf(threshold, 1))

    def theory(learners: int) -> float:
        lam = learners * sum(
            (q - w) ** 2 / w for q, w in zip(SRM_BUG_WEIGHTS, SRM_PLANNED_WEIGHTS, strict=True)
        )
        return float(stats.ncx2.sf(critical, 1, lam))

    def flagged(learners: int, weights: tuple[float, ...], tag: str) -> dict[str, Any]:
        hits = 0
        for repetition in range(repetitions):
            variant = hashed_variants(f"srm-{tag}-{seed}-{repetition}", learners, weights)
            observed = [int(c) for c in np.bincount(variant, minlength=2)]
            hits += srm_p_value(observed, SRM_PLANNED_WEIGHTS) < threshold
        return rate(hits, repetitions)

    needed = next(n for n in range(SRM_LEARNERS, 20_000, 50) if theory(n) >= SRM_TARGET_RATE)
    best = best_test_power(SRM_LEARNERS, threshold)
    out: dict[str, Any] = {
        "threshold": threshold,
        "bug": {
            "learners": SRM_LEARNERS,
            **flagged(SRM_LEARNERS, SRM_BUG_WEIGHTS, "bug"),
            "theoretical": theory(SRM_LEARNERS),
        },
        "noBug": {"learners": SRM_LEARNERS, **flagged(SRM_LEARNERS, SRM_PLANNED_WEIGHTS, "clean")},
        "learnersFor95Percent": needed,
        "note": (
            "A 55/45 split of N learners against a 50/50 plan has χ² non-centrality λ = 0.01·N; "
            f"at p < {threshold:g} the test flags it with probability {theory(SRM_LEARNERS):.3f} "
            f"at N = {SRM_LEARNERS:,}. No test at this level reaches 95% there: even the most "
            f"powerful one (Neyman–Pearson, one-sided, told the bug's direction) flags "
            f"{best:.3f}; N ≥ {needed:,} gets the χ² test to 95%."
        ),
        "bestTestTheoretical": best,
        "rateAtP05": {
            "learners": SRM_LEARNERS,
            "theoretical": float(stats.ncx2.sf(stats.chi2.isf(0.05, 1), 1, SRM_LEARNERS * 0.01)),
        },
    }
    for learners in (*SRM_LARGER_LEARNERS, needed):
        out[f"bugAt{learners}"] = {
            "learners": learners,
            **flagged(learners, SRM_BUG_WEIGHTS, f"bug{learners}"),
            "theoretical": theory(learners),
        }
    return out


# --- the engine level: simulated cohorts, the engine's metric SQL and results (experiment_engine)


def engine_source(
    pool: Pool, scenario: str, seed: int, *, sample: int | None = None, effect: bool = False
) -> CohortSource:
    """Repetition r: the engine's hash splits the pool (or a random ``sample`` of it) with salt
    ``<scenario>-<seed>-<r>``; each participant takes their variant's copy's values."""
    ids = pool.user_ids

    def source(_rng: np.random.Generator, repetition: int) -> Cohort:
        n = pool.size
        if sample is None or sample >= n:
            idx = np.arange(n, dtype=np.int64)
        else:
            # The subset depends on the repetition only, so the service path can rebuild it.
            pick = np.random.default_rng([seed, repetition, 18])
            idx = np.sort(pick.choice(n, size=sample, replace=False)).astype(np.int64)
        salt = f"{scenario}-{seed}-{repetition}"
        variant = np.array([assign_variant(salt, ids[i], (1.0, 1.0)) for i in idx], dtype=np.int64)
        treated = (variant == 1) & effect
        by_day = np.where(
            treated[None, :], pool.post[TREATMENT][:, idx], pool.post[CONTROL][:, idx]
        )
        return Cohort(
            variant=variant,
            enrolled_day=pool.enrolled_day[idx],
            post=by_day[-1],
            pre=pool.pre[CONTROL][idx],
            post_by_day=by_day,
            indices=idx,
            salt=salt,
        )

    return source


def _pooled_correlation(a: RegressionAdjustedStatistic, b: RegressionAdjustedStatistic) -> float:
    """Within-arm correlation of post and pre, pooled over both arms."""
    dof = a.n + b.n - 2
    cov = ((a.n - 1) * a.covariance + (b.n - 1) * b.covariance) / dof
    var_y = ((a.n - 1) * a.post.variance + (b.n - 1) * b.post.variance) / dof
    var_x = ((a.n - 1) * a.pre.variance + (b.n - 1) * b.pre.variance) / dof
    return cov / math.sqrt(var_y * var_x)


def cuped_engine(source: CohortSource, repetitions: int) -> dict[str, Any]:
    """CUPED on engine values: interval width ratio against √(1 − ρ̂²), ρ̂ measured per repetition."""
    absolute = FrequentistConfig(difference_type=DifferenceType.ABSOLUTE)
    sequential = AnalysisSettings(sequential_tuning_parameter=float(2 * POWER_PER_ARM))
    ratios, theories, rhos = [], [], []
    detected = {"fixedPlain": 0, "fixedCuped": 0, "sequentialPlain": 0, "sequentialCuped": 0}
    day = EXPERIMENT_DAYS
    for repetition in range(repetitions):
        cohort = source(np.random.default_rng(repetition), repetition)
        plain = welch_ttest(cohort.statistic(0, day), cohort.statistic(1, day), absolute)
        a, b = cohort.statistic(0, day, cuped=True), cohort.statistic(1, day, cuped=True)
        assert isinstance(a, RegressionAdjustedStatistic)
        assert isinstance(b, RegressionAdjustedStatistic)
        adjusted = welch_ttest(a, b, absolute)
        rho = _pooled_correlation(a, b)
        rhos.append(rho)
        ratios.append((adjusted.ci[1] - adjusted.ci[0]) / (plain.ci[1] - plain.ci[0]))
        theories.append(math.sqrt(1 - rho**2))
        detected["fixedPlain"] += plain.significant and plain.expected > 0
        detected["fixedCuped"] += adjusted.significant and adjusted.expected > 0
        for key, use in (("sequentialPlain", False), ("sequentialCuped", True)):
            result = verdict_on_day(cohort, definition(), sequential, day, cuped=use)
            detected[key] += result.winner == "treatment"
    mean_ratio, mean_theory = float(np.mean(ratios)), float(np.mean(theories))
    return {
        "metric": ENGINE_METRIC,
        "meanRho": float(np.mean(rhos)),
        "rhoP05P95": [float(np.quantile(rhos, 0.05)), float(np.quantile(rhos, 0.95))],
        "meanWidthRatio": mean_ratio,
        "theoreticalRatio": mean_theory,
        "relativeError": mean_ratio / mean_theory - 1,
        **{key: rate(value, repetitions) for key, value in detected.items()},
    }


def cuped_by_metric(pool: Pool, seed: int, repetitions: int) -> dict[str, Any]:
    """CUPED narrowing on every sample-mean metric of the pool (A/A splits, values at the end).

    The variant's effect does not change an interval's width, and the metrics differ in how
    well their pre-period predicts the post-period (ρ̂): the target applies where ρ̂ ≥ 0.5.
    """
    absolute = FrequentistConfig(difference_type=DifferenceType.ABSOLUTE)
    out: dict[str, Any] = {}
    n = pool.size
    for metric, (post, pre) in pool.final_values.items():
        if METRICS[metric].kind is not StatisticKind.SAMPLE_MEAN or np.all(np.isnan(post)):
            continue
        ratios, theories, rhos = [], [], []
        for repetition in range(repetitions):
            salt = f"cuped-{metric}-{seed}-{repetition}"
            variant = np.array(
                [assign_variant(salt, u, (1.0, 1.0)) for u in pool.user_ids], dtype=np.int64
            )
            cohort = Cohort(variant, np.zeros(n, dtype=np.int64), post=post, pre=pre)
            a, b = cohort.statistic(0, 1, cuped=True), cohort.statistic(1, 1, cuped=True)
            assert isinstance(a, RegressionAdjustedStatistic)
            assert isinstance(b, RegressionAdjustedStatistic)
            plain = welch_ttest(a.post, b.post, absolute)
            adjusted = welch_ttest(a, b, absolute)
            if plain.error or adjusted.error:
                continue
            rho = _pooled_correlation(a, b)
            rhos.append(rho)
            ratios.append((adjusted.ci[1] - adjusted.ci[0]) / (plain.ci[1] - plain.ci[0]))
            theories.append(math.sqrt(1 - rho**2))
        if not ratios:
            continue
        mean_ratio, mean_theory = float(np.mean(ratios)), float(np.mean(theories))
        out[metric] = {
            "measured": int(np.sum(~np.isnan(post))),
            "withPrePeriod": int(np.sum(~np.isnan(post) & ~np.isnan(pre))),
            "meanRho": float(np.mean(rhos)),
            "meanWidthRatio": mean_ratio,
            "theoreticalRatio": mean_theory,
            "relativeError": mean_ratio / mean_theory - 1,
        }
    return out


def service_agreement(
    db: Database, pool: Pool, source: CohortSource, repetitions: int, *, cuped: bool, effect: bool
) -> dict[str, Any]:
    """Every repetition's end through the service (SQL sums, its verdict) against the numpy path."""
    mismatches: list[int] = []
    worst = 0.0
    winners = 0
    t0 = time.perf_counter()
    for repetition in range(repetitions):
        cohort = source(np.random.default_rng(repetition), repetition)
        assert cohort.indices is not None and cohort.salt is not None
        experiment, results = service_results(
            db, pool, cohort.indices, cohort.variant, cohort.salt, cuped=cuped, effect=effect
        )
        local = verdict_on_day(
            cohort, experiment.definition, experiment.settings, EXPERIMENT_DAYS, cuped=cuped
        )
        sql = results.result
        same = (local.verdict, local.winner) == (sql.verdict, sql.winner)
        for mine, theirs in zip(local.comparisons, sql.comparisons, strict=True):
            for x, y in (
                (mine.decision.p_value, theirs.decision.p_value),
                (mine.fixed.p_value, theirs.fixed.p_value),
                (mine.bayesian.chance_to_win, theirs.bayesian.chance_to_win),
                (local.srm.p_value, sql.srm.p_value),
            ):
                worst = max(worst, abs(x - y) / max(1.0, abs(x)))
                same = same and close(x, y, 1e-7)
        if not same:
            mismatches.append(repetition)
        winners += sql.winner == TREATMENT
    return {
        "repetitions": repetitions,
        "cuped": cuped,
        "mismatches": len(mismatches),
        "mismatchedRepetitions": mismatches[:10],
        "maxRelativeDifference": worst,
        "serviceWinnerRate": rate(winners, repetitions),
        "seconds": round(time.perf_counter() - t0, 1),
    }


def srm_engine(db: Database, repetitions: int, seed: int, sizes: tuple[int, ...]) -> dict[str, Any]:
    """The 55/45 bug through the service at each size, and 50/50 without a bug at the first."""
    threshold = SRM_P_VALUE_THRESHOLD
    critical = float(stats.chi2.isf(threshold, 1))
    out: dict[str, Any] = {"threshold": threshold}
    plans = [(n, SRM_BUG_WEIGHTS, f"bugAt{n}") for n in sizes]
    plans.append((sizes[0], SRM_PLANNED_WEIGHTS, f"noBugAt{sizes[0]}"))
    for learners, weights, key in plans:
        flagged = 0
        for repetition in range(repetitions):
            _p, mismatch, _observed = srm_through_service(
                db, learners, weights, f"srm-{key}-{seed}-{repetition}"
            )
            flagged += mismatch
        lam = learners * sum(
            (q - w) ** 2 / w for q, w in zip(weights, SRM_PLANNED_WEIGHTS, strict=True)
        )
        out[key] = {
            "learners": learners,
            **rate(flagged, repetitions),
            "theoretical": float(stats.ncx2.sf(critical, 1, lam)) if lam > 0 else threshold,
        }
    return out


def run_engine(
    db: Database,
    *,
    learners: int,
    repetitions: int,
    seed: int,
    pilot_learners: int,
    srm_sizes: tuple[int, ...],
) -> dict[str, Any]:
    """The engine level: pilot calibration, the pool, every scenario, the service path, SRM."""
    started = time.perf_counter()
    timings: dict[str, float] = {}

    def timed(name: str, fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        t0 = time.perf_counter()
        out = fn()
        timings[name] = round(time.perf_counter() - t0, 1)
        console.print(f"  {name}: {timings[name]} s")
        return out

    console.print(f"[bold]engine level[/]: pilot of {pilot_learners} learners for the effect size")
    t0 = time.perf_counter()
    factor, pilot_effect = calibrate(db, seed + 1, pilot_learners)
    timings["pilot"] = round(time.perf_counter() - t0, 1)
    console.print(
        f"  quality × {factor:.3f} (pilot × {PILOT_QUALITY_FACTOR}: d = {pilot_effect:.3f})"
    )
    pool = build_pool(db, seed, learners, factor, progress=lambda m: console.print(f"  {m}"))
    timings.update(pool.seconds)
    aa_source = engine_source(pool, "aa", seed)
    power_source = engine_source(pool, "power", seed, sample=2 * POWER_PER_ARM, effect=True)
    sample = min(2 * POWER_PER_ARM, pool.size)
    results = {
        "pool": {
            "learners": learners,
            "participants": pool.size,
            "qualityFactor": factor,
            "pilotEffectSd": pilot_effect,
            "trueEffectSd": pool.true_effect_sd(),
            "prePostCorrelation": pool.pre_post_correlation(),
            "measuredAtEnd": int(np.sum(~np.isnan(pool.post[CONTROL][-1]))),
        },
        "aaPeeking": timed(
            "aaPeeking",
            lambda: aa_peeking(
                aa_source, repetitions, np.random.default_rng([seed, 11]), tau=float(pool.size)
            ),
        ),
        "power": timed(
            "power",
            lambda: power(power_source, repetitions, np.random.default_rng([seed, 12])),
        ),
        "cuped": timed("cuped", lambda: cuped_engine(power_source, repetitions)),
        "cupedByMetric": timed("cupedByMetric", lambda: cuped_by_metric(pool, seed, repetitions)),
        "serviceAA": timed(
            "serviceAA",
            lambda: service_agreement(db, pool, aa_source, repetitions, cuped=False, effect=False),
        ),
        "servicePower": timed(
            "servicePower",
            lambda: service_agreement(db, pool, power_source, repetitions, cuped=True, effect=True),
        ),
        "srm": timed("srm", lambda: srm_engine(db, repetitions, seed, srm_sizes)),
    }
    results["power"]["sampledPerRepetition"] = sample
    return {
        "results": results,
        "secondsPerStep": timings,
        "seconds": round(time.perf_counter() - started, 1),
    }


# --- run, report ---------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    """What the numbers were measured on (the host; the engine level adds its database)."""
    return {
        **host_machine(),
        "numpy": np.__version__,
        "scipy": __import__("scipy").__version__,
    }


def run_statistics(repetitions: int, seed: int, quick: bool) -> dict[str, Any]:
    """The statistics level: all four scenarios on numpy cohorts, each with its own generator."""
    started = time.perf_counter()
    timings: dict[str, float] = {}

    def timed(name: str, fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        t0 = time.perf_counter()
        out = fn()
        timings[name] = round(time.perf_counter() - t0, 2)
        return out

    aa_source = normal_cohort(learners=AA_LEARNERS, seed=seed)
    power_source = normal_cohort(per_arm=POWER_PER_ARM, effect_sd=POWER_EFFECT_SD, seed=seed)
    cuped_sources = {
        rho: normal_cohort(per_arm=CUPED_PER_ARM, effect_sd=POWER_EFFECT_SD, rho=rho, seed=seed)
        for rho in CUPED_RHOS
    }
    results = {
        "aaPeeking": timed(
            "aaPeeking",
            lambda: aa_peeking(aa_source, repetitions, np.random.default_rng([seed, 1])),
        ),
        "power": timed(
            "power", lambda: power(power_source, repetitions, np.random.default_rng([seed, 2]))
        ),
        "cuped": timed(
            "cuped", lambda: cuped(cuped_sources, repetitions, np.random.default_rng([seed, 3]))
        ),
        "srm": timed("srm", lambda: srm_detection(repetitions, seed)),
    }
    return {
        "benchmark": "experiment_quality",
        "measuredAt": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "path": "pure analysis (twin.analysis.experiments); values drawn with numpy",
        "parameters": {
            "repetitions": repetitions,
            "seed": seed,
            "quick": quick,
            "experimentDays": EXPERIMENT_DAYS,
            "controlValues": f"N({CONTROL_MEAN:g}, {CONTROL_SD:g}^2)",
            "aaLearners": AA_LEARNERS,
            "powerPerArm": POWER_PER_ARM,
            "powerEffectSd": POWER_EFFECT_SD,
            "cupedPerArm": CUPED_PER_ARM,
            "srmLearners": SRM_LEARNERS,
            "srmBugWeights": list(SRM_BUG_WEIGHTS),
            "defaultSequentialTuningParameter": DEFAULT_SEQUENTIAL_TUNING_PARAMETER,
            "differenceType": AnalysisSettings().difference_type.value,
        },
        "targets": {
            "aaFalseWinnerMax": TARGET_AA_FALSE_WINNER,
            "powerMin": TARGET_POWER,
            "cupedRelativeErrorMax": TARGET_CUPED_TOLERANCE,
            "srmFlaggedMin": TARGET_SRM_FLAGGED,
        },
        "results": results,
        "secondsPerScenario": timings,
        "seconds": round(time.perf_counter() - started, 1),
    }


def _pct(r: dict[str, Any]) -> str:
    low, high = r["ci95"]
    return f"{100 * r['rate']:.1f}% ({100 * low:.1f}–{100 * high:.1f})"


def _srm_target(theoretical: float) -> str:
    """The issue's SRM target, marked infeasible where the test's own power is below it."""
    return "≥ 95%" if theoretical >= TARGET_SRM_FLAGGED else "≥ 95% (infeasible)"


def report_table(result: dict[str, Any]) -> Table:
    """Targets against measured figures."""
    res = result["results"]
    reps = result["parameters"]["repetitions"]
    table = Table(
        title=f"Experiment statistics quality ({reps} repetitions per row; share and Wilson 95% CI)"
    )
    table.add_column("scenario")
    table.add_column("target")
    table.add_column("measured", justify="right")
    table.add_column("ok")

    def row(name: str, target: str, measured: str, ok: bool | None) -> None:
        table.add_row(name, target, measured, "" if ok is None else ("yes" if ok else "NO"))

    aa = res["aaPeeking"]
    for key, label in (
        ("sequentialDefaultMinimums", "A/A sequential, daily looks, minimums 20/arm & 14 days"),
        ("sequentialFromDay1", "A/A sequential, daily looks from day 1 (τ = 5,000)"),
        ("sequentialTunedFromDay1", "A/A sequential, daily looks from day 1 (τ = 1,000)"),
    ):
        row(label, "≤ 5%", _pct(aa[key]), aa[key]["rate"] <= TARGET_AA_FALSE_WINNER)
    row(
        "A/A naive fixed-horizon Welch, daily looks from day 1",
        "> 5%",
        _pct(aa["naiveFixedFromDay1"]),
        aa["naiveFixedFromDay1"]["rate"] > TARGET_AA_FALSE_WINNER,
    )
    row(
        "A/A naive fixed-horizon Welch, daily looks from day 14",
        "> 5%",
        _pct(aa["naiveFixedFromDay14"]),
        aa["naiveFixedFromDay14"]["rate"] > TARGET_AA_FALSE_WINNER,
    )
    row("A/A fixed-horizon read once at the end", "≈ 5%", _pct(aa["fixedReadOnceAtEnd"]), None)
    row("A/A SRM flagged (no bug)", "≈ 0.1%", _pct(aa["srmFlagged"]), None)
    pw = res["power"]
    row(
        f"power d = 0.3, 200/arm, fixed horizon at end (theory {100 * pw['fixedTheoretical']:.1f}%)",
        "≥ 80%",
        _pct(pw["fixedAtEnd"]),
        pw["fixedAtEnd"]["rate"] >= TARGET_POWER,
    )
    for key, label in (
        ("sequentialAtEnd", "power, sequential τ = 5,000, at end"),
        ("sequentialDailyPeeking", "power, sequential τ = 5,000, any daily look"),
        ("sequentialTau400AtEnd", "power, sequential τ = 400, at end"),
        ("sequentialTau400DailyPeeking", "power, sequential τ = 400, any daily look"),
    ):
        row(label, "(reported)", _pct(pw[key]), None)
    for cell in res["cuped"].values():
        row(
            f"CUPED ρ = {cell['rho']:g}: width ratio vs √(1−ρ²) = {cell['theoreticalRatio']:.3f}",
            "within 10%",
            f"{cell['meanWidthRatio']:.3f} ({100 * cell['relativeError']:+.1f}%)",
            abs(cell["relativeError"]) <= TARGET_CUPED_TOLERANCE,
        )
        row(
            f"CUPED ρ = {cell['rho']:g}: power d = 0.3, plain → CUPED",
            "(reported)",
            f"{100 * cell['detectedPlain']['rate']:.0f}% → {100 * cell['detectedCuped']['rate']:.0f}%",
            None,
        )
    sr = res["srm"]
    row(
        f"SRM 55/45 bug, {sr['bug']['learners']:,} learners, p < 0.001 (theory {100 * sr['bug']['theoretical']:.1f}%)",
        _srm_target(sr["bug"]["theoretical"]),
        _pct(sr["bug"]),
        sr["bug"]["rate"] >= TARGET_SRM_FLAGGED,
    )
    for key, cell in sr.items():
        if key.startswith("bugAt"):
            row(
                f"SRM 55/45 bug, {cell['learners']:,} learners (theory {100 * cell['theoretical']:.1f}%)",
                "(reported)",
                _pct(cell),
                None,
            )
    row("SRM no bug, 1,000 learners: false flags", "≈ 0.1%", _pct(sr["noBug"]), None)
    return table


def engine_table(engine: dict[str, Any], repetitions: int) -> Table:
    """The engine level's targets against measured figures."""
    res = engine["results"]
    pool = res["pool"]
    table = Table(
        title=(
            f"Through the engine: {pool['participants']} simulated participants, metric "
            f"{ENGINE_METRIC!r}, true effect d = {pool['trueEffectSd']:.3f} "
            f"({repetitions} repetitions per row)"
        )
    )
    table.add_column("scenario")
    table.add_column("target")
    table.add_column("measured", justify="right")
    table.add_column("ok")

    def row(name: str, target: str, measured: str, ok: bool | None) -> None:
        table.add_row(name, target, measured, "" if ok is None else ("yes" if ok else "NO"))

    aa = res["aaPeeking"]
    for key, label in (
        ("sequentialTunedFromDay1", f"A/A sequential τ = {pool['participants']}, daily from day 1"),
        ("sequentialDefaultMinimums", "A/A sequential τ = 5,000, daily, minimums 20 & 14 d"),
        ("sequentialFromDay1", "A/A sequential τ = 5,000, daily from day 1"),
    ):
        row(label, "≤ 5%", _pct(aa[key]), aa[key]["rate"] <= TARGET_AA_FALSE_WINNER)
    for key, label in (
        ("naiveFixedFromDay1", "A/A naive fixed-horizon Welch, daily from day 1"),
        ("naiveFixedFromDay14", "A/A naive fixed-horizon Welch, daily from day 14"),
    ):
        row(label, "> 5%", _pct(aa[key]), aa[key]["rate"] > TARGET_AA_FALSE_WINNER)
    row("A/A fixed-horizon read once at the end", "≈ 5%", _pct(aa["fixedReadOnceAtEnd"]), None)
    pw = res["power"]
    row(
        f"d = 0.3, {pw['sampledPerRepetition']} learners (≈ 200/arm), fixed horizon at end",
        "≥ 80%",
        _pct(pw["fixedAtEnd"]),
        pw["fixedAtEnd"]["rate"] >= TARGET_POWER,
    )
    for key, label in (
        ("sequentialTau400AtEnd", "power, sequential τ = 400, at end"),
        ("sequentialTau400DailyPeeking", "power, sequential τ = 400, any daily look"),
        ("sequentialAtEnd", "power, sequential τ = 5,000, at end"),
    ):
        row(label, "(reported)", _pct(pw[key]), None)
    cu = res["cuped"]
    row(
        f"CUPED on {ENGINE_METRIC} (power splits): ρ̂ = {cu['meanRho']:.2f}, "
        f"ratio vs √(1−ρ̂²) = {cu['theoreticalRatio']:.3f}",
        "within 10%" if cu["meanRho"] >= 0.5 else "(ρ̂ < 0.5)",
        f"{cu['meanWidthRatio']:.3f} ({100 * cu['relativeError']:+.1f}%)",
        None if cu["meanRho"] < 0.5 else abs(cu["relativeError"]) <= TARGET_CUPED_TOLERANCE,
    )
    for metric, cell in res["cupedByMetric"].items():
        wanted = cell["meanRho"] >= 0.5
        row(
            f"CUPED on {metric}: ρ̂ = {cell['meanRho']:.2f}, ratio vs √(1−ρ̂²) = "
            f"{cell['theoreticalRatio']:.3f}",
            "within 10%" if wanted else "(ρ̂ < 0.5)",
            f"{cell['meanWidthRatio']:.3f} ({100 * cell['relativeError']:+.1f}%)",
            abs(cell["relativeError"]) <= TARGET_CUPED_TOLERANCE if wanted else None,
        )
    row(
        "power with CUPED: fixed at end, sequential τ = 400 at end",
        "(reported)",
        f"{100 * cu['fixedCuped']['rate']:.0f}%, {100 * cu['sequentialCuped']['rate']:.0f}%",
        None,
    )
    for key, label in (("serviceAA", "A/A"), ("servicePower", "power, CUPED")):
        cell = res[key]
        row(
            f"service path ({label}): SQL sums + verdict = numpy path",
            "0 mismatches",
            f"{cell['mismatches']} (max rel. diff {cell['maxRelativeDifference']:.1e})",
            cell["mismatches"] == 0,
        )
    sr = res["srm"]
    for key, cell in sr.items():
        if not isinstance(cell, dict):
            continue
        bug = key.startswith("bugAt")
        row(
            f"SRM {'55/45 bug' if bug else 'no bug'}, {cell['learners']:,} learners, service "
            f"(theory {100 * cell['theoretical']:.1f}%)",
            _srm_target(cell["theoretical"]) if bug else "≈ 0.1%",
            _pct(cell),
            (cell["rate"] >= TARGET_SRM_FLAGGED) if bug else None,
        )
    return table


LEVELS = ("both", "statistics", "engine")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=200)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--level", choices=LEVELS, default="both")
    parser.add_argument("--learners", type=int, default=ENGINE_LEARNERS, help="engine pool size")
    parser.add_argument("--pilot", type=int, default=PILOT_LEARNERS, help="calibration pilot")
    parser.add_argument(
        "--srm-sizes",
        type=lambda t: tuple(int(x) for x in t.split(",")),
        default=ENGINE_SRM_SIZES,
        help="learners per SRM repetition through the service (comma-separated)",
    )
    parser.add_argument("--database-url", default=None)
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"{QUICK_REPETITIONS} repetitions, a smaller pool; prints, writes no JSON",
    )
    parser.add_argument(
        "--smoke", action="store_true", help="tiny sizes (the test suite's run); writes no JSON"
    )
    args = parser.parse_args()
    result = run(args)
    if args.quick or args.smoke:
        console.print("--quick/--smoke: nothing written (the recorded figures are the full run's)")
        return
    path = RESULTS_DIR / "experiment_quality.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
    console.print(f"wrote {path}")


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Both levels as the arguments say; prints the tables; returns the JSON document."""
    if args.smoke:
        repetitions, learners, pilot, sizes = SMOKE_REPETITIONS, SMOKE_LEARNERS, SMOKE_PILOT, (60,)
    elif args.quick:
        repetitions, learners, pilot, sizes = (
            QUICK_REPETITIONS,
            QUICK_LEARNERS,
            QUICK_PILOT,
            args.srm_sizes,
        )
    else:
        repetitions, learners, pilot, sizes = (
            args.repetitions,
            args.learners,
            args.pilot,
            args.srm_sizes,
        )
    out: dict[str, Any] = {
        "benchmark": "experiment_quality",
        "command": "python -m benchmarks.experiment_quality " + " ".join(sys.argv[1:]),
        "measuredAt": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
    }
    if args.level in ("both", "statistics"):
        statistics = run_statistics(repetitions, args.seed, args.quick or args.smoke)
        console.print(report_table(statistics))
        console.print(statistics["results"]["srm"]["note"])
        console.print(f"{statistics['seconds']} s ({statistics['secondsPerScenario']})")
        out.update({k: v for k, v in statistics.items() if k not in out})
    if args.level in ("both", "engine"):
        from benchmarks.ingest_support import machine as db_machine
        from benchmarks.ingest_support import scratch_database

        with scratch_database(args.database_url, prefix="twin-bench-exp-") as (db, where):
            engine = run_engine(
                db,
                learners=learners,
                repetitions=repetitions,
                seed=args.seed,
                pilot_learners=pilot,
                srm_sizes=sizes,
            )
            engine["machine"] = db_machine(db, where)
        engine["parameters"] = {
            "repetitions": repetitions,
            "learners": learners,
            "pilotLearners": pilot,
            "srmSizes": list(sizes),
            "weeks": POOL_WEEKS,
            "experimentDays": EXPERIMENT_DAYS,
            "metric": ENGINE_METRIC,
        }
        console.print(engine_table(engine, repetitions))
        console.print(f"engine level: {engine['seconds']} s ({engine['secondsPerStep']})")
        out["engine"] = engine
    return out


if __name__ == "__main__":
    main()
