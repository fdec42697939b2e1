"""The metric catalogue of A/B experiments: one place that names every metric an experiment may use.

Each metric is one value per participant per period (pre-period and post-period), computed
from stored data by the metrics service; here is what it means, which way is better, how it is
summarised (sample mean, or 0/1 proportion), its unit and its valid range. A participant without
any underlying data in a period (e.g. no due reviews) has no value for that metric and is left
out of its n. Unknown names are errors that name the metric and the field it came from.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from twin.analysis.experiments.statistics import StatisticKind


class Direction(StrEnum):
    """Which way a metric improves."""

    HIGHER_IS_BETTER = "higher_is_better"
    LOWER_IS_BETTER = "lower_is_better"


class UnknownMetric(ValueError):
    """A metric name that is not in the catalogue; ``field`` says where it came from."""

    def __init__(self, metric: str, field: str) -> None:
        super().__init__(f"{field}: unknown metric {metric!r}; known metrics: {', '.join(METRICS)}")
        self.metric = metric
        self.field = field


@dataclass(frozen=True)
class MetricDefinition:
    """One metric: name, meaning, direction, statistic kind, unit and valid per-participant range."""

    name: str
    description: str
    direction: Direction
    kind: StatisticKind
    unit: str
    lower: float
    upper: float | None

    def sign(self) -> int:
        """+1 when higher is better, −1 when lower is better: multiplies an effect into "gain"."""
        return 1 if self.direction is Direction.HIGHER_IS_BETTER else -1

    def check_value(self, value: float) -> float:
        """A per-participant value, checked against the metric's range (ValueError naming it)."""
        if isinstance(value, bool) or not math.isfinite(value):
            raise ValueError(f"{self.name}: value must be a finite number, got {value!r}")
        if self.kind is StatisticKind.PROPORTION and value not in (0, 1):
            raise ValueError(f"{self.name}: value must be 0 or 1, got {value!r}")
        if value < self.lower or (self.upper is not None and value > self.upper):
            upper = "∞" if self.upper is None else f"{self.upper:g}"
            raise ValueError(
                f"{self.name}: value must be in [{self.lower:g}, {upper}], got {value}"
            )
        return float(value)


FRACTION = "fraction"
"""Unit of shares in [0, 1] (0.8 = 80%)."""

_CATALOGUE = (
    MetricDefinition(
        name="retention",
        description=(
            "Recall on due reviews: the share of the participant's reviews of cards that were due "
            "in the period that were recalled (any rating but Again)."
        ),
        direction=Direction.HIGHER_IS_BETTER,
        kind=StatisticKind.SAMPLE_MEAN,
        unit=FRACTION,
        lower=0.0,
        upper=1.0,
    ),
    MetricDefinition(
        name="performance",
        description=(
            "Mean performance (0–100: share of Good/Easy reviews and validation scores, as in "
            "ENGINE.md 5.1) of the participant's sessions in the period."
        ),
        direction=Direction.HIGHER_IS_BETTER,
        kind=StatisticKind.SAMPLE_MEAN,
        unit="points",
        lower=0.0,
        upper=100.0,
    ),
    MetricDefinition(
        name="completion",
        description=(
            "Objectives completed / objectives planned over the participant's sessions in the "
            "period (ENGINE.md 5.1)."
        ),
        direction=Direction.HIGHER_IS_BETTER,
        kind=StatisticKind.SAMPLE_MEAN,
        unit=FRACTION,
        lower=0.0,
        upper=1.0,
    ),
    MetricDefinition(
        name="study_minutes",
        description="Minutes the participant studied in the period (sum of session durations).",
        direction=Direction.HIGHER_IS_BETTER,
        kind=StatisticKind.SAMPLE_MEAN,
        unit="minutes",
        lower=0.0,
        upper=None,
    ),
    MetricDefinition(
        name="struggle_rate",
        description=(
            "Share of the objectives the participant studied in the period on which they "
            "struggled (recorded struggle outcomes)."
        ),
        direction=Direction.LOWER_IS_BETTER,
        kind=StatisticKind.SAMPLE_MEAN,
        unit=FRACTION,
        lower=0.0,
        upper=1.0,
    ),
    MetricDefinition(
        name="satisfaction",
        description=(
            "Mean explicit feedback of the participant in the period, each answer mapped to "
            "[0, 1] (helpful / just right = 1, not helpful / too easy / too hard = 0)."
        ),
        direction=Direction.HIGHER_IS_BETTER,
        kind=StatisticKind.SAMPLE_MEAN,
        unit=FRACTION,
        lower=0.0,
        upper=1.0,
    ),
    MetricDefinition(
        name="active_last_week",
        description="1 when the participant studied on any of the last 7 days of the period, else 0.",
        direction=Direction.HIGHER_IS_BETTER,
        kind=StatisticKind.PROPORTION,
        unit="participants",
        lower=0.0,
        upper=1.0,
    ),
)

METRICS: Mapping[str, MetricDefinition] = MappingProxyType({m.name: m for m in _CATALOGUE})
"""Every metric an experiment may name, by name."""


def metric_definition(name: str, *, field: str = "metric") -> MetricDefinition:
    """The catalogue entry of ``name``; :class:`UnknownMetric` naming ``field`` otherwise."""
    try:
        return METRICS[name]
    except (KeyError, TypeError):
        raise UnknownMetric(str(name), field) from None
