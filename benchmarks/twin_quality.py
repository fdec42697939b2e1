"""Quality of the learner's twin (ENGINE.md 5.1): real recall data, simulated ground truth, speed.

    python -m benchmarks.twin_quality [--learners 250] [--weeks 12] [--seed 5101]
        [--srs-learners 250] [--srs-seed 14014] [--families classic,srs]
        [--speed-learners 1000] [--speed-weeks 20] [--data-dir DIR]
        [--skip-real] [--skip-speed] [--output PATH]

(a) **Real data**: the recall predictors of :mod:`benchmarks.recall_quality` on the real
    review log (engine vs FSRS-6 defaults vs constant/running mean, one run, no peeking).
(b) **Simulated learners**: a cohort generated with :mod:`twin.simulate` is loaded into a
    fresh embedded database (a temporary data directory, or ``--data-dir``; with
    ``TWIN_DATABASE_URL`` set, into that database), the pattern service analyses every
    learner as of the end of the window (``analyze_user``: SQL loading, analysis, writes)
    and its results are compared with ``simulation_truth``: optimal hour within ±1 h of
    the true peak, no optimal hour (and no performance peak) for learners without a peak,
    the true best session bucket, the dominant content type, the forgetting rate k within
    ±25%, and — for pairs of learners whose true memory differs ≥ 2× — how often the
    learner-facing forgetting curve, the ENGINE exponential baseline and the fitted FSRS-6
    model (new-card stability) order the pair correctly and get the half-life ratio within
    2×. Both generative families side by side: ``classic`` (:mod:`twin.simulate.generate`,
    the analyses' own assumptions) and ``srs`` (:mod:`twin.simulate.srs_family`:
    spaced-repetition memory, sustained overload, additive hour effects) on its own
    held-out seed.
(c) **Speed**: the full analysis of one learner with about 3,000 reviews and 150 sessions
    (median of repeated runs, database work included), and the weekly job
    (:func:`twin.jobs.patterns.run_tick`) over ``--speed-learners`` such learners, once
    when every learner's recall model is fitted for the first time and once in the
    steady state (models current), as a deployment runs it: one worker process whose
    tick starts ``TICK_PROCESSES`` (2) analysis processes, their start-up included; and
    once more in the worker process alone on one thread, for comparison.

Prints the figures side by side with their targets and writes
``benchmarks/results/twin_quality.json`` with a description of the machine.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from rich.console import Console
from rich.table import Table

from twin.config import load_settings
from twin.db import migrate
from twin.db.embedded import EmbeddedPostgres
from twin.db.engine import Database, create_db_engine, open_database
from twin.jobs import patterns as weekly_job
from twin.services import patterns as patterns_service
from twin.services import recall as recall_service
from twin.services.learners import get_user
from twin.simulate.generate import DEFAULT_START
from twin.simulate.load import delete_seed, load_cohort

RESULTS_PATH = Path(__file__).resolve().parent / "results" / "twin_quality.json"

TARGET_PEAK_HOUR = 0.90
TARGET_NO_PEAK = 0.90
TARGET_BEST_BUCKET = 0.85
TARGET_DOMINANT_CONTENT = 0.90
TARGET_K_WITHIN = 0.90
K_TOLERANCE = 0.25
TARGET_PAIR_ORDER = 0.90
TARGET_PAIR_RATIO = 0.80
PAIR_MIN_TRUE_RATIO = 2.0
PAIR_RATIO_TOLERANCE = 2.0
RECALL_AT_STABILITY = 0.9
DEFAULT_SRS_SEED = 14014
FAMILY_ORDER = ("classic", "srs")
K_METRIC = "forgettingRateWithin25pct"
PEAK_TOLERANCE_HOURS = 1
TARGET_ANALYSIS_MS = 100.0
TARGET_WEEKLY_JOB_SECONDS = 60.0
TARGET_WEEKLY_JOB_LEARNERS = 1000
SPEED_REVIEWS = 3000
SPEED_SESSIONS = 150
SPEED_CANDIDATES = 40  # learners of the speed cohort searched for the ~3,000 / ~150 one
SPEED_REPEATS = 21
MEMORY_FIT_REPEATS = 5
# Simulator bucket labels (truth) → the analysis' bucket ids.
BUCKET_IDS = {
    "<30": "lt30",
    "30-40": "30-40",
    "40-50": "40-50",
    "50-60": "50-60",
    "60-90": "60-90",
    "90+": "90plus",
}
BUCKET_ORDER = list(BUCKET_IDS.values())
HOURS_PER_DAY = 24
SUNDAY = 6
WEEKLY_HOUR_UTC = 23


# --- set-up ----------------------------------------------------------------------------------


@contextmanager
def bench_database(data_dir: Path | None) -> Iterator[Database]:
    """TWIN_DATABASE_URL if set, else a fresh embedded server (temporary unless ``data_dir``)."""
    settings = load_settings()
    if settings.database_url is not None and data_dir is None:
        db = open_database(settings)
        try:
            migrate.ensure_migrated(db.engine)
            yield db
        finally:
            db.close()
        return
    owned = data_dir is None
    directory = Path(tempfile.mkdtemp(prefix="twin-quality-")) if owned else data_dir
    assert directory is not None
    embedded = EmbeddedPostgres(directory)
    db = Database(engine=create_db_engine(embedded.start()), embedded=embedded)
    try:
        migrate.upgrade(db.engine, "head")
        yield db
    finally:
        db.close()  # releases the embedded server, stopping it (last user)
        if owned:
            shutil.rmtree(directory, ignore_errors=True)


def machine(db: Database) -> dict[str, Any]:
    """Platform, CPUs, memory, Python and PostgreSQL versions."""
    with db.engine.connect() as conn:
        server = str(conn.execute(sa.text("SHOW server_version")).scalar_one())
    memory_bytes = None
    if hasattr(os, "sysconf") and "SC_PHYS_PAGES" in os.sysconf_names:
        memory_bytes = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpuCount": os.cpu_count(),
        "memoryGiB": round(memory_bytes / 2**30, 1) if memory_bytes else None,
        "python": sys.version.split()[0],
        "postgres": server,
        "database": "embedded" if db.embedded is not None else "TWIN_DATABASE_URL",
        "loadAverage": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


def window_end(weeks: int, start: date = DEFAULT_START) -> datetime:
    """Noon UTC after the window's last local day (every time zone has finished it)."""
    return datetime(start.year, start.month, start.day, tzinfo=UTC) + timedelta(
        weeks=weeks, hours=12
    )


def analyze_tables(db: Database) -> None:
    """VACUUM ANALYZE after a bulk load, as autovacuum would a little later.

    In a deployment a week's data arrives over the week and autovacuum has processed it
    long before the weekly tick; without the VACUUM the first tick after a bulk COPY also
    pays for setting every freshly loaded row's hint bits (dirtying and writing the pages),
    which no production tick does.
    """
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))


def share(values: list[bool]) -> float | None:
    """Share of True, None for no values."""
    return sum(values) / len(values) if values else None


# --- (a) real data ---------------------------------------------------------------------------


def real_data(console: Console) -> dict[str, Any]:
    """The recall predictors on the real review log (benchmarks.recall_quality's protocol)."""
    from benchmarks import recall_quality as rq
    from twin.analysis.recall import (
        evaluate_chronological,
        fsrs_default_factory,
        recall_model_factory,
        running_mean_factory,
    )
    from twin.analysis.recall.evaluation import REFIT_EVERY_REVIEWS, in_sample_constant_mean

    if not rq.REVLOG_CSV.exists():
        console.print(f"[yellow]real data skipped: {rq.REVLOG_CSV} is missing[/]")
        return {"skipped": f"missing {rq.REVLOG_CSV}"}
    reviews = rq.load_revlog()
    runs = []
    for label, run in (
        ("constant mean (in-sample)", lambda: in_sample_constant_mean(reviews)),
        (
            "running mean (no peeking)",
            lambda: evaluate_chronological(reviews, running_mean_factory, REFIT_EVERY_REVIEWS),
        ),
        (
            "FSRS-6 default",
            lambda: evaluate_chronological(reviews, fsrs_default_factory, REFIT_EVERY_REVIEWS),
        ),
        (
            "engine (FSRS-6 fitted per learner)",
            lambda: evaluate_chronological(reviews, recall_model_factory, REFIT_EVERY_REVIEWS),
        ),
    ):
        began = time.perf_counter()
        result = run()
        runs.append(
            {
                "predictor": label,
                "logLoss": round(result.log_loss, 4),
                "auc": round(result.auc, 4),
                "rmseBins": round(result.rmse_bins, 4),
                "scored": result.n_scored,
                "seconds": round(time.perf_counter() - began, 2),
            }
        )
    engine = runs[-1]
    return {
        "file": rq.REVLOG_CSV.name,
        "reviews": len(reviews),
        "refitEveryReviews": REFIT_EVERY_REVIEWS,
        "runs": runs,
        "targets": {"logLossMax": rq.TARGET_LOG_LOSS_MAX, "aucMin": rq.TARGET_AUC_MIN},
        "engineMeetsTargets": engine["logLoss"] <= rq.TARGET_LOG_LOSS_MAX
        and engine["auc"] >= rq.TARGET_AUC_MIN,
    }


# --- (b) simulated learners ------------------------------------------------------------------


def _hour_distance(a: int, b: int) -> int:
    d = abs(a - b) % HOURS_PER_DAY
    return min(d, HOURS_PER_DAY - d)


def _pairs(truth_k: list[float], reported_k: list[float]) -> dict[str, Any]:
    """Pairs whose true k differs ≥ 2×: share ordered correctly, share with the ratio within 2×."""
    ordered: list[bool] = []
    within: list[bool] = []
    for i in range(len(truth_k)):
        for j in range(i + 1, len(truth_k)):
            true_ratio = truth_k[i] / truth_k[j]
            if max(true_ratio, 1 / true_ratio) < PAIR_MIN_TRUE_RATIO:
                continue
            ratio = reported_k[i] / reported_k[j]
            ordered.append((ratio > 1) == (true_ratio > 1))
            within.append(abs(math.log(ratio / true_ratio)) <= math.log(PAIR_RATIO_TOLERANCE))
    return {
        "pairs": len(ordered),
        "ordered": share(ordered),
        "ratioWithin2x": share(within),
        "learners": len(truth_k),
    }


def _fsrs_new_card_k(db: Database, user_id: str) -> float | None:
    """k of the exponential through the fitted FSRS-6 model's new-card 90% point (−ln 0.9 / w2)."""
    with db.session() as session:
        stored = recall_service.load_memory_model(session, user_id)
    if not stored.model.fitted:
        return None
    return -math.log(RECALL_AT_STABILITY) / stored.model.weights.initial_stability_good


def simulated_quality(
    db: Database, learners: int, weeks: int, seed: int, family: str = "classic"
) -> dict[str, Any]:
    """Analyse every simulated learner with the service and compare with the hidden traits."""
    loaded = load_cohort(db, learners, weeks, seed, replace=True, family=family)
    analyze_tables(db)
    end = window_end(weeks)
    with db.engine.connect() as conn:
        truths = dict(
            conn.execute(
                sa.text('SELECT "userId", traits FROM simulation_truth WHERE seed = :s'),
                {"s": seed},
            ).all()
        )
    peak_ok: list[bool] = []
    peak_none = 0
    peak_wrong = 0
    no_peak_ok: list[bool] = []
    no_peak_no_pattern: list[bool] = []
    true_k: list[float] = []
    curve_k: list[float] = []
    exponential_k: list[float] = []
    fsrs_truth: list[float] = []
    fsrs_k: list[float] = []
    bucket_ok: list[bool] = []
    bucket_longer = 0
    content_ok: list[bool] = []
    k_ok: list[bool] = []
    k_errors: list[float] = []
    insufficient = 0
    seconds: list[float] = []
    for user_id in sorted(truths):
        truth = truths[user_id]
        began = time.perf_counter()
        with db.session() as session:
            outcome = patterns_service.analyze_user(session, user_id, now=end, force=True)
        seconds.append(time.perf_counter() - began)
        analysis = outcome.analysis
        if outcome.status != patterns_service.STATUS_ANALYZED or analysis is None:
            insufficient += 1
            continue
        top = analysis.study_time.optimal[0].hour if analysis.study_time.optimal else None
        peak = truth["chronotype"]["peakHourLocal"]
        # The true peak: the Gaussian's hour (classic), the hours under a bump/plateau (srs).
        peak_hours = (truth.get("hourEffect") or {}).get("peakHoursLocal") or [peak]
        if peak is None:
            no_peak_ok.append(top is None)
            no_peak_no_pattern.append(top is None and not analysis.peaks.peaks)
        else:
            ok = (
                top is not None
                and min(_hour_distance(top, h) for h in peak_hours) <= PEAK_TOLERANCE_HOURS
            )
            peak_ok.append(ok)
            peak_none += top is None
            peak_wrong += top is not None and not ok
        best = analysis.duration.best.bucket_id if analysis.duration.best else None
        true_bucket = BUCKET_IDS[truth["bestSessionBucket"]]
        bucket_ok.append(best == true_bucket)
        if best is not None and BUCKET_ORDER.index(best) > BUCKET_ORDER.index(true_bucket):
            bucket_longer += 1
        content = analysis.content
        content_ok.append(
            content is not None and content.dominant_type == truth["dominantContentType"]
        )
        k_true = float(truth["forgettingRateK"])
        baseline = analysis.forgetting.exponential
        fitted = baseline.fitted
        error = (baseline.decay_per_day - k_true) / k_true
        k_ok.append(fitted and abs(error) <= K_TOLERANCE)
        if fitted:
            k_errors.append(error)
        if analysis.forgetting.curve.fitted and fitted:
            true_k.append(k_true)
            curve_k.append(analysis.forgetting.curve.decay_per_day)
            exponential_k.append(baseline.decay_per_day)
        memory_k = _fsrs_new_card_k(db, user_id)
        if memory_k is not None:
            fsrs_truth.append(k_true)
            fsrs_k.append(memory_k)
    analysed = len(truths) - insufficient
    return {
        "family": family,
        "seed": seed,
        "learners": learners,
        "weeks": weeks,
        "analysed": analysed,
        "insufficientData": insufficient,
        "loadSeconds": round(loaded.seconds, 1),
        "analysisSecondsTotal": round(sum(seconds), 1),
        "analysisMsMedian": round(1000 * statistics.median(seconds), 1) if seconds else None,
        "metrics": {
            "optimalHourWithin1h": {
                "value": share(peak_ok),
                "n": len(peak_ok),
                "target": TARGET_PEAK_HOUR,
                "noHourReported": peak_none,
                "wrongHourReported": peak_wrong,
            },
            "noOptimalHourWithoutPeak": {
                "value": share(no_peak_ok),
                "n": len(no_peak_ok),
                "target": TARGET_NO_PEAK,
            },
            "noOptimalHourNoPeakWithoutPeak": {
                "value": share(no_peak_no_pattern),
                "n": len(no_peak_no_pattern),
                "target": TARGET_NO_PEAK,
            },
            "bestSessionBucket": {
                "value": share(bucket_ok),
                "n": len(bucket_ok),
                "target": TARGET_BEST_BUCKET,
                "foundALongerBucket": bucket_longer,
            },
            "dominantContentType": {
                "value": share(content_ok),
                "n": len(content_ok),
                "target": TARGET_DOMINANT_CONTENT,
            },
            "forgettingRateWithin25pct": {
                "value": share(k_ok),
                "n": len(k_ok),
                "target": TARGET_K_WITHIN,
                "medianRelativeError": round(statistics.median(k_errors), 4) if k_errors else None,
                "curve": "ENGINE exponential over all repeat reviews (the baseline)",
            },
        },
        "forgettingPairs": {
            "learnerFacingCurve": _pairs(true_k, curve_k),
            "exponentialBaseline": _pairs(true_k, exponential_k),
            "fsrsNewCardStability": _pairs(fsrs_truth, fsrs_k),
            "targets": {"ordered": TARGET_PAIR_ORDER, "ratioWithin2x": TARGET_PAIR_RATIO},
        },
    }


# --- (c) speed -------------------------------------------------------------------------------


def _sunday_23_utc_after(ts: datetime) -> datetime:
    day = ts.astimezone(UTC).replace(hour=WEEKLY_HOUR_UTC, minute=0, second=0, microsecond=0)
    day += timedelta(days=(SUNDAY - day.weekday()) % 7)
    return day if day > ts else day + timedelta(days=7)


def speed(
    db: Database, learners: int, weeks: int, seed: int, *, drop_seeds: tuple[int, ...] = ()
) -> dict[str, Any]:
    """One learner's full analysis (median) and the weekly job over ``learners`` learners."""
    for other in drop_seeds:  # only this cohort in the database: the tick selects all of it
        delete_seed(db, other)
    loaded = load_cohort(db, learners, weeks, seed, replace=True)
    analyze_tables(db)
    end = window_end(weeks)
    with db.engine.connect() as conn:
        counts = conn.execute(
            sa.text(
                """
                SELECT t."userId",
                  (SELECT count(*) FROM reviews r WHERE r."userId" = t."userId") AS reviews,
                  (SELECT count(*) FROM study_sessions s WHERE s."userId" = t."userId") AS sessions
                FROM simulation_truth t WHERE t.seed = :s ORDER BY t."userId" LIMIT :n
                """
            ),
            {"s": seed, "n": SPEED_CANDIDATES},
        ).all()
        totals = conn.execute(
            sa.text(
                "SELECT count(*), (SELECT count(*) FROM reviews r JOIN simulation_truth t "
                'ON t."userId" = r."userId" WHERE t.seed = :s), '
                "(SELECT count(*) FROM study_sessions s JOIN simulation_truth t "
                'ON t."userId" = s."userId" WHERE t.seed = :s) '
                "FROM simulation_truth WHERE seed = :s"
            ),
            {"s": seed},
        ).one()
    chosen = min(
        counts,
        key=lambda r: abs(r.reviews / SPEED_REVIEWS - 1) + abs(r.sessions / SPEED_SESSIONS - 1),
    )
    user_id = chosen.userId

    def run(at: datetime) -> tuple[float, patterns_service.AnalysisOutcome]:
        began = time.perf_counter()
        with db.session() as session:
            outcome = patterns_service.analyze_user(session, user_id, now=at, force=True)
        return time.perf_counter() - began, outcome

    first_seconds, first = run(end)
    repeats = [run(end)[0] for _ in range(SPEED_REPEATS)]
    fits = []
    for _ in range(MEMORY_FIT_REPEATS):
        with db.session() as session:
            user = get_user(session, user_id)
            fits.append(recall_service.refresh_memory_model(session, user, end, force=True).seconds)

    # The weekly job: every learner of the cohort is selected by one tick (all in UTC).
    with db.engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE users SET timezone = 'UTC' WHERE id IN "
                '(SELECT "userId" FROM simulation_truth WHERE seed = :s)'
            ),
            {"s": seed},
        )
        conn.execute(
            sa.text(
                'DELETE FROM learner_memory_models WHERE "userId" IN '
                '(SELECT "userId" FROM simulation_truth WHERE seed = :s)'
            ),
            {"s": seed},
        )
    # As a deployment runs it: one worker process whose tick starts TICK_PROCESSES
    # analysis processes (the tick is larger than PROCESS_MIN_LEARNERS); their start-up
    # is inside the measured time. Then the same tick in the worker process alone.
    tick = _sunday_23_utc_after(end)
    first_tick = weekly_job.run_tick(db, tick)
    steady_tick = weekly_job.run_tick(db, tick + timedelta(days=7))
    serial_tick = weekly_job.run_tick(db, tick + timedelta(days=14), processes=0, threads=1)
    deployed = weekly_job.TICK_PROCESSES if learners >= weekly_job.PROCESS_MIN_LEARNERS else 0

    def tick_json(report: weekly_job.TickReport, processes: int, threads: int) -> dict[str, Any]:
        per = report.seconds / report.selected if report.selected else math.nan
        return {
            "tick": report.tick.isoformat(),
            "workerProcesses": 1,
            "analysisProcesses": processes,
            "threads": threads if processes == 0 else 1,
            "selected": report.selected,
            "analysed": len(report.analyzed),
            "insufficient": len(report.insufficient),
            "skipped": len(report.skipped),
            "failed": len(report.failed),
            "seconds": round(report.seconds, 1),
            "msPerLearner": round(1000 * per, 1),
            "extrapolatedSecondsFor1000": round(per * TARGET_WEEKLY_JOB_LEARNERS, 1),
        }

    return {
        "seed": seed,
        "weeks": weeks,
        "learners": learners,
        "loadSeconds": round(loaded.seconds, 1),
        "cohortMeanReviews": round(totals[1] / totals[0], 1),
        "cohortMeanSessions": round(totals[2] / totals[0], 1),
        "singleLearner": {
            "userId": user_id,
            "reviews": chosen.reviews,
            "sessions": chosen.sessions,
            "firstRunMs": round(1000 * first_seconds, 1),
            "firstRunRefittedMemoryModel": bool(first.memory and first.memory.refitted),
            "medianMs": round(1000 * statistics.median(repeats), 1),
            "p90Ms": round(1000 * sorted(repeats)[int(0.9 * (len(repeats) - 1))], 1),
            "runs": len(repeats),
            "memoryFitMedianMs": round(1000 * statistics.median(fits), 1),
            "target": TARGET_ANALYSIS_MS,
        },
        "weeklyJob": {
            "firstRunAllModelsFitted": tick_json(first_tick, deployed, weekly_job.TICK_THREADS),
            "steadyState": tick_json(steady_tick, deployed, weekly_job.TICK_THREADS),
            "steadyStateOneThread": tick_json(serial_tick, 0, 1),
            "targetSecondsFor1000": TARGET_WEEKLY_JOB_SECONDS,
        },
    }


# --- report ----------------------------------------------------------------------------------


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _verdict(ok: bool | None) -> str:
    if ok is None:
        return "—"
    return "[green]meets[/]" if ok else "[red]MISSES[/]"


def print_report(console: Console, payload: dict[str, Any]) -> None:
    """The three tables."""
    real = payload.get("real")
    if real and "runs" in real:
        table = Table(
            title=f"(a) recall prediction on {real['file']} ({real['reviews']:,} reviews)"
        )
        for column in ("predictor", "log loss", "AUC", "RMSE(bins)", "scored", "s"):
            table.add_column(column, justify="left" if column == "predictor" else "right")
        for r in real["runs"]:
            table.add_row(
                r["predictor"],
                f"{r['logLoss']:.4f}",
                f"{r['auc']:.4f}",
                f"{r['rmseBins']:.4f}",
                f"{r['scored']:,}",
                f"{r['seconds']:.1f}",
            )
        t = real["targets"]
        table.caption = f"engine target: log loss ≤ {t['logLossMax']}, AUC ≥ {t['aucMin']} — " + (
            "meets" if real["engineMeetsTargets"] else "MISSES"
        )
        console.print(table)
    families = payload.get("simulated") or {}
    if families:
        present = [f for f in FAMILY_ORDER if f in families]
        title = "(b) simulated learners vs ground truth: " + "; ".join(
            f"{f} {families[f]['analysed']} analysed ({families[f]['learners']} × "
            f"{families[f]['weeks']} weeks, seed {families[f]['seed']})"
            for f in present
        )
        table = Table(title=title)
        table.add_column("measure", justify="left")
        table.add_column("target", justify="right")
        for f in present:
            table.add_column(f, justify="right")
        labels = {
            "optimalHourWithin1h": "optimal hour within ±1 h of the true peak",
            "noOptimalHourWithoutPeak": "no optimal hour for no-effect learners",
            "noOptimalHourNoPeakWithoutPeak": "no optimal hour and no peak, no-effect learners",
            "bestSessionBucket": "true best session-length bucket",
            "dominantContentType": "dominant content type",
            "forgettingRateWithin25pct": "k within ±25% (ENGINE exponential)",
        }

        def cell(v: dict[str, Any], judged: bool) -> str:
            ok = None if v["value"] is None or not judged else v["value"] >= v["target"]
            return f"{_pct(v['value'])} (n {v['n']}) {_verdict(ok) if judged else ''}"

        for key, label in labels.items():
            table.add_row(
                label,
                f"≥ {families[present[0]]['metrics'][key]['target']:.0%}",
                # k within ±25% is the classic family's target (an exponential truth); on the
                # srs family it shows the trap the learner-facing curve avoids.
                *(
                    cell(families[f]["metrics"][key], key != K_METRIC or f == "classic")
                    for f in present
                ),
            )
        pair_labels = {
            "learnerFacingCurve": "the twin's curve (new card, first repeats)",
            "exponentialBaseline": "ENGINE exponential (baseline)",
            "fsrsNewCardStability": "fitted FSRS-6 new-card stability",
        }
        for key, label in pair_labels.items():
            for measure, target, what in (
                ("ordered", TARGET_PAIR_ORDER, "orders pairs ≥ 2× apart"),
                ("ratioWithin2x", TARGET_PAIR_RATIO, "half-life ratio within 2×"),
            ):
                cells = []
                for f in present:
                    pr = families[f]["forgettingPairs"][key]
                    ok = None if pr[measure] is None else pr[measure] >= target
                    # Issue 14's targets are for the srs family's twin curve.
                    judged = key == "learnerFacingCurve" and f == "srs"
                    verdict = _verdict(ok) if judged else ""
                    cells.append(f"{_pct(pr[measure])} ({pr['pairs']:,} pairs) {verdict}")
                table.add_row(f"{label}: {what}", f"≥ {target:.0%}", *cells)
        table.caption = "; ".join(
            f"{f}: load {families[f]['loadSeconds']} s, service analysis median "
            f"{families[f]['analysisMsMedian']} ms per learner, "
            f"{families[f]['insufficientData']} with too little data"
            for f in present
        )
        console.print(table)
    fast = payload.get("speed")
    if fast:
        one = fast["singleLearner"]
        table = Table(title="(c) speed")
        for column in ("measure", "result", "target", "verdict", "detail"):
            table.add_column(column, justify="left" if column in ("measure", "detail") else "right")
        table.add_row(
            f"full analysis of one learner ({one['reviews']:,} reviews, {one['sessions']} sessions)",
            f"{one['medianMs']:.0f} ms median",
            f"≤ {one['target']:.0f} ms",
            _verdict(one["medianMs"] <= one["target"]),
            f"p90 {one['p90Ms']:.0f} ms; first run {one['firstRunMs']:.0f} ms (recall model fit "
            f"{one['memoryFitMedianMs']:.0f} ms)",
        )
        job = fast["weeklyJob"]
        for key, label in (
            ("firstRunAllModelsFitted", "weekly job, every recall model fitted"),
            ("steadyState", "weekly job, recall models current"),
            ("steadyStateOneThread", "weekly job, worker process alone, one thread"),
        ):
            r = job[key]
            workers = (
                f"{r['analysisProcesses']} analysis processes"
                if r.get("analysisProcesses")
                else f"{r['threads']} thread(s)"
            )
            table.add_row(
                f"{label} ({r['selected']:,} learners, {workers})",
                f"{r['seconds']:.1f} s",
                f"≤ {job['targetSecondsFor1000']:.0f} s / 1,000",
                _verdict(r["extrapolatedSecondsFor1000"] <= job["targetSecondsFor1000"]),
                f"{r['msPerLearner']:.0f} ms per learner → {r['extrapolatedSecondsFor1000']:.0f} s "
                "per 1,000",
            )
        table.caption = (
            f"speed cohort: {fast['learners']} learners × {fast['weeks']} weeks, mean "
            f"{fast['cohortMeanReviews']:.0f} reviews and {fast['cohortMeanSessions']:.0f} "
            f"sessions per learner; machine: {payload['machine']['cpuCount']} CPUs (database on "
            "the same machine)"
        )
        console.print(table)


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark, print the tables, write the JSON result."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=250)
    parser.add_argument("--weeks", type=int, default=12)
    parser.add_argument("--seed", type=int, default=5101)
    parser.add_argument("--srs-learners", type=int, default=250)
    parser.add_argument("--srs-seed", type=int, default=DEFAULT_SRS_SEED)
    parser.add_argument("--families", default="classic,srs", help="comma-separated: classic,srs")
    parser.add_argument("--speed-learners", type=int, default=TARGET_WEEKLY_JOB_LEARNERS)
    parser.add_argument("--speed-weeks", type=int, default=20)
    parser.add_argument("--data-dir", type=Path, default=None, help="embedded server directory")
    parser.add_argument("--skip-real", action="store_true")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--output", type=Path, default=RESULTS_PATH)
    args = parser.parse_args(argv)
    console = Console(width=max(Console().width, 140))
    payload: dict[str, Any] = {
        "benchmark": "twin_quality",
        "ranAt": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "python -m benchmarks.twin_quality " + " ".join(argv or sys.argv[1:]),
    }
    if not args.skip_real:
        console.print("(a) real review log …")
        payload["real"] = real_data(console)
    with bench_database(args.data_dir) as db:
        payload["machine"] = machine(db)
        payload["simulated"] = {}
        for family in [f for f in FAMILY_ORDER if f in args.families.split(",")]:
            n, seed = (
                (args.learners, args.seed)
                if family == "classic"
                else (args.srs_learners, args.srs_seed)
            )
            console.print(f"(b) {family}: {n} simulated learners × {args.weeks} weeks …")
            payload["simulated"][family] = simulated_quality(db, n, args.weeks, seed, family)
        if not args.skip_speed:
            console.print(f"(c) speed: {args.speed_learners} learners × {args.speed_weeks} weeks …")
            payload["speed"] = speed(
                db,
                args.speed_learners,
                args.speed_weeks,
                args.seed + 1,
                drop_seeds=(args.seed, args.srs_seed),
            )
        payload["machine"]["loadAverageAfter"] = (
            list(os.getloadavg()) if hasattr(os, "getloadavg") else None
        )
    print_report(console, payload)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    console.print(f"results written to {args.output}")


if __name__ == "__main__":
    main()
