"""PERFORMANCE_PEAK: runs of ≥ 2 hours with mean score ≥ 80 per weekday type."""

from __future__ import annotations

import math

import pytest
from scipy import stats

from tests.analysis.patterns.synth import session
from twin.analysis.patterns.inputs import SessionObs
from twin.analysis.patterns.peaks import analyze_peaks, day_type
from twin.enums import BehavioralPatternType


def _weekday_sessions(hour: int, scores: list[float], first_day: int = 0) -> list[SessionObs]:
    # Days 0-4 after T0 are Mon-Fri.
    return [
        session(f"h{hour}-{i}", day=first_day + i % 5 + 7 * (i // 5), hour=hour, performance=p)
        for i, p in enumerate(scores)
    ]


def test_day_type() -> None:
    """Mon-Fri are weekdays, Sat-Sun weekend."""
    assert [day_type(d) for d in range(7)] == ["weekday"] * 5 + ["weekend"] * 2


def test_two_hour_peak_golden() -> None:
    """07:00 scores 80, 90 and 08:00 scores 85, 85 on weekdays → peak Mon–Fri 07:00–09:00.

    Window: 4 sessions, mean 85, sd √((25+25+0+0)/3) = 4.0825, consistency 4/4 = 1.
    P(mean > 80) = t.cdf(5 / (4.0825/2), 3); confidence = min(1, 4/20) × that.
    """
    r = analyze_peaks(_weekday_sessions(7, [80, 90]) + _weekday_sessions(8, [85, 85]))
    (p,) = r.peaks
    assert p.label == "Mon–Fri 07:00–09:00"
    assert p.key == "weekday:07-09"
    assert p.sessions == 4 and p.mean_score == pytest.approx(85.0)
    sd = math.sqrt(50 / 3)
    assert p.sd_score == pytest.approx(sd)
    assert p.consistency == 1.0
    prob = stats.t.cdf(5 / (sd / 2), 3)
    assert p.confidence == pytest.approx(0.2 * prob)
    (pattern,) = r.patterns()
    assert pattern.pattern_type == BehavioralPatternType.PERFORMANCE_PEAK
    assert pattern.data["label"] == "Mon–Fri 07:00–09:00"


def test_mean_of_exactly_80_counts_and_just_below_does_not() -> None:
    """Hour means of exactly 80 are high (≥ 80); an hour at 79.5 breaks the run.

    At the threshold P(window mean > 80) = t.cdf(0) = 0.5, so confidence = min(1, 4/20)·0.5 = 0.1.
    """
    at = analyze_peaks(_weekday_sessions(9, [80, 80]) + _weekday_sessions(10, [79, 81]))
    assert [p.label for p in at.peaks] == ["Mon–Fri 09:00–11:00"]
    assert at.peaks[0].confidence == pytest.approx(0.1)
    below = analyze_peaks(_weekday_sessions(9, [80, 80]) + _weekday_sessions(10, [79, 80]))
    assert below.peaks == ()


def test_single_hour_and_single_session_hours_are_not_peaks() -> None:
    """One high hour is not a window; an hour with one session is not evidence."""
    assert analyze_peaks(_weekday_sessions(7, [95, 95])).peaks == ()
    assert analyze_peaks(_weekday_sessions(7, [95]) + _weekday_sessions(8, [95])).peaks == ()


def test_weekdays_and_weekends_are_separate() -> None:
    """07:00 high on weekdays and 08:00 high on weekends make no cross-type window."""
    weekend = [session(f"w{i}", day=5 + 7 * i, hour=8, performance=95) for i in range(2)]
    assert analyze_peaks(_weekday_sessions(7, [95, 95]) + weekend).peaks == ()
    weekend_run = weekend + [
        session(f"x{i}", day=6 + 7 * i, hour=9, performance=90) for i in range(2)
    ]
    (p,) = analyze_peaks(weekend_run).peaks
    assert p.label == "Sat–Sun 08:00–10:00"


def test_consistency_counts_sessions_at_or_above_80() -> None:
    """07:00 scores 100, 70 (mean 85), 08:00 scores 90, 85 (mean 87.5): 3 of 4 sessions ≥ 80 → 0.75."""
    r = analyze_peaks(_weekday_sessions(7, [100, 70]) + _weekday_sessions(8, [90, 85]))
    (p,) = r.peaks
    assert p.consistency == 0.75
    assert p.mean_score == pytest.approx(86.25)
