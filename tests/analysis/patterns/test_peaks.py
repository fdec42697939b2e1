"""PERFORMANCE_PEAK: windows above the learner's own mean, with the study-time significance gate."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from tests.analysis.patterns.synth import session, study_time_learner
from twin.analysis.patterns.inputs import SessionObs
from twin.analysis.patterns.peaks import analyze_peaks, day_type
from twin.analysis.patterns.study_time import (
    StudyTimeResult,
    analyze_study_time,
    welch_difference,
)
from twin.enums import BehavioralPatternType

NO_EFFECT_LEARNERS = 200
FALSE_PEAK_MAX_SHARE = 0.05


def _weekday_sessions(hour: int, scores: list[float], first_day: int = 0) -> list[SessionObs]:
    # Days 0-4 after T0 are Mon-Fri; i-th session on the i-th weekday.
    return [
        session(f"h{hour}-{i}", day=first_day + i % 5 + 7 * (i // 5), hour=hour, performance=p)
        for i, p in enumerate(scores)
    ]


def _morning_peak_learner() -> list[SessionObs]:
    """Weekdays: 07:00 and 08:00 score 88–92, 12:00–20:00 score 58–66, over 8 weeks."""
    high = [88.0, 90.0, 92.0, 89.0, 91.0, 90.0, 88.0, 92.0]
    low = [58.0, 62.0, 66.0, 60.0, 64.0, 62.0, 58.0, 66.0]
    out = _weekday_sessions(7, high) + _weekday_sessions(8, high[::-1])
    for hour in (12, 14, 16, 18, 20):
        out += _weekday_sessions(hour, low if hour % 4 else low[::-1])
    return out


def test_day_type() -> None:
    """Mon-Fri are weekdays, Sat-Sun weekend."""
    assert [day_type(d) for d in range(7)] == ["weekday"] * 5 + ["weekend"] * 2


def test_two_hour_peak_golden() -> None:
    """07:00–09:00 on weekdays: 16 sessions at 90 vs 40 at 62; Welch + Bonferroni over the windows.

    Candidates are the 2-hour windows whose hours both have ≥ 2 sessions: only (7, 8) here
    (12, 14, … are 2 h apart), so m = 1 and p_adj = 2·P(t > d/se); confidence = min(1, 16/20)·(1 − p_adj).
    """
    sessions = _morning_peak_learner()
    r = analyze_peaks(sessions)
    (p,) = r.peaks
    assert p.label == "Mon–Fri 07:00–09:00" and p.key == "weekday:07-09"
    assert r.windows_tested == 1
    inside = np.array([s.performance for s in sessions if s.hour in (7, 8)])
    rest = np.array([s.performance for s in sessions if s.hour not in (7, 8)])
    assert p.sessions == 16 and p.mean_score == pytest.approx(inside.mean())
    assert p.rest_mean == pytest.approx(rest.mean())
    w = welch_difference(inside, rest, confidence_level=0.95)
    assert p.p_adjusted == pytest.approx(min(1.0, 2.0 * w.p_greater))
    assert p.confidence == pytest.approx(0.8 * (1.0 - p.p_adjusted))
    assert p.consistency == 1.0  # every 07–09 session is above the mean of all sessions
    (pattern,) = r.patterns()
    assert pattern.pattern_type == BehavioralPatternType.PERFORMANCE_PEAK
    assert pattern.data["restMean"] == pytest.approx(round(rest.mean(), 4))


def test_high_scores_at_every_hour_make_no_peak() -> None:
    """The issue's learner: 85 ± noise at every hour, no hour effect — the old absolute rule
    ("mean ≥ 80") found peaks everywhere; relative to the learner's own mean there are none."""
    rng = np.random.default_rng(3)
    sessions = [
        session(
            f"s{i}", day=i // 2, hour=int(h), performance=float(np.clip(rng.normal(86, 6), 0, 100))
        )
        for i, h in enumerate(rng.integers(6, 12, size=120))
    ]
    assert np.mean([s.performance for s in sessions]) > 80
    assert analyze_peaks(sessions).peaks == ()


def test_learners_without_an_hour_effect_rarely_get_a_peak() -> None:
    """200 seeded learners without a time-of-day effect (synth habits, noise sd 10): ≤ 5% get a
    peak — the family-wise error of the study-time gate peaks are tied to."""
    with_peak = sum(
        bool(analyze_peaks(study_time_learner(np.random.default_rng(seed), n=100)).peaks)
        for seed in range(NO_EFFECT_LEARNERS)
    )
    assert with_peak <= FALSE_PEAK_MAX_SHARE * NO_EFFECT_LEARNERS


def test_a_true_peak_is_found_around_its_hour() -> None:
    """A +25-point 07:00 peak (150 sessions) gives a weekday peak window containing 06–08 h."""
    sessions = study_time_learner(np.random.default_rng(11), n=150, peak_hour=7, amplitude=25.0)
    r = analyze_peaks(sessions)
    assert r.peaks
    best = r.peaks[0]
    assert best.start_hour <= 8 and best.end_hour >= 7


def test_a_peak_needs_an_optimal_study_hour() -> None:
    """The same window is no peak when the study-time result reports no optimal hour."""
    sessions = _morning_peak_learner()
    study = analyze_study_time(sessions)
    assert study.optimal
    none = StudyTimeResult(
        study.sessions_scored,
        study.overall_mean,
        study.hours_tested,
        study.hours,
        (),
        study.heatmap,
        0.0,
    )
    assert analyze_peaks(sessions, none).peaks == ()
    assert analyze_peaks(sessions, study).peaks == analyze_peaks(sessions).peaks


def test_weekdays_and_weekends_are_separate() -> None:
    """High 07:00 on weekdays and high 08:00 on weekends make no window; both on weekdays do."""
    low = _weekday_sessions(15, [60.0, 62.0, 64.0] * 6) + _weekday_sessions(16, [61.0, 63.0] * 6)
    weekend = [session(f"w{i}", day=5 + 7 * i, hour=8, performance=93.0 + i % 3) for i in range(8)]
    weekday_8 = _weekday_sessions(8, [93.0, 94.0, 95.0] * 3)[:8]
    seven = _weekday_sessions(7, [92.0, 94.0, 96.0] * 3)[:8]
    assert analyze_peaks(seven + weekend + low).peaks == ()
    (p,) = analyze_peaks(seven + weekday_8 + low).peaks
    assert p.label == "Mon–Fri 07:00–09:00"


def test_welch_p_is_the_one_sided_t_tail() -> None:
    """welch_difference's p_greater is scipy's one-sided Welch p (the peaks' p_adj builds on it)."""
    a = np.array([90.0, 88.0, 93.0, 91.0])
    b = np.array([60.0, 65.0, 62.0, 70.0, 58.0])
    w = welch_difference(a, b, confidence_level=0.95)
    ref = stats.ttest_ind(a, b, equal_var=False, alternative="greater")
    assert w.p_greater == pytest.approx(ref.pvalue)
