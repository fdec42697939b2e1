"""Metrics from recorded outcomes: golden values, degenerate inputs, properties, reduction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twin.analysis.common import InsufficientData
from twin.analysis.struggle.metrics import (
    OutcomeRecord,
    PerformanceReport,
    StruggleReduction,
    auc_score,
    performance_report,
    struggle_reduction,
    struggle_reduction_since,
    weekly_trend,
)

P = [0.9, 0.8, 0.3, 0.6, 0.2, 0.1]
Y = [True, True, True, False, False, False]


def test_golden_report() -> None:
    """Six outcomes computed by hand.

    Predicted (p ≥ 0.5): 0.9, 0.8, 0.6 → TP 2, FP 1 (0.6), FN 1 (0.3), TN 2.
    AUC: of 9 (positive, negative) pairs only 0.3 < 0.6 is mis-ordered → 8/9.
    Brier: (0.01 + 0.04 + 0.49 + 0.36 + 0.04 + 0.01)/6 = 0.95/6.
    ECE: one outcome per bin, |p − y| = 0.1, 0.2, 0.7, 0.6, 0.2, 0.1 → 1.9/6.
    """
    r = performance_report(P, Y, min_outcomes=1)
    assert isinstance(r, PerformanceReport)
    c = r.confusion
    assert (c.true_positive, c.false_positive, c.true_negative, c.false_negative) == (2, 1, 2, 1)
    assert r.accuracy == pytest.approx(4 / 6)
    assert r.precision == pytest.approx(2 / 3)
    assert r.recall == pytest.approx(2 / 3)
    assert r.f1 == pytest.approx(2 / 3)
    assert r.auc == pytest.approx(8 / 9)
    assert r.brier == pytest.approx(0.95 / 6)
    assert r.ece == pytest.approx(1.9 / 6)
    assert [b.count for b in r.calibration] == [0, 1, 1, 1, 0, 0, 1, 0, 1, 1]
    assert r.calibration[3].mean_predicted == pytest.approx(0.3)
    assert r.calibration[3].observed_rate == 1.0
    assert r.calibration[0].mean_predicted is None


def test_auc_ties_count_half() -> None:
    """All probabilities equal → AUC 0.5."""
    assert auc_score([0.4, 0.4, 0.4], [1, 0, 1]) == 0.5


def test_degenerate_inputs() -> None:
    """Empty → insufficient data; one class → AUC None; no predicted positives → precision None."""
    assert performance_report([], []) == InsufficientData("outcomes", 0, 10)
    assert performance_report([0.2] * 5, [0] * 5) == InsufficientData("outcomes", 5, 10)
    r = performance_report([0.2] * 10, [False] * 10)
    assert isinstance(r, PerformanceReport)
    assert r.auc is None
    assert r.precision is None
    assert r.recall is None
    assert r.f1 is None
    assert r.accuracy == 1.0
    with pytest.raises(ValueError):
        performance_report([0.2], [0, 1])


def test_probability_one_goes_to_last_bin() -> None:
    """p = 1.0 falls in [0.9, 1.0]."""
    r = performance_report([1.0, 0.0], [1, 0], min_outcomes=1)
    assert isinstance(r, PerformanceReport)
    assert r.calibration[-1].count == 1
    assert r.calibration[0].count == 1


def test_weekly_trend_groups_by_iso_week() -> None:
    """Sunday 2025-01-12 is ISO week 2, Monday 2025-01-13 starts week 3."""
    sun = datetime(2025, 1, 12, 22, tzinfo=UTC)
    mon = datetime(2025, 1, 13, 8, tzinfo=UTC)
    recs = [OutcomeRecord(0.8, True, sun), OutcomeRecord(0.3, False, sun)]
    recs += [OutcomeRecord(0.7, False, mon)]
    weeks = weekly_trend(recs, min_outcomes=2)
    assert [(w.iso_year, w.iso_week) for w in weeks] == [(2025, 2), (2025, 3)]
    assert weeks[0].week_start.isoformat() == "2025-01-06"
    assert isinstance(weeks[0].report, PerformanceReport)
    assert weeks[0].report.accuracy == 1.0
    assert weeks[1].report == InsufficientData("outcomes", 1, 2)


def test_struggle_reduction_golden() -> None:
    """Baseline 12/40 = 0.3, current 9/45 = 0.2 → (0.3 − 0.2)/0.3 = 1/3 ≥ 25%."""
    r = struggle_reduction(12, 40, 9, 45)
    assert isinstance(r, StruggleReduction)
    assert r.reduction == pytest.approx(1 / 3)
    assert r.meets_target


def test_struggle_reduction_insufficient() -> None:
    """Small windows and a baseline without struggles are insufficient-data answers."""
    assert struggle_reduction(1, 5, 0, 40) == InsufficientData("baseline objectives", 5, 10)
    assert struggle_reduction(3, 40, 0, 4) == InsufficientData("current objectives", 4, 10)
    assert struggle_reduction(0, 40, 0, 40) == InsufficientData("baseline struggles", 0, 1)


def test_struggle_reduction_windows() -> None:
    """Baseline = 6 weeks before switch-on; older events and the switch-on instant are excluded."""
    on = datetime(2025, 3, 3, tzinfo=UTC)
    now = on + timedelta(weeks=10)
    events = [(on - timedelta(days=d), d % 2 == 0) for d in range(1, 21)]  # 10 of 20 struggled
    events += [(on - timedelta(weeks=7), True)] * 50  # before the baseline window: ignored
    events += [(now - timedelta(days=d), d % 4 == 0) for d in range(1, 21)]  # 5 of 20
    events += [(on + timedelta(days=1), True)] * 50  # older than the latest 6 weeks: ignored
    r = struggle_reduction_since(events, on, now)
    assert isinstance(r, StruggleReduction)
    assert (r.baseline_rate, r.current_rate, r.reduction) == (0.5, 0.25, 0.5)


pairs = st.lists(st.tuples(st.floats(0.0, 1.0), st.booleans()), min_size=1, max_size=60)


@given(pairs)
def test_metrics_in_range_and_bins_sum_to_n(data: list[tuple[float, bool]]) -> None:
    """All rates in [0, 1]; calibration counts add up to n; confusion adds up to n."""
    p = [d[0] for d in data]
    y = [d[1] for d in data]
    r = performance_report(p, y, min_outcomes=1)
    assert isinstance(r, PerformanceReport)
    assert sum(b.count for b in r.calibration) == r.n == len(data)
    c = r.confusion
    assert c.true_positive + c.false_positive + c.true_negative + c.false_negative == r.n
    for v in (r.accuracy, r.precision, r.recall, r.f1, r.auc, r.brier, r.ece):
        assert v is None or 0.0 <= v <= 1.0 + 1e-12
