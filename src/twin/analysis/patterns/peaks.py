"""PERFORMANCE_PEAK: runs of consecutive local hours, per weekday type, where the learner scores ≥ 80.

Sessions are split into weekdays (Mon–Fri) and weekends (Sat–Sun) and grouped by
local start hour. An hour is "high" when it has at least 2 sessions and their mean
hour score (the score of study_time) is ≥ 80. A peak is a maximal run of ≥ 2
consecutive high hours on the same day type; runs do not wrap past midnight, because
the next hour belongs to another day (and possibly another day type). Since every
hour of the run has a mean ≥ 80, so does the window.

Consistency = share of the window's sessions that scored ≥ 80 themselves.
Confidence = ``min(1, n/20) × P(true window mean > 80)``, the second factor read from
the one-sided t statistic ``(mean − 80) / (sd/√n)`` with n − 1 degrees of freedom (the
posterior probability under a flat prior); a window with zero spread gets 1.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from twin.analysis.common import rounded
from twin.analysis.patterns.common import DetectedPattern, data_factor, window_label
from twin.analysis.patterns.inputs import SessionObs
from twin.analysis.patterns.study_time import HOURS_PER_DAY, session_score
from twin.enums import BehavioralPatternType

PEAK_MIN_SCORE = 80.0
PEAK_MIN_HOURS = 2
MIN_SESSIONS_PER_PEAK_HOUR = 2
PEAK_FULL_CONFIDENCE_SESSIONS = 20
WEEKEND_WEEKDAYS = frozenset({5, 6})
DAY_TYPE_LABELS = {"weekday": "Mon–Fri", "weekend": "Sat–Sun"}


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
    consistency: float
    hour_means: tuple[tuple[int, float, int], ...]
    prob_above_threshold: float
    confidence: float

    @property
    def label(self) -> str:
        """E.g. ``"Mon–Fri 07:00–09:00"``."""
        return f"{DAY_TYPE_LABELS[self.day_type]} {window_label(self.start_hour, self.end_hour)}"

    @property
    def key(self) -> str:
        """Identity across analyses, e.g. ``"weekday:07-09"``."""
        return f"{self.day_type}:{self.start_hour:02d}-{self.end_hour:02d}"


@dataclass(frozen=True)
class PeaksResult:
    """All peaks found (best first) and the analyser's confidence."""

    sessions: int
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
                        f"Mean score {p.mean_score:.1f} over {p.sessions} sessions in {p.label}",
                        f"{p.consistency:.0%} of those sessions scored ≥ {PEAK_MIN_SCORE:.0f}",
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
                        "consistency": rounded(p.consistency),
                        "probMeanAbove80": rounded(p.prob_above_threshold),
                        "hourMeans": [
                            {"hour": h, "meanScore": rounded(m), "sessions": k}
                            for h, m, k in p.hour_means
                        ],
                    },
                )
            )
        return out


def _peak(dtype: str, run: list[int], by_hour: dict[int, list[float]]) -> PeakWindow:
    scores = np.array([x for h in run for x in by_hour[h]])
    n = len(scores)
    mean = float(scores.mean())
    sd = float(scores.std(ddof=1))
    if sd == 0.0:
        prob = 1.0 if mean > PEAK_MIN_SCORE else 0.5
    else:
        prob = float(stats.t.cdf((mean - PEAK_MIN_SCORE) / (sd / math.sqrt(n)), n - 1))
    return PeakWindow(
        day_type=dtype,
        start_hour=run[0],
        end_hour=run[-1] + 1,
        sessions=n,
        mean_score=mean,
        sd_score=sd,
        consistency=float((scores >= PEAK_MIN_SCORE).mean()),
        hour_means=tuple((h, float(np.mean(by_hour[h])), len(by_hour[h])) for h in run),
        prob_above_threshold=prob,
        confidence=data_factor(n, PEAK_FULL_CONFIDENCE_SESSIONS) * prob,
    )


def analyze_peaks(sessions: Sequence[SessionObs]) -> PeaksResult:
    """Find performance peaks: ≥ 2 consecutive high-scoring hours on weekdays or on weekends."""
    ordered = sorted(sessions, key=lambda s: (s.started_at, s.session_id))
    peaks: list[PeakWindow] = []
    for dtype in DAY_TYPE_LABELS:
        by_hour: dict[int, list[float]] = {}
        for s in ordered:
            if day_type(s.weekday) == dtype:
                by_hour.setdefault(s.hour, []).append(session_score(s))
        high = [
            len(by_hour.get(h, ())) >= MIN_SESSIONS_PER_PEAK_HOUR
            and float(np.mean(by_hour[h])) >= PEAK_MIN_SCORE
            for h in range(HOURS_PER_DAY)
        ]
        run: list[int] = []
        for h in [*range(HOURS_PER_DAY), HOURS_PER_DAY]:
            if h < HOURS_PER_DAY and high[h]:
                run.append(h)
                continue
            if len(run) >= PEAK_MIN_HOURS:
                peaks.append(_peak(dtype, run, by_hour))
            run = []
    peaks.sort(key=lambda p: (-p.confidence, -p.mean_score, p.day_type, p.start_hour))
    confidence = (
        peaks[0].confidence if peaks else data_factor(len(ordered), PEAK_FULL_CONFIDENCE_SESSIONS)
    )
    return PeaksResult(sessions=len(ordered), peaks=tuple(peaks), confidence=confidence)
