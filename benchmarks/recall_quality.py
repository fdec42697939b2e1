"""Recall-prediction quality on the real review log: baselines and the engine's predictor, one run.

    python -m benchmarks.recall_quality [--sensitivity]

Reads ``../shared/data/revlog_single_learner.csv`` beside the repository (skips
with a message when it is absent), runs the chronological no-peeking protocol of
the data README (:mod:`twin.analysis.recall.evaluation`) for every predictor,
prints one table with the README's reference figures and the targets, and
writes ``benchmarks/results/recall_quality.json``. ``--sensitivity`` also runs
the engine's predictor under other refit schedules.
"""

from __future__ import annotations

import csv
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from twin.analysis.recall import (
    EvaluationResult,
    Review,
    evaluate_chronological,
    fsrs_default_factory,
    recall_model_factory,
    running_mean_factory,
)
from twin.analysis.recall.evaluation import (
    REFIT_EVERY_REVIEWS,
    RMSE_BIN_RATIO,
    SCORING_MIN_GAP,
    in_sample_constant_mean,
)

REVLOG_CSV = Path(__file__).resolve().parents[2] / "shared" / "data" / "revlog_single_learner.csv"
RESULTS_PATH = Path(__file__).resolve().parent / "results" / "recall_quality.json"

# The data README's reference figures on this log: (log loss, AUC, RMSE(bins)).
REFERENCE_CONSTANT_MEAN = (0.511, 0.500, 0.114)
REFERENCE_FSRS6_DEFAULT = (0.459, 0.714, 0.058)
# The engine's predictor must reach both.
TARGET_LOG_LOSS_MAX = 0.445
TARGET_AUC_MIN = 0.73
MIN_CONSOLE_WIDTH = 130  # characters: the table is wide
SENSITIVITY_SCHEDULES: tuple[int | timedelta, ...] = (
    100,
    500,
    1000,
    timedelta(days=1),
    timedelta(days=7),
    timedelta(days=30),
)


def load_revlog(path: Path = REVLOG_CSV) -> list[Review]:
    """The review log as :class:`Review` rows (times naive UTC)."""
    with path.open(newline="") as handle:
        return [
            Review(
                card_id=int(row["card_id"]),
                time=datetime.fromisoformat(row["review_time"])
                .astimezone(UTC)
                .replace(tzinfo=None),
                rating=int(row["review_rating"]),
            )
            for row in csv.DictReader(handle)
        ]


def _machine() -> dict[str, Any]:
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }


def _timed(run: Callable[[], EvaluationResult]) -> tuple[EvaluationResult, float]:
    started = time.perf_counter()
    result = run()
    return result, time.perf_counter() - started


def _schedule_label(schedule: int | timedelta) -> str:
    if isinstance(schedule, timedelta):
        return f"every {schedule.days} d" if schedule.days != 1 else "every day"
    return f"every {schedule} reviews"


def _meets(result: EvaluationResult) -> bool:
    return result.log_loss <= TARGET_LOG_LOSS_MAX and result.auc >= TARGET_AUC_MIN


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print its table."""
    args = sys.argv[1:] if argv is None else argv
    console = Console(width=max(Console().width, MIN_CONSOLE_WIDTH))
    if not REVLOG_CSV.exists():
        console.print(f"[yellow]skipped: the review log is missing:[/] {REVLOG_CSV}")
        return
    reviews = load_revlog()
    schedule = REFIT_EVERY_REVIEWS
    runs: list[tuple[str, tuple[str, str, str], EvaluationResult, float]] = []
    ref_c = tuple(f"{v:.3f}" for v in REFERENCE_CONSTANT_MEAN)
    ref_f = tuple(f"{v:.3f}" for v in REFERENCE_FSRS6_DEFAULT)
    result, seconds = _timed(lambda: in_sample_constant_mean(reviews))
    runs.append(("constant mean (README; peeks)", (ref_c[0], ref_c[1], ref_c[2]), result, seconds))
    result, seconds = _timed(
        lambda: evaluate_chronological(reviews, running_mean_factory, schedule)
    )
    runs.append(("running mean (no peeking)", ("", "", ""), result, seconds))
    result, seconds = _timed(
        lambda: evaluate_chronological(reviews, fsrs_default_factory, schedule)
    )
    runs.append(("FSRS-6 default (fsrs 6.3)", (ref_f[0], ref_f[1], ref_f[2]), result, seconds))
    engine, seconds = _timed(
        lambda: evaluate_chronological(reviews, recall_model_factory, schedule)
    )
    target = (f"≤ {TARGET_LOG_LOSS_MAX}", f"≥ {TARGET_AUC_MIN}", "")
    runs.append(("engine (FSRS-6 fitted, learner days)", target, engine, seconds))

    table = Table(
        title=f"recall prediction on {REVLOG_CSV.name}, refit {_schedule_label(schedule)}",
        caption="ref: the data README's figures; for the engine, the targets",
    )
    columns = ("predictor", "log loss", "AUC", "RMSE(bins)", "n scored", "refits", "seconds")
    for column in (*columns, "ref LL", "ref AUC", "ref RMSE"):
        table.add_column(column, justify="left" if column == "predictor" else "right")
    for label, reference, res, secs in runs:
        table.add_row(
            label,
            f"{res.log_loss:.4f}",
            f"{res.auc:.4f}",
            f"{res.rmse_bins:.4f}",
            f"{res.n_scored:,}",
            str(res.refits),
            f"{secs:.2f}",
            *reference,
        )
    console.print(table)
    verdict = "meets" if _meets(engine) else "MISSES"
    console.print(
        f"engine {verdict} the target (log loss ≤ {TARGET_LOG_LOSS_MAX} and AUC ≥ {TARGET_AUC_MIN})"
    )
    console.print(
        f"scored: reviews ≥ {SCORING_MIN_GAP.total_seconds() / 3600:.0f} h after the card's previous review; RMSE(bins): "
        f"bins floor(log(elapsed days) / log {RMSE_BIN_RATIO}), bin-size weighted"
    )

    sensitivity: list[dict[str, Any]] = []
    if "--sensitivity" in args:
        sens = Table(title="engine predictor under other refit schedules")
        for column in ("refit", "log loss", "AUC", "RMSE(bins)", "refits", "seconds", "target"):
            sens.add_column(column, justify="left" if column == "refit" else "right")
        for other in SENSITIVITY_SCHEDULES:
            res, secs = _timed(
                partial(evaluate_chronological, reviews, recall_model_factory, other)
            )
            sens.add_row(
                _schedule_label(other),
                f"{res.log_loss:.4f}",
                f"{res.auc:.4f}",
                f"{res.rmse_bins:.4f}",
                str(res.refits),
                f"{secs:.2f}",
                "meets" if _meets(res) else "misses",
            )
            sensitivity.append(
                {"refit": _schedule_label(other), **_result_json(res), "seconds": round(secs, 3)}
            )
        console.print(sens)

    RESULTS_PATH.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "benchmark": "recall_quality",
        "file": REVLOG_CSV.name,
        "protocol": {
            "scored": "reviews at least 24 h after the previous review of the same card",
            "outcome": "rating > 1",
            "refit": _schedule_label(schedule),
            "rmse_bins": f"bins floor(log(elapsed_days)/log({RMSE_BIN_RATIO})), weighted by size",
        },
        "runs": [
            {
                "predictor": label,
                "reference_or_target": dict(
                    zip(("log_loss", "auc", "rmse_bins"), reference, strict=True)
                ),
                **_result_json(res),
                "seconds": round(secs, 3),
            }
            for label, reference, res, secs in runs
        ],
        "targets": {"log_loss_max": TARGET_LOG_LOSS_MAX, "auc_min": TARGET_AUC_MIN},
        "engine_meets_target": _meets(engine),
        "sensitivity": sensitivity,
        "machine": _machine(),
    }
    RESULTS_PATH.write_text(json.dumps(payload, indent=2) + "\n")
    console.print(f"results written to {RESULTS_PATH}")


def _result_json(result: EvaluationResult) -> dict[str, Any]:
    return {
        "log_loss": round(result.log_loss, 5),
        "auc": round(result.auc, 5),
        "rmse_bins": round(result.rmse_bins, 5),
        "n_scored": result.n_scored,
        "recall_rate": round(result.recall_rate, 5),
        "refits": result.refits,
    }


if __name__ == "__main__":
    main()
