"""Model performance from recorded outcomes only (ENGINE.md 5.2).

Every number here is computed from (predicted probability, recorded outcome) pairs;
nothing is claimed without outcomes behind it. A prediction "says struggle" when
``p ≥ DECISION_THRESHOLD`` (the same edge as the CONFIRMED / FALSE_POSITIVE status).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.stats import rankdata

from twin.analysis.common import InsufficientData

Probabilities = Sequence[float] | npt.NDArray[np.float64]
Outcomes = Sequence[bool] | Sequence[int] | npt.NDArray[Any]
"""0/1 outcomes: bools, ints or any numeric array of 0s and 1s."""

DECISION_THRESHOLD = 0.5
"""p ≥ 0.5 counts as "predicted to struggle"."""

CALIBRATION_BIN_COUNT = 10
"""Equal-width probability bins [0, 0.1), …, [0.9, 1.0] (1.0 goes in the last bin)."""

MIN_OUTCOMES_FOR_METRICS = 10
"""Fewer recorded outcomes than this: metrics are an insufficient-data answer."""

BASELINE_WEEKS = 6
"""Struggle-reduction baseline: the 6 weeks before predictions were switched on."""

MIN_OBJECTIVES_PER_WINDOW = 10
"""Studied objectives with outcomes needed in each window of the struggle reduction."""

STRUGGLE_REDUCTION_TARGET = 0.25
"""ENGINE.md target: struggles down by at least 25%."""


@dataclass(frozen=True)
class ConfusionMatrix:
    """Counts of predicted (p ≥ 0.5) against recorded outcomes."""

    true_positive: int
    false_positive: int
    true_negative: int
    false_negative: int


@dataclass(frozen=True)
class CalibrationBin:
    """One probability bin: mean predicted probability against the observed struggle rate."""

    lower: float
    upper: float
    count: int
    mean_predicted: float | None
    observed_rate: float | None


@dataclass(frozen=True)
class PerformanceReport:
    """Classification and probability metrics over recorded outcomes.

    ``precision``/``recall``/``f1`` are ``None`` when undefined (no predicted or no
    actual struggles); ``auc`` is ``None`` when only one outcome class was recorded.
    """

    n: int
    n_struggled: int
    accuracy: float
    precision: float | None
    recall: float | None
    f1: float | None
    auc: float | None
    brier: float
    ece: float
    calibration: tuple[CalibrationBin, ...]
    confusion: ConfusionMatrix

    @property
    def notes(self) -> tuple[str, ...]:
        """What the metrics cannot say yet, in words (a metric without data is not a zero)."""
        found: list[str] = []
        if self.n_struggled == 0:
            found.append(
                "no confirmed struggles yet: recall, F1 and AUC need at least one recorded "
                "struggle"
                + (
                    "; every predicted struggle so far was a false alarm"
                    if self.confusion.false_positive
                    else ""
                )
            )
        elif self.n_struggled == self.n:
            found.append("every recorded outcome was a struggle: AUC needs both kinds")
        if self.confusion.true_positive + self.confusion.false_positive == 0:
            found.append(
                f"no prediction reached {DECISION_THRESHOLD:g} yet: precision needs at least one"
            )
        return tuple(found)


def _arrays(
    probabilities: Probabilities,
    outcomes: Outcomes,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Validated float arrays (p in [0, 1], y in {0, 1}) of equal length."""
    p = np.asarray(probabilities, dtype=np.float64).ravel()
    y = np.asarray(outcomes, dtype=np.float64).ravel()
    if p.shape != y.shape:
        raise ValueError(f"{p.size} probabilities but {y.size} outcomes")
    if p.size and (np.any(np.isnan(p)) or p.min() < 0.0 or p.max() > 1.0):
        raise ValueError("probabilities must be in [0, 1]")
    if y.size and not np.all((y == 0.0) | (y == 1.0)):
        raise ValueError("outcomes must be 0/1")
    return p, y


def auc_score(
    probabilities: Probabilities,
    outcomes: Outcomes,
) -> float | None:
    """ROC AUC by the Mann–Whitney rank formula (ties count ½); None with one class."""
    p, y = _arrays(probabilities, outcomes)
    n_pos = int(y.sum())
    n_neg = y.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return None
    ranks = rankdata(p)
    return float((ranks[y == 1.0].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def brier_score(
    probabilities: Probabilities,
    outcomes: Outcomes,
) -> float:
    """Mean squared difference between probability and outcome (0 best, 1 worst)."""
    p, y = _arrays(probabilities, outcomes)
    if p.size == 0:
        raise ValueError("no outcomes")
    return float(np.mean((p - y) ** 2))


def log_loss(
    probabilities: Probabilities,
    outcomes: Outcomes,
    eps: float = 1e-6,
) -> float:
    """Mean negative log-likelihood, probabilities clipped to [eps, 1 − eps]."""
    p, y = _arrays(probabilities, outcomes)
    if p.size == 0:
        raise ValueError("no outcomes")
    q = np.clip(p, eps, 1.0 - eps)
    return float(-np.mean(y * np.log(q) + (1.0 - y) * np.log(1.0 - q)))


def calibration_bins(
    probabilities: Probabilities,
    outcomes: Outcomes,
    n_bins: int = CALIBRATION_BIN_COUNT,
) -> tuple[CalibrationBin, ...]:
    """Equal-width bins of predicted probability; counts sum to the number of outcomes."""
    p, y = _arrays(probabilities, outcomes)
    idx = np.minimum((p * n_bins).astype(np.int64), n_bins - 1)
    bins = []
    for b in range(n_bins):
        mask = idx == b
        count = int(mask.sum())
        bins.append(
            CalibrationBin(
                lower=b / n_bins,
                upper=(b + 1) / n_bins,
                count=count,
                mean_predicted=float(p[mask].mean()) if count else None,
                observed_rate=float(y[mask].mean()) if count else None,
            )
        )
    return tuple(bins)


def expected_calibration_error(bins: Sequence[CalibrationBin]) -> float:
    """Σ (count/n)·|mean predicted − observed rate| over the bins (0 = perfectly calibrated)."""
    n = sum(b.count for b in bins)
    if n == 0:
        raise ValueError("no outcomes")
    return math.fsum(
        b.count / n * abs(b.mean_predicted - b.observed_rate)
        for b in bins
        if b.mean_predicted is not None and b.observed_rate is not None
    )


def confusion_matrix(
    probabilities: Probabilities,
    outcomes: Outcomes,
    threshold: float = DECISION_THRESHOLD,
) -> ConfusionMatrix:
    """Counts with "predicted struggle" = ``p ≥ threshold``."""
    p, y = _arrays(probabilities, outcomes)
    pred = p >= threshold
    act = y == 1.0
    return ConfusionMatrix(
        true_positive=int(np.sum(pred & act)),
        false_positive=int(np.sum(pred & ~act)),
        true_negative=int(np.sum(~pred & ~act)),
        false_negative=int(np.sum(~pred & act)),
    )


def performance_report(
    probabilities: Probabilities,
    outcomes: Outcomes,
    *,
    threshold: float = DECISION_THRESHOLD,
    min_outcomes: int = MIN_OUTCOMES_FOR_METRICS,
) -> PerformanceReport | InsufficientData:
    """All metrics of ENGINE.md 5.2 from recorded outcomes, or how many outcomes are missing."""
    p, y = _arrays(probabilities, outcomes)
    if p.size < max(1, min_outcomes):
        return InsufficientData("outcomes", int(p.size), max(1, min_outcomes))
    cm = confusion_matrix(p, y, threshold)
    tp, fp, tn, fn = cm.true_positive, cm.false_positive, cm.true_negative, cm.false_negative
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    f1 = (
        2 * precision * recall / (precision + recall)
        if precision is not None and recall is not None and precision + recall > 0
        else None
    )
    bins = calibration_bins(p, y)
    return PerformanceReport(
        n=int(p.size),
        n_struggled=int(y.sum()),
        accuracy=(tp + tn) / p.size,
        precision=precision,
        recall=recall,
        f1=f1,
        auc=auc_score(p, y),
        brier=brier_score(p, y),
        ece=expected_calibration_error(bins),
        calibration=bins,
        confusion=cm,
    )


@dataclass(frozen=True)
class OutcomeRecord:
    """One prediction with its recorded outcome and when the outcome was recorded."""

    probability: float
    struggled: bool
    recorded_at: datetime


@dataclass(frozen=True)
class WeeklyPerformance:
    """Metrics of the outcomes recorded in one ISO week."""

    iso_year: int
    iso_week: int
    week_start: date
    report: PerformanceReport | InsufficientData


def weekly_trend(
    records: Sequence[OutcomeRecord], *, min_outcomes: int = MIN_OUTCOMES_FOR_METRICS
) -> list[WeeklyPerformance]:
    """Metrics per ISO week of ``recorded_at`` (in the timestamps' own zone), oldest first."""
    weeks: dict[tuple[int, int], list[OutcomeRecord]] = {}
    for r in records:
        iso = r.recorded_at.isocalendar()
        weeks.setdefault((iso.year, iso.week), []).append(r)
    out = []
    for (year, week), rs in sorted(weeks.items()):
        report = performance_report(
            [r.probability for r in rs], [r.struggled for r in rs], min_outcomes=min_outcomes
        )
        out.append(WeeklyPerformance(year, week, date.fromisocalendar(year, week, 1), report))
    return out


@dataclass(frozen=True)
class StruggleReduction:
    """(baseline rate − current rate) / baseline rate, with both rates and sample sizes."""

    baseline_rate: float
    current_rate: float
    reduction: float
    baseline_n: int
    current_n: int
    meets_target: bool


def struggle_reduction(
    baseline_struggles: int,
    baseline_total: int,
    current_struggles: int,
    current_total: int,
    *,
    min_objectives: int = MIN_OBJECTIVES_PER_WINDOW,
) -> StruggleReduction | InsufficientData:
    """Relative fall of the struggle rate; insufficient data when a window is small or has no struggles."""
    if not 0 <= baseline_struggles <= baseline_total or not 0 <= current_struggles <= current_total:
        raise ValueError("struggle counts must be between 0 and the totals")
    if baseline_total < min_objectives:
        return InsufficientData("baseline objectives", baseline_total, min_objectives)
    if current_total < min_objectives:
        return InsufficientData("current objectives", current_total, min_objectives)
    if baseline_struggles == 0:
        return InsufficientData("baseline struggles", 0, 1)
    base = baseline_struggles / baseline_total
    cur = current_struggles / current_total
    reduction = (base - cur) / base
    return StruggleReduction(
        baseline_rate=base,
        current_rate=cur,
        reduction=reduction,
        baseline_n=baseline_total,
        current_n=current_total,
        meets_target=reduction >= STRUGGLE_REDUCTION_TARGET,
    )


def struggle_reduction_since(
    studied: Sequence[tuple[datetime, bool]],
    predictions_enabled_at: datetime,
    now: datetime,
    *,
    min_objectives: int = MIN_OBJECTIVES_PER_WINDOW,
) -> StruggleReduction | InsufficientData:
    """Struggle reduction from (studied at, struggled) of every studied objective.

    Baseline window: [enabled − 6 weeks, enabled). Current window: the latest 6 weeks,
    [max(enabled, now − 6 weeks), now). Every studied objective with an outcome counts,
    predicted or not, so the rate is not biased by what the model chose to flag.
    """
    window = timedelta(weeks=BASELINE_WEEKS)
    base_start = predictions_enabled_at - window
    cur_start = max(predictions_enabled_at, now - window)
    base = [s for t, s in studied if base_start <= t < predictions_enabled_at]
    cur = [s for t, s in studied if cur_start <= t < now]
    return struggle_reduction(
        sum(base), len(base), sum(cur), len(cur), min_objectives=min_objectives
    )
