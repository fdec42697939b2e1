"""The engine's path for ``benchmarks/experiment_quality.py``: simulated cohorts, metric SQL, results SQL.

**Why not 200 full experiments through the database.** A repetition is a fresh random
split of learners; simulating, loading and measuring a new cohort for each of 200 × 3
scenarios would take hours on this machine. What can be shared is shared, and nothing the
engine computes is replaced by a stand-in:

1. **One pool of simulated learners, two potential outcomes each.** ``learners`` learners
   (:mod:`twin.simulate.experiments`) over 6 weeks; the experiment runs the last 4. Each is
   stored twice — under their own id (the control copy) and under ``<id>~t`` (the treatment
   copy: session quality × ``quality_factor`` from the experiment's start). Both copies
   share every random draw, so they are identical until the experiment starts and differ
   only by the variant's effect after: the learner's outcome under either variant. The
   factor is calibrated on a pilot so that the true standardised effect on the pool's
   performance (mean treated − mean control, over the control copies' sd) is ≈ 0.3.
2. **The engine's metric SQL** (:func:`twin.services.experiments.measurement.measure`)
   computes every participant's pre- and post-period values of both copies as of each of
   the 28 daily looks (a participant enrols at their first session after the start: their
   first use), stored as arrays.
3. **Each repetition** is a new salt: the engine's assignment hash splits the pool (all of
   it for A/A, a random 400 for power), each participant takes the values of their variant's
   copy, and each daily look is analysed by the engine's result code
   (:func:`~twin.analysis.experiments.verdict.analyse_experiment`) on the sufficient
   statistics of the participants measured by that day — the sums the results query would
   return, computed with numpy (rewriting 1,000 metric documents per look per repetition
   would only repeat step 2's numbers).
4. **The final look of every repetition also goes through the service**
   (:func:`service_results`): an experiment is defined with ``create_experiment`` (its salt
   set to the repetition's), the assignments and the end-of-experiment metric documents are
   stored, and ``experiment_results`` aggregates them in SQL and decides. Its verdict and
   p-values are compared with step 3's (mismatches reported: expected 0).
5. **SRM** goes through the service entirely: per repetition an experiment planned 50/50,
   assignments stored by a buggy assigner (the engine's hash with 55/45 weights), and
   ``experiment_results``'s sample-ratio check.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa

from twin.analysis.experiments.assignment import assign_variant
from twin.analysis.experiments.definition import Variant
from twin.analysis.experiments.metrics import METRICS
from twin.analysis.experiments.periods import ParticipantMetrics, participant_periods
from twin.analysis.experiments.verdict import DecisionMethod
from twin.db.engine import Database
from twin.enums import PersonalizationContext
from twin.services import experiments as service
from twin.services.experiments.assignment import assigned_variant_index
from twin.services.experiments.measurement import Participant, measure, store_metrics
from twin.simulate.experiments import (
    NO_EFFECT,
    SimulatedLearner,
    VariantEffect,
    first_sessions,
    load_learners,
)
from twin.simulate.generate import DEFAULT_START
from twin.simulate.traits import user_id

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

METRIC = "performance"
POOL_WEEKS = 6
EXPERIMENT_START = datetime.combine(DEFAULT_START + timedelta(days=14), datetime.min.time())
EXPERIMENT_DAYS = 28
EXPERIMENT_END = EXPERIMENT_START + timedelta(days=EXPERIMENT_DAYS)
TREATMENT_SUFFIX = "~t"
CONTROL, TREATMENT = "control", "treatment"
TARGET_EFFECT_SD = 0.3
PILOT_QUALITY_FACTOR = 1.2
CONTEXT = PersonalizationContext.MISSION


@dataclass
class Pool:
    """Simulated participants with both potential outcomes, measured by the engine each day."""

    user_ids: list[str]
    enrolled_at: list[datetime]
    enrolled_day: IntArray
    post: dict[str, FloatArray]
    """copy → (EXPERIMENT_DAYS + 1) × n post-period values as of each look (NaN: no value)."""
    pre: dict[str, FloatArray]
    """copy → pre-period values (NaN: no value); equal for both copies."""
    final: dict[str, dict[str, ParticipantMetrics]]
    """copy → user id → the metric document as of the end (stored by the service path)."""
    quality_factor: float
    final_values: dict[str, tuple[FloatArray, FloatArray]] = field(default_factory=dict)
    """metric → (post, pre) values of the control copies at the end (every catalogue metric)."""
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def size(self) -> int:
        """Participants."""
        return len(self.user_ids)

    def true_effect_sd(self) -> float:
        """(mean treated − mean control) / sd control of the end-of-experiment values."""
        a, b = self.post[CONTROL][-1], self.post[TREATMENT][-1]
        both = ~np.isnan(a) & ~np.isnan(b)
        return float((b[both].mean() - a[both].mean()) / a[both].std(ddof=1))

    def pre_post_correlation(self) -> float:
        """Correlation of pre- and end-of-experiment values of the control copies."""
        post, pre = self.post[CONTROL][-1], self.pre[CONTROL]
        both = ~np.isnan(post) & ~np.isnan(pre)
        return float(np.corrcoef(post[both], pre[both])[0, 1])


def _copies(seed: int, learners: int, factor: float) -> list[SimulatedLearner]:
    out = []
    for i in range(learners):
        uid = user_id(seed, i)
        out.append(SimulatedLearner(i, uid, NO_EFFECT))
        out.append(SimulatedLearner(i, uid + TREATMENT_SUFFIX, VariantEffect(factor)))
    return out


def _values(
    docs: dict[str, ParticipantMetrics], ids: Sequence[str], metric: str = METRIC
) -> tuple[FloatArray, FloatArray]:
    post = np.full(len(ids), np.nan)
    pre = np.full(len(ids), np.nan)
    for i, uid in enumerate(ids):
        doc = docs.get(uid)
        if doc is None:
            continue
        y, x = doc.post.values[metric].value, doc.pre.values[metric].value
        post[i] = np.nan if y is None else y
        pre[i] = np.nan if x is None else x
    return post, pre


def build_pool(
    db: Database,
    seed: int,
    learners: int,
    quality_factor: float,
    *,
    daily: bool = True,
    progress: Callable[[str], None] = lambda _m: None,
) -> Pool:
    """Simulate, load and measure ``learners`` learners with both potential outcomes.

    ``daily``: measure every daily look (else only the end, enough for the effect's size).
    """
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    progress(f"simulating {learners} learners × 2 copies × {POOL_WEEKS} weeks …")
    load_learners(
        db,
        seed,
        DEFAULT_START,
        POOL_WEEKS,
        EXPERIMENT_START,
        _copies(seed, learners, quality_factor),
    )
    seconds["simulateAndLoad"] = round(time.perf_counter() - t0, 1)
    ids = [user_id(seed, i) for i in range(learners)]
    with db.session() as session:
        first = first_sessions(session, ids, EXPERIMENT_START, EXPERIMENT_END)
        twins = first_sessions(
            session, [u + TREATMENT_SUFFIX for u in ids], EXPERIMENT_START, EXPERIMENT_END
        )
    if {u + TREATMENT_SUFFIX: t for u, t in first.items()} != twins:
        raise RuntimeError("the two copies of a learner must start their sessions together")
    enrolled = sorted(first, key=lambda u: (first[u], u))
    enrolled_at = [first[u] for u in enrolled]
    enrolled_day = np.array(
        [(t - EXPERIMENT_START) // timedelta(days=1) for t in enrolled_at], dtype=np.int64
    )
    post = {c: np.full((EXPERIMENT_DAYS + 1, len(enrolled)), np.nan) for c in (CONTROL, TREATMENT)}
    pre: dict[str, FloatArray] = {}
    final: dict[str, dict[str, ParticipantMetrics]] = {}
    t0 = time.perf_counter()
    for day in range(1 if daily else EXPERIMENT_DAYS, EXPERIMENT_DAYS + 1):
        as_of = EXPERIMENT_START + timedelta(days=day)
        progress(f"measuring day {day} of {EXPERIMENT_DAYS} (engine metric SQL) …")
        for copy, suffix in ((CONTROL, ""), (TREATMENT, TREATMENT_SUFFIX)):
            participants = []
            for uid, at in zip(enrolled, enrolled_at, strict=True):
                periods = participant_periods(at, as_of)
                if periods is not None:
                    participants.append(Participant(uid + suffix, periods))
            with db.session() as session:
                docs = measure(session, participants, as_of)
            docs = {uid.removesuffix(TREATMENT_SUFFIX): doc for uid, doc in docs.items()}
            post[copy][day], day_pre = _values(docs, enrolled)
            if day == EXPERIMENT_DAYS:
                pre[copy] = day_pre
                final[copy] = docs
    seconds["measureDailyLooks"] = round(time.perf_counter() - t0, 1)
    same_pre = np.array_equal(np.isnan(pre[CONTROL]), np.isnan(pre[TREATMENT])) and np.allclose(
        np.nan_to_num(pre[CONTROL]), np.nan_to_num(pre[TREATMENT]), rtol=0, atol=1e-12
    )
    if not same_pre:
        raise RuntimeError("the copies' pre-period values differ: the variant leaked backwards")
    final_values = {m: _values(final[CONTROL], enrolled, m) for m in METRICS}
    return Pool(
        final_values=final_values,
        user_ids=enrolled,
        enrolled_at=enrolled_at,
        enrolled_day=enrolled_day,
        post=post,
        pre=pre,
        final=final,
        quality_factor=quality_factor,
        seconds=seconds,
    )


def calibrate(db: Database, seed: int, learners: int) -> tuple[float, float]:
    """A quality factor for a true standardised effect of 0.3, from a pilot pool (its own seed).

    The effect on performance is close to linear in the factor's excess over 1, so one pilot
    at :data:`PILOT_QUALITY_FACTOR` fixes it. Returns (factor, the pilot's effect).
    """
    pilot = build_pool(db, seed, learners, PILOT_QUALITY_FACTOR, daily=False)
    effect = pilot.true_effect_sd()
    return 1.0 + (PILOT_QUALITY_FACTOR - 1.0) * TARGET_EFFECT_SD / effect, effect


# --- the service path -------------------------------------------------------------------


def _define(session: Any, salt: str, *, cuped: bool, expected: int, tag: str) -> Any:
    experiment = service.create_experiment(
        session,
        service.NewExperiment(
            name=f"benchmark {tag}",
            context=CONTEXT,
            variants=(Variant(CONTROL, "Control", 1.0), Variant(TREATMENT, "Treatment", 1.0)),
            primary_metric=METRIC,
            start=EXPERIMENT_START,
            end=EXPERIMENT_END,
            cuped_covariate=cuped,
            expected_participants=expected,
            method=DecisionMethod.SEQUENTIAL,
        ),
        EXPERIMENT_START - timedelta(hours=1),
        created_by="benchmark",
    )
    # The repetition's salt, so the service splits exactly as the repetition did (a random
    # salt would make the benchmark irreproducible).
    session.execute(
        sa.text("UPDATE personalization_experiments SET salt = :s WHERE id = :e"),
        {"s": salt, "e": experiment.id},
    )
    return service.load_experiment(session, experiment.id, EXPERIMENT_START)


_ASSIGN_SQL = sa.text(
    'INSERT INTO experiment_assignments (id, "experimentId", "userId", "variantId", "assignedAt") '
    "SELECT :e || '-' || u, :e, u, v, t FROM unnest(CAST(:uids AS text[]), "
    "CAST(:variants AS text[]), CAST(:times AS timestamp[])) AS x(u, v, t)"
)


def delete_experiment(db: Database, experiment_id: str) -> None:
    """Remove a benchmark experiment (its assignments go with it: the seed's cascade)."""
    with db.session() as session:
        session.execute(
            sa.text("DELETE FROM personalization_experiments WHERE id = :e"), {"e": experiment_id}
        )


def service_results(
    db: Database,
    pool: Pool,
    indices: IntArray,
    variants: IntArray,
    salt: str,
    *,
    cuped: bool,
    effect: bool,
) -> Any:
    """Define, assign, store the end's metric documents and read the results through the service.

    Returns (experiment, :class:`~twin.services.experiments.ExperimentResults`); the
    experiment is deleted afterwards.
    """
    ids = [pool.user_ids[i] for i in indices]
    with db.session() as session:
        experiment = _define(session, salt, cuped=cuped, expected=len(ids), tag=salt)
        hashed = [assigned_variant_index(experiment, u) for u in ids]
        if hashed != [int(v) for v in variants]:
            raise RuntimeError("the service's assignment differs from the repetition's split")
        names = [experiment.variants[v].id for v in hashed]
        session.execute(
            _ASSIGN_SQL,
            {
                "e": experiment.id,
                "uids": ids,
                "variants": names,
                "times": [pool.enrolled_at[i] for i in indices],
            },
        )
        documents = {
            u: pool.final[TREATMENT if effect and v == 1 else CONTROL][u]
            for u, v in zip(ids, hashed, strict=True)
            if u in pool.final[CONTROL]
        }
        store_metrics(session, experiment.id, documents)
        session.execute(
            sa.text('UPDATE personalization_experiments SET "metricsAsOf" = :t WHERE id = :e'),
            {"t": EXPERIMENT_END, "e": experiment.id},
        )
    try:
        with db.session() as session:
            results = service.experiment_results(session, experiment.id, EXPERIMENT_END)
    finally:
        delete_experiment(db, experiment.id)
    return experiment, results


def srm_through_service(
    db: Database, learners: int, bug_weights: tuple[float, ...], salt: str
) -> tuple[float, bool, list[int]]:
    """A 50/50 experiment whose assigner used ``bug_weights``: (χ² p, flagged, arm sizes)."""
    ids = [f"srm-{i:05d}" for i in range(learners)]
    with db.session() as session:
        experiment = _define(session, salt, cuped=False, expected=learners, tag=salt)
        chosen = [assign_variant(experiment.salt, u, bug_weights) for u in ids]
        session.execute(
            _ASSIGN_SQL,
            {
                "e": experiment.id,
                "uids": ids,
                "variants": [experiment.variants[v].id for v in chosen],
                "times": [EXPERIMENT_START + timedelta(hours=1)] * learners,
            },
        )
    try:
        with db.session() as session:
            results = service.experiment_results(session, experiment.id, EXPERIMENT_END)
    finally:
        delete_experiment(db, experiment.id)
    srm = results.result.srm
    return float(srm.p_value), bool(srm.mismatch), list(srm.observed)


def close(a: float, b: float, tolerance: float = 1e-9) -> bool:
    """Equal to a relative tolerance (both NaN counts as equal)."""
    if math.isnan(a) and math.isnan(b):
        return True
    return abs(a - b) <= tolerance * max(1.0, abs(a), abs(b))
