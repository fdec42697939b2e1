"""Pure helpers of the struggle workflow: indicators, interventions, missions, alerts (ENGINE.md 5.2).

Indicators are created for the features that *drive* a prediction: the feature was
measured and its contribution to the prediction's log-odds is positive. Severity
comes from the indicator's strength (0–1): HIGH > 0.7, MEDIUM > 0.4, else LOW.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from twin.analysis.common import clip01, rounded
from twin.analysis.struggle.features import FeatureVector
from twin.enums import IndicatorType, InterventionType, Severity

AT_RISK_ABOVE = 0.5
"""Predictions above this get indicators and interventions; lists hide the others by default."""

SEVERITY_HIGH_ABOVE = 0.7
SEVERITY_MEDIUM_ABOVE = 0.4

CONTENT_MISMATCH_ABOVE = 0.5
"""contentTypeMismatch above this (and measured) suggests CONTENT_FORMAT_ADAPT."""

INTERVENTION_PRIORITY: dict[InterventionType, int] = {
    InterventionType.PREREQUISITE_REVIEW: 9,
    InterventionType.DIFFICULTY_PROGRESSION: 8,
    InterventionType.COGNITIVE_LOAD_REDUCE: 8,
    InterventionType.CONTENT_FORMAT_ADAPT: 7,
    InterventionType.SPACED_REPETITION_BOOST: 6,
    InterventionType.BREAK_SCHEDULE_ADJUST: 5,
}
"""Priorities of ENGINE.md 5.2 (higher first)."""

INDICATOR_FEATURES: dict[IndicatorType, tuple[str, ...]] = {
    IndicatorType.LOW_RETENTION: ("retentionScore", "reviewLapseRate"),
    IndicatorType.PREREQUISITE_GAP: ("prerequisiteGapCount", "prerequisiteMasteryGap"),
    IndicatorType.COMPLEXITY_MISMATCH: ("complexityMismatch",),
    IndicatorType.COGNITIVE_OVERLOAD: ("cognitiveLoadIndicator",),
    IndicatorType.HISTORICAL_STRUGGLE_PATTERN: ("historicalStruggleScore",),
}
"""The features behind each indicator; their contributions are summed."""

INDICATOR_INTERVENTIONS: dict[IndicatorType, tuple[InterventionType, ...]] = {
    IndicatorType.PREREQUISITE_GAP: (InterventionType.PREREQUISITE_REVIEW,),
    IndicatorType.COMPLEXITY_MISMATCH: (InterventionType.DIFFICULTY_PROGRESSION,),
    IndicatorType.COGNITIVE_OVERLOAD: (
        InterventionType.COGNITIVE_LOAD_REDUCE,
        InterventionType.BREAK_SCHEDULE_ADJUST,
    ),
    IndicatorType.LOW_RETENTION: (InterventionType.SPACED_REPETITION_BOOST,),
    # Past struggles in the course mean the usual way of studying it has not worked.
    IndicatorType.HISTORICAL_STRUGGLE_PATTERN: (InterventionType.CONTENT_FORMAT_ADAPT,),
}

DEFAULT_SESSION_MINUTES = 30
"""Session length used in texts when the learner's optimal duration is unknown."""

PREREQUISITE_REVIEW_MINUTES = 10.0
"""Minutes added to a mission per inserted prerequisite review."""

DIFFICULTY_PROGRESSION_TIME_FACTOR = 1.25
"""DIFFICULTY_PROGRESSION: +25% estimated time for the gentler ramp."""

LOAD_REDUCE_DURATION_FACTOR = 0.5
"""COGNITIVE_LOAD_REDUCE: mission duration halved."""

SPACED_REPETITION_EXTRA_REVIEWS = 2
"""SPACED_REPETITION_BOOST: extra short review sessions before the due date."""

ALERT_MIN_PROBABILITY = 0.7
ALERT_WINDOW_DAYS = 3.0
ALERT_TOP = 3
ALERT_WEIGHTS = (0.4, 0.3, 0.2, 0.1)
"""(urgency, confidence, severity, load) weights of the alert priority."""

SEVERITY_VALUE: dict[Severity | None, float] = {
    None: 0.0,
    Severity.LOW: 0.3,
    Severity.MEDIUM: 0.6,
    Severity.HIGH: 1.0,
    Severity.CRITICAL: 1.0,
}
"""Severity as a 0–1 number for the alert priority."""


def severity_for(strength: float) -> Severity:
    """HIGH if strength > 0.7, MEDIUM if > 0.4, else LOW (the edges belong to the band below)."""
    if strength > SEVERITY_HIGH_ABOVE:
        return Severity.HIGH
    if strength > SEVERITY_MEDIUM_ABOVE:
        return Severity.MEDIUM
    return Severity.LOW


@dataclass(frozen=True)
class Indicator:
    """One struggle indicator, ready for ``struggle_indicators`` (``context`` is JSON-ready)."""

    indicator_type: IndicatorType
    severity: Severity
    strength: float
    contribution: float
    context: dict[str, float]


def _strength(indicator: IndicatorType, f: FeatureVector) -> float:
    """0–1 strength of an indicator from its features."""
    if indicator is IndicatorType.LOW_RETENTION:
        return max(1.0 - f.retention_score, f.review_lapse_rate)
    if indicator is IndicatorType.PREREQUISITE_GAP:
        return max(f.prerequisite_gap_count, f.prerequisite_mastery_gap)
    if indicator is IndicatorType.COMPLEXITY_MISMATCH:
        return f.complexity_mismatch
    if indicator is IndicatorType.COGNITIVE_OVERLOAD:
        return f.cognitive_load_indicator
    return f.historical_struggle_score


def indicators_for(features: FeatureVector, contributions: Mapping[str, float]) -> list[Indicator]:
    """Indicators whose features were measured and push the prediction up, strongest first."""
    out = []
    values = features.as_dict()
    for itype, names in INDICATOR_FEATURES.items():
        known = [n for n in names if n not in features.unknown]
        if not known:
            continue
        contribution = sum(contributions.get(n, 0.0) for n in known)
        if contribution <= 0.0:
            continue
        strength = _strength(itype, features)
        out.append(
            Indicator(
                indicator_type=itype,
                severity=severity_for(strength),
                strength=strength,
                contribution=contribution,
                context={n: rounded(values[n]) for n in known},
            )
        )
    return sorted(out, key=lambda i: (i.strength, i.contribution), reverse=True)


@dataclass(frozen=True)
class LearnerProfile:
    """What the twin knows about how this learner studies best (None = not known yet)."""

    optimal_session_minutes: int | None = None
    preferred_content_type: str | None = None
    best_study_hour: int | None = None


@dataclass(frozen=True)
class Intervention:
    """One recommendation, ready for ``intervention_recommendations``."""

    intervention_type: InterventionType
    priority: int
    description: str
    reasoning: str


def _pct(x: float) -> str:
    """0.456 → ``"46%"``."""
    return f"{round(100 * x)}%"


def _hour(profile: LearnerProfile) -> str:
    """`` at 07:00`` or empty when the best hour is unknown."""
    return "" if profile.best_study_hour is None else f" at {profile.best_study_hour:02d}:00"


def _intervention(
    itype: InterventionType, f: FeatureVector, profile: LearnerProfile
) -> Intervention:
    """The tailored description and reasoning of one intervention type."""
    minutes = profile.optimal_session_minutes or DEFAULT_SESSION_MINUTES
    if itype is InterventionType.PREREQUISITE_REVIEW:
        desc = (
            f"Review the weak prerequisites first{_hour(profile)}, in a {minutes}-minute session."
        )
        why = (
            f"{_pct(f.prerequisite_gap_count)} of the prerequisites are below 70% mastery "
            f"(mean mastery {_pct(1 - f.prerequisite_mastery_gap)})."
        )
    elif itype is InterventionType.DIFFICULTY_PROGRESSION:
        desc = "Start with basic cards and examples, then move up; allow 25% more time."
        why = (
            f"The objective's complexity ({_pct(f.content_complexity)}) is above your current "
            f"level by {_pct(f.complexity_mismatch)}."
        )
    elif itype is InterventionType.COGNITIVE_LOAD_REDUCE:
        desc = f"Split this objective into sessions of about {max(10, minutes // 2)} minutes."
        why = f"Your recent cognitive load is {round(100 * f.cognitive_load_indicator)}/100."
    elif itype is InterventionType.BREAK_SCHEDULE_ADJUST:
        desc = f"Take a 5-minute break every {minutes} minutes while studying this objective."
        why = (
            f"Your recent cognitive load is {round(100 * f.cognitive_load_indicator)}/100 and "
            f"your sessions work best at about {minutes} minutes."
        )
    elif itype is InterventionType.CONTENT_FORMAT_ADAPT:
        fmt = profile.preferred_content_type or "a different format"
        desc = f"Study this objective using {fmt}."
        why = (
            f"Content-format mismatch {_pct(f.content_type_mismatch)}; past struggles in this "
            f"course {_pct(f.historical_struggle_score)}."
        )
    else:  # SPACED_REPETITION_BOOST and anything else in the table
        desc = (
            f"Add {SPACED_REPETITION_EXTRA_REVIEWS} short review sessions{_hour(profile)} "
            "before this objective is due."
        )
        why = (
            f"Predicted recall of its cards is {_pct(f.retention_score)}; "
            f"{_pct(f.review_lapse_rate)} of your reviews in 30 days were AGAIN."
        )
    return Intervention(itype, INTERVENTION_PRIORITY[itype], desc, why)


def interventions_for(
    features: FeatureVector, indicators: Sequence[Indicator], profile: LearnerProfile
) -> list[Intervention]:
    """Interventions for the indicators (plus format adaptation on a measured mismatch), by priority."""
    types: list[InterventionType] = []
    for ind in indicators:
        for t in INDICATOR_INTERVENTIONS.get(ind.indicator_type, ()):
            if t not in types:
                types.append(t)
    if (
        "contentTypeMismatch" not in features.unknown
        and features.content_type_mismatch > CONTENT_MISMATCH_ABOVE
        and InterventionType.CONTENT_FORMAT_ADAPT not in types
    ):
        types.append(InterventionType.CONTENT_FORMAT_ADAPT)
    ordered = sorted(types, key=lambda t: -INTERVENTION_PRIORITY[t])  # stable for equal priority
    return [_intervention(t, features, profile) for t in ordered]


@dataclass(frozen=True)
class Mission:
    """The parts of a mission an intervention can change."""

    objective_ids: tuple[str, ...]
    estimated_minutes: float
    break_interval_minutes: int | None = None
    content_type: str | None = None
    extra_review_sessions: int = 0
    difficulty_ramp: bool = False


def apply_intervention(
    mission: Mission,
    intervention: InterventionType,
    *,
    objective_id: str,
    weak_prerequisite_ids: Sequence[str] = (),
    profile: LearnerProfile = LearnerProfile(),
) -> Mission:
    """The mission after applying one intervention for ``objective_id`` (pure; input unchanged)."""
    if intervention is InterventionType.PREREQUISITE_REVIEW:
        new = [p for p in weak_prerequisite_ids if p not in mission.objective_ids]
        ids = list(mission.objective_ids)
        at = ids.index(objective_id) if objective_id in ids else 0
        ids[at:at] = new
        return replace(
            mission,
            objective_ids=tuple(ids),
            estimated_minutes=mission.estimated_minutes + PREREQUISITE_REVIEW_MINUTES * len(new),
        )
    if intervention is InterventionType.DIFFICULTY_PROGRESSION:
        return replace(
            mission,
            estimated_minutes=mission.estimated_minutes * DIFFICULTY_PROGRESSION_TIME_FACTOR,
            difficulty_ramp=True,
        )
    if intervention is InterventionType.COGNITIVE_LOAD_REDUCE:
        return replace(
            mission, estimated_minutes=mission.estimated_minutes * LOAD_REDUCE_DURATION_FACTOR
        )
    if intervention is InterventionType.BREAK_SCHEDULE_ADJUST:
        return replace(
            mission,
            break_interval_minutes=profile.optimal_session_minutes or DEFAULT_SESSION_MINUTES,
        )
    if intervention is InterventionType.CONTENT_FORMAT_ADAPT:
        return replace(mission, content_type=profile.preferred_content_type)
    if intervention is InterventionType.SPACED_REPETITION_BOOST:
        return replace(
            mission,
            extra_review_sessions=mission.extra_review_sessions + SPACED_REPETITION_EXTRA_REVIEWS,
        )
    return mission


@dataclass(frozen=True)
class AlertCandidate:
    """A stored prediction that may deserve an alert."""

    prediction_id: str
    probability: float
    confidence: float
    due_in_days: float
    severity: Severity | None
    """Highest severity among the prediction's indicators (None: no indicators)."""
    cognitive_load: float
    """Recent cognitive load, 0–1."""


@dataclass(frozen=True)
class Alert:
    """An alert with its 0–100 priority and the urgency it was computed from."""

    prediction_id: str
    priority: float
    urgency: float


def alert_urgency(due_in_days: float) -> float:
    """1 when due now, falling linearly by 1/(3 + 1) per day: 0.25 at 3 days."""
    return clip01(1.0 - max(0.0, due_in_days) / (ALERT_WINDOW_DAYS + 1.0))


def alert_priority(c: AlertCandidate) -> float:
    """``(0.4·urgency + 0.3·confidence + 0.2·severity + 0.1·load)·100``."""
    wu, wc, ws, wl = ALERT_WEIGHTS
    return 100.0 * (
        wu * alert_urgency(c.due_in_days)
        + wc * clip01(c.confidence)
        + ws * SEVERITY_VALUE[c.severity]
        + wl * clip01(c.cognitive_load)
    )


def alerts_for(candidates: Sequence[AlertCandidate]) -> list[Alert]:
    """Top 3 alerts among predictions with p ≥ 0.7 due within 3 days, highest priority first."""
    eligible = [
        c
        for c in candidates
        if c.probability >= ALERT_MIN_PROBABILITY and 0.0 <= c.due_in_days <= ALERT_WINDOW_DAYS
    ]
    alerts = [
        Alert(c.prediction_id, alert_priority(c), alert_urgency(c.due_in_days)) for c in eligible
    ]
    return sorted(alerts, key=lambda a: (-a.priority, a.prediction_id))[:ALERT_TOP]
