"""Burnout risk over a 14-day window (ENGINE.md 5.4), with warning signals and interventions.

Six factors, each 0–100, combined as ``risk = Σ weight·factor`` on 0–100 (no second
×100: the source spec had one). Levels: LOW < 25 ≤ MEDIUM < 50 ≤ HIGH < 75 ≤ CRITICAL.

The window is the 14 local calendar days ending on ``now`` (inclusive), i.e. the
days ``now − 13`` … ``now``. Days before the learner's history starts are not
counted; days inside the covered span without a record are days without study.

Calibration (how each factor reaches 100). Aim: HIGH or worse within 7 days of
the onset of an overload episode, and never for learners without one, including
those who study a lot but comfortably. Hence: a week of daily overload must be
enough on its own, and hours without strain must never be.

- intensity: study hours of the busier of the window's two weeks; 0 at ≤ 10
  h/week (≈ 1.5 h a day), 100 at ≥ 25 h/week (≈ 3.5 h every day). The busier
  week, not the fortnight's mean, so a week of overload is not halved by the
  calm week before it. Worth at most 20 points: heavy but comfortable study
  stays LOW/MEDIUM.
- performance decline: the larger of a *fresh* drop — the fall of the
  least-squares line through the daily mean performance across the observed
  span (needs 6 days with data: with 4–5 noisy days the fitted line swings by
  tens of points) — and a *sustained* drop — the learner's level in the
  reference period before the window (median of its daily means, from 6 days
  with data) minus their current level (mean of the window's last 7 days with
  data, from 3); 20 points → 100.
- chronic load: share of the days with a load reading (study days, but at
  least 4) that are overloaded — mean load > 60, or at least 40 with the median
  of that day and the two study days before it 15 points above the learner's
  typical load of the reference period (median of its days; such days count
  only from 3 on: a day or two above the usual level is not chronic); 100 once
  half of them are. Taken over study days, not calendar days,
  so that it measures how strained the studying is, and leaves how much rest
  there is to the recovery factor.
- irregularity: share of planned sessions not completed (missed or skipped);
  100 at half of them.
- engagement decay: as performance decline (fresh or sustained), on daily
  engagement (0–100).
- recovery deficit: recovery days (mean load < 40, or a day off that was not a
  skipped plan: skipping is avoidance, not rest; never a day with ≥ 30 minutes of
  study after 23:00: that takes the sleep) against the 2 per week a learner needs;
  100 with none.

**The reference period** (ENGINE.md 5.4: judged against the learner's own *earlier*
level). The caller passes the daily aggregates of the 28 days before the window. A
baseline taken inside the window, or one that follows the learner, adapts to an
overload that lasts: a learner whose accuracy fell 20 points four weeks ago and stayed
down shows no decline inside any 14-day window, and the cognitive load's latency
baseline (the median of their recent sessions) drifts with their slowed answers until
no day exceeds 60. Measured on a simulated family with 3–6-week overloads (longer,
later sessions, performance 15–30 points down): with the reference period,
``benchmarks.cognitive_quality`` finds them HIGH or CRITICAL by their third week; without
it, most are not (see the README for the figures).

**Advice never contradicts a warning sign.** "Keep going: your current rhythm looks
sustainable" is only said when no warning sign is HIGH or CRITICAL; otherwise the
advice says the overall risk is low *but* names the serious signs first, each with what
to do (late-night study at CRITICAL is addressed, whatever the overall score). The
advice and the mission limits are in :mod:`twin.analysis.cognitive.burnout_advice`.

**Serious signs raise the level** (issue 14). The weighted score misses a sustained
overload whose load stays calm (the chronic-load factor at 0, the score at 30–43) while
its signs are at their worst. So the level is at least HIGH (score raised to 50) when
CRITICAL signs of two independent kinds agree (lasting performance or engagement loss —
one kind —, irregular plans, chronic load, late-night study), or late-night study is
CRITICAL with performance HIGH or worse below the earlier level; a drop counts only when
it is below the reference period's level, not a line fitted through a noisy fortnight.
The reason is appended to those signs' messages (evidence ``raisesLevelTo``) and is
``BurnoutAssessment.floor_reason``; the signs and the floor's rule are in
:mod:`twin.analysis.cognitive.burnout_signals`. Measured without the database
(``benchmarks.srs_recovery``, seeds 909 / 4242 / 5353): sustained overloads HIGH+ by
their third week 89% / 94% / 89% → 96% / 100% / 96%, learners without episodes ever
HIGH+ 0% / 2.5% / 3.7% → 4.7% / 2.5% / 4.6%.

Worked example, 7 days into an episode (7 calm days at 1.5 h and load 30, then
7 days at 4 h and load 68, a 10-point slide, a quarter of sessions skipped):
25 (chronic) + 20 (intensity: 28 h in the busy week) + ~12 (decline) + ~6
(irregularity) + ~3 (engagement) + 0 (recovery) ≈ 66: HIGH. A calm fortnight
(1–2 h a day, load 20–40) scores ≈ 0–15: LOW.

Measured: on simple daily simulations (noise σ 7 points; episodes of 3–5 h/day
at load 68 ± 8 with falling performance) 92–99 % of episodes reach HIGH within
7 days and no calm learner does. On ``twin.simulate`` cohorts (200 learners,
sessions scored with ``load.compute_cognitive_load``) only 30 % of overload
and 2 % of burnout episodes reach HIGH within 7 days, with 8 % of learners
without episodes flagged at some point in 10 weeks: there, overload sessions
average load 55 (41 % above 60) on 2–5 study days a week, hours rise by only
~27 %, and burnout episodes lower hours and load, which the intensity,
chronic-load and recovery factors (half of the weight) cannot see.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from twin.analysis.cognitive.baseline import (
    CHRONIC_LOAD_DAY_ABOVE,
    REFERENCE_DAYS,
    RELATIVE_OVERLOAD_MIN_DAYS,
    RELATIVE_OVERLOAD_POINTS,
    TREND_MIN_DAYS,
    is_overloaded_day,
    level_change,
    reference_load,
    rolling_loads,
)

# The mission limits are read from here by analysis/orchestration and
# analysis/personalization (re-exported until they import burnout_advice).
from twin.analysis.cognitive.burnout_advice import (
    CRITICAL_MAX_SESSION_MINUTES as CRITICAL_MAX_SESSION_MINUTES,
)
from twin.analysis.cognitive.burnout_advice import (
    CRITICAL_REST_DAYS as CRITICAL_REST_DAYS,
)
from twin.analysis.cognitive.burnout_advice import (
    HIGH_MAX_SESSION_MINUTES as HIGH_MAX_SESSION_MINUTES,
)
from twin.analysis.cognitive.burnout_advice import (
    MissionOverride,
    mission_override_for,
    recommendations_for,
)
from twin.analysis.cognitive.burnout_signals import (
    WarningSignal,
    WarningSignalType,
    floor_message,
    serious_signal_floor,
)
from twin.analysis.cognitive.common import banded_severity, clamp_score, scaled_score
from twin.analysis.cognitive.recovery import AssessmentSnapshot
from twin.analysis.common import InsufficientData
from twin.enums import BurnoutRiskLevel, Severity

WINDOW_DAYS = 14
DAYS_PER_WEEK = 7
MINUTES_PER_HOUR = 60.0

# --- factor calibration (see the module docstring for the reasoning) -------
INTENSITY_HOURS_PER_WEEK_FLOOR = 10.0
INTENSITY_HOURS_PER_WEEK_AT_MAX = 25.0
PERFORMANCE_DECLINE_POINTS_AT_MAX = 20.0
CHRONIC_LOAD_SHARE_AT_MAX = 0.5
# The share is taken over days with a load reading, but over at least this many days.
CHRONIC_MIN_DENOMINATOR_DAYS = 4
IRREGULAR_MISSED_SHARE_AT_MAX = 0.5
ENGAGEMENT_DECLINE_POINTS_AT_MAX = 20.0
RECOVERY_DAY_LOAD_BELOW = 40.0
RECOVERY_DAYS_NEEDED_PER_WEEK = 2.0

# --- levels ----------------------------------------------------------------
RISK_MEDIUM_MIN = 25.0
RISK_HIGH_MIN = 50.0
RISK_CRITICAL_MIN = 75.0

# --- data sufficiency and confidence ----------------------------------------
# Fewer covered days than this: the assessment carries an insufficient-data note.
MIN_COVERED_DAYS = 7
# confidence = coverage × (BASE + (1 − BASE) × weight share of measured factors)
CONFIDENCE_MEASURED_BASE = 0.4

# --- warning signals -------------------------------------------------------
SIGNAL_CHRONIC_MIN_DAYS = 3
SIGNAL_DROP_MIN_POINTS = 5.0
SIGNAL_MISSED_MIN_SHARE = 0.2
SIGNAL_MISSED_MIN_SESSIONS = 2
SIGNAL_NO_RECOVERY_MIN_FACTOR = 50.0
# A day counts as a late-night study day with this many minutes between 23:00 and 05:00 local.
LATE_NIGHT_DAY_MIN_MINUTES = 30.0
SIGNAL_LATE_NIGHT_MIN_DAYS = 3
LATE_NIGHT_DAYS_AT_MAX = 7.0
SIGNAL_MEDIUM_MIN = 40.0
SIGNAL_HIGH_MIN = 60.0
SIGNAL_CRITICAL_MIN = 80.0
# Serious signs of independent kinds put the score here at least (burnout_signals).
SIGNAL_FLOOR_RISK = RISK_HIGH_MIN


@dataclass(frozen=True)
class BurnoutWeights:
    """Factor weights (ENGINE.md 5.4); they sum to 1."""

    intensity: float = 0.20
    performance_decline: float = 0.25
    chronic_load: float = 0.25
    irregularity: float = 0.15
    engagement_decay: float = 0.10
    recovery_deficit: float = 0.05


BURNOUT_WEIGHTS = BurnoutWeights()


class BurnoutFactorName(StrEnum):
    """The six contributing factors."""

    INTENSITY = "INTENSITY"
    PERFORMANCE_DECLINE = "PERFORMANCE_DECLINE"
    CHRONIC_LOAD = "CHRONIC_LOAD"
    IRREGULARITY = "IRREGULARITY"
    ENGAGEMENT_DECAY = "ENGAGEMENT_DECAY"
    RECOVERY_DEFICIT = "RECOVERY_DEFICIT"


@dataclass(frozen=True)
class DailyStudyAggregate:
    """One local calendar day of a learner's study, aggregated by the service.

    ``mean_load`` is None on days without a load reading; ``mean_performance``
    and ``engagement`` are 0–100 (None when unknown); ``late_night_minutes`` is
    study time between 23:00 and 05:00 local.
    """

    day: date
    study_minutes: float = 0.0
    mean_load: float | None = None
    sessions_planned: int = 0
    sessions_completed: int = 0
    sessions_skipped: int = 0
    mean_performance: float | None = None
    engagement: float | None = None
    late_night_minutes: float = 0.0


@dataclass(frozen=True)
class BurnoutFactor:
    """One contributing factor: its 0–100 score, weight, contribution and the measure behind it."""

    name: BurnoutFactorName
    score: float
    weight: float
    value: float | None
    unit: str
    measured: bool
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def contribution(self) -> float:
        """Points of risk this factor adds (``weight × score``)."""
        return self.weight * self.score

    def stored_json(self) -> dict[str, Any]:
        """One element of ``burnout_risk_assessments.contributingFactors``."""
        return {
            "factor": self.name.value,
            "score": round(self.score, 2),
            "weight": self.weight,
            "contribution": round(self.contribution, 2),
            "value": None if self.value is None else round(self.value, 4),
            "unit": self.unit,
            "measured": self.measured,
            "evidence": self.evidence,
        }


@dataclass(frozen=True)
class BurnoutAssessment:
    """A burnout-risk assessment with everything that explains it."""

    risk_score: float
    level: BurnoutRiskLevel
    factors: tuple[BurnoutFactor, ...]
    warning_signals: tuple[WarningSignal, ...]
    recommendations: tuple[str, ...]
    mission_override: MissionOverride | None
    confidence: float
    window_start: date
    window_end: date
    covered_days: int
    insufficient: InsufficientData | None = None
    # Why serious warning signs raised the level to HIGH (None when the score alone decides).
    floor_reason: str | None = None

    def contributing_factors_json(self) -> list[dict[str, Any]]:
        """The ``contributingFactors`` JSON array."""
        return [f.stored_json() for f in self.factors]

    def warning_signals_json(self) -> list[dict[str, Any]]:
        """The ``warningSignals`` JSON array."""
        return [s.stored_json() for s in self.warning_signals]

    def snapshot(self) -> AssessmentSnapshot:
        """The parts recovery tracking compares."""
        return AssessmentSnapshot(self.risk_score, self.level, self.window_end)


def risk_level(risk_score: float) -> BurnoutRiskLevel:
    """LOW < 25 ≤ MEDIUM < 50 ≤ HIGH < 75 ≤ CRITICAL."""
    if risk_score >= RISK_CRITICAL_MIN:
        return BurnoutRiskLevel.CRITICAL
    if risk_score >= RISK_HIGH_MIN:
        return BurnoutRiskLevel.HIGH
    if risk_score >= RISK_MEDIUM_MIN:
        return BurnoutRiskLevel.MEDIUM
    return BurnoutRiskLevel.LOW


def intensity_factor(hours_per_week: float) -> float:
    """0 at ≤ 10 h/week, 100 at ≥ 25 h/week, linear between."""
    return scaled_score(
        hours_per_week, INTENSITY_HOURS_PER_WEEK_FLOOR, INTENSITY_HOURS_PER_WEEK_AT_MAX
    )


def performance_decline_factor(drop_points: float) -> float:
    """0 with no drop, 100 at a 20-point fitted drop."""
    return scaled_score(drop_points, 0.0, PERFORMANCE_DECLINE_POINTS_AT_MAX)


def chronic_load_factor(overloaded_share: float) -> float:
    """0 with no day above load 60, 100 when half of the days with a load reading are."""
    return scaled_score(overloaded_share, 0.0, CHRONIC_LOAD_SHARE_AT_MAX)


def irregularity_factor(missed_share: float) -> float:
    """0 with every planned session done, 100 with half of them missed or skipped."""
    return scaled_score(missed_share, 0.0, IRREGULAR_MISSED_SHARE_AT_MAX)


def engagement_decay_factor(drop_points: float) -> float:
    """0 with no drop, 100 at a 20-point fitted drop in engagement."""
    return scaled_score(drop_points, 0.0, ENGAGEMENT_DECLINE_POINTS_AT_MAX)


def recovery_deficit_factor(recovery_days: int, covered_days: int) -> float:
    """Share of the needed recovery days (2 per week) that were missing, as 0–100."""
    needed = RECOVERY_DAYS_NEEDED_PER_WEEK * covered_days / DAYS_PER_WEEK
    if needed <= 0:
        return 0.0
    return clamp_score(100.0 * (needed - recovery_days) / needed)


def is_recovery_day(record: DailyStudyAggregate) -> bool:
    """A day of light study (mean load < 40) or a planned day off; unknown load, skipped plans
    and late-night study are not."""
    if record.sessions_planned > record.sessions_completed:
        # Skipping what was planned is avoidance, not rest (a burnout sign, not a recovery).
        return False
    if record.late_night_minutes >= LATE_NIGHT_DAY_MIN_MINUTES:
        # Studying past 23:00 takes the night's sleep, the recovery itself (whatever the load:
        # a load baseline that drifts with an overload can read such days as light).
        return False
    if record.mean_load is None:
        return record.study_minutes <= 0
    return record.mean_load < RECOVERY_DAY_LOAD_BELOW


def combine_risk(factors: Sequence[BurnoutFactor]) -> float:
    """``Σ weight·factor`` on 0–100."""
    return clamp_score(math.fsum(f.contribution for f in factors))


def peak_week_hours(records: Sequence[DailyStudyAggregate]) -> float:
    """Study hours of the busier of the window's two weeks (the most recent 7 days and the 7 before).

    A week of overload is not halved by a calm week before it; a part-week (short
    history) is scaled up to 7 days.
    """
    ordered = sorted(records, key=lambda r: r.day)
    recent, earlier = ordered[-DAYS_PER_WEEK:], ordered[:-DAYS_PER_WEEK]
    best = 0.0
    for week in (recent, earlier):
        if week:
            minutes = math.fsum(max(0.0, r.study_minutes) for r in week)
            best = max(best, minutes / MINUTES_PER_HOUR * DAYS_PER_WEEK / len(week))
    return best


def _window(now: date) -> tuple[date, date]:
    """First and last day of the 14-day window ending on ``now`` (a datetime counts as its date)."""
    end = now.date() if isinstance(now, datetime) else now
    return end - timedelta(days=WINDOW_DAYS - 1), end


def assess_burnout_risk(
    days: Sequence[DailyStudyAggregate],
    now: date,
    *,
    history_start: date | None = None,
    reference: Sequence[DailyStudyAggregate] = (),
    weights: BurnoutWeights = BURNOUT_WEIGHTS,
) -> BurnoutAssessment:
    """Burnout risk of the 14 days ending on ``now`` (the learner's local date).

    ``history_start`` is the learner's first day of data; without it the first
    record in the window is taken as the start (pass it when you know it, so
    rest days at the start of the window count as rest). ``reference`` holds the daily
    aggregates of the period before the window (the service passes 28 days; records
    inside the window or after it are ignored): the learner's earlier level that
    performance, engagement and load are judged against.
    """
    window_start, window_end = _window(now)
    in_window: dict[date, DailyStudyAggregate] = {}
    for record in days:
        if window_start <= record.day <= window_end:
            if record.day in in_window:
                raise ValueError(f"two aggregates for {record.day.isoformat()}")
            in_window[record.day] = record

    if history_start is not None:
        covered_start = max(window_start, history_start)
    elif in_window:
        covered_start = min(in_window)
    else:
        covered_start = window_end + timedelta(days=1)
    covered_days = max(0, (window_end - covered_start).days + 1)
    covered = [covered_start + timedelta(days=i) for i in range(covered_days)]
    records = [in_window.get(d, DailyStudyAggregate(day=d)) for d in covered]

    earlier = sorted(
        (
            r
            for r in reference
            if r.day < window_start and r.day >= window_start - timedelta(days=REFERENCE_DAYS)
        ),
        key=lambda r: r.day,
    )
    factors = _factors(records, covered_days, weights, earlier)
    by_name = {f.name: f for f in factors}
    signals = _warning_signals(records, by_name)
    risk = combine_risk(factors)
    floor_reason = None
    triggering = serious_signal_floor(signals)
    if triggering and risk < SIGNAL_FLOOR_RISK:
        floor_reason = floor_message(triggering)
        risk = SIGNAL_FLOOR_RISK
        signals = tuple(
            replace(
                s,
                message=f"{s.message} {floor_reason}",
                evidence={**s.evidence, "raisesLevelTo": BurnoutRiskLevel.HIGH.value},
            )
            if s in triggering
            else s
            for s in signals
        )
    level = risk_level(risk)

    measured_weight = math.fsum(f.weight for f in factors if f.measured)
    total_weight = math.fsum(f.weight for f in factors)
    coverage = covered_days / WINDOW_DAYS
    confidence = coverage * (
        CONFIDENCE_MEASURED_BASE
        + (1 - CONFIDENCE_MEASURED_BASE) * (measured_weight / total_weight if total_weight else 0)
    )

    study_days = [r.study_minutes for r in records if r.study_minutes > 0]
    mean_daily_minutes = math.fsum(study_days) / len(study_days) if study_days else 0.0
    return BurnoutAssessment(
        risk_score=risk,
        level=level,
        factors=factors,
        warning_signals=signals,
        recommendations=recommendations_for(level, signals, mean_daily_minutes),
        mission_override=mission_override_for(level, risk),
        confidence=confidence,
        window_start=window_start,
        window_end=window_end,
        covered_days=covered_days,
        insufficient=(
            InsufficientData("days", covered_days, MIN_COVERED_DAYS)
            if covered_days < MIN_COVERED_DAYS
            else None
        ),
        floor_reason=floor_reason,
    )


def _factors(
    records: Sequence[DailyStudyAggregate],
    covered_days: int,
    weights: BurnoutWeights,
    reference: Sequence[DailyStudyAggregate] = (),
) -> tuple[BurnoutFactor, ...]:
    """The six factors over the covered days of the window, against the reference period."""
    total_minutes = math.fsum(max(0.0, r.study_minutes) for r in records)
    hours_per_week = peak_week_hours(records)
    intensity = BurnoutFactor(
        BurnoutFactorName.INTENSITY,
        intensity_factor(hours_per_week),
        weights.intensity,
        hours_per_week,
        "hours/week",
        covered_days > 0,
        {"totalMinutes": total_minutes, "coveredDays": covered_days, "basis": "busier week"},
    )

    performance = _drop_factor(
        BurnoutFactorName.PERFORMANCE_DECLINE,
        [r.mean_performance for r in records],
        [r.mean_performance for r in reference],
        performance_decline_factor,
        weights.performance_decline,
        "performance",
        "daysWithPerformance",
    )

    typical_load = reference_load(reference)
    loads = [r.mean_load for r in records]
    sustained_loads = rolling_loads(reference, records)
    above_60 = sum(1 for x in loads if x is not None and x > CHRONIC_LOAD_DAY_ABOVE)
    overloaded = sum(
        1
        for x, rolled in zip(loads, sustained_loads, strict=True)
        if is_overloaded_day(x, typical_load, rolled)
    )
    if overloaded - above_60 < RELATIVE_OVERLOAD_MIN_DAYS:
        overloaded = above_60  # a day or two above the usual level is not chronic
    load_days = sum(1 for x in loads if x is not None)
    overloaded_share = overloaded / max(load_days, CHRONIC_MIN_DENOMINATOR_DAYS)
    chronic = BurnoutFactor(
        BurnoutFactorName.CHRONIC_LOAD,
        chronic_load_factor(overloaded_share),
        weights.chronic_load,
        overloaded_share,
        f"share of study days overloaded (load > {CHRONIC_LOAD_DAY_ABOVE:.0f}, or "
        f"{RELATIVE_OVERLOAD_POINTS:.0f} above the reference level)",
        covered_days > 0,
        {
            "overloadedDays": overloaded,
            "daysAbove60": above_60,
            "daysWithLoad": load_days,
            "referenceLoad": None if typical_load is None else round(typical_load, 2),
        },
    )

    planned = sum(max(0, r.sessions_planned) for r in records)
    missed = sum(
        max(r.sessions_planned - r.sessions_completed, r.sessions_skipped, 0) for r in records
    )
    missed = min(missed, planned)
    missed_share = missed / planned if planned else None
    irregularity = BurnoutFactor(
        BurnoutFactorName.IRREGULARITY,
        irregularity_factor(missed_share) if missed_share is not None else 0.0,
        weights.irregularity,
        missed_share,
        "share of planned sessions missed or skipped",
        missed_share is not None,
        {"planned": planned, "missedOrSkipped": missed},
    )

    engagement = _drop_factor(
        BurnoutFactorName.ENGAGEMENT_DECAY,
        [r.engagement for r in records],
        [r.engagement for r in reference],
        engagement_decay_factor,
        weights.engagement_decay,
        "engagement",
        "daysWithEngagement",
    )

    recovery_days = sum(1 for r in records if is_recovery_day(r))
    recovery = BurnoutFactor(
        BurnoutFactorName.RECOVERY_DEFICIT,
        recovery_deficit_factor(recovery_days, covered_days),
        weights.recovery_deficit,
        float(recovery_days),
        "days with load < 40",
        covered_days > 0,
        {
            "recoveryDays": recovery_days,
            "neededDays": RECOVERY_DAYS_NEEDED_PER_WEEK * covered_days / DAYS_PER_WEEK,
        },
    )
    return (intensity, performance, chronic, irregularity, engagement, recovery)


def _drop_factor(
    name: BurnoutFactorName,
    window: Sequence[float | None],
    earlier: Sequence[float | None],
    score: Callable[[float], float],
    weight: float,
    measure: str,
    days_key: str,
) -> BurnoutFactor:
    """A factor of a daily measure's drop: fitted in the window, or below the earlier level."""
    change = level_change(window, earlier)
    drop = change.drop
    return BurnoutFactor(
        name,
        score(drop) if drop is not None else 0.0,
        weight,
        drop,
        f"{measure} points lost (fitted in the window, or below the reference period)",
        drop is not None,
        {
            days_key: sum(v is not None for v in window),
            "needDays": TREND_MIN_DAYS,
            **change.evidence(),
        },
    )


def _signal_severity(score: float) -> Severity:
    return banded_severity(
        score,
        medium_min=SIGNAL_MEDIUM_MIN,
        high_min=SIGNAL_HIGH_MIN,
        critical_min=SIGNAL_CRITICAL_MIN,
    )


def _warning_signals(
    records: Sequence[DailyStudyAggregate], by_name: dict[BurnoutFactorName, BurnoutFactor]
) -> tuple[WarningSignal, ...]:
    """Warning signals with the numbers behind each."""
    signals: list[WarningSignal] = []
    chronic = by_name[BurnoutFactorName.CHRONIC_LOAD]
    overloaded_days = int(chronic.evidence["overloadedDays"])
    if overloaded_days >= SIGNAL_CHRONIC_MIN_DAYS:
        signals.append(
            WarningSignal(
                WarningSignalType.CHRONIC_OVERLOAD,
                _signal_severity(chronic.score),
                f"Overloaded on {overloaded_days} of {chronic.evidence['daysWithLoad']} "
                f"study days (load above {CHRONIC_LOAD_DAY_ABOVE:.0f}, or "
                f"{RELATIVE_OVERLOAD_POINTS:.0f} above your usual level).",
                dict(chronic.evidence),
            )
        )
    for factor_name, signal_type, measure in (
        (BurnoutFactorName.PERFORMANCE_DECLINE, WarningSignalType.PERFORMANCE_DROP, "Performance"),
        (BurnoutFactorName.ENGAGEMENT_DECAY, WarningSignalType.ENGAGEMENT_LOSS, "Engagement"),
    ):
        drop = by_name[factor_name]
        if drop.value is not None and drop.value >= SIGNAL_DROP_MIN_POINTS:
            signals.append(
                WarningSignal(
                    signal_type,
                    _signal_severity(drop.score),
                    _drop_message(measure, drop),
                    {"dropPoints": round(drop.value, 2), **drop.evidence},
                )
            )
    irregular = by_name[BurnoutFactorName.IRREGULARITY]
    missed = int(irregular.evidence["missedOrSkipped"])
    if (
        irregular.value is not None
        and irregular.value >= SIGNAL_MISSED_MIN_SHARE
        and missed >= SIGNAL_MISSED_MIN_SESSIONS
    ):
        signals.append(
            WarningSignal(
                WarningSignalType.IRREGULAR_PATTERN,
                _signal_severity(irregular.score),
                f"{missed} of {irregular.evidence['planned']} planned sessions missed or skipped.",
                dict(irregular.evidence),
            )
        )
    recovery = by_name[BurnoutFactorName.RECOVERY_DEFICIT]
    if recovery.score >= SIGNAL_NO_RECOVERY_MIN_FACTOR:
        signals.append(
            WarningSignal(
                WarningSignalType.NO_RECOVERY,
                _signal_severity(recovery.score),
                f"Only {recovery.evidence['recoveryDays']} light or rest days "
                f"(about {recovery.evidence['neededDays']:.0f} needed).",
                dict(recovery.evidence),
            )
        )
    late_days = sum(1 for r in records if r.late_night_minutes >= LATE_NIGHT_DAY_MIN_MINUTES)
    if late_days >= SIGNAL_LATE_NIGHT_MIN_DAYS:
        late_minutes = math.fsum(r.late_night_minutes for r in records)
        signals.append(
            WarningSignal(
                WarningSignalType.LATE_NIGHT_STUDY,
                _signal_severity(scaled_score(late_days, 0.0, LATE_NIGHT_DAYS_AT_MAX)),
                f"Studied after 23:00 on {late_days} days.",
                {"lateNightDays": late_days, "lateNightMinutes": late_minutes},
            )
        )
    return tuple(signals)


def _drop_message(measure: str, factor: BurnoutFactor) -> str:
    """What the drop behind a signal is: fresh within the window, or below the earlier level."""
    assert factor.value is not None
    if factor.evidence.get("basis") == "reference":
        return (
            f"{measure} is about {factor.value:.0f} points below your level of the weeks "
            f"before ({factor.evidence['recentLevel']:.0f} vs {factor.evidence['referenceLevel']:.0f})."
        )
    return f"{measure} fell by about {factor.value:.0f} points over the period."
