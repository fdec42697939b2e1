"""What a caller may ask of each context (client params) and what each ``apply_*`` answers.

Client params are validated here, before any decision is taken: an unknown name, a wrong
type or a value out of range is an :class:`InvalidParameter` naming the JSON field, so a
bad request consumes no randomness and writes nothing. The answers (``Personalized`` and
the four ``*Parameters``) carry the parameters, the defaults they started from, the
evidence considered, the safety overrides and the reasons (see :mod:`.apply`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from twin.analysis.patterns.inputs import CONTENT_TYPES
from twin.analysis.personalization.common import InvalidParameter, check_range, rounded
from twin.analysis.personalization.preferences import Scope
from twin.analysis.personalization.strategy import StrategyArm
from twin.enums import ObjectiveComplexity, PersonalizationContext

Ctx = PersonalizationContext

# --- limits of the client params -----------------------------------------------------
MIN_DURATION_MINUTES = 15
MAX_DURATION_MINUTES = 120
DEFAULT_MAX_OBJECTIVES = 3
MAX_OBJECTIVES_LIMIT = 10
MIN_ASSESSMENT_INTERVAL_DAYS = 1
MAX_ASSESSMENT_INTERVAL_DAYS = 60


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
