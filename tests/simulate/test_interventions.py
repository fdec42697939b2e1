"""Simulator options for the struggle benchmark: interventions that work (or not), sharing."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import numpy as np
import pytest
import sqlalchemy as sa
import typer
from typer.testing import CliRunner

from tests.simulate.conftest import CLASSIC_SEED, CLASSIC_WEEKS
from twin.cli.simulate import simulate_command
from twin.db.engine import Database
from twin.errors import ValidationFailed
from twin.simulate.generate import (
    DEFAULT_START,
    INTERVENTION_LIFT_SHARE,
    STRUGGLE_RECALL_FACTOR,
    TABLE_ORDER,
    LearnerData,
    generate_cohort_learner,
    lifted,
)
from twin.simulate.load import load_cohort
from twin.simulate.localtime import local_clock
from twin.simulate.rows import copy_text

SEED = 20260105
WEEKS = 12
LEARNERS = 24
EFFECT_DAY = 42  # interventions take effect from the start of week 7

# Timestamp column of every table whose rows are dated (rows before the effect day must
# not change); the other tables are end-of-window snapshots or static.
DATED = {
    "study_sessions": "startedAt",
    "reviews": "reviewedAt",
    "validation_responses": "respondedAt",
    "behavioral_events": "timestamp",
}
STATIC = ("users", "courses", "lectures", "objective_prerequisites", "exams")

# sha256 of the COPY text of every table of learner 0 of seed 20260105 (12 weeks), as
# generated before interventions existed: the default output must never change.
GOLDEN_LEARNER_0 = "58068f1bcc9035c34d5f63b8b51b4677824969125cde6b2cb19d434a0fec7f74"


def _digest(data: LearnerData) -> str:
    h = hashlib.sha256()
    for name in TABLE_ORDER:
        h.update(copy_text(data.tables[name]).encode())
    return h.hexdigest()


def _struggle_plan(data: LearnerData, day: int = EFFECT_DAY) -> dict[int | str, int]:
    return {o: day for o in data.traits.struggle_objectives}


def _cut_ms(data: LearnerData, day: int = EFFECT_DAY) -> int:
    clock = local_clock(data.traits.timezone, DEFAULT_START, WEEKS * 7)
    return clock.to_utc_ms(DEFAULT_START + timedelta(days=day), 0.0)


def _dated_rows(data: LearnerData, table: str, before_ms: int) -> list[tuple[object, ...]]:
    t = data.tables[table]
    at = np.asarray(t.column(DATED[table]))
    return [row for row, ts in zip(t.rows(), at.tolist(), strict=True) if ts < before_ms]


@pytest.fixture(scope="module")
def pairs(classic_cohort: list[LearnerData]) -> list[tuple[LearnerData, LearnerData]]:
    """(without, with interventions on every struggle objective from day 42) per learner."""
    assert (SEED, WEEKS) == (CLASSIC_SEED, CLASSIC_WEEKS) and len(classic_cohort) >= LEARNERS
    out = []
    for i in range(LEARNERS):
        base = classic_cohort[i]  # generate_cohort_learner(SEED, i, DEFAULT_START, WEEKS)
        treated = generate_cohort_learner(
            SEED, i, DEFAULT_START, WEEKS, interventions=_struggle_plan(base)
        )
        out.append((base, treated))
    return out


def test_default_output_is_unchanged() -> None:
    """No option given: exactly the rows the simulator produced before the options existed."""
    data = generate_cohort_learner(SEED, 0, DEFAULT_START, WEEKS)
    assert _digest(data) == GOLDEN_LEARNER_0
    explicit = generate_cohort_learner(
        SEED, 0, DEFAULT_START, WEEKS, interventions=None, share_patterns=False
    )
    assert _digest(explicit) == GOLDEN_LEARNER_0
    assert "interventions" not in data.truth


def test_rows_before_the_effect_day_are_identical(
    pairs: list[tuple[LearnerData, LearnerData]],
) -> None:
    """Every dated row before the earliest intervention day, ids included, is unchanged."""
    changed_after = 0
    for base, treated in pairs:
        cut = _cut_ms(base)
        for table in DATED:
            before = _dated_rows(base, table, cut)
            assert before, table
            assert _dated_rows(treated, table, cut) == before, (base.traits.user_id, table)
        for table in STATIC:
            assert treated.tables[table].rows() == base.tables[table].rows()
        if any(
            treated.tables[t].rows() != base.tables[t].rows()
            for t in TABLE_ORDER
            if t != "simulation_truth"
        ):
            changed_after += 1
    responsive = sum(b.traits.intervention_responsive for b, _ in pairs)
    assert 0 < responsive < len(pairs)
    assert changed_after == responsive  # only responsive learners change at all


def test_non_responsive_learners_are_unaffected(
    pairs: list[tuple[LearnerData, LearnerData]],
) -> None:
    """A learner the interventions do not work for: every table but the truth is identical."""
    for base, treated in pairs:
        if base.traits.intervention_responsive:
            continue
        for table in TABLE_ORDER:
            if table != "simulation_truth":
                assert treated.tables[table].rows() == base.tables[table].rows(), table
        assert treated.truth["interventions"]
        assert treated.truth["interventionResponsive"] is False


def _struggle_accuracy_after(data: LearnerData, cut: int) -> tuple[int, int]:
    """(non-AGAIN reviews, reviews) on struggle objectives from ``cut`` on."""
    cards = data.tables["cards"]
    objective_of = dict(zip(cards.column("id"), cards.column("objectiveId"), strict=True))
    struggles = set(data.truth["struggleObjectiveIds"])
    reviews = data.tables["reviews"]
    ok = n = 0
    for card, rating, at in zip(
        reviews.column("cardId"),
        reviews.column("rating"),
        np.asarray(reviews.column("reviewedAt")).tolist(),
        strict=True,
    ):
        if at >= cut and objective_of[card] in struggles:
            n += 1
            ok += rating != "AGAIN"
    return ok, n


def test_interventions_lift_struggle_for_responsive_learners(
    pairs: list[tuple[LearnerData, LearnerData]],
) -> None:
    """After the effect day, struggle-objective accuracy rises for responsive learners only.

    Without interventions it stays near 0.5 (recall × 0.62); lifted 75% of the way back
    (× 0.905) it approaches the ≈ 0.8 of the learner's other objectives.
    """
    assert lifted(STRUGGLE_RECALL_FACTOR) == pytest.approx(
        STRUGGLE_RECALL_FACTOR + INTERVENTION_LIFT_SHARE * (1 - STRUGGLE_RECALL_FACTOR)
    )
    sums = {True: np.zeros(4), False: np.zeros(4)}
    for base, treated in pairs:
        cut = _cut_ms(base)
        sums[base.traits.intervention_responsive] += (
            *_struggle_accuracy_after(base, cut),
            *_struggle_accuracy_after(treated, cut),
        )
    for responsive, (ok0, n0, ok1, n1) in sums.items():
        before, after = ok0 / n0, ok1 / n1
        assert before < 0.6
        if responsive:
            assert after > before + 0.15
            assert after > 0.7
        else:
            assert after == before


def test_keys_may_be_ids_or_indices_and_days_may_be_dates(
    pairs: list[tuple[LearnerData, LearnerData]],
) -> None:
    """``{"<uid>-o3": date}`` is the same intervention as ``{3: day}``; the earliest day wins."""
    base, treated = next(p for p in pairs if p[0].traits.intervention_responsive)
    traits = base.traits
    by_id: dict[int | str, object] = {
        traits.objective_id(o): DEFAULT_START + timedelta(days=EFFECT_DAY)
        for o in traits.struggle_objectives
    }
    data = generate_cohort_learner(
        SEED,
        traits.index,
        DEFAULT_START,
        WEEKS,
        interventions=by_id,  # type: ignore[arg-type]
    )
    assert _digest(data) == _digest(treated)
    first = traits.struggle_objectives[0]
    assert (
        data.truth["interventions"][traits.objective_id(first)]
        == (DEFAULT_START + timedelta(days=EFFECT_DAY)).isoformat()
    )


@pytest.mark.parametrize(
    ("plan", "message"),
    [
        ({"sim1-u0-o1": 3}, "not an objective"),
        ({10_000: 3}, "out of range"),
        ({0: -1}, "before the window start"),
    ],
)
def test_bad_interventions_are_refused(plan: dict[int | str, int], message: str) -> None:
    """Foreign objective ids, unknown indices and days before the window raise ValueError."""
    with pytest.raises(ValueError, match=message):
        generate_cohort_learner(SEED, 0, DEFAULT_START, WEEKS, interventions=plan)


def test_share_patterns_sets_the_user_flag() -> None:
    """share_patterns=True sets users.shareAnonymizedPatterns and nothing else."""
    base = generate_cohort_learner(SEED, 1, DEFAULT_START, 4)
    shared = generate_cohort_learner(SEED, 1, DEFAULT_START, 4, share_patterns=True)
    column = list(base.tables["users"].column_names).index("shareAnonymizedPatterns")
    assert base.tables["users"].rows()[0][column] is False
    assert shared.tables["users"].rows()[0][column] is True
    for table in TABLE_ORDER:
        if table != "users":
            assert shared.tables[table].rows() == base.tables[table].rows()


@pytest.mark.db
def test_load_cohort_with_interventions_and_sharing(db: Database) -> None:
    """load_cohort passes both options to the generator; bad interventions write nothing."""
    seed, learners, weeks = 31, 3, 4
    with pytest.raises(ValidationFailed) as info:
        load_cohort(db, learners, weeks, seed, workers=0, interventions={"sim31-u9": {0: 1}})
    assert info.value.details[0]["field"] == "interventions"
    with pytest.raises(ValidationFailed, match="out of range"):
        load_cohort(db, learners, weeks, seed, workers=0, interventions={1: {10_000: 1}})
    with db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM users")).scalar_one() == 0

    expected = generate_cohort_learner(
        seed, 1, DEFAULT_START, weeks, interventions={0: 7}, share_patterns=True
    )
    load_cohort(
        db,
        learners,
        weeks,
        seed,
        workers=0,
        connections=1,
        share_patterns=True,
        interventions={"sim31-u1": {0: 7}},
    )
    with db.engine.connect() as conn:
        shared = conn.execute(sa.text('SELECT bool_and("shareAnonymizedPatterns") FROM users'))
        assert shared.scalar_one() is True
        truth = dict(conn.execute(sa.text('SELECT "userId", traits FROM simulation_truth')).all())
        reviews = conn.execute(
            sa.text('SELECT count(*) FROM reviews WHERE "userId" = :u'), {"u": "sim31-u1"}
        ).scalar_one()
    assert truth["sim31-u1"]["interventions"] == expected.truth["interventions"]
    assert "interventions" not in truth["sim31-u0"]
    assert reviews == len(expected.tables["reviews"])


@pytest.mark.db
def test_the_simulate_command_shares_patterns_on_request(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`twin simulate --share-patterns` marks the learners as sharing; the default does not."""
    app = typer.Typer()
    app.command()(simulate_command)
    monkeypatch.setenv("TWIN_DATABASE_URL", db.url)
    runner = CliRunner()
    plain = runner.invoke(app, ["--learners", "1", "--weeks", "1", "--seed", "8"])
    assert plain.exit_code == 0, plain.output
    shared = runner.invoke(
        app, ["--learners", "2", "--weeks", "1", "--seed", "9", "--share-patterns"]
    )
    assert shared.exit_code == 0, shared.output
    with db.engine.connect() as conn:
        flags = dict(conn.execute(sa.text('SELECT id, "shareAnonymizedPatterns" FROM users')).all())
    assert flags == {"sim8-u0": False, "sim9-u0": True, "sim9-u1": True}
