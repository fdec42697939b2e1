"""How an experiment is analysed: the decision method and the sequential test's tuning.

The always-valid sequential interval is tightest around the total sample size τ it is tuned
for; tuned far above the real size it is needlessly wide (at 200 learners per arm a 0.3-sd
effect is found 11% of the time with gbstats' default τ = 5,000, against ≈ 50% with τ = 400 —
``benchmarks/experiment_quality.py``). So τ is set to the *expected number of participants*
(over every arm): given by the operator when they know it, otherwise the number of learners
who could take part when the experiment is defined (behavioural analysis on), and never
below the minimum the verdict needs (every analysed arm at its minimum). An operator who
will read the result once, at the planned end, may choose the fixed-horizon Welch test
instead: it has the most power at that single look, but peeking at it daily inflates false
winners, so the verdict keeps running until the end with it.
"""

from __future__ import annotations

from dataclasses import dataclass

from twin.analysis.experiments.definition import DefinitionProblem, ExperimentDefinition
from twin.analysis.experiments.frequentist import DEFAULT_ALPHA
from twin.analysis.experiments.statistics import DifferenceType
from twin.analysis.experiments.verdict import AnalysisSettings, DecisionMethod

MAX_EXPECTED_PARTICIPANTS = 10_000_000
"""Upper bound of an expected participant count (a typo guard, not a real limit)."""


@dataclass(frozen=True)
class AnalysisPlan:
    """The operator's choices about the analysis (validated against a definition)."""

    method: DecisionMethod = DecisionMethod.SEQUENTIAL
    expected_participants: int | None = None
    """Over every arm; None: the service's count of learners who could take part."""
    difference_type: DifferenceType = DifferenceType.RELATIVE
    alpha: float = DEFAULT_ALPHA


def minimum_participants(definition: ExperimentDefinition) -> int:
    """The fewest participants the verdict can be given with: every analysed arm at its minimum."""
    arms = sum(1 for v in definition.variants if v.weight > 0)
    return arms * definition.min_participants_per_arm


def plan_problems(plan: AnalysisPlan) -> tuple[DefinitionProblem, ...]:
    """Problems of a plan, naming the API fields."""
    expected = plan.expected_participants
    if expected is None:
        return ()
    if isinstance(expected, bool) or not isinstance(expected, int) or expected < 1:
        return (DefinitionProblem("expectedParticipants", "must be an integer ≥ 1"),)
    if expected > MAX_EXPECTED_PARTICIPANTS:
        return (
            DefinitionProblem(
                "expectedParticipants", f"must be at most {MAX_EXPECTED_PARTICIPANTS:,}"
            ),
        )
    return ()


def tuning_parameter(
    definition: ExperimentDefinition, plan: AnalysisPlan, eligible_learners: int
) -> float:
    """τ of the sequential test: the expected participants (else the eligible learners), floored."""
    expected = plan.expected_participants
    participants = expected if expected is not None else eligible_learners
    return float(max(participants, minimum_participants(definition)))


def analysis_settings(plan: AnalysisPlan, tuning: float) -> AnalysisSettings:
    """The verdict's settings for a plan and its τ."""
    return AnalysisSettings(
        alpha=plan.alpha,
        difference_type=plan.difference_type,
        method=plan.method,
        sequential_tuning_parameter=tuning,
    )
