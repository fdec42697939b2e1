"""A/B-experiment statistics on simulated experiments with a known truth (issue #18, ENGINE.md 5.5).

    python -m benchmarks.experiment_quality [--repetitions 200] [--seed 18] [--quick]

Path: **pure analysis** (:mod:`twin.analysis.experiments`): no database, no services. Each
repetition is one simulated experiment; every number comes from the same code the service
will call (``assign_variant``, the sufficient statistics, ``analyse_experiment``).

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
``benchmarks/results/experiment_quality.json`` (``--quick``: 50 repetitions, printed only).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
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

from benchmarks.ingest_support import _cpu_model, _memory_gb
from twin.analysis.experiments.assignment import assign_variant
from twin.analysis.experiments.definition import ExperimentDefinition, Variant
from twin.analysis.experiments.frequentist import (
    DEFAULT_SEQUENTIAL_TUNING_PARAMETER,
    FrequentistConfig,
    welch_ttest,
)
from twin.analysis.experiments.srm import SRM_P_VALUE_THRESHOLD, srm_p_value
from twin.analysis.experiments.statistics import (
    ArmStatistic,
    DifferenceType,
    RegressionAdjustedStatistic,
    SampleMeanStatistic,
)
from twin.analysis.experiments.verdict import (
    AnalysisSettings,
    DecisionMethod,
    ExperimentResult,
    Verdict,
    analyse_experiment,
)
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
MIN_CONSOLE_WIDTH = 120
console = Console(width=max(MIN_CONSOLE_WIDTH, Console().width))

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


# --- cohorts: per-participant arrays ------------------------------------------------------


@dataclass(frozen=True)
class Cohort:
    """Per-participant arrays of one experiment: variant index, enrolment day, values."""

    variant: IntArray
    enrolled_day: IntArray
    post: FloatArray
    pre: FloatArray | None = None

    def assigned(self, day: int, arms: int) -> list[int]:
        """Learners assigned per variant before ``day``."""
        seen = self.enrolled_day < day
        return [int(c) for c in np.bincount(self.variant[seen], minlength=arms)]

    def statistic(self, arm: int, day: int, cuped: bool = False) -> ArmStatistic:
        """Sufficient statistic of one arm's participants enrolled before ``day``."""
        mask = (self.variant == arm) & (self.enrolled_day < day)
        if cuped:
            if self.pre is None:
                raise ValueError("this cohort has no pre-period values")
            return RegressionAdjustedStatistic.from_values(self.post[mask], self.pre[mask])
        return SampleMeanStatistic.from_values(self.post[mask])


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
    """The verdict a look at the start of ``day`` (day 28 = the end) would give."""
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
        experiment, assigned, stats, START + timedelta(days=day), settings=settings
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


def aa_peeking(source: CohortSource, repetitions: int, rng: np.random.Generator) -> dict[str, Any]:
    """Scenario 1: false winners under daily peeking when there is no effect."""
    sequential_default = AnalysisSettings()
    sequential_tuned = AnalysisSettings(sequential_tuning_parameter=float(AA_LEARNERS))
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
            f"at N = {SRM_LEARNERS:,} — no χ² test at this threshold reaches 95% there; "
            f"N ≥ {needed:,} does."
        ),
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


# --- run, report ---------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    """What the numbers were measured on (no database involved)."""
    return {
        "cpu": _cpu_model(),
        "cpus": os.cpu_count(),
        "memory_gb": _memory_gb(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": __import__("scipy").__version__,
    }


def run(repetitions: int, seed: int, quick: bool) -> dict[str, Any]:
    """All four scenarios, each with its own seeded generator."""
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
        "≥ 95%",
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=200)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"{QUICK_REPETITIONS} repetitions; prints, writes no JSON",
    )
    args = parser.parse_args()
    repetitions = QUICK_REPETITIONS if args.quick else args.repetitions
    result = run(repetitions, args.seed, args.quick)
    console.print(report_table(result))
    console.print(f"{result['seconds']} s ({result['secondsPerScenario']})")
    if args.quick:
        console.print("--quick: nothing written (the recorded figures are the full run's)")
        return
    path = RESULTS_DIR / "experiment_quality.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
    console.print(f"wrote {path}")


if __name__ == "__main__":
    main()
