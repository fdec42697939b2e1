"""The metric catalogue of A/B experiments: one place that names every metric an experiment may use.

Each metric is one value per participant per period (pre-period and post-period). The metrics
service counts what a period holds for a participant in one query (:class:`PeriodCounts`);
here is everything else: what each metric means, how it is computed from those counts
(``measure``), which way is better, how it is summarised (sample mean, or 0/1 proportion), its
unit and its valid range. A participant without any underlying data in a period (e.g. no due
reviews) has no value for that metric and is left out of its n. Unknown names are errors that
name the metric and the field it came from.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from twin.analysis.experiments.statistics import (
    ArmStatistic,
    ProportionStatistic,
    RegressionAdjustedStatistic,
    SampleMeanStatistic,
    StatisticKind,
)


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
    measure: Callable[[PeriodCounts], MetricValue]
    """The metric of one participant in one period, from what the metrics query counted."""

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

PERCENT_MAX = 100.0
"""Performance is on a 0–100 scale (ENGINE.md 5.1)."""

DAYS_PER_WEEK = 7.0
"""Study minutes are reported per 7 days, so periods of different lengths compare."""

MIN_RATE_PERIOD_DAYS = 1.0
"""A per-week rate needs a period of at least one day (a few hours scaled to a week is noise)."""

SATISFACTION_HELPFUL = 1.0
"""Explicit feedback "helpful" (prediction feedback HELPFUL / INTERVENTION_GOOD)."""
SATISFACTION_NOT_HELPFUL = 0.0
"""Explicit feedback "not helpful" (NOT_HELPFUL / INTERVENTION_BAD)."""
SATISFACTION_JUST_RIGHT = 1.0
"""Difficulty feedback "just right"."""
SATISFACTION_DIFFICULTY_OFF = 0.25
"""Difficulty feedback "too easy" or "too hard": the personalization reward's mapping
(ENGINE.md 5.5, issue #17), so an experiment and the bandit judge satisfaction alike."""


@dataclass(frozen=True)
class PeriodCounts:
    """What the metrics query counts for one participant in one period: every metric's raw material.

    ``days`` is the period's length. Reviews are the participant's reviews in the period
    (``repeat_reviews``: of cards reviewed before — the engine's memory state is set, so the
    card was scheduled, i.e. due again; ``recalled_repeat_reviews``: of those, rated anything
    but AGAIN); validations their validation answers (scores 0–1); sessions their completed
    study sessions started in the period (``sessions_last_week``: started in its last 7 days);
    objectives those of their missions dated in the period (PENDING ones excluded: not due
    yet); struggle outcomes the predictions whose outcome was recorded in the period; feedback
    their explicit answers given in the period.
    """

    days: float
    reviews: int = 0
    good_reviews: int = 0
    repeat_reviews: int = 0
    recalled_repeat_reviews: int = 0
    validations: int = 0
    validation_score_sum: float = 0.0
    sessions: int = 0
    study_minutes: float = 0.0
    sessions_last_week: int = 0
    objectives_planned: int = 0
    objectives_completed: int = 0
    struggle_outcomes: int = 0
    struggles: int = 0
    feedback_helpful: int = 0
    feedback_not_helpful: int = 0
    feedback_just_right: int = 0
    feedback_difficulty_off: int = 0

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if isinstance(value, bool) or not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite number ≥ 0, got {value!r}")
        pairs = (
            ("good_reviews", "reviews"),
            ("repeat_reviews", "reviews"),
            ("recalled_repeat_reviews", "repeat_reviews"),
            ("validation_score_sum", "validations"),
            ("sessions_last_week", "sessions"),
            ("objectives_completed", "objectives_planned"),
            ("struggles", "struggle_outcomes"),
        )
        for part, whole in pairs:
            if getattr(self, part) > getattr(self, whole):
                raise ValueError(f"{part} cannot exceed {whole}")


@dataclass(frozen=True)
class MetricValue:
    """One metric of one participant in one period: the value (None: no data) and its n."""

    value: float | None
    n: int
    """How many underlying items the value rests on (reviews, answers, sessions, objectives…)."""


def _share(part: float, whole: int, scale: float = 1.0) -> MetricValue:
    return MetricValue(scale * part / whole if whole > 0 else None, int(whole))


def _retention(c: PeriodCounts) -> MetricValue:
    return _share(c.recalled_repeat_reviews, c.repeat_reviews)


def _performance(c: PeriodCounts) -> MetricValue:
    # ENGINE.md 5.1's session performance over the whole period: GOOD/EASY reviews count 1,
    # each validation answer its score, every item weighs the same.
    return _share(c.good_reviews + c.validation_score_sum, c.reviews + c.validations, PERCENT_MAX)


def _completion(c: PeriodCounts) -> MetricValue:
    value = _share(c.objectives_completed, c.objectives_planned)
    return MetricValue(None if value.value is None else min(1.0, value.value), value.n)


def _study_minutes(c: PeriodCounts) -> MetricValue:
    if c.days < MIN_RATE_PERIOD_DAYS:
        return MetricValue(None, c.sessions)
    return MetricValue(c.study_minutes * DAYS_PER_WEEK / c.days, c.sessions)


def _struggle_rate(c: PeriodCounts) -> MetricValue:
    return _share(c.struggles, c.struggle_outcomes)


def _satisfaction(c: PeriodCounts) -> MetricValue:
    answers = (
        c.feedback_helpful
        + c.feedback_not_helpful
        + c.feedback_just_right
        + c.feedback_difficulty_off
    )
    score = (
        SATISFACTION_HELPFUL * c.feedback_helpful
        + SATISFACTION_NOT_HELPFUL * c.feedback_not_helpful
        + SATISFACTION_JUST_RIGHT * c.feedback_just_right
        + SATISFACTION_DIFFICULTY_OFF * c.feedback_difficulty_off
    )
    return _share(score, answers)


def _active_last_week(c: PeriodCounts) -> MetricValue:
    return MetricValue(1.0 if c.sessions_last_week > 0 else 0.0, c.sessions_last_week)


_CATALOGUE = (
    MetricDefinition(
        name="retention",
        description=(
            "Recall on due reviews: the share of the participant's reviews of cards reviewed "
            "before (scheduled again by their memory model) that were recalled (any rating but "
            "AGAIN)."
        ),
        direction=Direction.HIGHER_IS_BETTER,
        kind=StatisticKind.SAMPLE_MEAN,
        unit=FRACTION,
        lower=0.0,
        upper=1.0,
        measure=_retention,
    ),
    MetricDefinition(
        name="performance",
        description=(
            "Performance 0–100 as in ENGINE.md 5.1, over the period: GOOD/EASY reviews count "
            "1, other reviews 0, each validation answer its score; the mean over those items."
        ),
        direction=Direction.HIGHER_IS_BETTER,
        kind=StatisticKind.SAMPLE_MEAN,
        unit="points",
        lower=0.0,
        upper=PERCENT_MAX,
        measure=_performance,
    ),
    MetricDefinition(
        name="completion",
        description=(
            "Objectives completed / objectives planned over the participant's missions dated "
            "in the period (a skipped mission's objectives count as not completed)."
        ),
        direction=Direction.HIGHER_IS_BETTER,
        kind=StatisticKind.SAMPLE_MEAN,
        unit=FRACTION,
        lower=0.0,
        upper=1.0,
        measure=_completion,
    ),
    MetricDefinition(
        name="study_minutes",
        description=(
            "Minutes the participant studied per 7 days of the period (completed sessions "
            "started in it; periods shorter than a day have no value)."
        ),
        direction=Direction.HIGHER_IS_BETTER,
        kind=StatisticKind.SAMPLE_MEAN,
        unit="minutes per week",
        lower=0.0,
        upper=None,
        measure=_study_minutes,
    ),
    MetricDefinition(
        name="struggle_rate",
        description=(
            "Share of the participant's struggle predictions whose outcome was recorded in the "
            "period that turned out to be a struggle."
        ),
        direction=Direction.LOWER_IS_BETTER,
        kind=StatisticKind.SAMPLE_MEAN,
        unit=FRACTION,
        lower=0.0,
        upper=1.0,
        measure=_struggle_rate,
    ),
    MetricDefinition(
        name="satisfaction",
        description=(
            "Mean explicit feedback of the participant in the period, each answer mapped to "
            "[0, 1] as the personalization reward maps it: helpful 1, not helpful 0, "
            "difficulty just right 1, too easy or too hard 0.25."
        ),
        direction=Direction.HIGHER_IS_BETTER,
        kind=StatisticKind.SAMPLE_MEAN,
        unit=FRACTION,
        lower=0.0,
        upper=1.0,
        measure=_satisfaction,
    ),
    MetricDefinition(
        name="active_last_week",
        description="1 when the participant studied on any of the last 7 days of the period, else 0.",
        direction=Direction.HIGHER_IS_BETTER,
        kind=StatisticKind.PROPORTION,
        unit="participants",
        lower=0.0,
        upper=1.0,
        measure=_active_last_week,
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


def metric_values(counts: PeriodCounts) -> dict[str, MetricValue]:
    """Every catalogue metric of one participant in one period."""
    return {name: metric.measure(counts) for name, metric in METRICS.items()}


@dataclass(frozen=True)
class MetricSums:
    """One arm's sums of one metric over its participants (the service aggregates them in SQL).

    ``total``, ``squares``: Σv and Σv² of the post-period values; ``pre_total``,
    ``pre_squares``, ``products``: Σx, Σx² and Σvx of the pre-period values (CUPED).
    """

    n: int
    total: float
    squares: float
    pre_total: float
    pre_squares: float
    products: float
    pre_n: int
    """Participants of the arm with a measured pre-period value (before imputation)."""


def arm_statistic(metric: str, sums: MetricSums, cuped: bool) -> ArmStatistic:
    """The sufficient statistic of one arm of one metric (CUPED: with the pre-period sums)."""
    kind = METRICS[metric].kind
    # A float sum of squares can come out a hair below zero only for all-zero values.
    squares = max(0.0, sums.squares)
    if sums.n == 0:
        if kind is StatisticKind.PROPORTION and not cuped:
            return ProportionStatistic(n=0, sum=0.0)
        if not cuped:
            return SampleMeanStatistic(n=0, sum=0.0, sum_squares=0.0)
        return RegressionAdjustedStatistic(0, 0.0, 0.0, 0.0, 0.0, 0.0, kind)
    if cuped:
        return RegressionAdjustedStatistic(
            n=sums.n,
            sum=sums.total,
            sum_squares=squares,
            pre_sum=sums.pre_total,
            pre_sum_squares=max(0.0, sums.pre_squares),
            post_pre_sum_of_products=sums.products,
            post_kind=kind,
        )
    if kind is StatisticKind.PROPORTION:
        return ProportionStatistic(n=sums.n, sum=min(float(sums.n), max(0.0, sums.total)))
    return SampleMeanStatistic(n=sums.n, sum=sums.total, sum_squares=squares)
