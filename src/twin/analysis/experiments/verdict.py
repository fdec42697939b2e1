"""The verdict of an experiment: per-metric comparisons, the sample-ratio check and the decision.

Every treatment is compared with the control on the primary metric and on each guardrail, by
three tests on the same sufficient statistics: the fixed-horizon Welch test, the always-valid
sequential test and the Bayesian posterior. One of the two frequentist tests decides (the
*decision method*; sequential by default, because results can be looked at every day); the
others are reported beside it. Decision rules, in order:

1. **invalid** — the sample-ratio χ² p-value is below 0.001: assignment or exposure is broken,
   so the verdict is withheld whatever the metrics say.
2. **keep running** — an arm has fewer participants (with a primary-metric value) than the
   minimum, or fewer full days than the minimum duration have passed. If the experiment has
   already ended (end date passed, or stopped) it can no longer meet them: **invalid**.
3. **keep running** — with the fixed-horizon method, until the experiment has ended: that test
   is only valid when read once, at the planned end (reading it daily inflates false winners).
4. **winner** — a treatment significantly better than the control on the primary metric and
   not significantly worse on any guardrail; among several, the largest gain on the primary.
   The control is the winner when every treatment is significantly worse on the primary.
5. Otherwise **no difference** once the experiment has ended (**invalid** if the primary metric
   could not be tested in any arm), **keep running** before.

"Better"/"worse" follow the metric's direction. Treatments are not corrected for multiple
comparisons (as in GrowthBook); keep the number of arms small.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from twin.analysis.common import InsufficientData
from twin.analysis.experiments.bayesian import BayesianConfig, BayesianResult, bayesian_effect
from twin.analysis.experiments.definition import ExperimentDefinition, Variant
from twin.analysis.experiments.frequentist import (
    DEFAULT_ALPHA,
    DEFAULT_DIFFERENCE_TYPE,
    DEFAULT_SEQUENTIAL_TUNING_PARAMETER,
    FrequentistConfig,
    FrequentistResult,
    SequentialConfig,
    sequential_ttest,
    welch_ttest,
)
from twin.analysis.experiments.metrics import METRICS, MetricDefinition
from twin.analysis.experiments.srm import SRM_P_VALUE_THRESHOLD, expected_counts, srm_p_value
from twin.analysis.experiments.statistics import ArmStatistic, DifferenceType

DAY = timedelta(days=1)


class Verdict(StrEnum):
    """What to do with an experiment now."""

    WINNER = "winner"
    NO_DIFFERENCE = "no_difference"
    KEEP_RUNNING = "keep_running"
    INVALID = "invalid"


class DecisionMethod(StrEnum):
    """Which test decides significance."""

    SEQUENTIAL = "sequential"
    FIXED_HORIZON = "fixed_horizon"


class MetricRole(StrEnum):
    """Why a metric is analysed."""

    PRIMARY = "primary"
    GUARDRAIL = "guardrail"


class Outcome(StrEnum):
    """A treatment against the control on one metric, by the decision method."""

    BETTER = "better"
    WORSE = "worse"
    INCONCLUSIVE = "inconclusive"
    NOT_TESTABLE = "not_testable"


@dataclass(frozen=True)
class AnalysisSettings:
    """Level, difference type, decision method, sequential τ and the SRM threshold."""

    alpha: float = DEFAULT_ALPHA
    difference_type: DifferenceType = DEFAULT_DIFFERENCE_TYPE
    method: DecisionMethod = DecisionMethod.SEQUENTIAL
    sequential_tuning_parameter: float = DEFAULT_SEQUENTIAL_TUNING_PARAMETER
    srm_p_value_threshold: float = SRM_P_VALUE_THRESHOLD

    def __post_init__(self) -> None:
        self.sequential_config()  # validates alpha and τ
        threshold = self.srm_p_value_threshold
        if not (math.isfinite(threshold) and 0.0 < threshold < 1.0):
            raise ValueError(f"srm_p_value_threshold must be in (0, 1), got {threshold!r}")

    def frequentist_config(self) -> FrequentistConfig:
        """The Welch test's configuration."""
        return FrequentistConfig(alpha=self.alpha, difference_type=self.difference_type)

    def sequential_config(self) -> SequentialConfig:
        """The sequential test's configuration."""
        return SequentialConfig(
            alpha=self.alpha,
            difference_type=self.difference_type,
            tuning_parameter=self.sequential_tuning_parameter,
        )

    def bayesian_config(self) -> BayesianConfig:
        """The Bayesian posterior's configuration."""
        return BayesianConfig(alpha=self.alpha, difference_type=self.difference_type)

    def describe(self, cuped: bool) -> str:
        """The method in words, as the result reports it."""
        if self.method is DecisionMethod.SEQUENTIAL:
            test = (
                "sequential two-sided test (always-valid confidence sequence, "
                f"tuning parameter τ = {self.sequential_tuning_parameter:g})"
            )
        else:
            test = "fixed-horizon two-sided Welch t-test (read once, at the planned end)"
        parts = [test, f"{self.difference_type.value} difference", f"α = {self.alpha:g}"]
        if cuped:
            parts.append("CUPED on the pre-period value with θ pooled over both arms")
        parts.append(f"sample-ratio check at p < {self.srm_p_value_threshold:g}")
        return "; ".join(parts)


@dataclass(frozen=True)
class MetricComparison:
    """One treatment against the control on one metric, by all three tests.

    ``fixed``, ``sequential`` and ``bayesian`` use the settings' difference type (relative by
    default); ``fixed_absolute`` is the Welch test again in absolute mode (the metric's own
    unit), reported beside it.
    """

    metric: str
    role: MetricRole
    control_id: str
    variant_id: str
    fixed: FrequentistResult
    sequential: FrequentistResult
    bayesian: BayesianResult
    method: DecisionMethod
    outcome: Outcome
    fixed_absolute: FrequentistResult

    @property
    def decision(self) -> FrequentistResult:
        """The result of the deciding test."""
        return self.sequential if self.method is DecisionMethod.SEQUENTIAL else self.fixed

    @property
    def cuped(self) -> bool:
        """Whether the pre-period covariate adjusted the comparison."""
        return self.fixed.theta is not None


def outcome_of(result: FrequentistResult, metric: MetricDefinition) -> Outcome:
    """Better / worse / inconclusive / not testable, in the metric's direction."""
    if result.error is not None or result.diagnostics is None:
        return Outcome.NOT_TESTABLE
    if not result.significant:
        return Outcome.INCONCLUSIVE
    # The sign of the mean difference, not of Δ: a relative Δ divides by the control mean.
    gain = metric.sign() * (result.diagnostics.mean_b - result.diagnostics.mean_a)
    return Outcome.BETTER if gain > 0 else Outcome.WORSE


def compare_metric(
    metric: MetricDefinition,
    role: MetricRole,
    control_id: str,
    variant_id: str,
    control: ArmStatistic,
    treatment: ArmStatistic,
    settings: AnalysisSettings,
) -> MetricComparison:
    """All three tests of ``treatment`` against ``control`` on one metric."""
    if control.kind is not metric.kind:
        raise ValueError(
            f"{metric.name} is a {metric.kind.value} metric, got {control.kind.value} statistics"
        )
    fixed = welch_ttest(control, treatment, settings.frequentist_config())
    sequential = sequential_ttest(control, treatment, settings.sequential_config())
    bayesian = bayesian_effect(control, treatment, settings.bayesian_config())
    decision = sequential if settings.method is DecisionMethod.SEQUENTIAL else fixed
    absolute = (
        fixed
        if settings.difference_type is DifferenceType.ABSOLUTE
        else welch_ttest(
            control,
            treatment,
            FrequentistConfig(alpha=settings.alpha, difference_type=DifferenceType.ABSOLUTE),
        )
    )
    return MetricComparison(
        metric=metric.name,
        role=role,
        control_id=control_id,
        variant_id=variant_id,
        fixed=fixed,
        sequential=sequential,
        bayesian=bayesian,
        method=settings.method,
        outcome=outcome_of(decision, metric),
        fixed_absolute=absolute,
    )


@dataclass(frozen=True)
class SrmCheck:
    """Observed arm sizes against the planned weights."""

    observed: tuple[int, ...]
    weights: tuple[float, ...]
    expected: tuple[float, ...]
    p_value: float
    threshold: float

    @property
    def mismatch(self) -> bool:
        """p below the threshold: the split is broken."""
        return self.p_value < self.threshold


@dataclass(frozen=True)
class ArmSummary:
    """One arm's size: learners assigned, and those with a primary-metric value (analysed)."""

    variant_id: str
    name: str
    weight: float
    assigned: int
    analysed: int


@dataclass(frozen=True)
class ExperimentResult:
    """The verdict with everything it rests on: n per arm, dates, method, tests and reasons."""

    verdict: Verdict
    winner: str | None
    reasons: tuple[str, ...]
    method: DecisionMethod
    method_description: str
    start: datetime
    end: datetime
    as_of: datetime
    stopped_at: datetime | None
    days_elapsed: int
    ended: bool
    arms: tuple[ArmSummary, ...]
    srm: SrmCheck
    comparisons: tuple[MetricComparison, ...]
    insufficient: tuple[InsufficientData, ...]


def _percent(value: float) -> str:
    return f"{100 * value:+.2f}%"


def describe_effect(result: FrequentistResult, metric: MetricDefinition) -> str:
    """Estimate, interval and p-value in words (percent in relative mode, else the unit)."""
    level = f"{100 * (1 - result.alpha):g}%"
    if result.difference_type is DifferenceType.RELATIVE:
        estimate, low, high = (_percent(v) for v in (result.expected, *result.ci))
    else:
        estimate, low, high = (f"{v:+.4g} {metric.unit}" for v in (result.expected, *result.ci))
    return f"{estimate} ({level} interval {low} to {high}; p = {result.p_value:.3g})"


def _check_inputs(
    definition: ExperimentDefinition,
    assigned: Mapping[str, int],
    statistics: Mapping[str, Mapping[str, ArmStatistic]],
    analysed: tuple[Variant, ...],
) -> None:
    ids = {v.variant_id for v in definition.variants}
    unknown = sorted(set(assigned) - ids)
    if unknown:
        raise ValueError(f"assigned: unknown variant ids {unknown}")
    for variant in definition.variants:
        count = assigned.get(variant.variant_id, 0)
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(f"assigned[{variant.variant_id!r}] must be an integer ≥ 0")
    for metric in definition.metrics:
        per_arm = statistics.get(metric)
        if per_arm is None:
            raise ValueError(f"statistics: no statistics for metric {metric!r}")
        for variant in analysed:
            if variant.variant_id not in per_arm:
                raise ValueError(
                    f"statistics[{metric!r}]: no statistics for variant {variant.variant_id!r}"
                )


def _minimums(
    definition: ExperimentDefinition,
    analysed: tuple[Variant, ...],
    primary: Mapping[str, ArmStatistic],
    days_elapsed: int,
) -> tuple[InsufficientData, ...]:
    unmet = [
        InsufficientData(
            requirement=f"participants in {v.variant_id}",
            have=primary[v.variant_id].n,
            need=definition.min_participants_per_arm,
        )
        for v in analysed
        if primary[v.variant_id].n < definition.min_participants_per_arm
    ]
    if days_elapsed < definition.min_duration_days:
        unmet.append(
            InsufficientData(
                requirement="days", have=days_elapsed, need=definition.min_duration_days
            )
        )
    return tuple(unmet)


def _describe_unmet(unmet: tuple[InsufficientData, ...]) -> str:
    return ", ".join(f"{u.requirement}: {u.have} of {u.need}" for u in unmet)


def analyse_experiment(
    definition: ExperimentDefinition,
    assigned: Mapping[str, int],
    statistics: Mapping[str, Mapping[str, ArmStatistic]],
    now: datetime,
    *,
    stopped_at: datetime | None = None,
    settings: AnalysisSettings | None = None,
) -> ExperimentResult:
    """Compare every treatment with the control and decide the verdict (rules in the module doc).

    ``assigned``: learners assigned per variant id (for the sample-ratio check; a missing id
    counts 0). ``statistics``: per metric, per variant id, the sufficient statistic of the
    participants' post-period values (CUPED statistics when the definition asks for them);
    every metric of the definition and every variant with a positive weight must be present.
    """
    settings = settings or AnalysisSettings()
    for name, instant in (("now", now), ("stopped_at", stopped_at)):
        if instant is not None and (instant.tzinfo is None) != (definition.start.tzinfo is None):
            raise ValueError(f"{name} must be naive or aware like the definition's start")
    analysed = tuple(v for v in definition.variants if v.weight > 0)
    _check_inputs(definition, assigned, statistics, analysed)
    control = definition.control
    ended = stopped_at is not None or now >= definition.end
    as_of = min(t for t in (now, definition.end, stopped_at) if t is not None)
    days_elapsed = max(0, (as_of - definition.start) // DAY)

    primary_stats = statistics[definition.primary_metric]
    observed = tuple(assigned.get(v.variant_id, 0) for v in definition.variants)
    srm = SrmCheck(
        observed=observed,
        weights=definition.weights,
        expected=expected_counts(observed, definition.weights),
        p_value=srm_p_value(observed, definition.weights),
        threshold=settings.srm_p_value_threshold,
    )
    arms = tuple(
        ArmSummary(
            variant_id=v.variant_id,
            name=v.name,
            weight=v.weight,
            assigned=assigned.get(v.variant_id, 0),
            analysed=primary_stats[v.variant_id].n if v.weight > 0 else 0,
        )
        for v in definition.variants
    )
    comparisons = tuple(
        compare_metric(
            METRICS[metric],
            MetricRole.PRIMARY if metric == definition.primary_metric else MetricRole.GUARDRAIL,
            control.variant_id,
            treatment.variant_id,
            statistics[metric][control.variant_id],
            statistics[metric][treatment.variant_id],
            settings,
        )
        for treatment in analysed[1:]
        for metric in definition.metrics
    )
    unmet = _minimums(definition, analysed, primary_stats, days_elapsed)
    verdict, winner, reasons = _decide(definition, settings, srm, unmet, comparisons, ended)
    return ExperimentResult(
        verdict=verdict,
        winner=winner,
        reasons=reasons,
        method=settings.method,
        method_description=settings.describe(any(c.cuped for c in comparisons)),
        start=definition.start,
        end=definition.end,
        as_of=as_of,
        stopped_at=stopped_at,
        days_elapsed=days_elapsed,
        ended=ended,
        arms=arms,
        srm=srm,
        comparisons=comparisons,
        insufficient=unmet,
    )


def _decide(
    definition: ExperimentDefinition,
    settings: AnalysisSettings,
    srm: SrmCheck,
    unmet: tuple[InsufficientData, ...],
    comparisons: tuple[MetricComparison, ...],
    ended: bool,
) -> tuple[Verdict, str | None, tuple[str, ...]]:
    if srm.mismatch:
        split = ", ".join(
            f"{o} observed vs {e:.1f} expected"
            for o, e in zip(srm.observed, srm.expected, strict=True)
        )
        return (
            Verdict.INVALID,
            None,
            (
                f"sample ratio mismatch: {split} (χ² p = {srm.p_value:.3g} < {srm.threshold:g}); "
                "assignment or exposure is broken, so the verdict is withheld",
            ),
        )
    if unmet:
        if ended:
            return (
                Verdict.INVALID,
                None,
                (f"the experiment ended before its minimums were met ({_describe_unmet(unmet)})",),
            )
        return (Verdict.KEEP_RUNNING, None, (f"minimums not met yet: {_describe_unmet(unmet)}",))
    if settings.method is DecisionMethod.FIXED_HORIZON and not ended:
        return (
            Verdict.KEEP_RUNNING,
            None,
            (
                f"the fixed-horizon test is read once, at the end ({definition.end.isoformat()}); "
                "use the sequential method to decide earlier",
            ),
        )
    primary = definition.primary_metric
    metric = METRICS[primary]
    by_variant: dict[str, list[MetricComparison]] = {}
    for comparison in comparisons:
        by_variant.setdefault(comparison.variant_id, []).append(comparison)
    candidates: list[MetricComparison] = []
    reasons: list[str] = []
    for variant_id, rows in by_variant.items():
        head = next(c for c in rows if c.role is MetricRole.PRIMARY)
        harmed = [c for c in rows if c.role is MetricRole.GUARDRAIL and c.outcome is Outcome.WORSE]
        effect = describe_effect(head.decision, metric)
        if head.outcome is Outcome.BETTER and not harmed:
            candidates.append(head)
        elif head.outcome is Outcome.BETTER:
            reasons.append(
                f"{variant_id} is better on {primary} ({effect}) but harms guardrail(s) "
                + ", ".join(
                    f"{c.metric} ({describe_effect(c.decision, METRICS[c.metric])})" for c in harmed
                )
            )
        elif head.outcome is Outcome.WORSE:
            reasons.append(f"{variant_id} is worse than the control on {primary}: {effect}")
        elif head.outcome is Outcome.INCONCLUSIVE:
            reasons.append(f"{variant_id} vs control on {primary}: not significant, {effect}")
        else:
            error = head.decision.error.value if head.decision.error else "no estimate"
            reasons.append(f"{variant_id} vs control on {primary} cannot be tested ({error})")
    if candidates:
        best = max(candidates, key=lambda c: metric.sign() * c.decision.expected)
        others = [c.variant_id for c in candidates if c is not best]
        lead = (
            f"{best.variant_id} beats the control on {primary}: "
            f"{describe_effect(best.decision, metric)}; guardrails not harmed"
        )
        if others:
            lead += f"; also better: {', '.join(others)} (smaller gain)"
        return (Verdict.WINNER, best.variant_id, (lead, *reasons))
    heads = [c for c in comparisons if c.role is MetricRole.PRIMARY]
    if heads and all(c.outcome is Outcome.WORSE for c in heads):
        return (
            Verdict.WINNER,
            definition.control.variant_id,
            ("every treatment is significantly worse than the control", *reasons),
        )
    if not ended:
        return (Verdict.KEEP_RUNNING, None, ("no winner yet", *reasons))
    if heads and all(c.outcome is Outcome.NOT_TESTABLE for c in heads):
        return (Verdict.INVALID, None, ("the primary metric could not be tested", *reasons))
    return (Verdict.NO_DIFFERENCE, None, ("the experiment ended without a winner", *reasons))
