"""Loading a simulated cohort: counts, foreign keys, ground truth, determinism, idempotency."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

import twin.db.models  # noqa: F401  (registers every table on the metadata)
from tests.conftest import PgServer
from twin.cli.simulate import simulate_command
from twin.db.base import metadata
from twin.db.engine import Database, create_db_engine
from twin.errors import Conflict, ValidationFailed
from twin.simulate.generate import TABLE_ORDER
from twin.simulate.load import SimulationSummary, load_cohort
from twin.simulate.traits import FORGETTING_K_RANGE_PER_DAY

pytestmark = pytest.mark.db

LEARNERS = 5
WEEKS = 4
SEED = 77


def _counts(db: Database) -> dict[str, int]:
    with db.engine.connect() as conn:
        return {
            name: int(conn.execute(sa.text(f'SELECT count(*) FROM "{name}"')).scalar_one())
            for name in TABLE_ORDER
        }


def _contents(db: Database) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every simulated table, ordered by id."""
    with db.engine.connect() as conn:
        return {
            name: [tuple(r) for r in conn.execute(sa.text(f'SELECT * FROM "{name}" ORDER BY id'))]
            for name in TABLE_ORDER
        }


@pytest.fixture
def loaded(db: Database) -> SimulationSummary:
    """A small cohort loaded into the test's database (generated in-process, one stream)."""
    return load_cohort(db, LEARNERS, WEEKS, SEED, workers=0, connections=1)


@pytest.fixture
def second_db(pg_server: PgServer, template_db: str) -> Iterator[Database]:
    """Another fresh migrated database, cloned from the template."""
    name = pg_server.create_database(template=template_db)
    database = Database(engine=create_db_engine(pg_server.url_for(name)))
    yield database
    database.close()
    pg_server.drop_database(name)


def test_counts_match_the_summary(db: Database, loaded: SimulationSummary) -> None:
    """Every table holds exactly the rows the summary reports; events are plentiful."""
    assert _counts(db) == loaded.rows
    assert loaded.rows["users"] == loaded.rows["simulation_truth"] == LEARNERS
    assert loaded.events > 200 * LEARNERS
    assert loaded.total_rows == sum(loaded.rows.values())
    assert loaded.seconds > 0


def test_every_foreign_key_is_satisfied(db: Database, loaded: SimulationSummary) -> None:
    """Declared FKs (checked by query: the loader may skip FK triggers) and plain userIds hold."""
    problems = []
    with db.engine.connect() as conn:
        for name in TABLE_ORDER:
            table = metadata.tables[name]
            for fk in table.foreign_keys:
                column, target = fk.parent.name, fk.column
                orphans = conn.execute(
                    sa.text(
                        f'SELECT count(*) FROM "{name}" t WHERE t."{column}" IS NOT NULL AND NOT '
                        f'EXISTS (SELECT 1 FROM "{target.table.name}" r '
                        f'WHERE r."{target.name}" = t."{column}")'
                    )
                ).scalar_one()
                if orphans:
                    problems.append(f"{name}.{column}: {orphans}")
            if "userId" in table.columns and not table.c.userId.foreign_keys:
                orphans = conn.execute(
                    sa.text(
                        f'SELECT count(*) FROM "{name}" t WHERE NOT EXISTS '
                        '(SELECT 1 FROM users u WHERE u.id = t."userId")'
                    )
                ).scalar_one()
                if orphans:
                    problems.append(f"{name}.userId: {orphans}")
    assert problems == []


def test_ground_truth_has_a_row_per_learner(db: Database, loaded: SimulationSummary) -> None:
    """simulation_truth: one row per user, with the seed and the traits JSON."""
    with db.engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                'SELECT t."userId", t.seed, t.traits, u.timezone FROM simulation_truth t '
                'JOIN users u ON u.id = t."userId" ORDER BY t."userId"'
            )
        ).all()
    assert len(rows) == LEARNERS
    with db.engine.connect() as conn:
        traits_sessions: dict[str, int] = dict(
            conn.execute(
                sa.text('SELECT "userId", count(*) FROM study_sessions GROUP BY "userId"')
            ).all()
        )
    for user_id, seed, traits, timezone in rows:
        assert user_id.startswith(f"sim{SEED}-u")
        assert seed == SEED
        assert traits["timezone"] == timezone
        assert (
            FORGETTING_K_RANGE_PER_DAY[0]
            <= traits["forgettingRateK"]
            <= FORGETTING_K_RANGE_PER_DAY[1]
        )
        assert len(traits["sessionHiddenLoad"]) == traits_sessions[user_id]
        assert traits["struggleObjectiveIds"]


def test_local_time_columns_agree_with_postgres(db: Database, loaded: SimulationSummary) -> None:
    """timeOfDay and dayOfWeek equal PostgreSQL's own conversion into the learner's zone."""
    with db.engine.connect() as conn:
        wrong = conn.execute(
            sa.text(
                """
                SELECT count(*) FROM behavioral_events e JOIN users u ON u.id = e."userId"
                WHERE e."timeOfDay" <> extract(hour FROM (e."timestamp" AT TIME ZONE 'UTC')
                                                          AT TIME ZONE u.timezone)
                   OR e."dayOfWeek" <> extract(isodow FROM (e."timestamp" AT TIME ZONE 'UTC')
                                                            AT TIME ZONE u.timezone) - 1
                """
            )
        ).scalar_one()
        tags = conn.execute(sa.text('SELECT "topicTags" FROM lectures LIMIT 1')).scalar_one()
    assert wrong == 0
    assert isinstance(tags, list) and tags


def test_same_seed_loads_identical_contents(
    db: Database, loaded: SimulationSummary, second_db: Database
) -> None:
    """A second database loaded with the same arguments (in parallel this time) is identical."""
    again = load_cohort(second_db, LEARNERS, WEEKS, SEED, workers=1, connections=2)
    assert again.rows == loaded.rows
    assert _contents(second_db) == _contents(db)


def test_loading_a_seed_twice_is_refused_unless_replaced(
    db: Database, loaded: SimulationSummary
) -> None:
    """The same seed again raises Conflict; replace=True deletes and reloads it."""
    with pytest.raises(Conflict, match="already in the database"):
        load_cohort(db, LEARNERS, WEEKS, SEED, workers=0, connections=1)
    before = _contents(db)
    replaced = load_cohort(
        db, LEARNERS, WEEKS, SEED, workers=0, connections=1, replace=True, check_foreign_keys=True
    )
    assert replaced.replaced_learners == LEARNERS
    assert _contents(db) == before


def test_other_seeds_coexist_and_replace_touches_only_its_seed(
    db: Database, loaded: SimulationSummary
) -> None:
    """Two seeds live side by side; replacing one leaves the other alone."""
    other = load_cohort(db, 2, 2, SEED + 1, workers=0, connections=1)
    counts = _counts(db)
    assert counts["users"] == LEARNERS + 2
    load_cohort(db, 2, 2, SEED + 1, workers=0, connections=1, replace=True)
    assert _counts(db) == counts
    assert other.rows["users"] == 2


def test_bad_parameters_are_rejected_before_writing(db: Database) -> None:
    """Invalid sizes or seeds raise ValidationFailed listing each problem; nothing is written."""
    with pytest.raises(ValidationFailed) as info:
        load_cohort(db, 0, 0, -1)
    assert {p["field"] for p in info.value.details} == {"learners", "weeks", "seed"}
    assert _counts(db)["users"] == 0


def test_the_simulate_command_loads_and_refuses_a_repeat(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`twin simulate` prints row counts; a repeat without --replace exits 1 saying what to do."""
    import typer

    app = typer.Typer()
    app.command()(simulate_command)
    monkeypatch.setenv("TWIN_DATABASE_URL", db.url)
    runner = CliRunner()
    args = ["--learners", "2", "--weeks", "1", "--seed", "5", "--start", "2026-02-02"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "behavioral_events" in first.output and "events/s" in first.output
    repeat = runner.invoke(app, args)
    assert repeat.exit_code == 1
    assert "--replace" in repeat.output
    replaced = runner.invoke(app, [*args, "--replace"])
    assert replaced.exit_code == 0, replaced.output
    bad = runner.invoke(app, ["--start", "05/01/2026"])
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output
    with db.engine.connect() as conn:
        first_session = conn.execute(
            sa.text('SELECT min("startedAt") FROM study_sessions')
        ).scalar_one()
    assert first_session.date() >= date(2026, 2, 1)


def test_the_simulate_command_ends_the_weeks_now_by_default(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --start the cohort's weeks end just before now: no row lies in the future."""
    import typer

    from twin.clock import utcnow
    from twin.simulate.window import start_ending_by

    app = typer.Typer()
    app.command()(simulate_command)
    monkeypatch.setenv("TWIN_DATABASE_URL", db.url)
    before = utcnow()
    result = CliRunner().invoke(app, ["--learners", "2", "--weeks", "2", "--seed", "6"])
    assert result.exit_code == 0, result.output
    after = utcnow()
    with db.engine.connect() as conn:
        starts = set(
            conn.execute(
                sa.text("SELECT traits->'window'->>'startDate' FROM simulation_truth")
            ).scalars()
        )
        latest = conn.execute(
            sa.text('SELECT max("timestamp") FROM behavioral_events')
        ).scalar_one()
    assert starts <= {start_ending_by(before, 2).isoformat(), start_ending_by(after, 2).isoformat()}
    assert latest < before
