"""Simulated A/B experiments: learners whose sessions follow the variant the engine assigns them.

A variant's true effect is a :class:`VariantEffect`: from the moment the learner is in the
experiment, every session's *quality* (the share of GOOD/EASY among recalled cards, validation
scores and engagement — what ENGINE.md's performance measures) is multiplied by
``quality_factor``. It is applied through the generator's one hook
(``_Generator._adjust_effects``) and scales probabilities only, never the number of random
draws, so every row before the learner's first affected session is identical to the same
learner without the experiment (``tests/simulate/test_experiments.py`` checks it), and two
*copies* of one learner — the same seed and index stored under two user ids, one per
variant — are the learner's two potential outcomes.

How the engine and the simulator meet (``twin demo``, ``benchmarks/experiment_quality.py``):

1. the operator defines the experiment (:func:`twin.services.experiments.create_experiment`),
   which fixes its salt;
2. each learner's variant is the engine's hash of (salt, user id)
   (:func:`twin.services.experiments.assignment.assigned_variant_index`), so the simulator
   generates the learner under that variant's effect from the experiment's start;
3. the cohort is loaded (:func:`load_learners`);
4. each learner's first session in the experiment's window is their first use:
   :func:`enroll` calls :func:`twin.services.experiments.active_variant` at that instant, which
   assigns and stores them — the variant the simulator acted on.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from twin.db.engine import Database
from twin.enums import PersonalizationContext
from twin.simulate.generate import (
    COURSE_CATALOGUE,
    TABLE_ORDER,
    LearnerData,
    _Generator,
    _SessionEffects,
    _Sessions,
)
from twin.simulate.load import (
    EncodedBatch,
    _default_connections,
    _default_workers,
    _load_batches,
)
from twin.simulate.rows import copy_text
from twin.simulate.traits import learner_rng, sample_traits, user_id

DEFAULT_BATCH_LEARNERS = 50
IN_FLIGHT_BATCHES_PER_WORKER = 2


@dataclass(frozen=True)
class VariantEffect:
    """What a variant does to a learner's sessions once they are in the experiment."""

    quality_factor: float = 1.0
    """× session quality (GOOD/EASY share, validation scores, engagement); 1 = no effect."""

    def __post_init__(self) -> None:
        if not (0.0 < self.quality_factor < 10.0):
            raise ValueError(f"quality_factor must be in (0, 10), got {self.quality_factor}")


NO_EFFECT = VariantEffect()


@dataclass(frozen=True)
class SimulatedLearner:
    """Learner ``index`` of a cohort, stored as ``stored_id``, under a variant's effect."""

    index: int
    stored_id: str
    effect: VariantEffect = NO_EFFECT


def _ms(instant: datetime) -> int:
    aware = instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant
    return int(aware.timestamp() * 1000)


class _VariantGenerator(_Generator):
    """The generator with a variant's effect on every session from ``effect_from_ms`` on."""

    def __init__(
        self,
        learner: SimulatedLearner,
        seed: int,
        start: date,
        weeks: int,
        effect_from_ms: int,
    ) -> None:
        rng = learner_rng(seed, learner.index)
        traits = sample_traits(seed, learner.index, weeks, rng, len(COURSE_CATALOGUE))
        super().__init__(traits, rng, start, weeks)
        self.uid = learner.stored_id  # every row id derives from it
        self.effect = learner.effect
        self.effect_from_ms = effect_from_ms

    def _adjust_effects(self, plan: _Sessions, effects: _SessionEffects) -> _SessionEffects:
        if self.effect.quality_factor == 1.0:
            return effects
        after = np.asarray(plan.start_ms, dtype=np.int64) >= self.effect_from_ms
        factor = np.where(after, self.effect.quality_factor, 1.0)
        return replace(
            effects,
            quality=effects.quality * factor,
            quality_no_affinity=effects.quality_no_affinity * factor,
        )


def generate_variant_learner(
    learner: SimulatedLearner, seed: int, start: date, weeks: int, effect_from: datetime
) -> LearnerData:
    """Every row of one learner under their variant's effect from ``effect_from`` (naive UTC)."""
    return _VariantGenerator(learner, seed, start, weeks, _ms(effect_from)).run()


def encode_learners(
    seed: int,
    start: date,
    weeks: int,
    effect_from: datetime,
    learners: tuple[SimulatedLearner, ...],
) -> EncodedBatch:
    """Generate ``learners`` and encode them as COPY text (pure; runs in worker processes)."""
    parts: dict[str, list[str]] = {name: [] for name in TABLE_ORDER}
    rows = dict.fromkeys(TABLE_ORDER, 0)
    columns: dict[str, tuple[str, ...]] = {}
    for learner in learners:
        data = generate_variant_learner(learner, seed, start, weeks, effect_from)
        for name in TABLE_ORDER:
            table = data.tables[name]
            columns.setdefault(name, table.column_names)
            rows[name] += len(table)
            parts[name].append(copy_text(table))
    return EncodedBatch(
        first=learners[0].index if learners else 0,
        count=len(learners),
        text={name: "".join(chunks) for name, chunks in parts.items()},
        rows=rows,
        columns=columns,
    )


def _encoded(
    seed: int,
    start: date,
    weeks: int,
    effect_from: datetime,
    batches: list[tuple[SimulatedLearner, ...]],
    workers: int,
) -> Iterator[EncodedBatch]:
    if workers <= 0:
        for batch in batches:
            yield encode_learners(seed, start, weeks, effect_from, batch)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        todo = iter(batches)
        pending = [
            pool.submit(encode_learners, seed, start, weeks, effect_from, b)
            for _, b in zip(range(workers * IN_FLIGHT_BATCHES_PER_WORKER), todo, strict=False)
        ]
        while pending:
            encoded = pending.pop(0).result()
            nxt = next(todo, None)
            if nxt is not None:
                pending.append(pool.submit(encode_learners, seed, start, weeks, effect_from, nxt))
            yield encoded


def load_learners(
    db: Database,
    seed: int,
    start: date,
    weeks: int,
    effect_from: datetime,
    learners: Sequence[SimulatedLearner],
    *,
    batch_learners: int = DEFAULT_BATCH_LEARNERS,
    workers: int | None = None,
    connections: int | None = None,
) -> dict[str, int]:
    """Generate and COPY ``learners`` (each under their variant's effect); rows per table."""
    ids = [learner.stored_id for learner in learners]
    if len(set(ids)) != len(ids):
        raise ValueError("stored ids must be distinct")
    batches = [
        tuple(learners[i : i + batch_learners]) for i in range(0, len(learners), batch_learners)
    ]
    rows = dict.fromkeys(TABLE_ORDER, 0)
    _load_batches(
        db,
        _encoded(
            seed,
            start,
            weeks,
            effect_from,
            batches,
            _default_workers() if workers is None else workers,
        ),
        seed,
        rows,
        None,
        connections=_default_connections() if connections is None else max(1, connections),
        check_foreign_keys=False,
    )
    return rows


def cohort_ids(seed: int, learners: int) -> list[str]:
    """The user ids of the first ``learners`` learners of cohort ``seed``."""
    return [user_id(seed, i) for i in range(learners)]


_FIRST_SESSIONS_SQL = sa.text(
    """
    SELECT s."userId" AS uid, min(s."startedAt") AS first
    FROM study_sessions s
    WHERE s."userId" = ANY(CAST(:uids AS text[])) AND s."startedAt" >= :since
      AND s."startedAt" < :until
    GROUP BY 1
    """
)


def first_sessions(
    session: Session, user_ids: Sequence[str], since: datetime, until: datetime
) -> dict[str, datetime]:
    """Each learner's first session start in ``[since, until)`` (learners without one left out)."""
    rows = session.execute(
        _FIRST_SESSIONS_SQL, {"uids": list(user_ids), "since": since, "until": until}
    )
    return {r.uid: r.first for r in rows}


def enroll(
    session: Session, context: PersonalizationContext, first_use: Mapping[str, datetime]
) -> dict[str, Any]:
    """Each learner's first use of the context, in time order: the engine assigns them.

    Returns user id → :class:`~twin.services.experiments.ActiveVariant` (None for learners the
    engine does not assign: no experiment running then, or analysis off).
    """
    from twin.services.experiments import active_variant

    return {
        uid: active_variant(session, uid, context, at)
        for uid, at in sorted(first_use.items(), key=lambda item: (item[1], item[0]))
    }
