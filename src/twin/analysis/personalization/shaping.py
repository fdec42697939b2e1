"""Shared pieces of the four ``apply_*``: engine defaults, the strategy's pull, safety limits.

The engine's defaults and the bounds every answer is clamped to, how an arm moves a number
(``d + w·(s − d)``), break and phase schedules, the evidence trace every answer carries,
and the 5.3 / 5.4 safety limits (burnout HIGH/CRITICAL, load HIGH/CRITICAL) that apply
whatever the level, the pause or the arm. The rules themselves are described in
:mod:`.apply`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from twin.analysis.cognitive.burnout import CRITICAL_MAX_SESSION_MINUTES, HIGH_MAX_SESSION_MINUTES
from twin.analysis.cognitive.common import LoadLevel
from twin.analysis.cognitive.difficulty import EASIER_BREAK_EVERY_MINUTES, adapt_difficulty
from twin.analysis.patterns.forgetting import (
    BASELINE_DECAY_PER_DAY,
    BASELINE_R0,
    review_interval_days,
)
from twin.analysis.personalization.evidence import Evidence, FreeWindow, StrugglePrediction
from twin.analysis.personalization.params import (
    MAX_DURATION_MINUTES,
    MIN_DURATION_MINUTES,
    EvidenceUse,
    P,
    Personalized,
)
from twin.analysis.personalization.preferences import (
    CONTEXT_FEATURES,
    MIN_CONFIDENCE_BY_LEVEL,
    PersonalizationFeature,
    Scope,
    level_features,
)
from twin.analysis.personalization.strategy import ARM_WEIGHTS, StrategyArm
from twin.enums import (
    BurnoutRiskLevel,
    ObjectiveComplexity,
    PersonalizationContext,
    PersonalizationLevel,
)

F = PersonalizationFeature
Ctx = PersonalizationContext

# --- engine defaults -----------------------------------------------------------------
DEFAULT_DURATION_MINUTES = 45
COMPLEXITY_OFFSET_MINUTES: dict[ObjectiveComplexity, int] = {
    ObjectiveComplexity.BASIC: -10,
    ObjectiveComplexity.INTERMEDIATE: 0,
    ObjectiveComplexity.ADVANCED: 15,
}
DURATION_STEP_MINUTES = 5
DEFAULT_BREAK_EVERY_MINUTES: dict[ObjectiveComplexity, int] = {
    ObjectiveComplexity.BASIC: 45,
    ObjectiveComplexity.INTERMEDIATE: 30,
    ObjectiveComplexity.ADVANCED: 25,
}
MIN_BREAK_EVERY_MINUTES = 10
MAX_BREAK_EVERY_MINUTES = 90
BREAK_MINUTES = 5
LONGER_BREAK_AFTER_MINUTES = 60
LONGER_BREAK_MINUTES = 10
LONGEST_BREAK_AFTER_MINUTES = 90
LONGEST_BREAK_MINUTES = 15
WARM_UP_MAX_MINUTES = 15.0
WARM_UP_SHARE = 0.2
WIND_DOWN_SHARE = 0.2
DEFAULT_ASSESSMENT_INTERVAL_DAYS = review_interval_days(BASELINE_R0, BASELINE_DECAY_PER_DAY)
SCHEDULE_BUFFER_MINUTES = 10  # 5.3: a slot needs the planned duration plus a 10-minute buffer

# --- personalization -----------------------------------------------------------------
STRUGGLE_PROBABILITY_MIN = 0.5  # a prediction "says struggle" from here (5.2)
STRONG_MASTERY_MIN = 0.85
CONTENT_MIX_TEMPERATURE = 0.1
MIN_CONTENT_SHARE = 0.05
OVERCONFIDENT_GAP = 0.1
FOCUS_INTERVAL_FRACTION = 0.5
MAX_DIFFICULTY_CHANGE = 2
INTENSITY_HIGH_BELOW_LOAD = 30.0
INTENSITY_LOW_FROM_LOAD = 60.0
REVIEW_CONTENT_TYPE = "flashcard"

# --- safety overrides (5.3 / 5.4) ----------------------------------------------------
HIGH_LOAD_DURATION_FACTOR = 0.7
OVERRIDE_MAX_OBJECTIVES = 1
AT_RISK_BURNOUT = (BurnoutRiskLevel.HIGH, BurnoutRiskLevel.CRITICAL)
AT_RISK_LOAD = (LoadLevel.HIGH, LoadLevel.CRITICAL)

INTENSITIES: tuple[str, ...] = ("LOW", "MEDIUM", "HIGH")
INTENSITY_RANK = {name: i for i, name in enumerate(INTENSITIES)}


# --- helpers -------------------------------------------------------------------------


def scope_for_level(level: PersonalizationLevel, context: PersonalizationContext) -> Scope:
    """The scope of ``level`` for ``context`` with nothing switched off and no pause."""
    features = level_features(level) & CONTEXT_FEATURES[context]
    return Scope(
        context=context,
        level=level,
        effective_level=level,
        min_confidence=MIN_CONFIDENCE_BY_LEVEL.get(level) if features else None,
        features=features,
        paused=False,
        auto_adapt=True,
        reasons=(f"level {level.value}",),
    )


def _as_scope(scope: Scope | PersonalizationLevel, context: PersonalizationContext) -> Scope:
    if isinstance(scope, Scope):
        if scope.context is not context:
            raise ValueError(f"scope is for {scope.context.value}, not {context.value}")
        return scope
    return scope_for_level(scope, context)


def round_to_step(x: float, step: int) -> int:
    """``x`` rounded half up to a multiple of ``step``."""
    return int(step * math.floor(x / step + 0.5))


def clamp_duration(minutes: float) -> int:
    """Rounded to 5 min and clamped to 15–120 (5.3)."""
    return max(
        MIN_DURATION_MINUTES,
        min(MAX_DURATION_MINUTES, round_to_step(minutes, DURATION_STEP_MINUTES)),
    )


def default_duration(complexity: ObjectiveComplexity, requested: int | None) -> int:
    """The engine default (45 ± complexity offset) or the caller's requested length."""
    if requested is not None:
        return requested
    return clamp_duration(DEFAULT_DURATION_MINUTES + COMPLEXITY_OFFSET_MINUTES[complexity])


def move(default: float, suggestion: float, weight: float) -> float:
    """``default + weight·(suggestion − default)``."""
    return default + weight * (suggestion - default)


def break_length(at_minute: int) -> int:
    """5 min; 10 from 60 min into the session; 15 from 90 (5.3)."""
    if at_minute >= LONGEST_BREAK_AFTER_MINUTES:
        return LONGEST_BREAK_MINUTES
    if at_minute >= LONGER_BREAK_AFTER_MINUTES:
        return LONGER_BREAK_MINUTES
    return BREAK_MINUTES


def break_schedule(duration_minutes: int, every_minutes: int) -> tuple[tuple[int, int], ...]:
    """Breaks every ``every_minutes`` of study, strictly before the end of the session."""
    return tuple(
        (m, break_length(m)) for m in range(every_minutes, duration_minutes, every_minutes)
    )


def session_phases(duration_minutes: int) -> tuple[tuple[str, float], ...]:
    """Warm-up min(15 min, 20%), wind-down 20%, peak the rest (5.3)."""
    warm = min(WARM_UP_MAX_MINUTES, WARM_UP_SHARE * duration_minutes)
    wind = WIND_DOWN_SHARE * duration_minutes
    return (("warm-up", warm), ("peak", duration_minutes - warm - wind), ("wind-down", wind))


def cap_change(change: int) -> int:
    """A difficulty change limited to ±2 levels."""
    return max(-MAX_DIFFICULTY_CHANGE, min(MAX_DIFFICULTY_CHANGE, change))


@dataclass
class _Trace:
    """Collects the evidence considered and the reasons while one answer is built."""

    scope: Scope
    evidence: list[EvidenceUse] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    def consider(
        self,
        source: str,
        detail: str,
        confidence: float | None,
        parameter: str,
        feature: PersonalizationFeature,
    ) -> bool:
        """Record one piece of evidence and return whether it may be used."""
        why_not: str | None = None
        if not self.scope.allows(feature):
            why_not = f"{feature.value} is not personalized here"
        elif (
            confidence is not None
            and self.scope.min_confidence is not None
            and confidence < self.scope.min_confidence
        ):
            why_not = (
                f"confidence {confidence:.2f} < {self.scope.min_confidence:g} needed at "
                f"level {self.scope.effective_level.value}"
            )
        self.evidence.append(
            EvidenceUse(source, detail, confidence, parameter, why_not is None, why_not)
        )
        return why_not is None

    def safety(self, source: str, detail: str, confidence: float | None, parameter: str) -> None:
        """Record evidence used by a safety override (any level, any confidence)."""
        self.evidence.append(EvidenceUse(source, detail, confidence, parameter, True))


def _struggles_used(
    evidence: Evidence, trace: _Trace, feature: PersonalizationFeature, parameter: str
) -> list[StrugglePrediction]:
    used = []
    for s in evidence.struggles:
        if s.probability < STRUGGLE_PROBABILITY_MIN:
            continue
        gaps = (
            f", prerequisite gaps {', '.join(s.prerequisite_gap_ids)}"
            if s.prerequisite_gap_ids
            else ""
        )
        if trace.consider(
            "STRUGGLE_PREDICTION",
            f"{s.objective_id}: struggle probability {s.probability:.2f}{gaps}",
            s.confidence,
            parameter,
            feature,
        ):
            used.append(s)
    return sorted(used, key=lambda s: -s.probability)


def struggle_first_order(
    candidates: Sequence[str], struggles: Sequence[StrugglePrediction]
) -> tuple[str, ...]:
    """Gaps of the candidates' predicted struggles first, then those struggles, then the rest.

    Without candidates every predicted struggle counts.
    """
    relevant = [s for s in struggles if not candidates or s.objective_id in candidates]
    order: list[str] = []
    for s in relevant:
        for g in s.prerequisite_gap_ids:
            if g not in order:
                order.append(g)
    for s in relevant:
        if s.objective_id not in order:
            order.append(s.objective_id)
    order.extend(c for c in candidates if c not in order)
    return tuple(order)


def _fits(window: FreeWindow, duration: int) -> bool:
    return window.free_minutes >= duration + SCHEDULE_BUFFER_MINUTES


def _strong_ids(
    evidence: Evidence, trace: _Trace, feature: PersonalizationFeature, parameter: str
) -> set[str]:
    strong = set()
    for a in evidence.strong_areas:
        if a.mastery < STRONG_MASTERY_MIN:
            continue
        if trace.consider(
            "STRONG_AREA",
            f"{a.objective_id}: mastery {a.mastery:.2f}",
            a.confidence,
            parameter,
            feature,
        ):
            strong.add(a.objective_id)
    return strong


def _burnout_at_risk(evidence: Evidence) -> BurnoutRiskLevel | None:
    return evidence.burnout if evidence.burnout in AT_RISK_BURNOUT else None


def _load_at_risk(evidence: Evidence) -> LoadLevel | None:
    if evidence.load is not None and evidence.load.level in AT_RISK_LOAD:
        return evidence.load.level
    return None


@dataclass(frozen=True)
class SafetyLimits:
    """What the safety overrides allow: the lighter of burnout's and load's limits."""

    reasons: tuple[str, ...]
    max_minutes: int | None
    duration_factor: float
    max_difficulty: int
    review_only: bool
    break_every_max: int | None
    break_now: bool

    @property
    def active(self) -> bool:
        """At least one override fired."""
        return bool(self.reasons)


NO_LIMITS = SafetyLimits((), None, 1.0, MAX_DIFFICULTY_CHANGE, False, None, False)


def safety_limits(evidence: Evidence, trace: _Trace | None = None) -> SafetyLimits:
    """The overrides burnout HIGH/CRITICAL and load HIGH/CRITICAL impose (none otherwise)."""
    reasons: list[str] = []
    max_minutes: int | None = None
    factor = 1.0
    max_difficulty = MAX_DIFFICULTY_CHANGE
    review_only = False
    break_every: int | None = None
    break_now = False
    burnout = _burnout_at_risk(evidence)
    if burnout is not None:
        critical = burnout is BurnoutRiskLevel.CRITICAL
        max_minutes = CRITICAL_MAX_SESSION_MINUTES if critical else HIGH_MAX_SESSION_MINUTES
        max_difficulty = -2 if critical else -1
        review_only = True
        reasons.append(
            f"burnout risk {burnout.value}: at most {max_minutes} min, review only, "
            f"difficulty {max_difficulty:+d}"
        )
        if trace is not None:
            trace.safety("BURNOUT_RISK", f"level {burnout.value}", None, "safety override")
    load = _load_at_risk(evidence)
    if load is not None:
        assert evidence.load is not None
        critical = load is LoadLevel.CRITICAL
        factor = HIGH_LOAD_DURATION_FACTOR
        max_difficulty = min(max_difficulty, -2 if critical else -1)
        review_only = review_only or critical
        break_every = EASIER_BREAK_EVERY_MINUTES
        break_now = critical
        reasons.append(
            f"cognitive load {evidence.load.score:.0f} ({load.value}): ×{factor:g} length, "
            f"difficulty ≤ {max_difficulty:+d}, a break at least every {break_every} min"
            + (", review only, break now" if critical else "")
        )
        if trace is not None:
            trace.safety(
                "COGNITIVE_LOAD",
                f"load {evidence.load.score:.0f} ({load.value})",
                evidence.load.confidence,
                "safety override",
            )
    return SafetyLimits(
        tuple(reasons), max_minutes, factor, max_difficulty, review_only, break_every, break_now
    )


def lighter_duration(personalized: int, default: int, limits: SafetyLimits) -> int:
    """Under an override: the lighter of the two, scaled and capped (never above either)."""
    base = min(personalized, default) * limits.duration_factor
    if limits.max_minutes is not None:
        base = min(base, limits.max_minutes)
    # Rounding to 5 min may not go back above the lighter of the two.
    return min(min(personalized, default), clamp_duration(base))


def _load_difficulty(evidence: Evidence, trace: _Trace, parameter: str) -> int:
    """LOAD_ADJUSTMENT: the 5.4 adapter's change for the current load (0 when not used)."""
    if evidence.load is None:
        return 0
    if not trace.consider(
        "COGNITIVE_LOAD",
        f"load {evidence.load.score:.0f} ({evidence.load.level.value})",
        evidence.load.confidence,
        parameter,
        F.LOAD_ADJUSTMENT,
    ):
        return 0
    adjustment = adapt_difficulty(evidence.load.score)
    if adjustment.change:
        trace.reasons.append(f"{parameter}: {adjustment.reason}")
    return adjustment.change


def _duration(
    evidence: Evidence,
    trace: _Trace,
    default: int,
    complexity: ObjectiveComplexity,
    weight: float,
) -> int:
    if evidence.duration is None:
        return default
    suggestion = evidence.duration.optimal_minutes + COMPLEXITY_OFFSET_MINUTES[complexity]
    if not trace.consider(
        "SESSION_DURATION_PREFERENCE",
        f"optimal {evidence.duration.optimal_minutes:.0f} min "
        f"({suggestion:.0f} min at {complexity.value})",
        evidence.duration.confidence,
        "durationMinutes",
        F.DURATION,
    ):
        return default
    value = clamp_duration(move(default, suggestion, weight))
    if value != default:
        trace.reasons.append(
            f"durationMinutes {default} → {value}: towards the learner's best length "
            f"{suggestion:.0f} min (weight {weight:g})"
        )
    return value


def _personalized_arm(scope: Scope, arm: StrategyArm) -> StrategyArm | None:
    return arm if scope.personalized else None


def _finish(
    context: PersonalizationContext,
    arm: StrategyArm,
    scope: Scope,
    parameters: P,
    defaults: P,
    trace: _Trace,
    limits: SafetyLimits,
) -> Personalized[P]:
    reasons = list(scope.reasons)
    if scope.personalized:
        w = ARM_WEIGHTS[arm]
        reasons.append(
            f"strategy {arm.value}: pattern weight {w.patterns:g}, "
            f"prediction weight {w.predictions:g}"
        )
    reasons.extend(trace.reasons)
    return Personalized(
        context=context,
        arm=_personalized_arm(scope, arm),
        scope=scope,
        parameters=parameters,
        defaults=defaults,
        evidence=tuple(trace.evidence),
        overrides=limits.reasons,
        reasons=tuple(reasons),
    )
