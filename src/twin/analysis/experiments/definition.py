"""An experiment definition and its validation (ENGINE.md 5.5): every problem names its field.

The first variant is the control; every other variant is a treatment compared with it. Field
names in problems are the API's (``variants[1].weight``, ``primaryMetric``, ``endDate``…), so
the service can turn them into a 4xx as they are. Constructing an invalid definition raises
:class:`InvalidDefinition` with *all* problems found, not just the first.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from twin.analysis.experiments.metrics import METRICS
from twin.enums import PersonalizationContext

DEFAULT_MIN_PARTICIPANTS_PER_ARM = 20
"""ENGINE.md 5.5: no verdict before every arm has 20 participants with a value."""

DEFAULT_MIN_DURATION_DAYS = 14
"""ENGINE.md 5.5: no verdict before 14 full days (two weekly cycles of study habits)."""

MIN_VARIANTS = 2
"""A control and at least one treatment."""

MIN_PARTICIPANTS_FLOOR = 2
"""A per-arm variance needs at least 2 values, so a smaller minimum can never be analysed."""

MIN_DURATION_FLOOR_DAYS = 1
"""The shortest minimum duration accepted."""

MAX_WEIGHT = 1e6
"""The largest allocation weight: weights are relative, and a sum of huge floats overflows."""


@dataclass(frozen=True)
class Variant:
    """One arm: id (unique in the experiment), name, allocation weight, personalization config."""

    variant_id: str
    name: str
    weight: float
    config: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class DefinitionProblem:
    """One thing wrong with a definition, and the API field it is about."""

    field: str
    reason: str


class InvalidDefinition(ValueError):
    """A definition with one or more problems (each names its field)."""

    def __init__(self, problems: tuple[DefinitionProblem, ...]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.reason}" for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class ExperimentDefinition:
    """What an operator defines: arms and weights, metrics, window and minimums.

    ``variants[0]`` is the control (its weight must be positive). A treatment of weight 0 is
    switched off: it gets no participants and is not analysed. ``cuped`` asks for the metric's pre-period value as the
    covariate. ``start``/``end`` are both naive UTC or both aware.
    """

    name: str
    context: PersonalizationContext
    variants: tuple[Variant, ...]
    primary_metric: str
    start: datetime
    end: datetime
    guardrail_metrics: tuple[str, ...] = ()
    min_participants_per_arm: int = DEFAULT_MIN_PARTICIPANTS_PER_ARM
    min_duration_days: int = DEFAULT_MIN_DURATION_DAYS
    cuped: bool = False
    description: str = ""

    def __post_init__(self) -> None:
        problems = definition_problems(self)
        if problems:
            raise InvalidDefinition(problems)

    @property
    def control(self) -> Variant:
        """The first variant."""
        return self.variants[0]

    @property
    def treatments(self) -> tuple[Variant, ...]:
        """Every variant but the control."""
        return self.variants[1:]

    @property
    def weights(self) -> tuple[float, ...]:
        """Allocation weights in variant order (not necessarily normalised)."""
        return tuple(v.weight for v in self.variants)

    @property
    def metrics(self) -> tuple[str, ...]:
        """Primary metric first, then the guardrails."""
        return (self.primary_metric, *self.guardrail_metrics)


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _variant_problems(variants: tuple[Variant, ...]) -> list[DefinitionProblem]:
    problems: list[DefinitionProblem] = []
    if len(variants) < MIN_VARIANTS:
        problems.append(
            DefinitionProblem(
                "variants", f"needs at least {MIN_VARIANTS} variants (a control first)"
            )
        )
    first_index: dict[str, int] = {}
    weights_ok = True
    for i, variant in enumerate(variants):
        if not isinstance(variant.variant_id, str) or not variant.variant_id.strip():
            problems.append(DefinitionProblem(f"variants[{i}].id", "must be a non-empty string"))
        elif variant.variant_id in first_index:
            problems.append(
                DefinitionProblem(
                    f"variants[{i}].id",
                    f"duplicate variant id {variant.variant_id!r} "
                    f"(also variants[{first_index[variant.variant_id]}])",
                )
            )
        else:
            first_index[variant.variant_id] = i
        if not isinstance(variant.name, str) or not variant.name.strip():
            problems.append(DefinitionProblem(f"variants[{i}].name", "must be a non-empty string"))
        weight = variant.weight
        if (
            isinstance(weight, bool)
            or not isinstance(weight, int | float)
            or not math.isfinite(weight)
            or weight < 0
            or weight > MAX_WEIGHT
        ):
            problems.append(
                DefinitionProblem(
                    f"variants[{i}].weight",
                    f"must be a number from 0 to {MAX_WEIGHT:g}, got {weight!r}",
                )
            )
            weights_ok = False
    if weights_ok and variants:
        total = math.fsum(v.weight for v in variants)
        if total <= 0:
            problems.append(
                DefinitionProblem(
                    "variants", f"weights must sum to a positive number, got {total:g}"
                )
            )
        elif variants[0].weight <= 0:
            problems.append(
                DefinitionProblem("variants[0].weight", "the control needs a positive weight")
            )
        elif sum(1 for v in variants if v.weight > 0) < MIN_VARIANTS:
            problems.append(
                DefinitionProblem(
                    "variants", f"at least {MIN_VARIANTS} variants need a positive weight"
                )
            )
    return problems


def _metric_problems(primary: str, guardrails: tuple[str, ...]) -> list[DefinitionProblem]:
    problems: list[DefinitionProblem] = []
    known = ", ".join(METRICS)
    if primary not in METRICS:
        problems.append(
            DefinitionProblem("primaryMetric", f"unknown metric {primary!r}; known: {known}")
        )
    seen: set[str] = set()
    for i, metric in enumerate(guardrails):
        where = f"guardrailMetrics[{i}]"
        if metric not in METRICS:
            problems.append(DefinitionProblem(where, f"unknown metric {metric!r}; known: {known}"))
        elif metric == primary:
            problems.append(DefinitionProblem(where, f"{metric!r} is already the primary metric"))
        elif metric in seen:
            problems.append(DefinitionProblem(where, f"{metric!r} is listed twice"))
        seen.add(metric)
    return problems


def _window_problems(definition: ExperimentDefinition) -> list[DefinitionProblem]:
    problems: list[DefinitionProblem] = []
    start, end = definition.start, definition.end
    if not isinstance(start, datetime):
        problems.append(DefinitionProblem("startDate", "must be a date-time"))
    if not isinstance(end, datetime):
        problems.append(DefinitionProblem("endDate", "must be a date-time"))
    if problems:
        return problems
    if (start.tzinfo is None) != (end.tzinfo is None):
        return [DefinitionProblem("endDate", "must be given in the same form as startDate")]
    if end <= start:
        problems.append(
            DefinitionProblem(
                "endDate", f"must be after startDate ({end.isoformat()} ≤ {start.isoformat()})"
            )
        )
    elif _is_count(definition.min_duration_days) and end - start < timedelta(
        days=definition.min_duration_days
    ):
        problems.append(
            DefinitionProblem(
                "endDate",
                f"must be at least minDurationDays ({definition.min_duration_days}) after "
                f"startDate, or the experiment can never reach a verdict",
            )
        )
    return problems


def definition_problems(definition: ExperimentDefinition) -> tuple[DefinitionProblem, ...]:
    """Every problem of a definition (empty when it is valid)."""
    problems: list[DefinitionProblem] = []
    if not isinstance(definition.name, str) or not definition.name.strip():
        problems.append(DefinitionProblem("name", "must be a non-empty string"))
    if not isinstance(definition.context, PersonalizationContext):
        problems.append(
            DefinitionProblem(
                "context",
                f"must be one of {', '.join(c.value for c in PersonalizationContext)}, "
                f"got {definition.context!r}",
            )
        )
    problems += _variant_problems(tuple(definition.variants))
    problems += _metric_problems(definition.primary_metric, tuple(definition.guardrail_metrics))
    if (
        not _is_count(definition.min_participants_per_arm)
        or definition.min_participants_per_arm < MIN_PARTICIPANTS_FLOOR
    ):
        problems.append(
            DefinitionProblem(
                "minParticipantsPerArm",
                f"must be an integer ≥ {MIN_PARTICIPANTS_FLOOR}, "
                f"got {definition.min_participants_per_arm!r}",
            )
        )
    if (
        not _is_count(definition.min_duration_days)
        or definition.min_duration_days < MIN_DURATION_FLOOR_DAYS
    ):
        problems.append(
            DefinitionProblem(
                "minDurationDays",
                f"must be an integer ≥ {MIN_DURATION_FLOOR_DAYS}, got {definition.min_duration_days!r}",
            )
        )
    problems += _window_problems(definition)
    return tuple(problems)
