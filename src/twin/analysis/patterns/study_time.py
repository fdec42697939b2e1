"""OPTIMAL_STUDY_TIME: which local start hours give this learner better sessions than the rest.

Per session, the hour score of ENGINE.md 5.1 is
``0.4·performance + 0.3·retention·100 + 0.2·completion·100 + 0.1·engagement``.
Performance is always present; when retention, completion or engagement is missing
for a session, the weights of the components present are renormalised to sum to 1
(so a session with only performance and retention scores ``(0.4·p + 0.3·r·100) / 0.7``).

The test. An hour h is a candidate when it has at least 5 sessions. Its evidence is
the centred window h−1 … h+1 (wrapping at midnight): the window's sessions are
compared with all other sessions by Welch's t (unequal variances), and h is reported
only when the simultaneous 95% interval of (window mean − rest mean) lies above 0 and
the hour's own mean is above the learner's overall mean. The interval is simultaneous
by Bonferroni over the m candidate hours (each interval at level 1 − 0.05/m), so a
learner without any time-of-day effect gets a reported hour with probability at most
about 5%. Being above the rest is the same as being above the overall mean, because
the overall mean is a weighted average of the window and the rest. Pooling the
neighbours roughly triples the sample behind each hour; the reported hour is still a
single hour with its own 5 sessions, and the window label spans only the hours of
the window that have sessions (e.g. "06:00–08:00" when nobody studied at 08:00).

Measured on seeded synthetic learners (tests/analysis/patterns/synth.py: habitual hours
06–09 / 12–14 / 18–22, score noise sd 10, 500 replicates each): learners without an
effect get a reported hour 3.0% / 1.4% / 4.2% of the time with 50 / 100 / 150 sessions;
a +15-point peak (1-hour spread) is reported as the top hour within ±1 h in 61% / 97% /
99.8% of learners for a 07:00 peak and 40% / 90% / 99% for a 20:00 peak (the evening has
more hours, so fewer sessions per hour); a +10-point peak with 100 sessions in 65% / 54%.

Confidence of a reported hour = ``min(1, n/50) × (1 − p_adj)`` where n is the number of
scored sessions in the comparison (all of them: the test uses the rest as well) and
p_adj the Bonferroni-adjusted two-sided p value of the hour's test.

**Within the same fortnights.** A learner's level moves over weeks (an overload month
studied late at night and badly, a good exam-free stretch studied in the morning), and
a comparison of hours over the whole history reads that as a time-of-day effect: on a
simulated family whose overloaded weeks are studied 2–4 h later, 14% of learners without
any hour effect got an "optimal hour". So an hour is reported only when its window
*also* beats the other hours of the same 14-day periods: least squares of the score on
the window indicator with one fixed level per 14-day block (counted from the first
session; by Frisch–Waugh–Lovell, score and indicator demeaned within blocks), one-sided
p < 0.01. The check applies when the learner's level does differ between the periods
(one-way ANOVA of the scores across blocks, p < 0.01); otherwise there is nothing for
the periods to explain. Reporting needs the Bonferroni test in every case, so the family
error stays its own; the second test only removes effects that exist between periods
but not within them.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from twin.analysis.common import rounded
from twin.analysis.patterns.common import DetectedPattern, data_factor, hour_label, window_label
from twin.analysis.patterns.inputs import PERCENT_MAX, SessionObs
from twin.enums import BehavioralPatternType

PERFORMANCE_WEIGHT = 0.4
RETENTION_WEIGHT = 0.3
COMPLETION_WEIGHT = 0.2
ENGAGEMENT_WEIGHT = 0.1
MIN_SESSIONS_PER_HOUR = 5
WINDOW_HALF_WIDTH_HOURS = 1
FAMILY_CONFIDENCE_LEVEL = 0.95
MAX_OPTIMAL_HOURS = 3
FULL_CONFIDENCE_SESSIONS = 50
MIN_SESSIONS_PER_GROUP_FOR_VARIANCE = 2
HOURS_PER_DAY = 24
DAYS_PER_WEEK = 7
WEEKDAY_LABELS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
PERIOD_BLOCK_DAYS = 14.0  # the within-period check compares sessions of the same 14 days
WITHIN_PERIOD_MAX_P = 0.01  # one-sided p of the within-period difference
WITHIN_PERIOD_MIN_SHARE = 0.0  # of the pooled difference that must remain within periods
# The within-period check applies when the learner's level differs between the periods.
PERIOD_VARIATION_MAX_P = 0.01
SECONDS_PER_DAY = 86_400.0
METHOD = (
    "Welch t of the centred 3-hour window vs all other sessions; simultaneous 95% "
    "interval by Bonferroni over the candidate hours (those with at least 5 sessions); "
    "and higher than the other hours of the same 14-day periods (fixed effects, one-sided "
    "p < 0.01)"
)


def session_score(session: SessionObs) -> float:
    """The 0-100 hour score of one session, weights renormalised over the components present."""
    parts = [(PERFORMANCE_WEIGHT, session.performance)]
    if session.retention is not None:
        parts.append((RETENTION_WEIGHT, session.retention * PERCENT_MAX))
    completion = session.completion_rate
    if completion is not None:
        parts.append((COMPLETION_WEIGHT, completion * PERCENT_MAX))
    if session.engagement is not None:
        parts.append((ENGAGEMENT_WEIGHT, session.engagement))
    # A weighted mean of values in [0, 100] is in [0, 100], but in floating point a perfect
    # session comes out as 100.00000000000001 (0.4 + 0.3 + 0.2 ≠ 0.9 exactly), which the
    # weekly behavioral score refuses; clamp the rounding error away.
    score = sum(w * v for w, v in parts) / sum(w for w, _ in parts)
    return min(PERCENT_MAX, max(0.0, score))


def session_scores(sessions: Sequence[SessionObs]) -> np.ndarray:
    """:func:`session_score` of every session, as an array."""
    return np.array([session_score(s) for s in sessions], dtype=float)


@dataclass(frozen=True)
class WelchResult:
    """Difference of two means with Welch's t: estimate, interval, one-sided p (greater)."""

    difference: float
    standard_error: float
    df: float
    ci_low: float
    ci_high: float
    p_greater: float


def welch_difference(a: np.ndarray, b: np.ndarray, *, confidence_level: float) -> WelchResult:
    """Welch's two-sample comparison of mean(a) − mean(b) with a two-sided interval at ``confidence_level``."""
    n1, n2 = len(a), len(b)
    if n1 < MIN_SESSIONS_PER_GROUP_FOR_VARIANCE or n2 < MIN_SESSIONS_PER_GROUP_FOR_VARIANCE:
        raise ValueError("each group needs at least 2 values")
    diff = float(a.mean() - b.mean())
    q1 = float(a.var(ddof=1)) / n1
    q2 = float(b.var(ddof=1)) / n2
    se = math.sqrt(q1 + q2)
    if se == 0.0:
        p = 0.0 if diff > 0 else 1.0
        return WelchResult(diff, 0.0, math.inf, diff, diff, p)
    if (q1 + q2) ** 2 >= sys.float_info.min:
        df = (q1 + q2) ** 2 / (q1**2 / (n1 - 1) + q2**2 / (n2 - 1))
    else:  # denormal variances: the squares underflow; the same ratio on the shares of q1 + q2
        s1, s2 = q1 / (q1 + q2), q2 / (q1 + q2)
        df = 1.0 / (s1**2 / (n1 - 1) + s2**2 / (n2 - 1))
    t_crit = float(stats.t.ppf(1.0 - (1.0 - confidence_level) / 2.0, df))
    p = float(stats.t.sf(diff / se, df))
    return WelchResult(diff, se, df, diff - t_crit * se, diff + t_crit * se, p)


@dataclass(frozen=True)
class WithinPeriodResult:
    """Difference window − other sessions with one level per period (fixed effects)."""

    difference: float
    standard_error: float
    df: int
    p_greater: float


def period_blocks(days: np.ndarray, block_days: float = PERIOD_BLOCK_DAYS) -> np.ndarray:
    """Block number of each session: 14-day periods counted from the earliest one."""
    d = np.asarray(days, dtype=float)
    if d.size == 0:
        return np.zeros(0, dtype=np.intp)
    return np.asarray(np.floor((d - d.min()) / block_days), dtype=np.intp)


def within_period_difference(
    scores: np.ndarray, in_window: np.ndarray, blocks: np.ndarray
) -> WithinPeriodResult | None:
    """Least-squares effect of the window on the score with a fixed level per block.

    Frisch–Waugh–Lovell: demean score and indicator within each block, regress one on the
    other; ``df = n − blocks − 1``. None when no block has sessions both in and out of the
    window, or no degrees of freedom are left.
    """
    y = np.asarray(scores, dtype=float)
    x = np.asarray(in_window, dtype=float)
    b = np.asarray(blocks, dtype=np.intp)
    counts = np.bincount(b)
    used = int(np.count_nonzero(counts))
    df = len(y) - used - 1
    if df <= 0:
        return None
    x_t = x - (np.bincount(b, weights=x) / np.maximum(counts, 1))[b]
    y_t = y - (np.bincount(b, weights=y) / np.maximum(counts, 1))[b]
    sxx = float(x_t @ x_t)
    if sxx <= 1e-12:
        return None
    beta = float(x_t @ y_t) / sxx
    resid = y_t - beta * x_t
    se = math.sqrt(float(resid @ resid) / df / sxx)
    if se == 0.0:
        return WithinPeriodResult(beta, 0.0, df, 0.0 if beta > 0 else 1.0)
    return WithinPeriodResult(beta, se, df, float(stats.t.sf(beta / se, df)))


def period_variation_p(scores: np.ndarray, blocks: np.ndarray) -> float:
    """One-way ANOVA p of the scores across periods (blocks with ≥ 2 sessions; 1 below 2 blocks)."""
    groups = [
        scores[blocks == b]
        for b in np.unique(blocks)
        if np.count_nonzero(blocks == b) >= MIN_SESSIONS_PER_GROUP_FOR_VARIANCE
    ]
    if len(groups) < MIN_SESSIONS_PER_GROUP_FOR_VARIANCE:
        return 1.0
    p = float(stats.f_oneway(*groups).pvalue)
    return p if math.isfinite(p) else 1.0


def holds_within_periods(
    within: WithinPeriodResult | None, pooled_difference: float, *, periods_differ: bool = True
) -> bool:
    """The pooled advantage persists within the periods (required only when the learner's level
    differs between periods): positive, at least ``WITHIN_PERIOD_MIN_SHARE`` of the pooled
    difference, one-sided p below the maximum."""
    if not periods_differ:
        return True
    return (
        within is not None
        and within.difference > 0.0
        and within.difference >= WITHIN_PERIOD_MIN_SHARE * pooled_difference
        and within.p_greater < WITHIN_PERIOD_MAX_P
    )


@dataclass(frozen=True)
class HourStat:
    """What one local start hour shows; test fields are None when the hour was not a candidate."""

    hour: int
    sessions: int
    mean_score: float
    window_sessions: int
    window_mean: float
    rest_sessions: int
    rest_mean: float | None
    difference: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    p_adjusted: float | None = None
    within_period_difference: float | None = None
    within_period_p: float | None = None
    qualifies: bool = False


@dataclass(frozen=True)
class OptimalHour:
    """A reported optimal start hour with its evidence and confidence."""

    hour: int
    window_start: int
    window_end: int
    sessions: int
    mean_score: float
    window_sessions: int
    window_mean: float
    rest_sessions: int
    rest_mean: float
    overall_mean: float
    lift_percent: float
    ci_low: float
    ci_high: float
    p_adjusted: float
    evidence_strength: float
    confidence: float
    within_period_difference: float = 0.0
    within_period_p: float = 0.0

    @property
    def label(self) -> str:
        """``"07:00"``."""
        return hour_label(self.hour)

    @property
    def window(self) -> str:
        """``"06:00–09:00"``."""
        return window_label(self.window_start, self.window_end)


@dataclass(frozen=True)
class Heatmap:
    """Weekday (0 = Mon) × local hour grid: mean performance, mean score and session count."""

    mean_performance: tuple[tuple[float | None, ...], ...]
    mean_score: tuple[tuple[float | None, ...], ...]
    sessions: tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class StudyTimeResult:
    """Outcome of the study-time analysis."""

    sessions_scored: int
    overall_mean: float | None
    hours_tested: int
    hours: tuple[HourStat, ...]
    optimal: tuple[OptimalHour, ...]
    heatmap: Heatmap
    confidence: float

    def patterns(self) -> list[DetectedPattern]:
        """One OPTIMAL_STUDY_TIME pattern per reported hour."""
        out = []
        for rank, o in enumerate(self.optimal, start=1):
            evidence = (
                f"Sessions starting {o.window} score {o.window_mean:.1f} vs {o.rest_mean:.1f} "
                f"at other times ({o.lift_percent:+.0f}%, n = {o.window_sessions} vs {o.rest_sessions} sessions)",
                f"Simultaneous 95% interval of the difference: {o.ci_low:+.1f} to {o.ci_high:+.1f} "
                f"(Welch, Bonferroni over {self.hours_tested} candidate hours; adjusted p = {o.p_adjusted:.3g})",
                f"{o.sessions} sessions started at {o.label}, mean score {o.mean_score:.1f}; "
                f"overall mean {o.overall_mean:.1f} over {self.sessions_scored} sessions",
                f"Also {o.within_period_difference:+.1f} against the other hours of the same "
                f"14-day periods (one-sided p = {o.within_period_p:.2g})",
            )
            out.append(
                DetectedPattern(
                    pattern_type=BehavioralPatternType.OPTIMAL_STUDY_TIME,
                    key=f"hour={o.hour:02d}",
                    name=f"Best study time {o.label} (window {o.window})",
                    confidence=o.confidence,
                    evidence=evidence,
                    data={
                        "rank": rank,
                        "hour": o.hour,
                        "label": o.label,
                        "window": o.window,
                        "windowStartHour": o.window_start,
                        "windowEndHour": o.window_end,
                        "sessions": o.sessions,
                        "meanScore": rounded(o.mean_score),
                        "windowSessions": o.window_sessions,
                        "windowMean": rounded(o.window_mean),
                        "restSessions": o.rest_sessions,
                        "restMean": rounded(o.rest_mean),
                        "overallMean": rounded(o.overall_mean),
                        "totalSessions": self.sessions_scored,
                        "liftPercent": rounded(o.lift_percent, 2),
                        "ciLow": rounded(o.ci_low),
                        "ciHigh": rounded(o.ci_high),
                        "pAdjusted": rounded(o.p_adjusted, 6),
                        "hoursTested": self.hours_tested,
                        "evidenceStrength": rounded(o.evidence_strength),
                        "withinPeriodDifference": rounded(o.within_period_difference),
                        "withinPeriodP": rounded(o.within_period_p, 6),
                        "method": METHOD,
                    },
                )
            )
        return out


def _window_order(hour: int) -> list[int]:
    return [
        (hour + d) % HOURS_PER_DAY
        for d in range(-WINDOW_HALF_WIDTH_HOURS, WINDOW_HALF_WIDTH_HOURS + 1)
    ]


def _window_hours(hour: int) -> set[int]:
    return set(_window_order(hour))


def build_heatmap(sessions: Sequence[SessionObs]) -> Heatmap:
    """The 7×24 weekday × hour grid of mean performance, mean score and session counts."""
    perf = np.zeros((DAYS_PER_WEEK, HOURS_PER_DAY))
    score = np.zeros((DAYS_PER_WEEK, HOURS_PER_DAY))
    count = np.zeros((DAYS_PER_WEEK, HOURS_PER_DAY), dtype=int)
    for s, value in zip(sessions, session_scores(sessions), strict=True):
        perf[s.weekday, s.hour] += s.performance
        score[s.weekday, s.hour] += value
        count[s.weekday, s.hour] += 1

    def means(total: np.ndarray) -> tuple[tuple[float | None, ...], ...]:
        return tuple(
            tuple(
                rounded(total[d, h] / count[d, h], 2) if count[d, h] else None
                for h in range(HOURS_PER_DAY)
            )
            for d in range(DAYS_PER_WEEK)
        )

    return Heatmap(
        mean_performance=means(perf),
        mean_score=means(score),
        sessions=tuple(tuple(int(c) for c in row) for row in count),
    )


def analyze_study_time(sessions: Sequence[SessionObs]) -> StudyTimeResult:
    """Find the learner's optimal start hours (top 3 that pass the simultaneous 95% test)."""
    ordered = sorted(sessions, key=lambda s: (s.started_at, s.session_id))
    heatmap = build_heatmap(ordered)
    n = len(ordered)
    if n == 0:
        return StudyTimeResult(0, None, 0, (), (), heatmap, 0.0)
    hours = np.array([s.hour for s in ordered])
    scores = session_scores(ordered)
    blocks = period_blocks(np.array([s.started_at.timestamp() / SECONDS_PER_DAY for s in ordered]))
    overall = float(scores.mean())
    counts = np.bincount(hours, minlength=HOURS_PER_DAY)
    periods_differ = period_variation_p(scores, blocks) < PERIOD_VARIATION_MAX_P

    candidates = []
    for h in range(HOURS_PER_DAY):
        in_window = np.isin(hours, sorted(_window_hours(h)))
        if (
            counts[h] >= MIN_SESSIONS_PER_HOUR
            and (~in_window).sum() >= MIN_SESSIONS_PER_GROUP_FOR_VARIANCE
        ):
            candidates.append(h)
    m = len(candidates)
    per_test_level = 1.0 - (1.0 - FAMILY_CONFIDENCE_LEVEL) / max(m, 1)

    stats_by_hour: list[HourStat] = []
    optimal: list[OptimalHour] = []
    for h in range(HOURS_PER_DAY):
        if counts[h] == 0:
            continue
        in_window = np.isin(hours, sorted(_window_hours(h)))
        win, rest = scores[in_window], scores[~in_window]
        hour_mean = float(scores[hours == h].mean())
        rest_mean = float(rest.mean()) if len(rest) else None
        if h not in candidates:
            stats_by_hour.append(
                HourStat(
                    h, int(counts[h]), hour_mean, len(win), float(win.mean()), len(rest), rest_mean
                )
            )
            continue
        w = welch_difference(win, rest, confidence_level=per_test_level)
        # Two-sided p of a positive difference is 2·p_greater; Bonferroni multiplies by m.
        p_adj = min(1.0, 2.0 * m * w.p_greater)
        # The within-period check only matters (and is only computed) once the pooled test passes.
        passes = w.ci_low > 0.0 and hour_mean > overall
        within = within_period_difference(scores, in_window, blocks) if passes else None
        qualifies = passes and holds_within_periods(
            within, w.difference, periods_differ=periods_differ
        )
        stats_by_hour.append(
            HourStat(
                h,
                int(counts[h]),
                hour_mean,
                len(win),
                float(win.mean()),
                len(rest),
                rest_mean,
                difference=w.difference,
                ci_low=w.ci_low,
                ci_high=w.ci_high,
                p_value=w.p_greater,
                p_adjusted=p_adj,
                within_period_difference=within.difference if within else None,
                within_period_p=within.p_greater if within else None,
                qualifies=qualifies,
            )
        )
        if qualifies and rest_mean is not None and within is not None:
            strength = 1.0 - p_adj
            # The label spans only the hours that have sessions (the centre always has).
            present = [x for x in _window_order(h) if counts[x] > 0]
            optimal.append(
                OptimalHour(
                    hour=h,
                    window_start=present[0],
                    window_end=(present[-1] + 1) % HOURS_PER_DAY,
                    sessions=int(counts[h]),
                    mean_score=hour_mean,
                    window_sessions=len(win),
                    window_mean=float(win.mean()),
                    rest_sessions=len(rest),
                    rest_mean=rest_mean,
                    overall_mean=overall,
                    lift_percent=100.0 * w.difference / rest_mean if rest_mean > 0 else 0.0,
                    ci_low=w.ci_low,
                    ci_high=w.ci_high,
                    p_adjusted=p_adj,
                    evidence_strength=strength,
                    confidence=data_factor(n, FULL_CONFIDENCE_SESSIONS) * strength,
                    within_period_difference=within.difference,
                    within_period_p=within.p_greater,
                )
            )
    optimal.sort(key=lambda o: (-(o.window_mean - o.rest_mean), o.p_adjusted, o.hour))
    top = tuple(optimal[:MAX_OPTIMAL_HOURS])
    confidence = top[0].confidence if top else data_factor(n, FULL_CONFIDENCE_SESSIONS)
    return StudyTimeResult(
        sessions_scored=n,
        overall_mean=overall,
        hours_tested=m,
        hours=tuple(stats_by_hour),
        optimal=top,
        heatmap=heatmap,
        confidence=confidence,
    )
