"""PERFORMANCE_PEAK: windows of consecutive local hours, per weekday type, above the learner's own level.

**Our rule differs from ENGINE.md's source rule** ("mean score ≥ 80"): an absolute
threshold finds "peaks" everywhere for a learner who does well at every hour (a
simulated learner without any hour effect but scoring 85 everywhere got "Mon–Fri
06:00–11:00" at confidence 0.95). A peak is relative to the learner's own mean, with the
significance gate of OPTIMAL_STUDY_TIME, so noise makes no peak:

* Sessions are split into weekdays (Mon–Fri) and weekends (Sat–Sun) and grouped by local
  start hour. The candidates are the 2-hour windows (h, h + 1) of one day type, not
  wrapping past midnight (the next hour belongs to another day), in which both hours
  have ≥ 2 sessions and the window ≥ 6; chosen by counts only, never by score.
* A candidate qualifies when (Welch's t, window vs all the learner's other sessions) the
  simultaneous 95% interval of the difference — Bonferroni over the candidates — lies
  above 0, both of its hours score above the learner's overall mean, and — when the
  learner's level differs between 14-day periods — it also beats the other sessions of
  the same periods (fixed effects, one-sided p < 0.01; see
  :mod:`twin.analysis.patterns.study_time`).
* Overlapping qualifying windows of a day type merge into one peak, e.g. (7, 8) and
  (8, 9) → "Mon–Fri 07:00–10:00".
* A peak must overlap the window (hour ± 1) of a reported optimal study hour: a peak is
  the day-type refinement of a time-of-day effect the study-time test found, so the twin
  never shows a "peak" where it reports no better time, and a learner without an hour
  effect gets neither with the study-time test's error rate (two separate gates would
  add their errors: measured on the spaced-repetition family, 8–10% of learners without
  an hour effect would have had one or the other, against 5–7% with this rule).

Consistency = share of the peak's sessions that scored above the learner's overall
mean. Confidence = ``min(1, n/20) × (1 − p_adj)``, n the peak's sessions and p_adj the
smallest Bonferroni-adjusted two-sided p of its windows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from twin.analysis.common import rounded
from twin.analysis.patterns.common import DetectedPattern, data_factor, window_label
from twin.analysis.patterns.inputs import SessionObs
from twin.analysis.patterns.study_time import (
    FAMILY_CONFIDENCE_LEVEL,
    HOURS_PER_DAY,
    MIN_SESSIONS_PER_GROUP_FOR_VARIANCE,
    PERIOD_VARIATION_MAX_P,
    SECONDS_PER_DAY,
    WINDOW_HALF_WIDTH_HOURS,
    StudyTimeResult,
    analyze_study_time,
    holds_within_periods,
    period_blocks,
    period_variation_p,
    session_scores,
    welch_difference,
    within_period_difference,
)
from twin.enums import BehavioralPatternType

PEAK_MIN_HOURS = 2
MIN_SESSIONS_PER_PEAK_HOUR = 2
MIN_SESSIONS_PER_PEAK_WINDOW = 6
PEAK_FULL_CONFIDENCE_SESSIONS = 20
WEEKEND_WEEKDAYS = frozenset({5, 6})
DAY_TYPE_LABELS = {"weekday": "Mon–Fri", "weekend": "Sat–Sun"}
METHOD = (
    "2-hour windows per day type vs all other sessions: Welch t, simultaneous 95% "
    "interval by Bonferroni over the candidate windows, above the learner's mean at both "
    "hours, and above the other hours of the same 14-day periods (one-sided p < 0.01)"
)


def day_type(weekday: int) -> str:
    """``"weekday"`` for Mon–Fri (0-4), ``"weekend"`` for Sat–Sun (5-6)."""
    return "weekend" if weekday in WEEKEND_WEEKDAYS else "weekday"


@dataclass(frozen=True)
class PeakWindow:
    """One performance peak with its evidence."""

    day_type: str
    start_hour: int
    end_hour: int
    sessions: int
    mean_score: float
    sd_score: float
    rest_sessions: int
    rest_mean: float
    overall_mean: float
    consistency: float
    hour_means: tuple[tuple[int, float, int], ...]
    p_adjusted: float
    windows_tested: int
    confidence: float

    @property
    def label(self) -> str:
        """E.g. ``"Mon–Fri 07:00–09:00"``."""
        return f"{DAY_TYPE_LABELS[self.day_type]} {window_label(self.start_hour, self.end_hour)}"

    @property
    def key(self) -> str:
        """Identity across analyses, e.g. ``"weekday:07-09"``."""
        return f"{self.day_type}:{self.start_hour:02d}-{self.end_hour:02d}"

    @property
    def lift_percent(self) -> float:
        """How much higher the peak's mean is than the rest's, in percent of the rest."""
        return (
            100.0 * (self.mean_score - self.rest_mean) / self.rest_mean if self.rest_mean else 0.0
        )


@dataclass(frozen=True)
class PeaksResult:
    """All peaks found (best first) and the analyser's confidence."""

    sessions: int
    windows_tested: int
    peaks: tuple[PeakWindow, ...]
    confidence: float

    def patterns(self) -> list[DetectedPattern]:
        """One PERFORMANCE_PEAK pattern per peak window."""
        out = []
        for p in self.peaks:
            per_hour = ", ".join(f"{h:02d}:00 {m:.0f} (n = {k})" for h, m, k in p.hour_means)
            out.append(
                DetectedPattern(
                    pattern_type=BehavioralPatternType.PERFORMANCE_PEAK,
                    key=p.key,
                    name=f"Performance peak {p.label}",
                    confidence=p.confidence,
                    evidence=(
                        f"Mean score {p.mean_score:.1f} over {p.sessions} sessions in {p.label} vs "
                        f"{p.rest_mean:.1f} over {p.rest_sessions} other sessions "
                        f"(adjusted p = {p.p_adjusted:.3g}, {self.windows_tested} windows tested)",
                        f"{p.consistency:.0%} of those sessions scored above your mean of "
                        f"{p.overall_mean:.1f}",
                        f"Per hour: {per_hour}",
                    ),
                    data={
                        "dayType": p.day_type,
                        "label": p.label,
                        "startHour": p.start_hour,
                        "endHour": p.end_hour,
                        "sessions": p.sessions,
                        "meanScore": rounded(p.mean_score),
                        "sdScore": rounded(p.sd_score),
                        "restSessions": p.rest_sessions,
                        "restMean": rounded(p.rest_mean),
                        "overallMean": rounded(p.overall_mean),
                        "liftPercent": rounded(p.lift_percent, 2),
                        "consistency": rounded(p.consistency),
                        "pAdjusted": rounded(p.p_adjusted, 6),
                        "windowsTested": self.windows_tested,
                        "hourMeans": [
                            {"hour": h, "meanScore": rounded(m), "sessions": k}
                            for h, m, k in p.hour_means
                        ],
                        "method": METHOD,
                    },
                )
            )
        return out


def _peak(
    dtype: str,
    hours: list[int],
    p_adjusted: float,
    windows_tested: int,
    members: np.ndarray,
    scores: np.ndarray,
    session_hours: np.ndarray,
) -> PeakWindow:
    inside = scores[members]
    rest = scores[~members]
    overall = float(scores.mean())
    n = len(inside)
    return PeakWindow(
        day_type=dtype,
        start_hour=hours[0],
        end_hour=hours[-1] + 1,
        sessions=n,
        mean_score=float(inside.mean()),
        sd_score=float(inside.std(ddof=1)) if n > 1 else 0.0,
        rest_sessions=len(rest),
        rest_mean=float(rest.mean()),
        overall_mean=overall,
        consistency=float((inside > overall).mean()),
        hour_means=tuple(
            (
                h,
                float(scores[members & (session_hours == h)].mean()),
                int(np.sum(members & (session_hours == h))),
            )
            for h in hours
        ),
        p_adjusted=p_adjusted,
        windows_tested=windows_tested,
        confidence=data_factor(n, PEAK_FULL_CONFIDENCE_SESSIONS) * (1.0 - p_adjusted),
    )


def analyze_peaks(
    sessions: Sequence[SessionObs], study_time: StudyTimeResult | None = None
) -> PeaksResult:
    """Find performance peaks: ≥ 2 consecutive hours above the learner's own mean, with the gate.

    ``study_time`` is the learner's study-time result (computed here when not given): a
    peak must overlap the window of one of its optimal hours.
    """
    ordered = sorted(sessions, key=lambda s: (s.started_at, s.session_id))
    study = study_time if study_time is not None else analyze_study_time(ordered)
    near_optimal = {
        (o.hour + d) % HOURS_PER_DAY
        for o in study.optimal
        for d in range(-WINDOW_HALF_WIDTH_HOURS, WINDOW_HALF_WIDTH_HOURS + 1)
    }
    n = len(ordered)
    if n == 0:
        return PeaksResult(0, 0, (), 0.0)
    scores = session_scores(ordered)
    hours = np.array([s.hour for s in ordered])
    dtypes = np.array([day_type(s.weekday) for s in ordered])
    blocks = period_blocks(np.array([s.started_at.timestamp() / SECONDS_PER_DAY for s in ordered]))
    overall = float(scores.mean())
    periods_differ = period_variation_p(scores, blocks) < PERIOD_VARIATION_MAX_P

    candidates: list[tuple[str, int, np.ndarray]] = []
    for dtype in DAY_TYPE_LABELS:
        of_type = dtypes == dtype
        counts = np.bincount(hours[of_type], minlength=HOURS_PER_DAY)
        for h in range(HOURS_PER_DAY - 1):
            members = of_type & ((hours == h) | (hours == h + 1))
            if (
                counts[h] >= MIN_SESSIONS_PER_PEAK_HOUR
                and counts[h + 1] >= MIN_SESSIONS_PER_PEAK_HOUR
                and members.sum() >= MIN_SESSIONS_PER_PEAK_WINDOW
                and (~members).sum() >= MIN_SESSIONS_PER_GROUP_FOR_VARIANCE
            ):
                candidates.append((dtype, h, members))
    m = len(candidates)
    level = 1.0 - (1.0 - FAMILY_CONFIDENCE_LEVEL) / max(m, 1)

    qualifying: dict[str, list[tuple[int, float]]] = {d: [] for d in DAY_TYPE_LABELS}
    # Without an optimal study hour no window can be a peak: nothing to test (m is kept).
    for dtype, h, members in candidates if near_optimal else []:
        w = welch_difference(scores[members], scores[~members], confidence_level=level)
        p_adj = min(1.0, 2.0 * m * w.p_greater)
        above = all(float(scores[members & (hours == x)].mean()) > overall for x in (h, h + 1))
        if not (w.ci_low > 0.0 and above):
            continue
        within = within_period_difference(scores, members, blocks)
        if holds_within_periods(within, w.difference, periods_differ=periods_differ):
            qualifying[dtype].append((h, p_adj))

    peaks: list[PeakWindow] = []
    for dtype, windows in qualifying.items():
        windows.sort()
        run: list[tuple[int, float]] = []
        for item in [*windows, None]:
            if item is not None and (not run or item[0] <= run[-1][0] + 1):
                run.append(item)
                continue
            if run and near_optimal.intersection(range(run[0][0], run[-1][0] + PEAK_MIN_HOURS)):
                run_hours = list(range(run[0][0], run[-1][0] + PEAK_MIN_HOURS))
                members = (dtypes == dtype) & np.isin(hours, run_hours)
                peaks.append(
                    _peak(
                        dtype,
                        run_hours,
                        min(p for _, p in run),
                        m,
                        members,
                        scores,
                        hours,
                    )
                )
            run = [item] if item is not None else []
    peaks.sort(key=lambda p: (-p.confidence, -p.mean_score, p.day_type, p.start_hour))
    confidence = peaks[0].confidence if peaks else data_factor(n, PEAK_FULL_CONFIDENCE_SESSIONS)
    return PeaksResult(sessions=n, windows_tested=m, peaks=tuple(peaks), confidence=confidence)


__all__ = ["PeakWindow", "PeaksResult", "analyze_peaks", "day_type"]
