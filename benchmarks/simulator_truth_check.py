"""Does the engine recover the simulator's hidden truth? Recovery rates against targets.

    python -m benchmarks.simulator_truth_check --learners 200 --weeks 12 --seed 7 [--workers N]

Generates learners in memory (:mod:`twin.simulate.generate`, no database), maps each
learner's rows to the analyses' value objects (:mod:`twin.simulate.truth_adapter`), runs
:func:`twin.analysis.patterns.profile.analyze_learner`, scores every session with
:func:`twin.analysis.cognitive.load.compute_cognitive_load` (optimal length = the
profile's optimal duration), assesses burnout risk every local day from the 14th
(:func:`twin.analysis.cognitive.burnout.assess_burnout_risk`), and compares with the
traits in ``simulation_truth``. Prints one table of recovery rates vs targets, plus the
simulator's realism figures (accuracy, AGAIN share, loads), and optionally writes JSON.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table
from scipy import stats

from twin.analysis.cognitive.burnout import assess_burnout_risk
from twin.analysis.patterns.content import analyze_content, content_from_sessions
from twin.analysis.patterns.profile import analyze_learner
from twin.analysis.patterns.session_duration import DURATION_BUCKETS
from twin.enums import BurnoutRiskLevel
from twin.simulate.generate import DEFAULT_START, generate_cohort_learner
from twin.simulate.traits import SESSION_BUCKETS
from twin.simulate.truth_adapter import adapt_learner, mission_days, session_loads

HOURS_PER_DAY = 24
HOUR_TOLERANCE = 1
FAR_FROM_PEAK_HOURS = 3
K_TOLERANCE = 0.25
BURNOUT_DETECTION_DAYS = 7
BURNOUT_WINDOW_DAYS = 14
AT_RISK = frozenset({BurnoutRiskLevel.HIGH, BurnoutRiskLevel.CRITICAL})
STRUGGLE_ACCURACY_BELOW = 0.65  # ENGINE 5.2 outcome rule
STRUGGLE_AGAIN_AT_LEAST = 3
STRUGGLE_VALIDATION_BELOW = 0.6
HIGH_LOAD_ABOVE = 60.0
CALM_LOAD_BELOW = 50.0

# (key, label, target: "≥ x" / "≤ x" / "< x", or "info" when there is no target)
TARGETS: tuple[tuple[str, str, str], ...] = (
    ("optimal_hour", "optimal hour within ±1 h (learners with a peak)", "≥ 0.90"),
    ("no_hour", "no optimal hour (learners without a peak)", "≥ 0.90"),
    ("best_bucket", "best session-length bucket", "≥ 0.85"),
    ("dominant_content", "dominant content type", "≥ 0.90"),
    ("dominant_content_fallback", "  same, sessions' content mix (analysis fallback)", "info"),
    ("k_within", "forgetting rate k within ±25%", "≥ 0.90"),
    ("burnout_detected", "episodes HIGH/CRITICAL within 7 days of onset", "≥ 0.80"),
    ("burnout_detected_overload", "  overload episodes", "≥ 0.80"),
    ("burnout_detected_burnout", "  burnout episodes", "≥ 0.80"),
    ("false_alarm", "no-episode learners ever HIGH/CRITICAL", "≤ 0.10"),
    ("load_spearman", "Spearman(computed load, hidden load), sessions", "≥ 0.60"),
    ("struggle_accuracy", "struggle objectives: mean session accuracy", "< 0.65"),
    ("normal_accuracy", "normal objectives: mean session accuracy", "≥ 0.75"),
    ("struggle_flagged", "  struggle (session, objective) pairs flagged (5.2 rule)", "info"),
    ("normal_flagged", "  normal (session, objective) pairs flagged (5.2 rule)", "info"),
)
REALISM: tuple[tuple[str, str, str], ...] = (
    ("accuracy", "overall recall (rating ≠ AGAIN)", "≈ 0.80"),
    ("recall_1d", "recall of reviews ≥ 1 day apart", "≈ 0.79"),
    ("again_normal", "AGAIN share, sessions outside episodes", "0.10–0.20"),
    ("again_normal_median_session", "  median over those sessions", "0.10–0.20"),
    ("again_overload", "AGAIN share, overload-phase sessions", "0.30–0.45"),
    ("sessions_per_learner", "sessions per learner (mean)", "≥ 100"),
    ("sessions_near_peak", "  of which within ±1 h of the peak (learners with one)", "enough"),
    ("sessions_far_from_peak", "  of which ≥ 3 h from the peak", "enough"),
    ("load_overload_days_high", "overload-phase study days with mean load > 60", "most"),
    ("load_calm_days_low", "no-episode learners' study days with load < 50", "most"),
    ("hours_ratio_overload", "study hours/day, overload phase ÷ outside episodes", "1.6–2.0"),
    ("latency_ratio_overload", "median latency, overload phase ÷ outside", "1.4–1.8"),
    ("skip_ratio_withdrawal", "skipped-mission share, burnout withdrawal ÷ outside", "≫ 1"),
)


def _target_met(value: float | None, target: str) -> bool | None:
    if value is None or math.isnan(value) or " " not in target:
        return None
    op, number = target.split()
    bound = float(number)
    return {"≥": value >= bound, "≤": value <= bound, "<": value < bound, ">": value > bound}[op]


@dataclass
class LearnerOutcome:
    """What one learner contributes to the recovery rates."""

    has_peak: bool
    optimal_hour_hit: bool
    any_hour: bool
    bucket_hit: bool | None
    content_hit: bool | None
    content_fallback_hit: bool | None
    k_hit: bool | None
    k_ratio: float | None
    episodes: list[tuple[str, bool]]
    ever_at_risk: bool
    computed_loads: list[float]
    hidden_loads: list[float]
    struggle_acc: list[float]
    normal_acc: list[float]
    struggle_flags: list[bool]
    normal_flags: list[bool]
    sessions: int
    reviews: int
    recalled: int
    reviews_1d: int
    recalled_1d: int
    again_normal: tuple[int, int]
    again_session_shares: list[float]
    sessions_near_peak: int | None
    sessions_far_from_peak: int | None
    again_overload: tuple[int, int]
    overload_day_loads: list[float]
    calm_day_loads: list[float]
    minutes_in: tuple[float, int]
    minutes_out: tuple[float, int]
    latency_in: list[float]
    latency_out: list[float]
    skips_withdrawal: tuple[int, int]
    skips_out: tuple[int, int]
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def _circular_hours(a: int, b: int) -> int:
    d = abs(a - b) % HOURS_PER_DAY
    return min(d, HOURS_PER_DAY - d)


def evaluate_learner(seed: int, index: int, weeks: int, start: date) -> LearnerOutcome:
    """Generate one learner, run the analyses, and compare with the truth."""
    began = time.perf_counter()
    data = generate_cohort_learner(seed, index, start, weeks)
    truth = data.truth
    adapted = adapt_learner(data)
    analysis = analyze_learner(adapted.patterns_input)

    peak = truth["chronotype"]["peakHourLocal"]
    optimal = analysis.study_time.optimal
    hour_hit = (
        bool(optimal)
        and peak is not None
        and _circular_hours(optimal[0].hour, peak) <= HOUR_TOLERANCE
    )

    bucket_hit = None
    if analysis.duration.best is not None:
        true_bucket = [b[0] for b in SESSION_BUCKETS].index(truth["bestSessionBucket"])
        found = [b[0] for b in DURATION_BUCKETS].index(analysis.duration.best.bucket_id)
        bucket_hit = found == true_bucket
    content_hit = None
    if analysis.content is not None and analysis.content.dominant_type is not None:
        content_hit = analysis.content.dominant_type == truth["dominantContentType"]
    fallback = analyze_content(content_from_sessions(adapted.patterns_input.sessions_sorted()))
    content_fallback_hit = (
        fallback.dominant_type == truth["dominantContentType"] if fallback.dominant_type else None
    )
    k_hit = k_ratio = None
    # The classic family's k is the ENGINE exponential's (the learner-facing new-card curve
    # anchors R0 at 1; benchmarks.twin_quality compares both).
    if analysis.forgetting.exponential.fitted:
        k_ratio = analysis.forgetting.exponential.decay_per_day / truth["forgettingRateK"]
        k_hit = abs(k_ratio - 1) <= K_TOLERANCE

    optimal_minutes = (
        float(analysis.duration.optimal_minutes)
        if analysis.duration.detected and analysis.duration.optimal_minutes
        else None
    )
    loads = session_loads(adapted, optimal_minutes)
    missions = mission_days(data, adapted.timezone)
    days = adapted.daily_aggregates(loads, missions)
    window_start = date.fromisoformat(truth["window"]["startDate"])
    n_days = weeks * 7
    at_risk: dict[date, bool] = {}
    for k in range(BURNOUT_WINDOW_DAYS - 1, n_days):
        d = window_start + timedelta(days=k)
        at_risk[d] = (
            assess_burnout_risk(days, d, history_start=window_start, reference=days).level
            in AT_RISK
        )
    episodes = []
    episode_days: dict[date, str] = {}
    withdrawal_days: set[date] = set()
    for e in truth["episodes"]:
        onset = date.fromisoformat(e["onsetDate"])
        end = date.fromisoformat(e["endDate"])
        detected = any(
            at_risk.get(onset + timedelta(days=j), False) for j in range(BURNOUT_DETECTION_DAYS + 1)
        )
        episodes.append((e["kind"], detected))
        overload_end = date.fromisoformat(e.get("overloadEndDate", e["endDate"]))
        for j in range((end - onset).days + 1):
            d = onset + timedelta(days=j)
            episode_days[d] = "overload" if d <= overload_end else "withdrawal"
            if d > overload_end:
                withdrawal_days.add(d)
    ever = any(at_risk.values())

    hidden = truth.get("sessionHiddenLoad")
    computed: list[float] = []
    hidden_loads: list[float] = []
    if hidden is not None:
        for s, load in zip(adapted.sessions, loads, strict=True):
            computed.append(load.load_score)
            hidden_loads.append(float(hidden[s.index]))

    # Struggle: per (session, objective) accuracy and ENGINE's outcome rule.
    cards = data.table("cards")
    objective_of = dict(zip(cards.column("id"), cards.column("objectiveId"), strict=True))
    reviews = data.table("reviews")
    pair_reviews: dict[tuple[str, str], list[bool]] = {}
    for card, session, rating in zip(
        reviews.column("cardId"), reviews.column("sessionId"), reviews.column("rating"), strict=True
    ):
        pair_reviews.setdefault((session, objective_of[card]), []).append(rating != "AGAIN")
    validations = data.table("validation_responses")
    pair_validation: dict[tuple[str, str], list[float]] = {}
    for session, objective, score in zip(
        validations.column("sessionId"),
        validations.column("objectiveId"),
        np.asarray(validations.column("score")).tolist(),
        strict=True,
    ):
        pair_validation.setdefault((session, objective), []).append(float(score))
    struggle_ids = set(truth["struggleObjectiveIds"])
    struggle_acc: list[float] = []
    normal_acc: list[float] = []
    struggle_flags: list[bool] = []
    normal_flags: list[bool] = []
    for pair in set(pair_reviews) | set(pair_validation):
        correct = pair_reviews.get(pair, [])
        scores = pair_validation.get(pair, [])
        acc = sum(correct) / len(correct) if correct else None
        flagged = (
            (acc is not None and acc < STRUGGLE_ACCURACY_BELOW)
            or (len(correct) - sum(correct)) >= STRUGGLE_AGAIN_AT_LEAST
            or (bool(scores) and float(np.mean(scores)) < STRUGGLE_VALIDATION_BELOW)
        )
        is_struggle = pair[1] in struggle_ids
        if acc is not None:
            (struggle_acc if is_struggle else normal_acc).append(acc)
        (struggle_flags if is_struggle else normal_flags).append(flagged)

    # Realism figures.
    ratings = list(reviews.column("rating"))
    recalled = sum(r != "AGAIN" for r in ratings)
    reviews_1d = recalled_1d = 0
    for r in adapted.patterns_input.reviews:
        if r.elapsed_days >= 1.0:
            reviews_1d += 1
            recalled_1d += r.recalled
    again_n = [0, 0]
    again_shares: list[float] = []
    again_o = [0, 0]
    minutes_in = [0.0, 0]
    minutes_out = [0.0, 0]
    latency_in: list[float] = []
    latency_out: list[float] = []
    for s in adapted.sessions:
        phase = episode_days.get(s.started_local.date())
        n_again = sum(r == "AGAIN" for r in s.review_ratings)
        if phase is None:
            again_n[0] += n_again
            again_n[1] += len(s.review_ratings)
            if s.review_ratings:
                again_shares.append(n_again / len(s.review_ratings))
            latency_out.extend(s.review_latency_ms)
        elif phase == "overload":
            again_o[0] += n_again
            again_o[1] += len(s.review_ratings)
            latency_in.extend(s.review_latency_ms)
    near = far = None
    if peak is not None:
        distances = [_circular_hours(s.started_local.hour, peak) for s in adapted.sessions]
        near = sum(d <= HOUR_TOLERANCE for d in distances)
        far = sum(d >= FAR_FROM_PEAK_HOURS for d in distances)
    study_minutes = {d.day: d.study_minutes for d in days}
    for k in range(n_days):
        d = window_start + timedelta(days=k)
        phase = episode_days.get(d)
        if phase == "overload":
            minutes_in[0] += study_minutes.get(d, 0.0)
            minutes_in[1] += 1
        elif phase is None:
            minutes_out[0] += study_minutes.get(d, 0.0)
            minutes_out[1] += 1
    overload_day_loads = [
        d.mean_load
        for d in days
        if d.mean_load is not None and episode_days.get(d.day) == "overload"
    ]
    calm_day_loads = (
        [d.mean_load for d in days if d.mean_load is not None] if not truth["episodes"] else []
    )
    skips_w = [0, 0]
    skips_o = [0, 0]
    for d, status in missions:
        if status == "PENDING":
            continue
        target = skips_w if d in withdrawal_days else skips_o if d not in episode_days else None
        if target is not None:
            target[0] += status == "SKIPPED"
            target[1] += 1
    return LearnerOutcome(
        has_peak=peak is not None,
        optimal_hour_hit=hour_hit,
        any_hour=bool(optimal),
        bucket_hit=bucket_hit,
        content_hit=content_hit,
        content_fallback_hit=content_fallback_hit,
        k_hit=k_hit,
        k_ratio=k_ratio,
        episodes=episodes,
        ever_at_risk=ever,
        computed_loads=computed,
        hidden_loads=hidden_loads,
        struggle_acc=struggle_acc,
        normal_acc=normal_acc,
        struggle_flags=struggle_flags,
        normal_flags=normal_flags,
        sessions=len(adapted.sessions),
        reviews=len(ratings),
        recalled=recalled,
        reviews_1d=reviews_1d,
        recalled_1d=recalled_1d,
        again_normal=(again_n[0], again_n[1]),
        again_session_shares=again_shares,
        sessions_near_peak=near,
        sessions_far_from_peak=far,
        again_overload=(again_o[0], again_o[1]),
        overload_day_loads=[float(x) for x in overload_day_loads if x is not None],
        calm_day_loads=[float(x) for x in calm_day_loads if x is not None],
        minutes_in=(minutes_in[0], int(minutes_in[1])),
        minutes_out=(minutes_out[0], int(minutes_out[1])),
        latency_in=[x for x in latency_in if math.isfinite(x)],
        latency_out=[x for x in latency_out if math.isfinite(x)],
        skips_withdrawal=(skips_w[0], skips_w[1]),
        skips_out=(skips_o[0], skips_o[1]),
        seconds=time.perf_counter() - began,
    )


def _rate(values: Iterable[bool | None]) -> tuple[float | None, int]:
    known = [bool(v) for v in values if v is not None]
    return (float(np.mean(known)) if known else None, len(known))


def _ratio(pairs: Iterable[tuple[float, int]]) -> float | None:
    num = den = 0.0
    for a, b in pairs:
        num += a
        den += b
    return num / den if den else None


def summarise(outcomes: list[LearnerOutcome]) -> dict[str, dict[str, Any]]:
    """Recovery rates and realism figures with their sample sizes."""
    out: dict[str, dict[str, Any]] = {}

    def put(key: str, value: float | None, n: int) -> None:
        out[key] = {"value": value, "n": n}

    put(*(("optimal_hour", *_rate(o.optimal_hour_hit for o in outcomes if o.has_peak))))
    put(*(("no_hour", *_rate(not o.any_hour for o in outcomes if not o.has_peak))))
    put(*(("best_bucket", *_rate(o.bucket_hit for o in outcomes))))
    put(*(("dominant_content", *_rate(o.content_hit for o in outcomes))))
    put("dominant_content_fallback", *_rate(o.content_fallback_hit for o in outcomes))
    put(*(("k_within", *_rate(o.k_hit for o in outcomes))))
    all_eps = [hit for o in outcomes for _kind, hit in o.episodes]
    put("burnout_detected", *_rate(all_eps))
    for kind in ("overload", "burnout"):
        put(
            f"burnout_detected_{kind}",
            *_rate(h for o in outcomes for k, h in o.episodes if k == kind),
        )
    put(*(("false_alarm", *_rate(o.ever_at_risk for o in outcomes if not o.episodes))))
    computed = [x for o in outcomes for x in o.computed_loads]
    hidden = [x for o in outcomes for x in o.hidden_loads]
    if len(computed) >= 3:
        rho = float(stats.spearmanr(computed, hidden).statistic)
        put("load_spearman", rho, len(computed))
    else:
        put("load_spearman", None, 0)
    s_acc = [x for o in outcomes for x in o.struggle_acc]
    n_acc = [x for o in outcomes for x in o.normal_acc]
    put("struggle_accuracy", float(np.mean(s_acc)) if s_acc else None, len(s_acc))
    put("normal_accuracy", float(np.mean(n_acc)) if n_acc else None, len(n_acc))
    put("struggle_flagged", *_rate(f for o in outcomes for f in o.struggle_flags))
    put("normal_flagged", *_rate(f for o in outcomes for f in o.normal_flags))

    reviews = sum(o.reviews for o in outcomes)
    put("accuracy", sum(o.recalled for o in outcomes) / reviews if reviews else None, reviews)
    r1 = sum(o.reviews_1d for o in outcomes)
    put("recall_1d", sum(o.recalled_1d for o in outcomes) / r1 if r1 else None, r1)
    put(
        "again_normal",
        _ratio(o.again_normal for o in outcomes),
        sum(o.again_normal[1] for o in outcomes),
    )
    put(
        "again_overload",
        _ratio(o.again_overload for o in outcomes),
        sum(o.again_overload[1] for o in outcomes),
    )
    shares = [x for o in outcomes for x in o.again_session_shares]
    put("again_normal_median_session", float(np.median(shares)) if shares else None, len(shares))
    put("sessions_per_learner", float(np.mean([o.sessions for o in outcomes])), len(outcomes))
    near = [o.sessions_near_peak for o in outcomes if o.sessions_near_peak is not None]
    far = [o.sessions_far_from_peak for o in outcomes if o.sessions_far_from_peak is not None]
    put("sessions_near_peak", float(np.mean(near)) if near else None, len(near))
    put("sessions_far_from_peak", float(np.mean(far)) if far else None, len(far))
    od = [x for o in outcomes for x in o.overload_day_loads]
    put(
        "load_overload_days_high",
        float(np.mean(np.asarray(od) > HIGH_LOAD_ABOVE)) if od else None,
        len(od),
    )
    cd = [x for o in outcomes for x in o.calm_day_loads]
    put(
        "load_calm_days_low",
        float(np.mean(np.asarray(cd) < CALM_LOAD_BELOW)) if cd else None,
        len(cd),
    )
    per_day_in = _ratio(o.minutes_in for o in outcomes)
    per_day_out = _ratio(o.minutes_out for o in outcomes)
    put(
        "hours_ratio_overload",
        per_day_in / per_day_out if per_day_in and per_day_out else None,
        sum(o.minutes_in[1] for o in outcomes),
    )
    lat_in = [x for o in outcomes for x in o.latency_in]
    lat_out = [x for o in outcomes for x in o.latency_out]
    put(
        "latency_ratio_overload",
        float(np.median(lat_in) / np.median(lat_out)) if lat_in and lat_out else None,
        len(lat_in),
    )
    sw = _ratio(o.skips_withdrawal for o in outcomes)
    so = _ratio(o.skips_out for o in outcomes)
    put(
        "skip_ratio_withdrawal",
        sw / so if sw is not None and so else None,
        sum(o.skips_withdrawal[1] for o in outcomes),
    )
    return out


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def print_report(summary: dict[str, dict[str, Any]], console: Console, title: str) -> None:
    """The recovery table and the realism table."""
    table = Table("measure", "value", "n", "target", "met", title=title)
    for key, label, target in TARGETS:
        entry = summary[key]
        met = _target_met(entry["value"], target)
        mark = "—" if met is None else ("[green]yes[/]" if met else "[red]no[/]")
        table.add_row(label, _fmt(entry["value"]), str(entry["n"]), target, mark)
    console.print(table)
    realism = Table(
        "simulator realism", "value", "n", "aim", title="behaviour of the simulated data"
    )
    for key, label, aim in REALISM:
        entry = summary[key]
        realism.add_row(label, _fmt(entry["value"]), str(entry["n"]), aim)
    console.print(realism)


def run(learners: int, weeks: int, seed: int, workers: int, start: date) -> list[LearnerOutcome]:
    """Evaluate learners 0 … learners−1 of ``seed`` (in ``workers`` processes; 0 = inline)."""
    if workers <= 0:
        return [evaluate_learner(seed, i, weeks, start) for i in range(learners)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(evaluate_learner, seed, i, weeks, start) for i in range(learners)]
        return [f.result() for f in futures]


def main() -> None:
    """Parse arguments, run the check, print the tables (and write JSON with ``--output``)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--weeks", type=int, default=12)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--start", type=date.fromisoformat, default=DEFAULT_START)
    parser.add_argument("--workers", type=int, default=0, help="processes (0 = inline)")
    parser.add_argument("--output", type=Path, default=None, help="write the summary as JSON")
    args = parser.parse_args()
    began = time.perf_counter()
    outcomes = run(args.learners, args.weeks, args.seed, args.workers, args.start)
    summary = summarise(outcomes)
    console = Console()
    title = f"seed {args.seed}: {args.learners} learners × {args.weeks} weeks — recovery of hidden truth"
    print_report(summary, console, title)
    console.print(f"{time.perf_counter() - began:.1f} s")
    if args.output is not None:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        result = {
            "command": "python -m benchmarks.simulator_truth_check "
            f"--learners {args.learners} --weeks {args.weeks} --seed {args.seed}",
            "summary": summary,
            "targets": {k: t for k, _l, t in TARGETS},
            "kRatios": [o.k_ratio for o in outcomes],
        }
        args.output.write_text(json.dumps(result, indent=2, default=str) + "\n")
        console.print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
