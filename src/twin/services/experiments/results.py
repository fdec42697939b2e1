"""Results: sufficient statistics aggregated in SQL, then the pure analysis (ENGINE.md 5.5).

:func:`arm_sums` is one aggregate over the experiment's ``experiment_assignments`` rows,
grouped by variant: participants assigned, and per metric the count, Σv and Σv² of the
post-period values — with CUPED, also Σx, Σx² and Σvx of the pre-period values (a
participant without a pre-period value gets the mean pre-period value of the experiment's
measured participants: a constant computed from data the variant cannot have touched, so the
adjustment stays unbiased). No participant row reaches Python. :func:`experiment_results` turns
the sums into :mod:`twin.analysis.experiments.statistics` values and calls
:func:`~twin.analysis.experiments.verdict.analyse_experiment`.

**Which time the verdict is about.** The stored metrics are as of their last computation
(``metricsAsOf``), so the analysis is too: its days elapsed count to that instant, and an
ended or stopped experiment is treated as ended once its metrics are as of its end — until
then the verdict says the final metrics are pending.

:func:`finalize` writes the verdict into the seed's result columns once the experiment has
ended (``variantMetrics``, ``winningVariant``, ``statisticalSignificance``, ``completedAt``,
status COMPLETED) and 0011's ``result``; :func:`experiment_winners` is what recommendations
(issue #19) read.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from twin.analysis.common import iso_utc, storage_time
from twin.analysis.experiments.metrics import MetricSums, arm_statistic
from twin.analysis.experiments.verdict import (
    ExperimentResult,
    MetricComparison,
    MetricRole,
    Verdict,
    analyse_experiment,
)
from twin.enums import ExperimentStatus, PersonalizationContext
from twin.services.experiments.definitions import (
    Experiment,
    finite,
    json_copy,
    load_experiment,
)

RESULT_VERSION = 1
"""Version of the stored ``result`` document."""


@dataclass(frozen=True)
class ArmSums:
    """One variant: participants assigned, without metrics yet, and each metric's sums."""

    variant_id: str
    assigned: int
    pending: int
    metrics: Mapping[str, MetricSums]


def _results_sql(metrics: tuple[str, ...]) -> sa.TextClause:
    values = []
    means = []
    sums = []
    for i, _metric in enumerate(metrics):
        values.append(
            f"CAST(a.metrics->'post'->'values'->>:m{i} AS float8) AS y{i}, "
            f"CAST(a.metrics->'pre'->'values'->>:m{i} AS float8) AS x{i}"
        )
        means.append(f"avg(x{i}) FILTER (WHERE y{i} IS NOT NULL) AS c{i}")
        pre = f"coalesce(x{i}, c.c{i}, 0)"
        sums.append(
            f"count(y{i}) AS n{i}, coalesce(sum(y{i}), 0) AS s{i}, "
            f"coalesce(sum(y{i} * y{i}), 0) AS ss{i}, "
            f"count(y{i}) FILTER (WHERE x{i} IS NOT NULL) AS pn{i}, "
            f"coalesce(sum({pre}) FILTER (WHERE y{i} IS NOT NULL), 0) AS xs{i}, "
            f"coalesce(sum({pre} * {pre}) FILTER (WHERE y{i} IS NOT NULL), 0) AS xss{i}, "
            f"coalesce(sum(y{i} * {pre}), 0) AS xy{i}"
        )
    return sa.text(
        f"""
        WITH a AS (
          SELECT a."variantId" AS variant, a.metrics IS NULL AS pending, {", ".join(values)}
          FROM experiment_assignments a WHERE a."experimentId" = :e
        ), c AS (
          SELECT {", ".join(means)} FROM a
        )
        SELECT a.variant, count(*) AS assigned, count(*) FILTER (WHERE a.pending) AS pending,
               {", ".join(sums)}
        FROM a CROSS JOIN c
        GROUP BY a.variant
        """
    )


def arm_sums(session: Session, experiment_id: str, metrics: tuple[str, ...]) -> list[ArmSums]:
    """Per variant with participants: counts and the sums of every metric (one aggregate)."""
    params: dict[str, Any] = {"e": experiment_id}
    params.update({f"m{i}": m for i, m in enumerate(metrics)})
    out = []
    for row in session.execute(_results_sql(metrics), params):
        m = row._mapping
        out.append(
            ArmSums(
                variant_id=str(m["variant"]),
                assigned=int(m["assigned"]),
                pending=int(m["pending"]),
                metrics={
                    metric: MetricSums(
                        n=int(m[f"n{i}"]),
                        total=float(m[f"s{i}"]),
                        squares=float(m[f"ss{i}"]),
                        pre_total=float(m[f"xs{i}"]),
                        pre_squares=float(m[f"xss{i}"]),
                        products=float(m[f"xy{i}"]),
                        pre_n=int(m[f"pn{i}"]),
                    )
                    for i, metric in enumerate(metrics)
                },
            )
        )
    return out


@dataclass(frozen=True)
class ArmMetric:
    """One arm's summary of one metric: participants measured and their means."""

    metric: str
    variant_id: str
    n: int
    mean: float | None
    pre_mean: float | None
    pre_n: int


@dataclass(frozen=True)
class ExperimentResults:
    """Everything ``GET /v1/experiments/{id}/results`` answers."""

    experiment: Experiment
    result: ExperimentResult
    metrics_as_of: datetime | None
    participants: int
    pending_participants: int
    """Assigned since the last metrics computation (counted in the split, not yet measured)."""
    arm_metrics: tuple[ArmMetric, ...]
    notes: tuple[str, ...]


def _arm_metrics(experiment: Experiment, sums: Mapping[str, ArmSums]) -> tuple[ArmMetric, ...]:
    out = []
    for metric in experiment.definition.metrics:
        for variant in experiment.variants:
            arm = sums.get(variant.id)
            s = arm.metrics[metric] if arm is not None else None
            n = s.n if s is not None else 0
            out.append(
                ArmMetric(
                    metric=metric,
                    variant_id=variant.id,
                    n=n,
                    mean=s.total / n if s is not None and n else None,
                    pre_mean=s.pre_total / n if s is not None and n and s.pre_n else None,
                    pre_n=s.pre_n if s is not None else 0,
                )
            )
    return tuple(out)


def results_of(
    experiment: Experiment, sums: list[ArmSums], now: datetime
) -> tuple[ExperimentResult, tuple[str, ...]]:
    """The verdict from the aggregated sums (pure: the service's step after the query)."""
    definition = experiment.definition
    by_variant = {a.variant_id: a for a in sums}
    empty = MetricSums(0, 0.0, 0.0, 0.0, 0.0, 0.0, 0)
    statistics = {
        metric: {
            v.id: arm_statistic(
                metric,
                by_variant[v.id].metrics[metric] if v.id in by_variant else empty,
                definition.cuped,
            )
            for v in experiment.variants
        }
        for metric in definition.metrics
    }
    assigned = {
        v.id: (by_variant[v.id].assigned if v.id in by_variant else 0) for v in experiment.variants
    }
    as_of = experiment.metrics_as_of or experiment.start_date
    ends = experiment.ends_at()
    final_metrics = as_of >= ends
    notes: list[str] = []
    if experiment.metrics_as_of is None:
        notes.append("no metrics computed yet: the daily metrics job has not run since the start")
    elif not final_metrics and storage_time(now) >= ends:
        notes.append(
            f"the experiment {'was stopped' if experiment.stopped_at else 'ended'} at "
            f"{ends:%Y-%m-%d %H:%M} UTC; its final metrics are computed by the next metrics run"
        )
    result = analyse_experiment(
        definition,
        assigned,
        statistics,
        as_of,
        stopped_at=experiment.stopped_at if final_metrics else None,
        settings=experiment.settings,
    )
    return result, tuple(notes)


def experiment_results(session: Session, experiment_id: str, now: datetime) -> ExperimentResults:
    """The experiment's results from its stored metrics (404 unknown experiment)."""
    experiment = load_experiment(session, experiment_id, now)
    sums = arm_sums(session, experiment_id, experiment.definition.metrics)
    result, notes = results_of(experiment, sums, now)
    unknown = sorted({a.variant_id for a in sums} - {v.id for v in experiment.variants})
    if unknown:
        notes += (f"assignments to unknown variants ignored: {', '.join(unknown)}",)
    return ExperimentResults(
        experiment=experiment,
        result=result,
        metrics_as_of=experiment.metrics_as_of,
        participants=sum(a.assigned for a in sums),
        pending_participants=sum(a.pending for a in sums),
        arm_metrics=_arm_metrics(experiment, {a.variant_id: a for a in sums}),
        notes=notes,
    )


# --- the end of an experiment --------------------------------------------------------------


def _decision_summary(c: MetricComparison) -> dict[str, Any]:
    d = c.decision
    return {
        "variantId": c.variant_id,
        "metric": c.metric,
        "outcome": c.outcome.value,
        "differenceType": d.difference_type.value,
        "expected": finite(d.expected),
        "ci": [finite(d.ci[0]), finite(d.ci[1])],
        "pValue": finite(d.p_value),
        "chanceToWin": finite(c.bayesian.chance_to_win),
        "absoluteEffect": finite(c.fixed_absolute.expected),
    }


def result_document(results: ExperimentResults) -> dict[str, Any]:
    """The stored ``result``: the verdict and what it rests on, in a stable shape."""
    r = results.result
    return {
        "version": RESULT_VERSION,
        "verdict": r.verdict.value,
        "winner": r.winner,
        "reasons": list(r.reasons),
        "asOf": iso_utc(r.as_of),
        "method": r.method.value,
        "methodDescription": r.method_description,
        "primaryMetric": results.experiment.primary_metric,
        "arms": [
            {"variantId": a.variant_id, "assigned": a.assigned, "analysed": a.analysed}
            for a in r.arms
        ],
        "srm": {"pValue": finite(r.srm.p_value), "mismatch": r.srm.mismatch},
        "primary": [_decision_summary(c) for c in r.comparisons if c.role is MetricRole.PRIMARY],
    }


def _significance(result: ExperimentResult) -> float | None:
    heads = [c for c in result.comparisons if c.role is MetricRole.PRIMARY]
    chosen = [c for c in heads if c.variant_id == result.winner] or heads
    p_values = [c.decision.p_value for c in chosen if c.decision.error is None]
    return min(p_values) if p_values else None


def finalize(session: Session, experiment_id: str, now: datetime) -> ExperimentResults | None:
    """Write the final verdict of an ended experiment whose metrics are as of its end (else None)."""
    results = experiment_results(session, experiment_id, now)
    experiment = results.experiment
    if experiment.final is not None or experiment.metrics_as_of is None:
        return None
    if experiment.metrics_as_of < experiment.ends_at():
        return None
    variant_metrics: dict[str, dict[str, float | None]] = {}
    for m in results.arm_metrics:
        variant_metrics.setdefault(m.variant_id, {})[m.metric] = m.mean
    status = (
        ExperimentStatus.CANCELLED
        if experiment.status is ExperimentStatus.CANCELLED
        else ExperimentStatus.COMPLETED
    )
    session.execute(
        sa.text(
            """
            UPDATE personalization_experiments
            SET result = CAST(:result AS jsonb), "variantMetrics" = CAST(:vm AS jsonb),
                "winningVariant" = :winner, "statisticalSignificance" = :p,
                status = CAST(:status AS "ExperimentStatus"),
                "completedAt" = coalesce("completedAt", :ends)
            WHERE id = :id
            """
        ),
        {
            "result": json.dumps(result_document(results)),
            "vm": json.dumps(variant_metrics),
            "winner": results.result.winner,
            "p": _significance(results.result),
            "status": status.value,
            "ends": experiment.ends_at(),
            "id": experiment_id,
        },
    )
    return results


@dataclass(frozen=True)
class ExperimentWinner:
    """A finished experiment whose verdict named a winner: what recommendations build on."""

    experiment_id: str
    experiment_name: str
    context: PersonalizationContext
    variant_id: str
    variant_name: str
    config: Mapping[str, Any]
    is_control: bool
    """True when every treatment lost: the control (the default) is what to keep."""
    primary_metric: str
    effect: Mapping[str, Any]
    """The winner's decision on the primary metric (expected, ci, pValue, chanceToWin…)."""
    completed_at: datetime
    participants: int
    assigned_variant_id: str | None
    """The asking learner's variant in this experiment (None: not a participant, or not asked)."""


_WINNERS_SQL = sa.text(
    """
    SELECT e.id, e."experimentName", e.context, e.variants, e.result, e."completedAt",
           e."winningVariant", e."currentParticipants",
           (SELECT a."variantId" FROM experiment_assignments a
            WHERE a."experimentId" = e.id AND a."userId" = :u) AS assigned
    FROM personalization_experiments e
    WHERE e.definition IS NOT NULL AND e.result IS NOT NULL AND e."winningVariant" IS NOT NULL
      AND (CAST(:context AS text) IS NULL OR e.context::text = :context)
    ORDER BY e."completedAt" DESC, e.id
    """
)


def experiment_winners(
    session: Session,
    *,
    context: PersonalizationContext | None = None,
    user_id: str | None = None,
) -> tuple[ExperimentWinner, ...]:
    """Finished experiments with a winner, newest first (optionally of one context).

    ``user_id`` fills :attr:`ExperimentWinner.assigned_variant_id` with that learner's variant,
    so a recommendation can skip learners who already had the winning config.
    """
    rows = session.execute(
        _WINNERS_SQL, {"context": None if context is None else context.value, "u": user_id}
    )
    out = []
    for row in rows:
        variants = {str(v["variantId"]): v for v in row.variants}
        winner = variants[row.winningVariant]
        effect: Mapping[str, Any] = next(
            (p for p in row.result.get("primary", ()) if p["variantId"] == row.winningVariant),
            {},
        )
        out.append(
            ExperimentWinner(
                experiment_id=row.id,
                experiment_name=row.experimentName,
                context=PersonalizationContext(row.context),
                variant_id=row.winningVariant,
                variant_name=str(winner["name"]),
                config=json_copy(winner.get("config") or {}),
                is_control=row.winningVariant == str(row.variants[0]["variantId"]),
                primary_metric=str(row.result.get("primaryMetric", "")),
                effect=json_copy(effect),
                completed_at=row.completedAt,
                participants=int(row.currentParticipants),
                assigned_variant_id=row.assigned,
            )
        )
    return tuple(out)


__all__ = [
    "ArmMetric",
    "ArmSums",
    "ExperimentResults",
    "ExperimentWinner",
    "MetricSums",
    "Verdict",
    "arm_statistic",
    "arm_sums",
    "experiment_results",
    "experiment_winners",
    "finalize",
    "result_document",
    "results_of",
]
