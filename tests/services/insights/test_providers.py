"""The experiment-winner provider's mapping: only a treatment's relative win is a recommendation."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from twin.enums import PersonalizationContext
from twin.services.experiments import ExperimentWinner
from twin.services.insights.providers import winner_signal

WINNER = ExperimentWinner(
    experiment_id="exp1",
    experiment_name="Shorter missions",
    context=PersonalizationContext.MISSION,
    variant_id="short",
    variant_name="20% shorter missions",
    config={"durationFactor": 0.8},
    is_control=False,
    primary_metric="performance",
    effect={
        "variantId": "short",
        "differenceType": "relative",
        "expected": 0.12,
        "ci": [0.05, 0.19],
        "chanceToWin": 0.99,
    },
    completed_at=datetime(2026, 4, 6),
    participants=120,
    assigned_variant_id="control",
)


def test_a_treatment_win_maps_field_by_field() -> None:
    s = winner_signal(WINNER)
    assert s is not None
    assert (s.experiment_id, s.winning_variant, s.learner_variant) == ("exp1", "short", "control")
    assert (s.relative_lift, s.ci_low, s.ci_high, s.chance_to_win) == (0.12, 0.05, 0.19, 0.99)
    assert s.change_description == "20% shorter missions" and s.metric == "performance"


def test_nothing_to_try_when_the_control_won_or_the_effect_is_not_relative() -> None:
    assert winner_signal(replace(WINNER, is_control=True)) is None
    absolute = {**WINNER.effect, "differenceType": "absolute"}
    assert winner_signal(replace(WINNER, effect=absolute)) is None
    assert winner_signal(replace(WINNER, effect={**WINNER.effect, "ci": [None, 0.2]})) is None
    assert winner_signal(replace(WINNER, effect={})) is None
