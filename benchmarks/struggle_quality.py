"""Struggle prediction quality and struggle reduction on simulated learners (issue #7).

    python -m benchmarks.struggle_quality [--learners 200 --weeks 12 --seed 11]
                                          [--reduction-learners 200] [--database-url URL]
                                          [--keep]

Runs the real engine services (``twin.services.struggle``, ``struggle_outcomes``,
``struggle_models``) on simulated cohorts in a fresh database — an embedded PostgreSQL
in a temporary data directory, or ``--database-url`` / ``TWIN_DATABASE_URL`` (the seeds'
learners are replaced). Path: **services** (predictions, outcomes and training all go
through them; nothing is re-implemented here).

**Quality** (cohort A: ``--learners`` × ``--weeks``, sharing anonymised patterns on).
Weekly cut dates from week 4 (local midnight of day 28, 35, …, the last one a week
before the end of the window). At each cut, for every learner, as the daily job would:
``capture_outcomes(now=cut)`` then ``generate_predictions(now=cut, days_ahead=14)``
(features only from data before the cut; every candidate stored, also p ≤ 0.5); after
the last cut, outcomes are captured at the end of the window. Rows = predictions with a
recorded outcome. Learners are split 75/25 by a hash of their id (train / held out),
cut dates into earlier (first half of the cuts) / later. A model is trained with
:func:`twin.analysis.struggle.model.train_model` on the train learners' earlier rows
and evaluated on the held-out learners' later rows: AUC, Brier, expected calibration
error (:mod:`twin.analysis.struggle.metrics`, 10 equal-width bins). The rule baseline
is the stored ``rules-v1`` probability of the same rows. Labels: the
simulator's truth (primary: objective in ``struggleObjectiveIds``, the label the issue's
targets are stated on) and the recorded outcome (the engine's own measurement).
Beside that: the same model evaluated on *every* later prediction of the held-out
learners (also those whose outcome is pending or inconclusive) against truth; how
often each label says "struggled" on true struggles and on the others (the recorded
outcome, and the ENGINE rule's verdict on the first study day, stored with every
outcome); a model trained on the ENGINE-rule verdicts instead, against truth; and how
the outcome capture ended for all predictions. Then the engine's own
``struggle_models.train`` runs on all recorded outcomes and deploys its candidate if it
beats the rules (its decision is reported).

**Struggle reduction** (cohort B: ``--reduction-learners`` × ``--weeks``, seed + 1,
not sharing; 60% of learners are intervention-responsive in the simulator). Closed
loop in two passes. Pass 1: predictions switched on at week 6 — weekly cuts from day
42: capture outcomes, generate predictions (with whatever model the registry has
active, i.e. the one deployed above), apply the top-priority intervention of every
prediction with p > 0.5 (``apply_intervention``), recording (objective, cut day + 1).
Pass 2: the same learners are regenerated with those interventions (the simulator
lifts the struggle penalties of responsive learners from that day), reloaded, and the
same cuts run again so the engine knows when predictions were switched on; then
``struggle_reduction(period="all")`` per learner at the end of the window (baseline:
the 6 weeks before the first prediction). Pass 1's reduction (no simulated effect) is
reported as a control. Separation: AUC of the reduction as a score for "responsive".

Prints targets and measured figures side by side and writes
``benchmarks/results/struggle_quality.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import sqlalchemy as sa
from rich.console import Console
from rich.table import Table
from scipy.stats import rankdata

from benchmarks.ingest_support import machine, scratch_database
from twin.analysis.common import InsufficientData
from twin.analysis.struggle.features import FEATURE_NAMES, FeatureVector
from twin.analysis.struggle.metrics import (
    STRUGGLE_REDUCTION_TARGET,
    auc_score,
    brier_score,
    calibration_bins,
    expected_calibration_error,
)
from twin.analysis.struggle.model import TrainedModel, predict_proba, train_model
from twin.analysis.struggle.rules import RULE_MODEL_VERSION, rule_predict
from twin.db.engine import Database
from twin.errors import Conflict
from twin.services import struggle
from twin.services.struggle import models as struggle_models
from twin.services.struggle import outcomes as struggle_outcomes
from twin.simulate.generate import DEFAULT_START, INTERVENTION_LIFT_SHARE
from twin.simulate.load import load_cohort
from twin.simulate.traits import INTERVENTION_RESPONSIVE_SHARE, TRAITS_VERSION

RESULTS = Path(__file__).resolve().parent / "results" / "struggle_quality.json"
TARGET_AUC = 0.85
TARGET_BRIER = 0.15
TARGET_ECE = 0.05
TARGET_REDUCTION = STRUGGLE_REDUCTION_TARGET  # 25%, ENGINE.md 5.2
FIRST_CUT_DAY = 28  # weekly cuts from week 4
SWITCH_ON_DAY = 42  # reduction: predictions switched on at week 6
CUT_EVERY_DAYS = 7
DAYS_AHEAD = 14
TRAIN_LEARNER_SHARE = 0.75
HASH_BUCKETS = 10_000
INTERVENTION_DELAY_DAYS = 1  # an intervention applied at a cut takes effect the next day
AT_RISK_ABOVE = 0.5  # interventions exist (and are applied) for p > 0.5
MODEL_SEED = 20260404  # the rng of train_model's internal held-out draw
LABEL_SOURCES = (
    ("simulator truth (primary)", "truth"),
    ("recorded outcomes (engine)", "outcome"),
)
"""Label sources of the quality table, primary first (issue #7 states its targets on truth)."""
RECORDED = ("CONFIRMED", "FALSE_POSITIVE", "MISSED", "RESOLVED")
MIN_CONSOLE_WIDTH = 120
console = Console(width=max(MIN_CONSOLE_WIDTH, Console().width))


# --- helpers ---------------------------------------------------------------------------


def local_midnight(day: date, timezone: str) -> datetime:
    """Naive UTC instant at which local ``day`` starts in ``timezone``."""
    local = datetime.combine(day, dtime(0), tzinfo=ZoneInfo(timezone))
    return local.astimezone(UTC).replace(tzinfo=None)


def cut_days(first: int, weeks: int) -> list[int]:
    """Weekly cut days from ``first`` up to a week before the end of the window."""
    return list(range(first, weeks * 7 - CUT_EVERY_DAYS + 1, CUT_EVERY_DAYS))


def is_train_learner(user_id: str) -> bool:
    """The 75/25 learner split, by a hash of the id (stable across runs and seeds)."""
    bucket = int(hashlib.sha256(user_id.encode()).hexdigest()[:8], 16) % HASH_BUCKETS
    return bucket < TRAIN_LEARNER_SHARE * HASH_BUCKETS


@dataclass(frozen=True)
class Learner:
    """A simulated learner: id, zone, and the simulator's truth."""

    user_id: str
    timezone: str
    struggles: frozenset[str]
    responsive: bool


def cohort(db: Database, seed: int) -> list[Learner]:
    """The seed's learners with their truth."""
    with db.engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT u.id, u.timezone, t.traits FROM users u JOIN simulation_truth t "
                'ON t."userId" = u.id WHERE t.seed = :s ORDER BY u.id'
            ),
            {"s": seed},
        ).all()
    return [
        Learner(
            user_id=r[0],
            timezone=r[1],
            struggles=frozenset(r[2]["struggleObjectiveIds"]),
            responsive=bool(r[2]["interventionResponsive"]),
        )
        for r in rows
    ]


@dataclass
class CutRun:
    """What running the cuts did."""

    seconds: float = 0.0
    calls: int = 0
    predictions: int = 0
    at_risk: int = 0
    applied: int = 0
    apply_conflicts: int = 0
    versions: Counter[str] = field(default_factory=Counter)
    plan: dict[str | int, dict[int | str, int | date]] = field(default_factory=dict)
    """user id → {objective id: first day of effect} of the applied interventions."""
    applied_on_struggles: int = 0


def run_cuts(
    db: Database,
    learners: list[Learner],
    days: list[int],
    start: date,
    end_day: int,
    *,
    apply: bool,
) -> CutRun:
    """At each cut: capture outcomes, generate predictions (and apply interventions)."""
    run = CutRun()
    began = time.perf_counter()
    for day in days:
        for learner in learners:
            now = local_midnight(start + timedelta(days=day), learner.timezone)
            with db.session() as session:
                struggle_outcomes.capture_outcomes(session, learner.user_id, now)
                result = struggle.generate_predictions(session, learner.user_id, now, DAYS_AHEAD)
            run.calls += 1
            run.predictions += len(result.predictions)
            run.versions[result.model_version] += 1
            if not apply:
                continue
            for p in result.predictions:
                if p.probability <= AT_RISK_ABOVE or not p.interventions:
                    continue
                run.at_risk += 1
                top_id, _top = max(p.interventions, key=lambda iv: iv[1].priority)
                try:
                    with db.session() as session:
                        struggle.apply_intervention(session, learner.user_id, top_id, now=now)
                except Conflict:
                    run.apply_conflicts += 1
                    continue
                run.applied += 1
                plan = run.plan.setdefault(learner.user_id, {})
                oid = p.objective.id
                if oid not in plan:
                    plan[oid] = day + INTERVENTION_DELAY_DAYS
                    run.applied_on_struggles += oid in learner.struggles
    for learner in learners:
        now = local_midnight(start + timedelta(days=end_day), learner.timezone)
        with db.session() as session:
            struggle_outcomes.capture_outcomes(session, learner.user_id, now)
    run.seconds = time.perf_counter() - began
    return run


# --- quality ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One prediction with a recorded outcome."""

    user_id: str
    objective_id: str
    day: int  # local cut day (days since the window start)
    probability: float
    model_version: str
    features: np.ndarray
    unknown: frozenset[str]
    data_quality: float
    outcome: bool | None
    truth: bool
    rule: str | None = None
    """The outcome rule that decided (``evidence-v1`` / ``engine-v1``)."""
    engine_outcome: bool | None = None
    """What the ENGINE rule said on the first study day (None: no such day)."""


def outcome_rows(
    db: Database, learners: list[Learner], start: date, *, recorded_only: bool = True
) -> list[Row]:
    """Predictions of the learners, features parsed: with a recorded outcome, or all of them.

    ``recorded_only=False`` also returns predictions without an outcome (pending,
    inconclusive, never studied; superseded ones are left out: a later prediction of the
    same objective took their place).
    """
    by_id = {lr.user_id: lr for lr in learners}
    where = (
        '"actualOutcome" IS NOT NULL AND "predictionStatus"::text = ANY(:recorded)'
        if recorded_only
        else "coalesce(\"featureVector\"->'outcome'->>'reason', '') <> 'superseded'"
    )
    with db.engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                'SELECT "userId", "learningObjectiveId", "predictedAt", '
                '"predictedStruggleProbability", "featureVector", "actualOutcome" '
                "FROM struggle_predictions "
                f'WHERE "userId" = ANY(:ids) AND {where} '
                'ORDER BY "userId", "predictedAt", id'
            ),
            {"ids": list(by_id), "recorded": list(RECORDED)},
        ).all()
    out = []
    for uid, oid, at, p, fv, outcome in rows:
        learner = by_id[uid]
        local_day = at.replace(tzinfo=UTC).astimezone(ZoneInfo(learner.timezone)).date()
        feats = fv["features"]
        measured = fv.get("outcome") or {}
        out.append(
            Row(
                user_id=uid,
                objective_id=oid,
                day=(local_day - start).days,
                probability=float(p),
                model_version=str(fv.get("modelVersion")),
                features=np.asarray([float(feats[n]) for n in FEATURE_NAMES]),
                unknown=frozenset(fv.get("unknown") or ()),
                data_quality=float(fv["dataQuality"]),
                outcome=None if outcome is None else bool(outcome),
                truth=oid in learner.struggles,
                rule=measured.get("rule"),
                engine_outcome=measured.get("engineRuleStruggled"),
            )
        )
    return out


def outcome_coverage(db: Database, learners: list[Learner]) -> dict[str, int]:
    """Predictions by how their outcome capture ended (status, or DISMISSED reason)."""
    with db.engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT CASE WHEN \"predictionStatus\"::text = 'DISMISSED' "
                "THEN 'DISMISSED:' || coalesce(\"featureVector\"->'outcome'->>'reason', "
                "'superseded') ELSE \"predictionStatus\"::text END AS k, count(*) "
                'FROM struggle_predictions WHERE "userId" = ANY(:ids) GROUP BY 1 ORDER BY 1'
            ),
            {"ids": [lr.user_id for lr in learners]},
        ).all()
    return {k: int(n) for k, n in rows}


def label_agreement(rows: list[Row]) -> dict[str, Any]:
    """How often each rule's label says "struggled" on true struggles and on the others."""

    def rates(pairs: list[tuple[bool, bool]]) -> dict[str, Any]:
        on = [label for label, truth in pairs if truth]
        off = [label for label, truth in pairs if not truth]
        return {
            "rows": len(pairs),
            "hitRate": _rate(on),
            "falseFireRate": _rate(off),
        }

    return {
        "recorded": rates([(bool(r.outcome), r.truth) for r in rows if r.outcome is not None]),
        "recordedByRule": {
            rule: rates([(bool(r.outcome), r.truth) for r in rows if r.rule == rule])
            for rule in sorted({r.rule for r in rows if r.rule})
        },
        "engineRule": rates(
            [(bool(r.engine_outcome), r.truth) for r in rows if r.engine_outcome is not None]
        ),
    }


def scores(p: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """AUC, Brier, ECE and counts of probabilities ``p`` against labels ``y``."""
    return {
        "n": int(y.size),
        "positives": int(y.sum()),
        "auc": auc_score(p, y),
        "brier": brier_score(p, y),
        "ece": expected_calibration_error(calibration_bins(p, y)),
        "meanPredicted": float(p.mean()),
        "positiveRate": float(y.mean()),
    }


def rule_probabilities(rows: list[Row]) -> np.ndarray:
    """The rules-v1 probability of each row: stored, or recomputed if another model made it."""
    return np.asarray(
        [
            r.probability
            if r.model_version == RULE_MODEL_VERSION
            else rule_predict(FeatureVector.from_array(r.features, r.unknown)).probability
            for r in rows
        ]
    )


def quality(
    rows: list[Row], days: list[int], start: date, every: list[Row] | None = None
) -> dict[str, Any]:
    """Train on train learners' earlier rows; evaluate on held-out learners' later rows.

    ``every``: all predictions (with or without an outcome), for the truth evaluation of
    the held-out learners' later predictions whatever became of their outcome.
    """
    boundary = days[len(days) // 2]  # later = this cut day and after
    train = [r for r in rows if is_train_learner(r.user_id) and r.day < boundary]
    test = [r for r in rows if not is_train_learner(r.user_id) and r.day >= boundary]
    x = np.vstack([r.features for r in train])
    y = np.asarray([r.outcome for r in train], dtype=np.float64)
    window_start = local_midnight(start + timedelta(days=days[0]), "UTC")
    window_end = local_midnight(start + timedelta(days=boundary), "UTC")
    model = train_model(
        x,
        y,
        [r.user_id for r in train],
        rng=np.random.default_rng(MODEL_SEED),
        now=window_end,
        window_start=window_start,
        window_end=window_end,
    )
    if isinstance(model, InsufficientData):
        raise SystemExit(f"cannot train: {model.to_json()}")
    xt = np.vstack([r.features for r in test])
    p_model = predict_proba(model, xt)
    p_rules = rule_probabilities(test)
    y_outcome = np.asarray([r.outcome for r in test], dtype=np.float64)
    y_truth = np.asarray([r.truth for r in test], dtype=np.float64)
    # Diagnostics. (1) The ceiling of the outcome label: an oracle that knows exactly which
    # objectives are struggles predicts P(outcome | truth), estimated on the train rows.
    rate_t = _rate([bool(r.outcome) for r in train if r.truth]) or 0.0
    rate_f = _rate([bool(r.outcome) for r in train if not r.truth]) or 0.0
    p_oracle = np.where(y_truth == 1.0, rate_t, rate_f)
    # (2) Whether the features identify the struggle objectives: the same training on the
    # simulator's truth instead of the recorded outcomes.
    truth_model = train_model(
        x,
        np.asarray([r.truth for r in train], dtype=np.float64),
        [r.user_id for r in train],
        rng=np.random.default_rng(MODEL_SEED),
        now=window_end,
        window_start=window_start,
        window_end=window_end,
    )
    # (3) The same training on the ENGINE rule's verdicts (first study day) of the same
    # predictions: the label the ENGINE thresholds alone would have recorded.
    engine_train = [r for r in train if r.engine_outcome is not None]
    engine_test = [r for r in test if r.engine_outcome is not None]
    engine_model = train_model(
        np.vstack([r.features for r in engine_train]),
        np.asarray([r.engine_outcome for r in engine_train], dtype=np.float64),
        [r.user_id for r in engine_train],
        rng=np.random.default_rng(MODEL_SEED),
        now=window_end,
        window_start=window_start,
        window_end=window_end,
    )
    engine_labels: dict[str, Any] | None = None
    if not isinstance(engine_model, InsufficientData) and engine_test:
        xe = np.vstack([r.features for r in engine_test])
        ye = np.asarray([r.truth for r in engine_test], dtype=np.float64)
        engine_labels = {
            "trainRows": len(engine_train),
            "vsTruth": scores(predict_proba(engine_model, xe), ye),
            "rulesVsTruth": scores(rule_probabilities(engine_test), ye),
        }
    # (4) Every later prediction of the held-out learners, outcome or not, against truth.
    all_later = [r for r in (every or []) if not is_train_learner(r.user_id) and r.day >= boundary]
    every_prediction: dict[str, Any] | None = None
    if all_later:
        xa = np.vstack([r.features for r in all_later])
        ya = np.asarray([r.truth for r in all_later], dtype=np.float64)
        every_prediction = {
            "trained": scores(predict_proba(model, xa), ya),
            "rules": scores(rule_probabilities(all_later), ya),
            "withOutcome": sum(1 for r in all_later if r.outcome is not None),
        }
    return {
        "labels": label_agreement(rows),
        "engineRuleLabels": engine_labels,
        "everyHeldOutPrediction": every_prediction,
        "split": {
            "trainLearners": len({r.user_id for r in train}),
            "heldOutLearners": len({r.user_id for r in test}),
            "trainRows": len(train),
            "trainPositives": int(y.sum()),
            "testRows": len(test),
            "earlierCutDays": [d for d in days if d < boundary],
            "laterCutDays": [d for d in days if d >= boundary],
        },
        "model": model_summary(model),
        "outcome": {"trained": scores(p_model, y_outcome), "rules": scores(p_rules, y_outcome)},
        "truth": {"trained": scores(p_model, y_truth), "rules": scores(p_rules, y_truth)},
        "diagnostics": {
            "truthOracleVsOutcome": {
                **scores(p_oracle, y_outcome),
                "outcomeRateOnStruggles": rate_t,
                "outcomeRateOnOthers": rate_f,
            },
            "trainedOnTruthVsTruth": None
            if isinstance(truth_model, InsufficientData)
            else scores(predict_proba(truth_model, xt), y_truth),
        },
        "dataQualityMean": float(np.mean([r.data_quality for r in test])),
        "allRows": {
            "rows": len(rows),
            "positives": sum(bool(r.outcome) for r in rows),
            "learners": len({r.user_id for r in rows}),
            "truthPositives": sum(r.truth for r in rows),
            "outcomeRateOnTruthStruggles": _rate([bool(r.outcome) for r in rows if r.truth]),
            "outcomeRateOnOthers": _rate([bool(r.outcome) for r in rows if not r.truth]),
            "dataQualityMean": float(np.mean([r.data_quality for r in rows])),
        },
    }


def _rate(values: list[bool]) -> float | None:
    return sum(values) / len(values) if values else None


def model_summary(model: TrainedModel) -> dict[str, Any]:
    """Version, chosen C and calibration, and the coefficients by feature."""
    return {
        "version": model.version,
        "c": model.c,
        "calibration": model.calibration.method,
        "trainRows": model.n_train,
        "coefficients": {
            n: round(c, 4) for n, c in zip(model.feature_names, model.coef, strict=True)
        },
        "internalHeldOut": {
            "auc": model.metrics.auc,
            "brier": model.metrics.brier,
            "ece": model.metrics.ece,
            "n": model.metrics.n,
        },
    }


def service_training(db: Database, start: date, weeks: int) -> dict[str, Any]:
    """The engine's own training run over every recorded outcome (deploys if it wins)."""
    began = time.perf_counter()
    now = local_midnight(start + timedelta(days=weeks * 7), "UTC")
    with db.session() as session:
        report = struggle_models.train(session, now, force=True)
    return {**report.to_dict(), "seconds": time.perf_counter() - began}


# --- struggle reduction ------------------------------------------------------------------


def reductions(
    db: Database, learners: list[Learner], start: date, end_day: int
) -> dict[str, float | None]:
    """struggle_reduction(period="all") per learner at the end of the window (None: insufficient)."""
    out: dict[str, float | None] = {}
    for learner in learners:
        now = local_midnight(start + timedelta(days=end_day), learner.timezone)
        with db.session() as session:
            report = struggle_outcomes.struggle_reduction(session, learner.user_id, "all", now=now)
        result = report.result
        out[learner.user_id] = None if isinstance(result, InsufficientData) else result.reduction
    return out


def separation_auc(scores_: list[float], positive: list[bool]) -> float | None:
    """Mann–Whitney AUC of ``scores_`` for ``positive`` (ties ½); any real-valued score."""
    s = np.asarray(scores_, dtype=np.float64)
    y = np.asarray(positive, dtype=bool)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        return None
    ranks = rankdata(s)
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def reduction_summary(learners: list[Learner], values: dict[str, float | None]) -> dict[str, Any]:
    """Per group: counts, mean / median reduction, share ≥ 25%; AUC for 'responsive'."""
    groups: dict[str, Any] = {}
    for name, flag in (("responsive", True), ("nonResponsive", False)):
        members = [lr for lr in learners if lr.responsive == flag]
        vals = [v for lr in members if (v := values[lr.user_id]) is not None]
        groups[name] = {
            "learners": len(members),
            "measured": len(vals),
            "mean": statistics.fmean(vals) if vals else None,
            "median": statistics.median(vals) if vals else None,
            "shareAtTarget": sum(v >= TARGET_REDUCTION for v in vals) / len(vals) if vals else None,
        }
    measured = [lr for lr in learners if values[lr.user_id] is not None]
    return {
        **groups,
        "separationAuc": separation_auc(
            [values[lr.user_id] or 0.0 for lr in measured], [lr.responsive for lr in measured]
        ),
    }


def reduction_part(
    db: Database, learners_n: int, weeks: int, seed: int, start: date
) -> dict[str, Any]:
    """Closed loop in two passes on cohort B (see the module docstring)."""
    days = cut_days(SWITCH_ON_DAY, weeks)
    end_day = weeks * 7
    t0 = time.perf_counter()
    load_cohort(db, learners_n, weeks, seed, start, progress=True, replace=True)
    learners = cohort(db, seed)
    load1 = time.perf_counter() - t0
    console.print(f"[bold]reduction pass 1[/]: cuts {days} with interventions applied …")
    pass1 = run_cuts(db, learners, days, start, end_day, apply=True)
    control = reductions(db, learners, start, end_day)
    plan = pass1.plan
    t1 = time.perf_counter()
    load_cohort(db, learners_n, weeks, seed, start, progress=True, replace=True, interventions=plan)
    load2 = time.perf_counter() - t1
    console.print("[bold]reduction pass 2[/]: regenerated with the interventions; same cuts …")
    pass2 = run_cuts(db, learners, days, start, end_day, apply=True)
    treated = reductions(db, learners, start, end_day)
    responsive_ids = {lr.user_id for lr in learners if lr.responsive}
    return {
        "learners": learners_n,
        "seed": seed,
        "cutDays": days,
        "interventionLiftShare": INTERVENTION_LIFT_SHARE,
        "responsiveShareSimulated": INTERVENTION_RESPONSIVE_SHARE,
        "responsiveLearners": len(responsive_ids),
        "pass1": {
            "predictions": pass1.predictions,
            "atRisk": pass1.at_risk,
            "applied": pass1.applied,
            "applyConflicts": pass1.apply_conflicts,
            "modelVersions": dict(pass1.versions),
            "learnersWithInterventions": len(plan),
            "objectivesIntervened": sum(len(p) for p in plan.values()),
            "objectivesIntervenedThatAreStruggles": pass1.applied_on_struggles,
            "responsiveLearnersWithInterventions": len(set(plan) & responsive_ids),
        },
        "pass2": {
            "predictions": pass2.predictions,
            "atRisk": pass2.at_risk,
            "applied": pass2.applied,
            "applyConflicts": pass2.apply_conflicts,
        },
        "control": reduction_summary(learners, control),
        "withInterventions": reduction_summary(learners, treated),
        "perLearner": {
            lr.user_id: {
                "responsive": lr.responsive,
                "interventions": len(plan.get(lr.user_id, {})),
                "control": control[lr.user_id],
                "reduction": treated[lr.user_id],
            }
            for lr in learners
        },
        "timings": {
            "loadPass1Seconds": load1,
            "cutsPass1Seconds": pass1.seconds,
            "loadPass2Seconds": load2,
            "cutsPass2Seconds": pass2.seconds,
        },
    }


# --- report --------------------------------------------------------------------------------


def _num(x: float | None, digits: int = 3) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f}%"


def _met(ok: bool | None) -> str:
    return "—" if ok is None else ("[green]yes[/]" if ok else "[red]no[/]")


def report_table(result: dict[str, Any]) -> Table:
    """Targets, the trained model and the rule baseline side by side."""
    q = result["quality"]
    table = Table(
        "measure", "target", "trained model", "rules-v1", "met", title="Struggle prediction quality"
    )
    # The targets are stated against the simulator's truth (primary label); the
    # recorded outcomes are the engine's own measurement, printed with the targets beside.
    for label, key in LABEL_SOURCES:
        m, r = q[key]["trained"], q[key]["rules"]
        table.add_row(
            f"AUC vs {label}",
            f"≥ {TARGET_AUC}",
            _num(m["auc"]),
            _num(r["auc"]),
            _met(m["auc"] is not None and m["auc"] >= TARGET_AUC),
        )
        table.add_row(
            f"Brier vs {label}",
            f"≤ {TARGET_BRIER}",
            _num(m["brier"]),
            _num(r["brier"]),
            _met(m["brier"] <= TARGET_BRIER),
        )
        table.add_row(
            f"ECE vs {label}",
            f"≤ {TARGET_ECE}",
            _num(m["ece"]),
            _num(r["ece"]),
            _met(m["ece"] <= TARGET_ECE),
        )
        table.add_row(
            f"  rows / positives ({label})",
            "",
            f"{m['n']} / {m['positives']}",
            f"mean p {m['meanPredicted']:.3f} vs {r['meanPredicted']:.3f}",
            "",
        )
    oracle = q["diagnostics"]["truthOracleVsOutcome"]
    table.add_row(
        "  ceiling: truth oracle vs outcomes",
        "",
        f"AUC {_num(oracle['auc'])}, Brier {_num(oracle['brier'])}",
        f"P(struggled | struggle obj.) {oracle['outcomeRateOnStruggles']:.2f}, "
        f"| other {oracle['outcomeRateOnOthers']:.2f}",
        "",
    )
    on_truth = q["diagnostics"]["trainedOnTruthVsTruth"]
    if on_truth is not None:
        table.add_row(
            "  features: model trained on truth",
            "",
            f"AUC {_num(on_truth['auc'])}, Brier {_num(on_truth['brier'])}, "
            f"ECE {_num(on_truth['ece'])}",
            "(vs truth, same held-out rows)",
            "",
        )
    every = q.get("everyHeldOutPrediction")
    if every is not None:
        m, r = every["trained"], every["rules"]
        table.add_row(
            "  every held-out later prediction vs truth (outcome or not)",
            "",
            f"AUC {_num(m['auc'])}, Brier {_num(m['brier'])}, ECE {_num(m['ece'])}",
            f"AUC {_num(r['auc'])}, Brier {_num(r['brier'])}, ECE {_num(r['ece'])}",
            f"{m['n']} rows, {every['withOutcome']} with outcome",
        )
    labels = q["labels"]
    rec, eng = labels["recorded"], labels["engineRule"]
    table.add_row(
        "  labels: P(struggled | true struggle) / P(struggled | other)",
        "",
        f"recorded {_pct(rec['hitRate'])} / {_pct(rec['falseFireRate'])} ({rec['rows']})",
        f"ENGINE rule {_pct(eng['hitRate'])} / {_pct(eng['falseFireRate'])} ({eng['rows']})",
        "",
    )
    engine = q.get("engineRuleLabels")
    if engine is not None:
        m, r = engine["vsTruth"], engine["rulesVsTruth"]
        table.add_row(
            "  model trained on ENGINE-rule labels, vs truth",
            "",
            f"AUC {_num(m['auc'])}, Brier {_num(m['brier'])}, ECE {_num(m['ece'])}",
            f"AUC {_num(r['auc'])}, Brier {_num(r['brier'])}, ECE {_num(r['ece'])}",
            f"{m['n']} rows",
        )
    cov = q.get("coverage") or {}
    table.add_row(
        "  outcome capture (all predictions)",
        "",
        ", ".join(f"{k} {v}" for k, v in cov.items() if not k.startswith("DISMISSED")),
        ", ".join(f"{k.split(':', 1)[1]} {v}" for k, v in cov.items() if k.startswith("DISMISSED")),
        "",
    )
    for label, key in LABEL_SOURCES:
        m, r = q[key]["trained"], q[key]["rules"]
        beats = (
            m["auc"] is not None
            and r["auc"] is not None
            and m["auc"] > r["auc"]
            and m["brier"] < r["brier"]
        )
        table.add_row(f"trained beats rules (AUC, Brier) vs {label}", "yes", "", "", _met(beats))
    split = q["split"]
    table.add_row(
        "  split",
        "",
        f"train {split['trainLearners']} learners / {split['trainRows']} rows",
        f"held out {split['heldOutLearners']} learners / {split['testRows']} rows",
        "",
    )
    table.add_row("  data quality (mean, held-out rows)", "", f"{q['dataQualityMean']:.3f}", "", "")
    svc = result["serviceTraining"]
    table.add_row(
        "engine train() on all outcomes",
        "",
        f"{svc['status']} {svc.get('candidateVersion') or ''}",
        svc["decision"][:60],
        "",
    )
    red = result["reduction"]
    w, c = red["withInterventions"], red["control"]
    resp, non = w["responsive"], w["nonResponsive"]
    table.add_row(
        "reduction, responsive learners",
        f"≥ {TARGET_REDUCTION:.0%} (share)",
        f"mean {_pct(resp['mean'])}, median {_pct(resp['median'])}",
        f"{_pct(resp['shareAtTarget'])} ≥ 25% ({resp['measured']}/{resp['learners']})",
        _met(None if resp["median"] is None else resp["median"] >= TARGET_REDUCTION),
    )
    table.add_row(
        "reduction, non-responsive learners",
        "≈ 0",
        f"mean {_pct(non['mean'])}, median {_pct(non['median'])}",
        f"{_pct(non['shareAtTarget'])} ≥ 25% ({non['measured']}/{non['learners']})",
        "",
    )
    sep = w["separationAuc"]
    table.add_row(
        "reduction separates the groups (AUC)",
        "> 0.5",
        _num(sep),
        f"control (no effect) {_num(c['separationAuc'])}",
        _met(None if sep is None else sep > 0.5),
    )
    table.add_row(
        "  control pass (no simulated effect)",
        "",
        f"resp. median {_pct(c['responsive']['median'])}",
        f"non-resp. median {_pct(c['nonResponsive']['median'])}",
        "",
    )
    p1 = red["pass1"]
    table.add_row(
        "  interventions applied (pass 1)",
        "",
        f"{p1['objectivesIntervened']} objectives, {p1['learnersWithInterventions']} learners",
        f"{p1['objectivesIntervenedThatAreStruggles']} true struggles; models "
        + ", ".join(p1["modelVersions"]),
        "",
    )
    t = result["timings"]
    table.caption = (
        f"quality: {result['parameters']['learners']} learners × {result['parameters']['weeks']} "
        f"weeks, seed {result['parameters']['seed']}, path: services; load {t['loadSeconds']:.0f} s, "
        f"cuts {t['cutsSeconds']:.0f} s ({t['msPerGenerate']:.1f} ms per learner-cut); "
        f"reduction: {red['learners']} learners, "
        f"{sum(v for k, v in red['timings'].items()):.0f} s; total {t['totalSeconds']:.0f} s"
    )
    return table


# --- main ----------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Build the database, run the engine over both cohorts, measure."""
    began = time.perf_counter()
    start = DEFAULT_START
    with scratch_database(args.database_url, keep=args.keep) as (db, where):
        console.print(
            f"[bold]quality cohort[/]: {args.learners} learners × {args.weeks} weeks "
            f"(seed {args.seed}, sharing on)"
        )
        t0 = time.perf_counter()
        load_cohort(
            db,
            args.learners,
            args.weeks,
            args.seed,
            start,
            progress=True,
            replace=True,
            share_patterns=True,
        )
        load_seconds = time.perf_counter() - t0
        learners = cohort(db, args.seed)
        days = cut_days(FIRST_CUT_DAY, args.weeks)
        console.print(f"[bold]cuts[/] {days}: capture outcomes, generate predictions …")
        cuts = run_cuts(db, learners, days, start, args.weeks * 7, apply=False)
        rows = outcome_rows(db, learners, start)
        every = outcome_rows(db, learners, start, recorded_only=False)
        coverage = outcome_coverage(db, learners)
        console.print(f"[bold]training[/] on {len(rows)} recorded outcomes …")
        t1 = time.perf_counter()
        q = {**quality(rows, days, start, every), "coverage": coverage}
        train_seconds = time.perf_counter() - t1
        svc = service_training(db, start, args.weeks)
        console.print(f"[bold]struggle reduction[/]: {args.reduction_learners} learners …")
        red = reduction_part(db, args.reduction_learners, args.weeks, args.seed + 1, start)
        result = {
            "benchmark": "struggle_quality",
            "measuredAt": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(db, where),
            "path": "services",
            "parameters": {
                "learners": args.learners,
                "weeks": args.weeks,
                "seed": args.seed,
                "start": start.isoformat(),
                "cutDays": days,
                "daysAhead": DAYS_AHEAD,
                "trainLearnerShare": TRAIN_LEARNER_SHARE,
                "reductionLearners": args.reduction_learners,
                "simulatorTraitsVersion": TRAITS_VERSION,
            },
            "targets": {
                "auc": TARGET_AUC,
                "brier": TARGET_BRIER,
                "ece": TARGET_ECE,
                "reduction": TARGET_REDUCTION,
            },
            "cuts": {
                "calls": cuts.calls,
                "predictions": cuts.predictions,
                "modelVersions": dict(cuts.versions),
            },
            "quality": q,
            "serviceTraining": svc,
            "reduction": red,
            "timings": {
                "loadSeconds": load_seconds,
                "cutsSeconds": cuts.seconds,
                "msPerGenerate": 1000 * cuts.seconds / max(1, cuts.calls),
                "trainSeconds": train_seconds,
                "totalSeconds": time.perf_counter() - began,
            },
        }
    return result


def main() -> None:
    """Parse options, run, print the table, write the JSON."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--weeks", type=int, default=12)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--reduction-learners", type=int, default=200)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    args = parser.parse_args()
    result = run(args)
    console.print(report_table(result))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, default=str) + "\n")
    console.print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
