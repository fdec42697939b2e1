"""The metric catalogue and experiment-definition validation: every problem names its field."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest

from twin.analysis.experiments.definition import (
    DEFAULT_MIN_DURATION_DAYS,
    DEFAULT_MIN_PARTICIPANTS_PER_ARM,
    ExperimentDefinition,
    InvalidDefinition,
    Variant,
)
from twin.analysis.experiments.metrics import (
    METRICS,
    Direction,
    UnknownMetric,
    metric_definition,
)
from twin.analysis.experiments.statistics import StatisticKind
from twin.enums import PersonalizationContext

START = datetime(2026, 3, 2)


def make(**overrides: Any) -> ExperimentDefinition:
    fields: dict[str, Any] = {
        "name": "shorter missions",
        "context": PersonalizationContext.MISSION,
        "variants": (Variant("control", "Control", 1.0), Variant("short", "Short", 1.0)),
        "primary_metric": "retention",
        "guardrail_metrics": ("study_minutes",),
        "start": START,
        "end": START + timedelta(days=28),
    }
    fields.update(overrides)
    return ExperimentDefinition(**fields)


def problems_of(**overrides: Any) -> dict[str, str]:
    with pytest.raises(InvalidDefinition) as caught:
        make(**overrides)
    return {p.field: p.reason for p in caught.value.problems}


# --- catalogue ---------------------------------------------------------------------------


def test_catalogue_names_the_issue_metrics() -> None:
    expected = {"retention", "performance", "completion", "study_minutes", "struggle_rate"}
    assert expected | {"satisfaction"} <= set(METRICS)
    assert METRICS["struggle_rate"].direction is Direction.LOWER_IS_BETTER
    assert METRICS["retention"].direction is Direction.HIGHER_IS_BETTER
    assert METRICS["active_last_week"].kind is StatisticKind.PROPORTION
    assert METRICS["study_minutes"].unit == "minutes per week"
    for name, metric in METRICS.items():
        assert metric.name == name and metric.description and metric.unit


def test_unknown_metric_names_the_metric_and_field() -> None:
    with pytest.raises(UnknownMetric, match="primaryMetric: unknown metric 'happiness'") as caught:
        metric_definition("happiness", field="primaryMetric")
    assert caught.value.metric == "happiness"
    assert caught.value.field == "primaryMetric"


def test_metric_values_are_checked_against_their_range() -> None:
    assert METRICS["retention"].check_value(0.8) == 0.8
    with pytest.raises(ValueError, match="retention: value must be in \\[0, 1\\]"):
        METRICS["retention"].check_value(1.2)
    with pytest.raises(ValueError, match="active_last_week: value must be 0 or 1"):
        METRICS["active_last_week"].check_value(0.5)
    with pytest.raises(ValueError, match="study_minutes: value must be in \\[0, ∞\\]"):
        METRICS["study_minutes"].check_value(-3)
    assert METRICS["study_minutes"].check_value(600) == 600.0


# --- definition ----------------------------------------------------------------------------


def test_a_valid_definition_has_its_defaults() -> None:
    definition = make()
    assert definition.min_participants_per_arm == DEFAULT_MIN_PARTICIPANTS_PER_ARM == 20
    assert definition.min_duration_days == DEFAULT_MIN_DURATION_DAYS == 14
    assert definition.control.variant_id == "control"
    assert [v.variant_id for v in definition.treatments] == ["short"]
    assert definition.metrics == ("retention", "study_minutes")


def test_weights_that_do_not_sum_to_a_positive_number() -> None:
    problems = problems_of(variants=(Variant("a", "A", 0.0), Variant("b", "B", 0.0)))
    assert "weights must sum to a positive number" in problems["variants"]


def test_negative_or_non_finite_weight_names_the_variant() -> None:
    problems = problems_of(variants=(Variant("a", "A", 1.0), Variant("b", "B", -1.0)))
    assert "variants[1].weight" in problems
    problems = problems_of(variants=(Variant("a", "A", float("nan")), Variant("b", "B", 1.0)))
    assert "variants[0].weight" in problems


def test_control_needs_a_positive_weight() -> None:
    problems = problems_of(
        variants=(Variant("a", "A", 0.0), Variant("b", "B", 1.0), Variant("c", "C", 1.0))
    )
    assert problems == {"variants[0].weight": "the control needs a positive weight"}


def test_duplicate_variant_ids() -> None:
    problems = problems_of(
        variants=(Variant("a", "A", 1.0), Variant("b", "B", 1.0), Variant("a", "Again", 1.0))
    )
    assert problems == {"variants[2].id": "duplicate variant id 'a' (also variants[0])"}


def test_one_variant_is_not_an_experiment() -> None:
    assert "variants" in problems_of(variants=(Variant("a", "A", 1.0),))


def test_end_before_start() -> None:
    problems = problems_of(end=START - timedelta(days=1))
    assert problems["endDate"].startswith("must be after startDate")


def test_end_too_soon_for_the_minimum_duration() -> None:
    problems = problems_of(end=START + timedelta(days=10))
    assert "minDurationDays (14)" in problems["endDate"]


def test_unknown_metrics_name_their_field() -> None:
    problems = problems_of(primary_metric="happiness", guardrail_metrics=("retention", "joy"))
    assert problems["primaryMetric"].startswith("unknown metric 'happiness'")
    assert problems["guardrailMetrics[1]"].startswith("unknown metric 'joy'")


def test_guardrail_repeating_the_primary_or_itself() -> None:
    problems = problems_of(guardrail_metrics=("retention", "completion", "completion"))
    assert problems["guardrailMetrics[0]"] == "'retention' is already the primary metric"
    assert problems["guardrailMetrics[2]"] == "'completion' is listed twice"


def test_minimums_and_context() -> None:
    problems = problems_of(min_participants_per_arm=1, min_duration_days=0, context="MISSION")
    assert set(problems) == {"minParticipantsPerArm", "minDurationDays", "context"}


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(InvalidDefinition) as caught:
        make(
            name=" ",
            variants=(Variant("a", "A", 1.0), Variant("a", "B", -2.0)),
            primary_metric="nope",
            end=START,
        )
    fields = [p.field for p in caught.value.problems]
    assert fields == ["name", "variants[1].id", "variants[1].weight", "primaryMetric", "endDate"]
    assert "primaryMetric: unknown metric 'nope'" in str(caught.value)


def test_replace_revalidates() -> None:
    with pytest.raises(InvalidDefinition):
        replace(make(), primary_metric="unknown")
