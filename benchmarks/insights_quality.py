"""Insights quality (ENGINE.md 5.6): does the engine credit recommendations and links that are real?

    python -m benchmarks.insights_quality            # engine cohorts + 2,000-learner statistics
    python -m benchmarks.insights_quality --quick    # small cohorts, a minute or two

**The targets are measured through the engine** (:mod:`benchmarks.insights_engine`):
simulated cohorts (:mod:`twin.simulate.insights`) loaded into a scratch database, the
recommendations and goals services, and the daily job. Below, the same two questions
are also asked of pure statistical simulations over a grid (effect size, sessions per
week, link strength, weeks) and stress scenarios, cheaply and at a larger scale.

Two questions, each asked of cohorts whose truth is known:

1. **Applied recommendations.** A cohort applies a recommendation; for a known share of
   learners following it truly raises the outcome metric by a known effect, for the rest
   it does nothing. The engine's evaluation
   (:func:`twin.analysis.insights.evaluation.evaluate_application`: 14-day baseline vs
   14-day test period, Welch 95% interval) must say IMPROVED for ≥ 70% of the helped and
   ≤ 10% of the others. Insufficient data counts as "not IMPROVED".
2. **Academic correlation.** Learners with a known positive week-level link between
   their behavioral score and their exam / validation results, and learners with none.
   :func:`twin.analysis.insights.correlation.academic_correlation` must find r > 0 with
   an interval excluding 0 for ≥ 80% of the linked, and a "clear" link (interval
   excluding 0 and p < 0.05, either side; both on the effective number of weeks) for
   ≤ 5% of the unlinked.

The applied cohort through the engine studies 10 weeks (episodes at the rate the
generator's burnout benchmark uses; see ``APPLIED_WEEKS`` in :mod:`benchmarks.insights_engine`).
The same generator is also run without the database (:class:`SimulatorApplied`, 2,000
learners) at 10 weeks and at 6 weeks, where every overload/burnout episode falls in the
three weeks around applying — a stress row showing what episodes cost the evaluation.

Both are measured on a headline scenario (the targets' verdict) and on a grid around
it (effect size × sessions per week; link strength × weeks), plus stress scenarios that
break the methods' assumptions (a learner who improves anyway; two series that drift
together over a term) so their weak spots are measured, not hidden.

**Structure.** A *source* yields cases with their truth (:class:`AppliedCase`,
:class:`CorrelationCase`); an *evaluator* is the engine's decision on one case.
Today the sources are pure statistical simulations (:class:`SyntheticApplied`,
:class:`SyntheticCorrelation`) and the evaluators call the pure analyses. Later a source
can drive ``twin.simulate`` and the services (apply, run the daily job, read
``applied_recommendations`` and the stored scores, truth from ``simulation_truth``) and
an evaluator can read the stored verdict — :func:`measure_applied` and
:func:`measure_correlation` stay the same. Prints one table and writes
``benchmarks/results/insights_quality.json`` (``insights_quality_quick.json`` with
``--quick``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import scipy
from rich.console import Console
from rich.table import Table

from twin.analysis.insights.correlation import (
    MIN_WEEKS,
    AcademicCorrelation,
    AcademicResult,
    ResultKind,
    academic_correlation,
)
from twin.analysis.insights.evaluation import (
    BASELINE_WINDOW_DAYS,
    MIN_OBSERVATIONS_PER_WINDOW,
    TEST_PERIOD_DAYS,
    EvaluationResult,
    Observation,
    Verdict,
    evaluate_application,
    split_windows,
)

RESULTS_DIR = Path(__file__).resolve().parent / "results"
TARGET_IMPROVED_WHEN_HELPED = 0.70
TARGET_IMPROVED_WHEN_NOT = 0.10
TARGET_FOUND_WHEN_LINKED = 0.80
TARGET_CLEAR_WHEN_UNLINKED = 0.05
FULL_LEARNERS = 2_000
QUICK_LEARNERS = 300
ENGINE_SIZES = {  # learners per engine cohort: (full, quick); ≥ 200 per arm so a share's interval is ±6 points
    "applied": (400, 30),
    "goals": (20, 3),
    "correlation": (300, 15),
    # ≤ 5% against a nominal 5%: 300 learners give ±2.5 points of simulation noise, too
    # coarse to tell 4% from 6%; 1,000 give ±1.3.
    "correlationUnlinked": (1_000, 15),
}
DAYS_PER_WEEK = 7
SCORE_MIN, SCORE_MAX = 0.0, 100.0
MIN_CONSOLE_WIDTH = 120
FIRST_MONDAY = date(2026, 1, 5)
console = Console(width=max(MIN_CONSOLE_WIDTH, Console().width))


# --- applied recommendations ---------------------------------------------------------------


@dataclass(frozen=True)
class AppliedCase:
    """One learner's application: the metric's values in each window and the truth."""

    learner: str
    helped: bool
    baseline: tuple[float, ...]
    test: tuple[float, ...]


@dataclass(frozen=True)
class AppliedScenario:
    """How a simulated cohort studies and what following the recommendation does.

    Session score = learner mean (N(65, 8)) + drift per week × week + effect (helped
    learners, test period) + N(0, noise); sessions per week ~ Poisson; clipped to 0–100.
    ``binary`` instead simulates a daily 0/1 metric (studied that day, the consistency
    metric): base probability U(0.3, 0.6), effect added to the probability.
    """

    name: str
    effect: float = 10.0
    sessions_per_week: float = 8.0
    noise_sd: float = 10.0
    helped_share: float = 0.5
    drift_per_week: float = 0.0
    learner_mean: float = 65.0
    learner_sd: float = 8.0
    binary: bool = False


class AppliedSource(Protocol):
    """Anything that yields application cases with their truth."""

    def cases(self, learners: int, rng: np.random.Generator) -> Iterator[AppliedCase]:
        """``learners`` cases."""
        ...


@dataclass(frozen=True)
class SyntheticApplied:
    """Pure simulation of :class:`AppliedScenario` (no engine, no database)."""

    scenario: AppliedScenario

    def cases(self, learners: int, rng: np.random.Generator) -> Iterator[AppliedCase]:
        """Four weeks per learner: two of baseline, two of test period."""
        s = self.scenario
        weeks_per_window = BASELINE_WINDOW_DAYS // DAYS_PER_WEEK
        assert weeks_per_window == TEST_PERIOD_DAYS // DAYS_PER_WEEK
        for i in range(learners):
            helped = bool(rng.random() < s.helped_share)
            if s.binary:
                p0 = rng.uniform(0.3, 0.6)
                p1 = min(1.0, p0 + (s.effect if helped else 0.0))
                base = rng.random(BASELINE_WINDOW_DAYS) < p0
                test = rng.random(TEST_PERIOD_DAYS) < p1
                yield AppliedCase(
                    f"L{i}", helped, tuple(base.astype(float)), tuple(test.astype(float))
                )
                continue
            mean = rng.normal(s.learner_mean, s.learner_sd)
            windows: list[list[float]] = [[], []]
            for w in range(2 * weeks_per_window):
                n = int(rng.poisson(s.sessions_per_week))
                in_test = w >= weeks_per_window
                level = mean + s.drift_per_week * w + (s.effect if helped and in_test else 0.0)
                values = np.clip(level + rng.normal(0.0, s.noise_sd, n), SCORE_MIN, SCORE_MAX)
                windows[int(in_test)].extend(values.tolist())
            yield AppliedCase(f"L{i}", helped, tuple(windows[0]), tuple(windows[1]))


@dataclass(frozen=True)
class SimulatorApplied:
    """The engine cohort's learners without the database: the main generator, day 28, gain 0.5.

    Each learner comes from :func:`twin.simulate.insights.applied_learner` (as in
    :func:`benchmarks.insights_engine.engine_applied`), is read the way the services read
    the database (:func:`twin.simulate.truth_adapter.adapt_learner`) and scored per session
    with 5.1's :func:`session_score`; the windows are split at local midnight of day 28.
    ``weeks`` is the generated span, which sets how densely episodes fall around applying
    (see ``APPLIED_WEEKS`` in :mod:`benchmarks.insights_engine`).
    """

    weeks: int
    seed: int

    def cases(self, learners: int, rng: np.random.Generator) -> Iterator[AppliedCase]:
        """``learners`` generated learners, about half of them helped."""
        from benchmarks.insights_engine import APPLIED_DAY, APPLIED_GAIN, local_day
        from twin.analysis.patterns.study_time import session_score
        from twin.simulate.generate import DEFAULT_START
        from twin.simulate.insights import applied_learner
        from twin.simulate.truth_adapter import adapt_learner

        for i in range(learners):
            helped = bool(rng.random() < 0.5)
            sim = applied_learner(
                self.seed,
                i,
                DEFAULT_START,
                self.weeks,
                applied_day=APPLIED_DAY,
                helped=helped,
                gain=APPLIED_GAIN,
            )
            sessions = adapt_learner(sim.data).patterns_input.sessions
            observed = [
                Observation(s.started_at.astimezone(UTC), session_score(s)) for s in sessions
            ]
            baseline, test = split_windows(observed, local_day(sim, DEFAULT_START, APPLIED_DAY))
            yield AppliedCase(sim.user_id, helped, tuple(baseline), tuple(test))


AppliedEvaluator = Callable[[AppliedCase], Verdict | None]


def engine_applied_evaluator(case: AppliedCase) -> Verdict | None:
    """The engine's verdict (None: insufficient data)."""
    out = evaluate_application(case.baseline, case.test)
    return out.verdict if isinstance(out, EvaluationResult) else None


def measure_applied(
    source: AppliedSource,
    learners: int,
    rng: np.random.Generator,
    evaluator: AppliedEvaluator = engine_applied_evaluator,
) -> dict[str, Any]:
    """IMPROVED / NEUTRAL / DECLINED / insufficient shares among the helped and the others."""
    counts = {
        True: dict.fromkeys(("IMPROVED", "NEUTRAL", "DECLINED", "insufficient"), 0),
        False: {},
    }
    counts[False] = dict(counts[True])
    for case in source.cases(learners, rng):
        verdict = evaluator(case)
        counts[case.helped]["insufficient" if verdict is None else str(verdict)] += 1

    def shares(c: dict[str, int]) -> dict[str, Any]:
        n = sum(c.values())
        return {"learners": n, **{k: (v / n if n else None) for k, v in c.items()}}

    return {"helped": shares(counts[True]), "notHelped": shares(counts[False])}


# --- academic correlation ------------------------------------------------------------------


@dataclass(frozen=True)
class CorrelationCase:
    """One learner's weekly behavioral scores and academic results, with the truth."""

    learner: str
    linked: bool
    scores: tuple[tuple[date, float], ...]
    results: tuple[AcademicResult, ...]


@dataclass(frozen=True)
class CorrelationScenario:
    """Weekly score ~ N(60, 10); weekly academic mean = 70 + ρ·(score − 60) + N(0, 10·√(1 − ρ²)).

    ``trend`` adds the same linear rise (points over the whole term) to both series with
    no week-level link (a term that gets better for everything at once).
    """

    name: str
    rho: float = 0.7
    weeks: int = 16
    trend_points: float = 0.0
    score_mean: float = 60.0
    score_sd: float = 10.0
    result_mean: float = 70.0
    result_sd: float = 10.0
    exam_every_weeks: int = 4


class CorrelationSource(Protocol):
    """Anything that yields correlation cases with their truth."""

    def cases(self, learners: int, rng: np.random.Generator) -> Iterator[CorrelationCase]:
        """``learners`` cases."""
        ...


@dataclass(frozen=True)
class SyntheticCorrelation:
    """Pure simulation of :class:`CorrelationScenario`: one result per week (an exam every 4th week, validation otherwise)."""

    scenario: CorrelationScenario

    def cases(self, learners: int, rng: np.random.Generator) -> Iterator[CorrelationCase]:
        """``learners`` cases of ``weeks`` weeks."""
        s = self.scenario
        for i in range(learners):
            z = rng.normal(0.0, 1.0, s.weeks)
            e = rng.normal(0.0, 1.0, s.weeks)
            trend = s.trend_points * np.linspace(-0.5, 0.5, s.weeks)
            score = np.clip(s.score_mean + s.score_sd * z + trend, SCORE_MIN, SCORE_MAX)
            result = np.clip(
                s.result_mean + s.result_sd * (s.rho * z + np.sqrt(1 - s.rho**2) * e) + trend,
                SCORE_MIN,
                SCORE_MAX,
            )
            weeks = [FIRST_MONDAY + timedelta(weeks=w) for w in range(s.weeks)]
            results = tuple(
                AcademicResult(
                    d + timedelta(days=int(rng.integers(0, DAYS_PER_WEEK))),
                    float(r),
                    ResultKind.EXAM
                    if w % s.exam_every_weeks == s.exam_every_weeks - 1
                    else ResultKind.VALIDATION,
                )
                for w, (d, r) in enumerate(zip(weeks, result, strict=True))
            )
            yield CorrelationCase(
                f"L{i}",
                s.rho > 0,
                tuple(zip(weeks, score.tolist(), strict=True)),
                results,
            )


CorrelationEvaluator = Callable[[CorrelationCase], AcademicCorrelation | None]


def engine_correlation_evaluator(case: CorrelationCase) -> AcademicCorrelation | None:
    """The engine's answer (None: insufficient data)."""
    out = academic_correlation(case.scores, case.results)
    return out if isinstance(out, AcademicCorrelation) else None


def measure_correlation(
    source: CorrelationSource,
    learners: int,
    rng: np.random.Generator,
    evaluator: CorrelationEvaluator = engine_correlation_evaluator,
) -> dict[str, Any]:
    """Shares with r > 0 and the interval above 0, with any clear link, and insufficient."""
    found = clear = insufficient = 0
    rs: list[float] = []
    for case in source.cases(learners, rng):
        c = evaluator(case)
        if c is None:
            insufficient += 1
            continue
        rs.append(c.r)
        found += c.r > 0 and c.ci_low > 0
        clear += c.clear
    return {
        "learners": learners,
        "positiveAndIntervalAbove0": found / learners,
        "clearEitherSide": clear / learners,
        "insufficient": insufficient / learners,
        "medianR": float(np.median(rs)) if rs else None,
    }


# --- scenarios -----------------------------------------------------------------------------

HEADLINE_APPLIED = AppliedScenario(
    "headline: +10 points (1 SD of session noise), 8 sessions/week, half the cohort helped"
)
APPLIED_GRID_EFFECTS = (5.0, 8.0, 10.0, 15.0)
APPLIED_GRID_SESSIONS = (4.0, 8.0)
APPLIED_STRESS = (
    AppliedScenario(
        "nobody helped, learners improving +1 point/week anyway",
        effect=0.0,
        helped_share=0.0,
        drift_per_week=1.0,
    ),
    AppliedScenario(
        "nobody helped, learners improving +2 points/week anyway",
        effect=0.0,
        helped_share=0.0,
        drift_per_week=2.0,
    ),
    AppliedScenario("consistency (daily 0/1 studied), +0.25 probability", effect=0.25, binary=True),
    AppliedScenario("sparse: 2 sessions/week, +10 points", sessions_per_week=2.0),
)
HEADLINE_LINKED = CorrelationScenario("headline linked: ρ = 0.7, 16 weeks")
HEADLINE_UNLINKED = CorrelationScenario("headline unlinked: ρ = 0, 16 weeks", rho=0.0)
CORRELATION_GRID_RHO = (0.0, 0.5, 0.6, 0.7, 0.8)
CORRELATION_GRID_WEEKS = (MIN_WEEKS, 12, 16, 24)
CORRELATION_STRESS = (
    CorrelationScenario(
        "unlinked, both series rise 20 points over the term", rho=0.0, trend_points=20.0
    ),
    CorrelationScenario(
        "unlinked, both series rise 40 points over the term", rho=0.0, trend_points=40.0
    ),
)


def run_engine(seed: int, quick: bool) -> dict[str, Any]:
    """The target cohorts through the engine, in a scratch database (see insights_engine)."""
    from benchmarks.ingest_support import scratch_database
    from benchmarks.insights_engine import (
        LINK_RHO,
        engine_applied,
        engine_correlation,
        engine_goals,
    )

    size = {k: v[1] if quick else v[0] for k, v in ENGINE_SIZES.items()}
    started = time.perf_counter()
    with scratch_database(None, prefix="twin-insights-bench-") as (db, where):
        console.print(f"[bold]engine cohorts[/] ({where}): applied {size['applied']} …")
        applied = engine_applied(db, size["applied"], seed * 10 + 1)
        console.print(f"goals {size['goals']} learners × 5 goals, 21 days × 2 …")
        goals = engine_goals(db, size["goals"], seed * 10 + 2)
        console.print(
            f"correlation {size['correlation']} linked + {size['correlationUnlinked']} unlinked …"
        )
        linked = engine_correlation(db, size["correlation"], seed * 10 + 3, rho=LINK_RHO)
        unlinked = engine_correlation(db, size["correlationUnlinked"], seed * 10 + 4, rho=0.0)
    return {
        "applied": applied,
        "goals": goals,
        "correlationLinked": linked,
        "correlationUnlinked": unlinked,
        "seconds": round(time.perf_counter() - started, 1),
    }


def run(learners: int, seed: int, quick: bool) -> dict[str, Any]:
    """Every scenario, each with its own seeded generator (so adding one does not move the others)."""
    started = time.perf_counter()
    seeds = iter(np.random.SeedSequence(seed).spawn(1_000))

    def rng() -> np.random.Generator:
        return np.random.default_rng(next(seeds))

    headline = measure_applied(SyntheticApplied(HEADLINE_APPLIED), learners, rng())
    null = measure_applied(
        SyntheticApplied(
            replace(HEADLINE_APPLIED, name="nobody helped", helped_share=0.0, effect=0.0)
        ),
        learners,
        rng(),
    )
    grid_effects = APPLIED_GRID_EFFECTS[1:3] if quick else APPLIED_GRID_EFFECTS
    applied_grid = [
        {
            "effect": e,
            "sessionsPerWeek": k,
            **measure_applied(
                SyntheticApplied(
                    replace(
                        HEADLINE_APPLIED,
                        name="grid",
                        effect=e,
                        sessions_per_week=k,
                        helped_share=1.0,
                    )
                ),
                learners,
                rng(),
            )["helped"],
        }
        for e in grid_effects
        for k in APPLIED_GRID_SESSIONS
    ]
    applied_stress = [
        {"scenario": asdict(s), **measure_applied(SyntheticApplied(s), learners, rng())}
        for s in APPLIED_STRESS
    ]

    from benchmarks.insights_engine import APPLIED_WEEKS, APPLIED_WEEKS_PACKED

    simulator = [
        {
            "weeks": weeks,
            "episodes": label,
            **measure_applied(SimulatorApplied(weeks, seed * 10 + 5), learners, rng()),
        }
        for weeks, label in (
            (APPLIED_WEEKS, "at the burnout benchmark's rate (0–2 per learner over 10 weeks)"),
            (APPLIED_WEEKS_PACKED, "packed into the 3 weeks around applying (stress)"),
        )
    ]

    linked = measure_correlation(SyntheticCorrelation(HEADLINE_LINKED), learners, rng())
    unlinked = measure_correlation(SyntheticCorrelation(HEADLINE_UNLINKED), learners, rng())
    weeks_grid = CORRELATION_GRID_WEEKS[:3] if quick else CORRELATION_GRID_WEEKS
    corr_grid = [
        {
            "rho": r,
            "weeks": w,
            **measure_correlation(
                SyntheticCorrelation(replace(HEADLINE_LINKED, name="grid", rho=r, weeks=w)),
                learners,
                rng(),
            ),
        }
        for r in CORRELATION_GRID_RHO
        for w in weeks_grid
    ]
    corr_stress = [
        {"scenario": asdict(s), **measure_correlation(SyntheticCorrelation(s), learners, rng())}
        for s in CORRELATION_STRESS
    ]
    engine = run_engine(seed, quick)
    improved_helped = engine["applied"]["helped"]["IMPROVED"]
    improved_not = engine["applied"]["notHelped"]["IMPROVED"]
    found = engine["correlationLinked"]["positiveAndIntervalAbove0"]
    false_clear = engine["correlationUnlinked"]["clearEitherSide"]

    def target(rule: str, measured: float, n: int, met: bool) -> dict[str, Any]:
        return {
            "target": rule,
            "measured": measured,
            "learners": n,
            "simulationInterval95": wilson(measured, n),
            "met": met,
        }

    return {
        "benchmark": "insights_quality",
        "measuredAt": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "parameters": {
            "learnersPerScenario": learners,
            "seed": seed,
            "quick": quick,
            "evaluation": {
                "baselineDays": BASELINE_WINDOW_DAYS,
                "testDays": TEST_PERIOD_DAYS,
                "minObservationsPerWindow": MIN_OBSERVATIONS_PER_WINDOW,
                "rule": "IMPROVED when Welch's 95% interval of (test − baseline) lies above 0",
            },
            "correlation": {
                "minWeeks": MIN_WEEKS,
                "rule": "clear when p < 0.05 and the Fisher-z 95% interval excludes 0, both on "
                "Pyper & Peterman's effective number of weeks N* (≤ weeks)",
            },
            "source": "targets: engine cohorts (benchmarks.insights_engine); grids and stress: pure statistical simulation (SyntheticApplied, SyntheticCorrelation)",
        },
        "engine": engine,
        "applied": {
            "headline": {"scenario": asdict(HEADLINE_APPLIED), **headline},
            "nobodyHelped": null,
            "simulatorCohorts": simulator,
            "gridAllHelped": applied_grid,
            "stress": applied_stress,
        },
        "correlation": {
            "headlineLinked": {"scenario": asdict(HEADLINE_LINKED), **linked},
            "headlineUnlinked": {"scenario": asdict(HEADLINE_UNLINKED), **unlinked},
            "grid": corr_grid,
            "stress": corr_stress,
        },
        "targets": {
            "improvedWhenHelped": target(
                f">= {TARGET_IMPROVED_WHEN_HELPED}",
                improved_helped,
                engine["applied"]["helped"]["learners"],
                improved_helped >= TARGET_IMPROVED_WHEN_HELPED,
            ),
            "improvedWhenNotHelped": target(
                f"<= {TARGET_IMPROVED_WHEN_NOT}",
                improved_not,
                engine["applied"]["notHelped"]["learners"],
                improved_not <= TARGET_IMPROVED_WHEN_NOT,
            ),
            "linkFoundWhenLinked": target(
                f">= {TARGET_FOUND_WHEN_LINKED}",
                found,
                engine["correlationLinked"]["learners"],
                found >= TARGET_FOUND_WHEN_LINKED,
            ),
            "clearWhenUnlinked": target(
                f"<= {TARGET_CLEAR_WHEN_UNLINKED}",
                false_clear,
                engine["correlationUnlinked"]["learners"],
                false_clear <= TARGET_CLEAR_WHEN_UNLINKED,
            ),
            "goalProgressExact": {
                "target": "== recomputation from raw data, every value",
                "measured": engine["goals"]["mismatches"],
                "checked": engine["goals"]["historyValuesChecked"],
                "met": engine["goals"]["exact"],
            },
            "milestonesExactlyOnce": {
                "target": "every milestone notification once across a re-run",
                "measured": engine["goals"]["eventsNotifiedMoreThanOnce"],
                "notifications": engine["goals"]["milestoneNotifications"],
                "met": engine["goals"]["exactlyOnce"],
            },
        },
        "seconds": round(time.perf_counter() - started, 2),
    }


def wilson(share: float, n: int, z: float = 1.959964) -> list[float] | None:
    """Wilson 95% interval of a share measured on n simulated learners (the simulation's own noise)."""
    if n == 0:
        return None
    centre = (share + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(share * (1 - share) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return [round(float(centre - half), 4), round(float(centre + half), 4)]


def machine() -> dict[str, Any]:
    """What the figures were measured on (and how busy it was)."""
    cpu = platform.processor() or "unknown"
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
        "loadAverage1m": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
        "os": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
    }


def pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f}%"


def ci(t: dict[str, Any]) -> str:
    lo, hi = t["simulationInterval95"]
    return f"{pct(t['measured'])} [{pct(lo)}–{pct(hi)}]"


def report_table(result: dict[str, Any]) -> Table:
    """Targets and measured figures side by side, then the grids and stress scenarios."""
    table = Table(
        "measure", "target", "measured", "met", title="Insights quality (simulated cohorts)"
    )

    def row(name: str, target: str, value: str, ok: bool | None) -> None:
        table.add_row(
            name, target, value, "—" if ok is None else ("[green]yes[/]" if ok else "[red]no[/]")
        )

    t = result["targets"]
    a, c = result["applied"], result["correlation"]
    e = result["engine"]
    ea = e["applied"]
    row(
        "engine: IMPROVED when following truly helps",
        f"≥ {TARGET_IMPROVED_WHEN_HELPED:.0%}",
        f"{ci(t['improvedWhenHelped'])} (score {ea['helped']['meanScoreChange']:+.1f})",
        t["improvedWhenHelped"]["met"],
    )
    row(
        "engine: IMPROVED when it truly does nothing",
        f"≤ {TARGET_IMPROVED_WHEN_NOT:.0%}",
        f"{ci(t['improvedWhenNotHelped'])} (score {ea['notHelped']['meanScoreChange']:+.1f})",
        t["improvedWhenNotHelped"]["met"],
    )
    cal = ea.get("calibration", {})
    if cal.get("ratio") is not None:
        row(
            "engine: spread of the change where it does nothing / the SE claimed",
            "≈ 1 if calibrated",
            f"{cal['ratio']:.2f} (sd {cal['notHelpedChangeSd']:.1f} vs SE {cal['notHelpedRmsStandardError']:.1f})",
            None,
        )
    for sc in a.get("simulatorCohorts", []):
        row(
            f"generator, no database, {sc['weeks']} weeks: IMPROVED helped / not helped",
            "",
            f"{pct(sc['helped']['IMPROVED'])} of {sc['helped']['learners']} / "
            f"{pct(sc['notHelped']['IMPROVED'])} of {sc['notHelped']['learners']} "
            f"(episodes {sc['episodes']})",
            None,
        )
    g = e["goals"]
    row(
        "engine: goal progress = recomputation from raw data",
        "exact",
        f"{g['mismatches']} mismatches in {g['historyValuesChecked']} values ({g['goals']} goals)",
        t["goalProgressExact"]["met"],
    )
    row(
        "engine: milestone notifications across a re-run",
        "once each",
        f"{g['milestoneNotifications']} notifications, {g['eventsNotifiedMoreThanOnce']} repeated",
        t["milestonesExactlyOnce"]["met"],
    )
    row(
        "statistics: IMPROVED when helped (+10, 8/wk)",
        "",
        pct(a["headline"]["helped"]["IMPROVED"]),
        None,
    )
    row(
        "statistics: IMPROVED when it does nothing",
        "",
        pct(a["nobodyHelped"]["notHelped"]["IMPROVED"]),
        None,
    )
    for g in a["gridAllHelped"]:
        row(
            f"  … helped +{g['effect']:g} points, {g['sessionsPerWeek']:g} sessions/week",
            "",
            pct(g["IMPROVED"]),
            None,
        )
    for s in a["stress"]:
        name = s["scenario"]["name"]
        helped, nothelped = s["helped"], s["notHelped"]
        value = (f"IMPROVED {pct(helped['IMPROVED'])} of helped" if helped["learners"] else "") + (
            f"; {pct(nothelped['IMPROVED'])} of not helped" if nothelped["learners"] else ""
        )
        row(f"  stress: {name}", "", value.lstrip("; "), None)
    row(
        "engine: r > 0 and interval above 0, linked (16 wk)",
        f"≥ {TARGET_FOUND_WHEN_LINKED:.0%}",
        f"{ci(t['linkFoundWhenLinked'])} (median r {e['correlationLinked']['medianR']:.2f})",
        t["linkFoundWhenLinked"]["met"],
    )
    row(
        "engine: clear link when unlinked (16 wk)",
        f"≤ {TARGET_CLEAR_WHEN_UNLINKED:.0%}",
        ci(t["clearWhenUnlinked"]),
        t["clearWhenUnlinked"]["met"],
    )
    row(
        "statistics: found when linked (ρ 0.7, 16 wk)",
        "",
        pct(c["headlineLinked"]["positiveAndIntervalAbove0"]),
        None,
    )
    row(
        "statistics: clear when unlinked (16 wk)",
        "",
        pct(c["headlineUnlinked"]["clearEitherSide"]),
        None,
    )
    for g in c["grid"]:
        label = "clear" if g["rho"] == 0 else "found"
        value = g["clearEitherSide"] if g["rho"] == 0 else g["positiveAndIntervalAbove0"]
        row(f"  … ρ = {g['rho']:g}, {g['weeks']} weeks ({label})", "", pct(value), None)
    for s in c["stress"]:
        row(f"  stress: {s['scenario']['name']} (clear)", "", pct(s["clearEitherSide"]), None)
    p = result["parameters"]
    table.caption = (
        f"engine cohorts: {e['applied']['helped']['learners'] + e['applied']['notHelped']['learners']} "
        f"applied, {e['goals']['learners']} with goals, {e['correlationLinked']['learners']} linked + "
        f"{e['correlationUnlinked']['learners']} unlinked for the correlation "
        f"({e['seconds']:.0f} s); statistics: "
        f"{p['learnersPerScenario']} simulated learners per scenario, seed {p['seed']}; "
        f"{result['seconds']:.1f} s; load average {result['machine']['loadAverage1m']}; "
        "\\[brackets]: 95% interval of the simulation's own noise"
    )
    return table


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"{QUICK_LEARNERS} learners per scenario, smaller grids",
    )
    parser.add_argument("--learners", type=int, default=None)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    learners = args.learners or (QUICK_LEARNERS if args.quick else FULL_LEARNERS)
    result = run(learners, args.seed, args.quick)
    console.print(report_table(result))
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / ("insights_quality_quick.json" if args.quick else "insights_quality.json")
    path.write_text(json.dumps(result, indent=2) + "\n")
    console.print(f"wrote {path}")


if __name__ == "__main__":
    main()
