"""Simulated experiments: a variant's effect changes only the sessions after assignment."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest
import sqlalchemy as sa

from twin.analysis.experiments.definition import Variant
from twin.db.engine import Database
from twin.enums import PersonalizationContext
from twin.services import experiments as service
from twin.services.experiments import NewExperiment
from twin.services.experiments.assignment import assigned_variant_index
from twin.simulate.experiments import (
    NO_EFFECT,
    SimulatedLearner,
    VariantEffect,
    enroll,
    first_sessions,
    generate_variant_learner,
    load_learners,
)
from twin.simulate.generate import DEFAULT_START, TABLE_ORDER, generate_cohort_learner
from twin.simulate.rows import copy_text
from twin.simulate.traits import user_id

SEED = 2026
WEEKS = 4
EFFECT_FROM = datetime(2026, 1, 19)  # two weeks into the window
DATED = {
    "study_sessions": "startedAt",
    "reviews": "reviewedAt",
    "validation_responses": "respondedAt",
}


def test_without_effect_the_rows_are_the_cohort_generators() -> None:
    plain = generate_cohort_learner(SEED, 3, DEFAULT_START, WEEKS)
    variant = generate_variant_learner(
        SimulatedLearner(3, user_id(SEED, 3)), SEED, DEFAULT_START, WEEKS, EFFECT_FROM
    )
    for name in TABLE_ORDER:
        assert copy_text(variant.tables[name]) == copy_text(plain.tables[name]), name


def _good_share(rows: list[tuple[object, ...]], names: tuple[str, ...]) -> float:
    rating = names.index("rating")
    return float(np.mean([r[rating] in ("GOOD", "EASY") for r in rows]))


def test_a_copy_under_treatment_differs_only_after_the_effect() -> None:
    """Two copies of one learner (the potential outcomes): identical before, better after."""
    control = generate_variant_learner(
        SimulatedLearner(5, "copy-a"), SEED, DEFAULT_START, WEEKS, EFFECT_FROM
    )
    treated = generate_variant_learner(
        SimulatedLearner(5, "copy-b", VariantEffect(quality_factor=1.25)),
        SEED,
        DEFAULT_START,
        WEEKS,
        EFFECT_FROM,
    )
    for name, column in DATED.items():
        a, b = control.tables[name], treated.tables[name]
        at = a.column_names.index(column)
        rows_a = [r for r in a.rows() if r[at] < EFFECT_FROM]
        rows_b = [r for r in b.rows() if r[at] < EFFECT_FROM]
        strip = lambda rows: [  # noqa: E731 — ids differ only by the stored id
            tuple(str(v).replace("copy-a", "X").replace("copy-b", "X") for v in r) for r in rows
        ]
        assert strip(rows_a) == strip(rows_b), name
        assert len(a) == len(b), name  # the same sessions, reviews and answers after too
    reviews_a, reviews_b = control.tables["reviews"], treated.tables["reviews"]
    at = reviews_a.column_names.index("reviewedAt")
    after_a = [r for r in reviews_a.rows() if r[at] >= EFFECT_FROM]
    after_b = [r for r in reviews_b.rows() if r[at] >= EFFECT_FROM]
    assert _good_share(after_b, reviews_b.column_names) > _good_share(
        after_a, reviews_a.column_names
    )


def test_bad_effects_are_refused() -> None:
    with pytest.raises(ValueError, match="quality_factor"):
        VariantEffect(quality_factor=0.0)
    assert NO_EFFECT.quality_factor == 1.0


def test_engine_assigns_the_variant_the_simulator_acted_on(db: Database) -> None:
    """Define → hash → generate under the variant → load → first use assigns the same variant."""
    start = EFFECT_FROM
    with db.session() as session:
        experiment = service.create_experiment(
            session,
            NewExperiment(
                name="sim",
                context=PersonalizationContext.MISSION,
                variants=(
                    Variant("control", "C", 1.0),
                    Variant("better", "B", 1.0),
                ),
                primary_metric="performance",
                start=start,
                end=start + timedelta(days=14),
                min_duration_days=7,
            ),
            start - timedelta(hours=1),
        )
    effects = (NO_EFFECT, VariantEffect(quality_factor=1.2))
    learners = [
        SimulatedLearner(
            i, user_id(SEED, i), effects[assigned_variant_index(experiment, user_id(SEED, i))]
        )
        for i in range(6)
    ]
    rows = load_learners(db, SEED, DEFAULT_START, WEEKS, start, learners, workers=0, connections=1)
    assert rows["users"] == 6
    with db.session() as session:
        first = first_sessions(
            session, [x.stored_id for x in learners], start, start + timedelta(days=14)
        )
        assigned = enroll(session, PersonalizationContext.MISSION, first)
        stored = dict(
            session.execute(
                sa.text('SELECT "userId", "variantId" FROM experiment_assignments')
            ).all()
        )
    assert set(assigned) == set(first) == set(stored)
    for learner in learners:
        if learner.stored_id in stored:
            simulated = "better" if learner.effect.quality_factor != 1.0 else "control"
            assert stored[learner.stored_id] == simulated
