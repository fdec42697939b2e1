"""Issue 14's targets on the srs family without the database: recovery of known truth.

    python -m benchmarks.srs_recovery --learners 200 --weeks 12 --seed 4242 [--output FILE]

Generates srs learners in memory (:mod:`twin.simulate.srs_family`), maps their rows to the
analyses' value objects (:mod:`twin.simulate.truth_adapter`), runs the pattern analysis
once at the end of the window and burnout every local day from the 14th (the daily job's
rhythm; the load's optimal length is the learner's detected one), and compares with the
hidden truth: forgetting pairs (the learner-facing curve and the ENGINE exponential),
optimal hours of learners with a bump or plateau, no hour and no peak without an hour
effect, sustained overloads HIGH+ within 7 days of their third week, learners without
episodes ever HIGH+. The same path as ``tests/simulate/test_srs_recovery.py``; the
services' figures on the database are ``benchmarks.twin_quality`` and
``benchmarks.cognitive_quality``.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import repeat
from pathlib import Path
from typing import Any

import numpy as np

from twin.analysis.cognitive.burnout import WINDOW_DAYS, assess_burnout_risk
from twin.analysis.patterns.profile import TwinAnalysis, analyze_learner
from twin.enums import BurnoutRiskLevel
from twin.simulate.generate import DEFAULT_START
from twin.simulate.srs_family import SUSTAINED_THIRD_WEEK_DAYS, generate_srs_learner
from twin.simulate.truth_adapter import adapt_learner, mission_days, session_loads

HOURS_PER_DAY = 24
PAIR_MIN_TRUE_RATIO = 2.0
PAIR_RATIO_TOLERANCE = 2.0
PEAK_TOLERANCE_HOURS = 1
# "Within 7 days of its third week": a HIGH+ day from the onset to onset + 14 + 7, as
# benchmarks.cognitive_quality counts it.
SUSTAINED_DETECTION_DAYS = SUSTAINED_THIRD_WEEK_DAYS + 7
AT_RISK = frozenset({BurnoutRiskLevel.HIGH, BurnoutRiskLevel.CRITICAL})
TARGETS = {
    "pairsOrdered": 0.90,
    "pairRatioWithin2x": 0.80,
    "optimalHourWithin1h": 0.90,
    "noHourNoPeakWithoutEffect": 0.90,
    "sustainedDetected": 0.90,
    "falseAlarmMax": 0.10,
}


@dataclass(frozen=True)
class Evaluated:
    """One learner's hidden truth, the twin's analysis, and the days assessed HIGH or worse."""

    truth: dict[str, Any]
    analysis: TwinAnalysis
    at_risk_days: frozenset[date]


def evaluate(seed: int, index: int, weeks: int) -> Evaluated:
    """Generate one srs learner, analyse it, assess burnout on every day from the 14th."""
    data = generate_srs_learner(seed, index, DEFAULT_START, weeks)
    adapted = adapt_learner(data)
    analysis = analyze_learner(adapted.patterns_input)
    duration = analysis.duration
    # The load's optimal length is the learner's detected one, as the service reads it.
    optimal = (
        float(duration.optimal_minutes) if duration.detected and duration.optimal_minutes else None
    )
    days = adapted.daily_aggregates(
        session_loads(adapted, optimal), mission_days(data, adapted.timezone)
    )
    first = date.fromisoformat(data.truth["window"]["startDate"])
    at_risk = frozenset(
        day
        for k in range(WINDOW_DAYS - 1, weeks * 7)
        if assess_burnout_risk(
            days, day := first + timedelta(days=k), history_start=first, reference=days
        ).level
        in AT_RISK
    )
    return Evaluated(data.truth, analysis, at_risk)


def evaluate_cohort(
    seed: int, learners: int, weeks: int, processes: int | None = None
) -> list[Evaluated]:
    """:func:`evaluate` for learners ``0 … learners − 1``, in index order, over worker processes.

    Each learner depends on (seed, index) alone, so the split changes only the wall time.
    ``processes``: default one per CPU; 1 (or no ``fork`` on this platform) runs them here.
    """
    workers = min(learners, processes or os.cpu_count() or 1)
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return [evaluate(seed, i, weeks) for i in range(learners)]
    # fork: the workers start with every module already imported (spawn would import them again).
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        chunk = max(1, learners // (4 * workers))
        return list(
            pool.map(evaluate, repeat(seed), range(learners), repeat(weeks), chunksize=chunk)
        )


def pairs(true_k: list[float], reported_k: list[float]) -> dict[str, Any]:
    """Pairs whose true k differs ≥ 2×: how many, share ordered, share with the ratio within 2×.

    The half-life ratio of two exponentials is the inverse ratio of their k.
    """
    ordered: list[bool] = []
    within: list[bool] = []
    for i in range(len(true_k)):
        for j in range(i + 1, len(true_k)):
            truth = true_k[i] / true_k[j]
            if max(truth, 1 / truth) < PAIR_MIN_TRUE_RATIO:
                continue
            reported = reported_k[i] / reported_k[j]
            ordered.append((reported > 1) == (truth > 1))
            within.append(abs(math.log(reported / truth)) <= math.log(PAIR_RATIO_TOLERANCE))
    return {
        "pairs": len(ordered),
        "ordered": float(np.mean(ordered)) if ordered else None,
        "ratioWithin2x": float(np.mean(within)) if within else None,
    }


def _hour_distance(a: int, b: int) -> int:
    d = abs(a - b) % HOURS_PER_DAY
    return min(d, HOURS_PER_DAY - d)


def _share(hits: list[bool]) -> dict[str, Any]:
    return {"n": len(hits), "hits": sum(hits), "share": float(np.mean(hits)) if hits else None}


def figures(cohort: list[Evaluated]) -> dict[str, Any]:
    """Every issue-14 figure of a cohort."""
    fitted = [e for e in cohort if e.analysis.forgetting.curve.fitted]
    both = [e for e in fitted if e.analysis.forgetting.exponential.fitted]
    flat = [e for e in cohort if e.truth["hourEffect"]["kind"] == "none"]
    shaped = [e for e in cohort if e.truth["hourEffect"]["kind"] != "none"]
    peak_hits = []
    for e in shaped:
        optimal = e.analysis.study_time.optimal
        hours = e.truth["hourEffect"]["peakHoursLocal"]
        peak_hits.append(
            bool(optimal)
            and min(_hour_distance(optimal[0].hour, h) for h in hours) <= PEAK_TOLERANCE_HOURS
        )
    detected: list[bool] = []
    calm: list[bool] = []
    for e in cohort:
        episodes = e.truth["episodes"]
        if not episodes:
            calm.append(bool(e.at_risk_days))
        for episode in episodes:
            if episode["kind"] == "sustained":
                onset = date.fromisoformat(episode["onsetDate"])
                detected.append(
                    any(0 <= (d - onset).days <= SUSTAINED_DETECTION_DAYS for d in e.at_risk_days)
                )
    return {
        "learners": len(cohort),
        "curveFitted": len(fitted),
        "forgettingPairs": {
            "learnerFacingCurve": pairs(
                [float(e.truth["forgettingRateK"]) for e in fitted],
                [e.analysis.forgetting.curve.decay_per_day for e in fitted],
            ),
            "exponentialBaseline": pairs(
                [float(e.truth["forgettingRateK"]) for e in both],
                [e.analysis.forgetting.exponential.decay_per_day for e in both],
            ),
        },
        "optimalHourWithin1h": _share(peak_hits),
        "noHourNoPeakWithoutEffect": _share(
            [not e.analysis.study_time.optimal and not e.analysis.peaks.peaks for e in flat]
        ),
        "sustainedDetected": _share(detected),
        "falseAlarm": _share(calm),
    }


def main() -> None:
    """Run one seed, print the figures (and write JSON with ``--output``)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--weeks", type=int, default=12)
    parser.add_argument("--seed", type=int, default=4242)
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args()
    began = time.perf_counter()
    cohort = evaluate_cohort(args.seed, args.learners, args.weeks)
    result = {
        "command": "python -m benchmarks.srs_recovery "
        f"--learners {args.learners} --weeks {args.weeks} --seed {args.seed}",
        "seconds": round(time.perf_counter() - began, 1),
        "targets": TARGETS,
        "figures": figures(cohort),
    }
    text = json.dumps(result, indent=2)
    print(text)
    if args.output is not None:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text + "\n")


if __name__ == "__main__":
    main()
