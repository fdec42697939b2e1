"""Apply personalization to one request: MISSION, CONTENT, ASSESSMENT or SESSION parameters.

Each ``apply_*`` function takes the learner's :class:`~.evidence.Evidence`, the strategy arm
the bandit chose, the :class:`~.preferences.Scope` (or just a level) and optional client
params, and returns the parameters, the engine defaults they started from, every piece of
evidence considered (used or not, with its confidence), the safety overrides that fired
and the reasons. Nothing is read from a clock or a database.

**Engine defaults** (what NONE gives, and where personalization starts from; a value
the client passes replaces the default as the starting point):

- duration 45 min (5.3's default optimal length), BASIC −10 / ADVANCED +15, clamped 15–120;
- start hour: the client's, else none (the engine does not pick a time);
- mission objectives: the client's candidates in their order, at most ``maxObjectives`` (3);
- difficulty change 0 (mission, content, assessment);
- content mix: equal shares over the available content types; objectives in the given
  order; no advanced objectives;
- assessment every 2 days: the baseline forgetting curve's interval (R0 = 1, k = 0.14/day,
  days until recall falls to 0.8: ln(1.25)/0.14 = 1.6 → 2);
- session breaks every BASIC 45 / INTERMEDIATE 30 / ADVANCED 25 min (5.3), 5 min long,
  10 after 60 min, 15 after 90; phases warm-up min(15 min, 20%), wind-down 20%, peak the
  rest; intensity MEDIUM.

**What each feature moves** (numbers by the arm's weight, ``d + w·(s − d)``; categorical
choices only when the arm's weight for the source is ≥ 0.5, see :mod:`.strategy`):

- TIMING (patterns): the first of the learner's best hours that is free in today's
  calendar for the duration + 10 min (5.3's buffer); without a calendar the best hour;
  without a study-time pattern but with a calendar, a requested hour that is busy moves
  to the first free window that fits.
- DURATION (patterns): towards the learner's optimal session length (+ complexity offset).
- OBJECTIVES (predictions): prerequisite gaps of predicted struggles first, then the
  predicted struggles (most likely first), then the rest.
- DIFFICULTY (predictions / patterns): −1 when a chosen mission objective is predicted to
  be a struggle; +1 when every chosen objective is a strong area (mastery ≥ 0.85); content:
  strong areas become advanced objectives.
- CONTENT_MIX (patterns): shares ∝ exp((score − best)/0.1) over measured outcomes per type
  (an outcome 0.1 better earns e × the share), each type at least 5% (variety), blended
  with the equal default by the weight. Types never measured get the mean score.
- SEQUENCE (predictions): content order as for OBJECTIVES; in a session, predicted
  struggles go to the peak phase (5.3).
- ASSESSMENT_FREQUENCY (patterns / predictions): towards the interval after which the
  learner's own curve falls to 80% recall; predicted struggles are assessed at half that.
- ASSESSMENT_DIFFICULTY (patterns): over-confident (mean confidence − mean score ≥ 0.1)
  → one level harder. Under-confidence does not make items easier: it is answered by
  feedback, not by easier questions.
- BREAKS (patterns): towards 0.9 × the learner's median time to fatigue.
- LOAD_ADJUSTMENT (level HIGH): difficulty follows the current load (5.4: < 30 → +1);
  session intensity HIGH below load 30, LOW from 60, MEDIUM between; burnout MEDIUM caps
  intensity at MEDIUM.

**Safety overrides** (always, whatever the level, the pause or the arm — they are 5.4's
protections, not personalization): burnout HIGH → at most 30 min, review only, difficulty
≤ −1; burnout CRITICAL → at most 20 min, review only, difficulty −2; load HIGH → ×0.7
(5.3), difficulty ≤ −1, 80% review, a break at least every 20 min; load CRITICAL → ×0.7,
difficulty −2, review only, break now. Under an override every parameter starts from the
lighter of the personalized value and the default, so the answer is never heavier than
either: missions keep one objective, sessions run at intensity LOW, content drops new and
advanced material (flashcard review only when flashcards are available), assessments are
never more frequent than the default and never harder than −1.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from twin.analysis.cognitive.burnout import CRITICAL_MAX_SESSION_MINUTES, HIGH_MAX_SESSION_MINUTES
from twin.analysis.cognitive.common import LoadLevel
from twin.analysis.cognitive.difficulty import EASIER_BREAK_EVERY_MINUTES, adapt_difficulty
from twin.analysis.patterns.forgetting import (
    BASELINE_DECAY_PER_DAY,
    BASELINE_R0,
    review_interval_days,
)
from twin.analysis.patterns.inputs import CONTENT_TYPES
from twin.analysis.personalization.common import InvalidParameter, check_range, rounded
from twin.analysis.personalization.evidence import Evidence, FreeWindow, StrugglePrediction
from twin.analysis.personalization.preferences import (
    CONTEXT_FEATURES,
    MIN_CONFIDENCE_BY_LEVEL,
    PersonalizationFeature,
    Scope,
    level_features,
)
from twin.analysis.personalization.strategy import ARM_WEIGHTS, CATEGORICAL_MIN_WEIGHT, StrategyArm
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
MIN_DURATION_MINUTES = 15
MAX_DURATION_MINUTES = 120
DURATION_STEP_MINUTES = 5
DEFAULT_MAX_OBJECTIVES = 3
MAX_OBJECTIVES_LIMIT = 10
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
MIN_ASSESSMENT_INTERVAL_DAYS = 1
MAX_ASSESSMENT_INTERVAL_DAYS = 60
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


# --- client params -------------------------------------------------------------------


def _check_ids(field_name: str, ids: Sequence[str]) -> None:
    for i in ids:
        if not isinstance(i, str) or not i:
            raise InvalidParameter(field_name, "every id must be a non-empty string")
    if len(set(ids)) != len(ids):
        raise InvalidParameter(field_name, "ids must be unique")


def _check_int(field_name: str, value: int, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidParameter(field_name, f"must be an integer, got {value!r}")
    check_range(field_name, value, low, high)


@dataclass(frozen=True)
class MissionParams:
    """What the caller asks of a mission (every field optional)."""

    duration_minutes: int | None = None
    start_hour: int | None = None
    objective_ids: tuple[str, ...] = ()
    max_objectives: int = DEFAULT_MAX_OBJECTIVES
    complexity: ObjectiveComplexity = ObjectiveComplexity.INTERMEDIATE

    def __post_init__(self) -> None:
        if self.duration_minutes is not None:
            _check_int(
                "durationMinutes", self.duration_minutes, MIN_DURATION_MINUTES, MAX_DURATION_MINUTES
            )
        if self.start_hour is not None:
            _check_int("startHour", self.start_hour, 0, 23)
        _check_ids("objectiveIds", self.objective_ids)
        _check_int("maxObjectives", self.max_objectives, 1, MAX_OBJECTIVES_LIMIT)


@dataclass(frozen=True)
class ContentParams:
    """The content types available and the objectives to order."""

    content_types: tuple[str, ...] = CONTENT_TYPES
    objective_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.content_types:
            raise InvalidParameter("contentTypes", "at least one content type")
        for t in self.content_types:
            if t not in CONTENT_TYPES:
                raise InvalidParameter(
                    "contentTypes",
                    f"unknown content type {t!r}; expected {', '.join(CONTENT_TYPES)}",
                )
        if len(set(self.content_types)) != len(self.content_types):
            raise InvalidParameter("contentTypes", "content types must be unique")
        _check_ids("objectiveIds", self.objective_ids)


@dataclass(frozen=True)
class AssessmentParams:
    """The caller's assessment interval and the objectives assessed."""

    interval_days: int | None = None
    objective_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.interval_days is not None:
            _check_int(
                "intervalDays",
                self.interval_days,
                MIN_ASSESSMENT_INTERVAL_DAYS,
                MAX_ASSESSMENT_INTERVAL_DAYS,
            )
        _check_ids("objectiveIds", self.objective_ids)


@dataclass(frozen=True)
class SessionParams:
    """The caller's session length, complexity and objectives."""

    duration_minutes: int | None = None
    complexity: ObjectiveComplexity = ObjectiveComplexity.INTERMEDIATE
    objective_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.duration_minutes is not None:
            _check_int(
                "durationMinutes", self.duration_minutes, MIN_DURATION_MINUTES, MAX_DURATION_MINUTES
            )
        _check_ids("objectiveIds", self.objective_ids)


Params = MissionParams | ContentParams | AssessmentParams | SessionParams

_PARAM_FIELDS: dict[PersonalizationContext, dict[str, str]] = {
    Ctx.MISSION: {
        "durationMinutes": "duration_minutes",
        "startHour": "start_hour",
        "objectiveIds": "objective_ids",
        "maxObjectives": "max_objectives",
        "complexity": "complexity",
    },
    Ctx.CONTENT: {"contentTypes": "content_types", "objectiveIds": "objective_ids"},
    Ctx.ASSESSMENT: {"intervalDays": "interval_days", "objectiveIds": "objective_ids"},
    Ctx.SESSION: {
        "durationMinutes": "duration_minutes",
        "complexity": "complexity",
        "objectiveIds": "objective_ids",
    },
}
_PARAM_CLASSES: dict[PersonalizationContext, Callable[..., Params]] = {
    Ctx.MISSION: MissionParams,
    Ctx.CONTENT: ContentParams,
    Ctx.ASSESSMENT: AssessmentParams,
    Ctx.SESSION: SessionParams,
}


def parse_params(context: PersonalizationContext, raw: Mapping[str, Any] | None) -> Params:
    """Client params (JSON names) → the context's params; InvalidParameter names the bad field."""
    fields = _PARAM_FIELDS[context]
    kwargs: dict[str, Any] = {}
    for name, value in (raw or {}).items():
        if name not in fields:
            raise InvalidParameter(
                name, f"unknown parameter for {context.value}; expected one of {', '.join(fields)}"
            )
        if value is None:
            continue
        if name in ("objectiveIds", "contentTypes"):
            if isinstance(value, str) or not isinstance(value, Sequence):
                raise InvalidParameter(name, "must be a list of strings")
            value = tuple(value)
        elif name == "complexity":
            try:
                value = ObjectiveComplexity(value)
            except ValueError:
                known = ", ".join(c.value for c in ObjectiveComplexity)
                raise InvalidParameter(
                    name, f"unknown complexity {value!r}; expected {known}"
                ) from None
        kwargs[fields[name]] = value
    built: Params = _PARAM_CLASSES[context](**kwargs)
    return built


# --- outputs -------------------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceUse:
    """One piece of evidence considered: what it said, how sure, what it moved, whether used."""

    source: str
    detail: str
    confidence: float | None
    parameter: str
    used: bool
    why_not: str | None = None

    def to_json(self) -> dict[str, Any]:
        """JSON form for the answer's ``evidence`` list."""
        return {
            "source": self.source,
            "detail": self.detail,
            "confidence": None if self.confidence is None else rounded(self.confidence),
            "parameter": self.parameter,
            "used": self.used,
            "whyNot": self.why_not,
        }


class _JsonParameters(Protocol):
    def to_json(self) -> dict[str, Any]: ...


P = TypeVar("P", bound=_JsonParameters)


@dataclass(frozen=True)
class Personalized(Generic[P]):
    """The answer of one ``apply_*`` call."""

    context: PersonalizationContext
    arm: StrategyArm | None
    """The strategy that shaped the parameters; None when nothing was personalized."""
    scope: Scope
    parameters: P
    defaults: P
    evidence: tuple[EvidenceUse, ...]
    overrides: tuple[str, ...]
    reasons: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """JSON form of the whole answer."""
        return {
            "context": self.context.value,
            "strategy": None if self.arm is None else self.arm.value,
            "personalized": self.scope.personalized,
            "scope": self.scope.to_json(),
            "parameters": self.parameters.to_json(),
            "defaults": self.defaults.to_json(),
            "evidence": [e.to_json() for e in self.evidence],
            "overrides": list(self.overrides),
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True)
class MissionParameters:
    """A personalized mission."""

    start_hour: int | None
    duration_minutes: int
    objective_ids: tuple[str, ...]
    difficulty_change: int
    review_only: bool = False

    def to_json(self) -> dict[str, Any]:
        """``{startHour, durationMinutes, objectiveIds, difficultyChange, reviewOnly}``."""
        return {
            "startHour": self.start_hour,
            "durationMinutes": self.duration_minutes,
            "objectiveIds": list(self.objective_ids),
            "difficultyChange": self.difficulty_change,
            "reviewOnly": self.review_only,
        }


@dataclass(frozen=True)
class ContentParameters:
    """A personalized content plan: type mix (shares sum to 1), order, advanced objectives."""

    mix: tuple[tuple[str, float], ...]
    objective_order: tuple[str, ...]
    advanced_objective_ids: tuple[str, ...]
    new_content: bool = True

    def share(self, content_type: str) -> float:
        """The share of ``content_type`` (0 when absent)."""
        return dict(self.mix).get(content_type, 0.0)

    def to_json(self) -> dict[str, Any]:
        """``{mix: {type: share}, objectiveOrder, advancedObjectiveIds, newContent}``."""
        return {
            "mix": {t: rounded(s) for t, s in self.mix},
            "objectiveOrder": list(self.objective_order),
            "advancedObjectiveIds": list(self.advanced_objective_ids),
            "newContent": self.new_content,
        }


@dataclass(frozen=True)
class AssessmentParameters:
    """A personalized assessment schedule."""

    interval_days: int
    difficulty_change: int
    focus_objective_ids: tuple[str, ...] = ()
    focus_interval_days: int | None = None

    def to_json(self) -> dict[str, Any]:
        """``{intervalDays, difficultyChange, focusObjectiveIds, focusIntervalDays}``."""
        return {
            "intervalDays": self.interval_days,
            "difficultyChange": self.difficulty_change,
            "focusObjectiveIds": list(self.focus_objective_ids),
            "focusIntervalDays": self.focus_interval_days,
        }


@dataclass(frozen=True)
class SessionParameters:
    """A personalized session: length, breaks, phases, peak objectives, intensity."""

    duration_minutes: int
    break_every_minutes: int
    breaks: tuple[tuple[int, int], ...]
    """(minute the break starts, its length in minutes)."""
    phases: tuple[tuple[str, float], ...]
    """(phase, minutes): warm-up, peak, wind-down."""
    peak_objective_ids: tuple[str, ...]
    intensity: str
    review_only: bool = False
    break_now: bool = False

    def to_json(self) -> dict[str, Any]:
        """JSON form (breaks as ``{atMinute, minutes}``, phases as ``{phase, minutes}``)."""
        return {
            "durationMinutes": self.duration_minutes,
            "breakEveryMinutes": self.break_every_minutes,
            "breaks": [{"atMinute": a, "minutes": m} for a, m in self.breaks],
            "phases": [{"phase": p, "minutes": rounded(m, 1)} for p, m in self.phases],
            "peakObjectiveIds": list(self.peak_objective_ids),
            "intensity": self.intensity,
            "reviewOnly": self.review_only,
            "breakNow": self.break_now,
        }


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


# --- MISSION -------------------------------------------------------------------------


def _mission_start(
    evidence: Evidence, trace: _Trace, requested: int | None, duration: int, weight: float
) -> int | None:
    schedule = evidence.schedule
    schedule_ok = schedule is not None and trace.consider(
        "SCHEDULE",
        "free today: "
        + ", ".join(f"{w.start_hour:02d}:00 ({w.free_minutes} min)" for w in schedule.windows),
        schedule.confidence,
        "startHour",
        F.TIMING,
    )
    free = [w.start_hour for w in schedule.windows if _fits(w, duration)] if schedule else []
    start = requested
    study = evidence.study_time
    if study is not None and trace.consider(
        "OPTIMAL_STUDY_TIME",
        "best hours " + ", ".join(f"{h:02d}:00" for h in study.hours),
        study.confidence,
        "startHour",
        F.TIMING,
    ):
        if weight < CATEGORICAL_MIN_WEIGHT:
            trace.reasons.append(
                f"startHour kept: the strategy's pattern weight {weight:g} < "
                f"{CATEGORICAL_MIN_WEIGHT:g} does not switch categories"
            )
        elif not schedule_ok:
            start = study.hours[0]
            trace.reasons.append(f"startHour {start:02d}:00: the learner's best hour")
        else:
            best_free = [h for h in study.hours if h in free]
            if best_free:
                start = best_free[0]
                trace.reasons.append(f"startHour {start:02d}:00: a best hour that is free today")
            else:
                trace.reasons.append("startHour: none of the best hours is free today")
    if schedule_ok and start is not None and free and start not in free:
        trace.reasons.append(
            f"startHour {start:02d}:00 is busy today: moved to {free[0]:02d}:00, the first "
            f"free window of {duration} + {SCHEDULE_BUFFER_MINUTES} min"
        )
        start = free[0]
    return start


def mission_defaults(params: MissionParams) -> MissionParameters:
    """The engine's mission for ``params`` (what NONE gives)."""
    return MissionParameters(
        start_hour=params.start_hour,
        duration_minutes=default_duration(params.complexity, params.duration_minutes),
        objective_ids=params.objective_ids[: params.max_objectives],
        difficulty_change=0,
    )


def apply_mission(
    evidence: Evidence,
    arm: StrategyArm,
    scope: Scope | PersonalizationLevel,
    params: MissionParams | None = None,
) -> Personalized[MissionParameters]:
    """MISSION: start time, duration, objectives and difficulty."""
    params = params or MissionParams()
    sc = _as_scope(scope, Ctx.MISSION)
    w = ARM_WEIGHTS[arm]
    trace = _Trace(sc)
    defaults = mission_defaults(params)
    duration = _duration(evidence, trace, defaults.duration_minutes, params.complexity, w.patterns)
    start = _mission_start(evidence, trace, params.start_hour, duration, w.patterns)
    struggles = _struggles_used(evidence, trace, F.OBJECTIVES, "objectiveIds")
    objectives = defaults.objective_ids
    if struggles and w.predictions >= CATEGORICAL_MIN_WEIGHT:
        objectives = struggle_first_order(params.objective_ids, struggles)[: params.max_objectives]
        if objectives != defaults.objective_ids:
            trace.reasons.append("objectiveIds: prerequisite gaps and predicted struggles first")
    difficulty = 0
    hard = [
        s
        for s in _struggles_used(evidence, trace, F.DIFFICULTY, "difficultyChange")
        if s.objective_id in objectives
    ]
    if hard and w.predictions >= CATEGORICAL_MIN_WEIGHT:
        difficulty = -1
        trace.reasons.append(
            "difficultyChange −1: predicted struggle on " + ", ".join(s.objective_id for s in hard)
        )
    elif objectives and w.patterns >= CATEGORICAL_MIN_WEIGHT:
        strong = _strong_ids(evidence, trace, F.DIFFICULTY, "difficultyChange")
        if strong and all(o in strong for o in objectives):
            difficulty = 1
            trace.reasons.append("difficultyChange +1: every objective is a strong area")
    difficulty = cap_change(difficulty + _load_difficulty(evidence, trace, "difficultyChange"))
    personalized = MissionParameters(start, duration, objectives, difficulty)
    limits = safety_limits(evidence, trace)
    if limits.active:
        personalized = MissionParameters(
            start_hour=start,
            duration_minutes=lighter_duration(duration, defaults.duration_minutes, limits),
            objective_ids=objectives[:OVERRIDE_MAX_OBJECTIVES],
            difficulty_change=min(difficulty, 0, limits.max_difficulty),
            review_only=limits.review_only,
        )
    return _finish(Ctx.MISSION, arm, sc, personalized, defaults, trace, limits)


# --- CONTENT -------------------------------------------------------------------------


def content_defaults(params: ContentParams) -> ContentParameters:
    """Equal shares over the available types, objectives in the given order."""
    share = 1.0 / len(params.content_types)
    return ContentParameters(
        mix=tuple((t, share) for t in params.content_types),
        objective_order=params.objective_ids,
        advanced_objective_ids=(),
    )


def outcome_mix(
    content_types: Sequence[str], scores: Mapping[str, float]
) -> tuple[tuple[str, float], ...]:
    """Shares ∝ exp((score − best)/0.1), each ≥ 5%, summing to 1; unmeasured types at the mean."""
    measured = [scores[t] for t in content_types if t in scores]
    if not measured:
        share = 1.0 / len(content_types)
        return tuple((t, share) for t in content_types)
    mean = sum(measured) / len(measured)
    s = {t: scores.get(t, mean) for t in content_types}
    best = max(s.values())
    raw = {t: math.exp((v - best) / CONTENT_MIX_TEMPERATURE) for t, v in s.items()}
    total = sum(raw.values())
    shares = {t: v / total for t, v in raw.items()}
    floor = min(MIN_CONTENT_SHARE, 1.0 / len(content_types))
    # Raise the small shares to the floor and take it from the others in proportion.
    low = {t for t, v in shares.items() if v < floor}
    if low:
        rest = 1.0 - floor * len(low)
        high_total = sum(v for t, v in shares.items() if t not in low)
        shares = {t: floor if t in low else v / high_total * rest for t, v in shares.items()}
    return tuple((t, shares[t]) for t in content_types)


def apply_content(
    evidence: Evidence,
    arm: StrategyArm,
    scope: Scope | PersonalizationLevel,
    params: ContentParams | None = None,
) -> Personalized[ContentParameters]:
    """CONTENT: type mix from measured outcomes, prerequisite gaps first, strong areas → advanced."""
    params = params or ContentParams()
    sc = _as_scope(scope, Ctx.CONTENT)
    w = ARM_WEIGHTS[arm]
    trace = _Trace(sc)
    defaults = content_defaults(params)
    mix = defaults.mix
    content = evidence.content
    if content is not None and trace.consider(
        "CONTENT_TYPE_PREFERENCE",
        "outcome per type: "
        + ", ".join(f"{o.content_type} {o.score:.2f} (n = {o.items})" for o in content.outcomes),
        content.confidence,
        "mix",
        F.CONTENT_MIX,
    ):
        scores = {o.content_type: o.score for o in content.outcomes if o.items > 0}
        suggested = dict(outcome_mix(params.content_types, scores))
        mix = tuple((t, move(share, suggested[t], w.patterns)) for t, share in defaults.mix)
        trace.reasons.append(
            "mix: towards the types with the best measured outcomes "
            f"(weight {w.patterns:g}): " + ", ".join(f"{t} {s:.0%}" for t, s in mix)
        )
    order = defaults.objective_order
    struggles = _struggles_used(evidence, trace, F.SEQUENCE, "objectiveOrder")
    if struggles and w.predictions >= CATEGORICAL_MIN_WEIGHT:
        order = struggle_first_order(params.objective_ids, struggles)
        if order != defaults.objective_order:
            trace.reasons.append(
                "objectiveOrder: prerequisite gaps first, then predicted struggles"
            )
    advanced: tuple[str, ...] = ()
    strong = _strong_ids(evidence, trace, F.DIFFICULTY, "advancedObjectiveIds")
    if strong and w.patterns >= CATEGORICAL_MIN_WEIGHT:
        pool = params.objective_ids or tuple(sorted(strong))
        advanced = tuple(o for o in pool if o in strong)
        if advanced:
            trace.reasons.append(
                "advancedObjectiveIds: strong areas (mastery ≥ "
                f"{STRONG_MASTERY_MIN:g}) move on to advanced material"
            )
    personalized = ContentParameters(mix, order, advanced)
    limits = safety_limits(evidence, trace)
    if limits.active:
        if REVIEW_CONTENT_TYPE in params.content_types:
            mix = tuple((t, 1.0 if t == REVIEW_CONTENT_TYPE else 0.0) for t in params.content_types)
        personalized = ContentParameters(mix, order, (), new_content=False)
    return _finish(Ctx.CONTENT, arm, sc, personalized, defaults, trace, limits)


# --- ASSESSMENT ----------------------------------------------------------------------


def assessment_defaults(params: AssessmentParams) -> AssessmentParameters:
    """The baseline curve's interval (2 days) or the caller's; no difficulty change."""
    interval = params.interval_days or DEFAULT_ASSESSMENT_INTERVAL_DAYS
    return AssessmentParameters(interval_days=interval, difficulty_change=0)


def _clamp_interval(days: float) -> int:
    return max(
        MIN_ASSESSMENT_INTERVAL_DAYS, min(MAX_ASSESSMENT_INTERVAL_DAYS, math.floor(days + 0.5))
    )


def apply_assessment(
    evidence: Evidence,
    arm: StrategyArm,
    scope: Scope | PersonalizationLevel,
    params: AssessmentParams | None = None,
) -> Personalized[AssessmentParameters]:
    """ASSESSMENT: frequency from the forgetting rate, difficulty from calibration."""
    params = params or AssessmentParams()
    sc = _as_scope(scope, Ctx.ASSESSMENT)
    w = ARM_WEIGHTS[arm]
    trace = _Trace(sc)
    defaults = assessment_defaults(params)
    interval = defaults.interval_days
    f = evidence.forgetting
    if f is not None and trace.consider(
        "FORGETTING_CURVE",
        f"R0 {f.r0:.2f}, k {f.decay_per_day:.3f}/day (half-life {math.log(2) / f.decay_per_day:.1f} days)",
        f.confidence,
        "intervalDays",
        F.ASSESSMENT_FREQUENCY,
    ):
        suggestion = review_interval_days(f.r0, f.decay_per_day)
        interval = _clamp_interval(move(defaults.interval_days, suggestion, w.patterns))
        if interval != defaults.interval_days:
            trace.reasons.append(
                f"intervalDays {defaults.interval_days} → {interval}: the learner's recall falls "
                f"to 80% after {suggestion} days (weight {w.patterns:g})"
            )
    focus: tuple[str, ...] = ()
    focus_interval: int | None = None
    struggles = _struggles_used(evidence, trace, F.ASSESSMENT_FREQUENCY, "focusObjectiveIds")
    if struggles and w.predictions >= CATEGORICAL_MIN_WEIGHT:
        focus = tuple(
            s.objective_id
            for s in struggles
            if not params.objective_ids or s.objective_id in params.objective_ids
        )
        if focus:
            focus_interval = _clamp_interval(interval * FOCUS_INTERVAL_FRACTION)
            trace.reasons.append(
                f"focusObjectiveIds: predicted struggles assessed every {focus_interval} days"
            )
    difficulty = 0
    cal = evidence.calibration
    if cal is not None and trace.consider(
        "CALIBRATION",
        f"mean confidence {cal.mean_confidence:.2f} vs mean score {cal.mean_score:.2f} "
        f"(n = {cal.responses})",
        cal.confidence,
        "difficultyChange",
        F.ASSESSMENT_DIFFICULTY,
    ):
        if cal.gap >= OVERCONFIDENT_GAP and w.patterns >= CATEGORICAL_MIN_WEIGHT:
            difficulty = 1
            trace.reasons.append(
                f"difficultyChange +1: over-confident by {cal.gap:.2f} (≥ {OVERCONFIDENT_GAP:g})"
            )
        elif cal.gap <= -OVERCONFIDENT_GAP:
            trace.reasons.append(
                "difficultyChange kept: under-confidence is answered by feedback, not easier items"
            )
    personalized = AssessmentParameters(interval, difficulty, focus, focus_interval)
    limits = safety_limits(evidence, trace)
    if limits.active:
        lighter = max(interval, defaults.interval_days)
        personalized = AssessmentParameters(
            interval_days=lighter,
            difficulty_change=min(difficulty, limits.max_difficulty),
            focus_objective_ids=focus,
            focus_interval_days=None if focus_interval is None else max(focus_interval, lighter),
        )
    return _finish(Ctx.ASSESSMENT, arm, sc, personalized, defaults, trace, limits)


# --- SESSION -------------------------------------------------------------------------


def session_defaults(params: SessionParams) -> SessionParameters:
    """5.3's defaults: 45 min ± complexity, breaks by complexity, phases, intensity MEDIUM."""
    duration = default_duration(params.complexity, params.duration_minutes)
    every = DEFAULT_BREAK_EVERY_MINUTES[params.complexity]
    return SessionParameters(
        duration_minutes=duration,
        break_every_minutes=every,
        breaks=break_schedule(duration, every),
        phases=session_phases(duration),
        peak_objective_ids=(),
        intensity="MEDIUM",
    )


def _intensity(evidence: Evidence, trace: _Trace) -> str:
    if evidence.load is None or not trace.consider(
        "COGNITIVE_LOAD",
        f"load {evidence.load.score:.0f} ({evidence.load.level.value})",
        evidence.load.confidence,
        "intensity",
        F.LOAD_ADJUSTMENT,
    ):
        return "MEDIUM"
    score = evidence.load.score
    if score < INTENSITY_HIGH_BELOW_LOAD:
        intensity = "HIGH"
    elif score >= INTENSITY_LOW_FROM_LOAD:
        intensity = "LOW"
    else:
        intensity = "MEDIUM"
    if evidence.burnout is BurnoutRiskLevel.MEDIUM and intensity == "HIGH":
        intensity = "MEDIUM"
        trace.reasons.append("intensity capped at MEDIUM: burnout risk MEDIUM")
    if intensity != "MEDIUM":
        trace.reasons.append(f"intensity {intensity}: current load {score:.0f}")
    return intensity


def apply_session(
    evidence: Evidence,
    arm: StrategyArm,
    scope: Scope | PersonalizationLevel,
    params: SessionParams | None = None,
) -> Personalized[SessionParameters]:
    """SESSION: length, breaks, sequence (struggles in the peak) and intensity."""
    params = params or SessionParams()
    sc = _as_scope(scope, Ctx.SESSION)
    w = ARM_WEIGHTS[arm]
    trace = _Trace(sc)
    defaults = session_defaults(params)
    duration = _duration(evidence, trace, defaults.duration_minutes, params.complexity, w.patterns)
    every = defaults.break_every_minutes
    att = evidence.attention
    if att is not None and trace.consider(
        "ATTENTION_CYCLE",
        f"break every {att.break_interval_minutes:.0f} min (0.9 × median time to fatigue)",
        att.confidence,
        "breakEveryMinutes",
        F.BREAKS,
    ):
        every = max(
            MIN_BREAK_EVERY_MINUTES,
            min(
                MAX_BREAK_EVERY_MINUTES,
                math.floor(move(every, att.break_interval_minutes, w.patterns) + 0.5),
            ),
        )
        if every != defaults.break_every_minutes:
            trace.reasons.append(
                f"breakEveryMinutes {defaults.break_every_minutes} → {every}: the learner tires "
                f"after about {att.break_interval_minutes / 0.9:.0f} min"
            )
    peak: tuple[str, ...] = ()
    struggles = _struggles_used(evidence, trace, F.SEQUENCE, "peakObjectiveIds")
    if struggles and w.predictions >= CATEGORICAL_MIN_WEIGHT:
        peak = tuple(
            s.objective_id
            for s in struggles
            if not params.objective_ids or s.objective_id in params.objective_ids
        )
        if peak:
            trace.reasons.append("peakObjectiveIds: predicted struggles in the peak phase (5.3)")
    intensity = _intensity(evidence, trace)
    personalized = SessionParameters(
        duration_minutes=duration,
        break_every_minutes=every,
        breaks=break_schedule(duration, every),
        phases=session_phases(duration),
        peak_objective_ids=peak,
        intensity=intensity,
    )
    limits = safety_limits(evidence, trace)
    if limits.active:
        d = lighter_duration(duration, defaults.duration_minutes, limits)
        e = min(every, defaults.break_every_minutes)
        if limits.break_every_max is not None:
            e = min(e, limits.break_every_max)
        personalized = SessionParameters(
            duration_minutes=d,
            break_every_minutes=e,
            breaks=break_schedule(d, e),
            phases=session_phases(d),
            peak_objective_ids=() if limits.review_only else peak,
            intensity="LOW",
            review_only=limits.review_only,
            break_now=limits.break_now,
        )
    return _finish(Ctx.SESSION, arm, sc, personalized, defaults, trace, limits)


# --- dispatch ------------------------------------------------------------------------


def check_params(
    context: PersonalizationContext, params: Mapping[str, Any] | Params | None
) -> Params:
    """Raw JSON or params → the context's validated params (InvalidParameter names the field)."""
    if params is None or isinstance(params, Mapping):
        return parse_params(context, params)
    expected = _PARAM_CLASSES[context]
    if not (isinstance(expected, type) and isinstance(params, expected)):
        raise InvalidParameter("params", f"not {context.value} params")
    return params


def apply(
    context: PersonalizationContext,
    evidence: Evidence,
    arm: StrategyArm,
    scope: Scope | PersonalizationLevel,
    params: Mapping[str, Any] | Params | None = None,
) -> Personalized[Any]:
    """The ``apply_*`` of ``context``; ``params`` may be raw JSON (validated here)."""
    parsed = check_params(context, params)
    if context is Ctx.MISSION:
        assert isinstance(parsed, MissionParams)
        return apply_mission(evidence, arm, scope, parsed)
    if context is Ctx.CONTENT:
        assert isinstance(parsed, ContentParams)
        return apply_content(evidence, arm, scope, parsed)
    if context is Ctx.ASSESSMENT:
        assert isinstance(parsed, AssessmentParams)
        return apply_assessment(evidence, arm, scope, parsed)
    assert isinstance(parsed, SessionParams)
    return apply_session(evidence, arm, scope, parsed)
