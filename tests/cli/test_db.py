"""The `twin db …` commands end to end, against a test database."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from twin.cli import app
from twin.db.engine import Database

runner = CliRunner()


@pytest.fixture
def env(db: Database, monkeypatch: pytest.MonkeyPatch) -> Database:
    monkeypatch.setenv("TWIN_DATABASE_URL", db.url)
    return db


def test_migration_commands(env: Database) -> None:
    result = runner.invoke(app, ["db", "current"])
    assert result.exit_code == 0, result.output
    assert "up to date" in result.output

    result = runner.invoke(app, ["db", "downgrade", "0001"])
    assert result.exit_code == 0, result.output
    assert "revision 0001" in result.output
    result = runner.invoke(app, ["db", "current"])
    assert "0001" in result.output and "run `twin db upgrade`" in result.output

    result = runner.invoke(app, ["db", "history"])
    assert result.exit_code == 0
    for rev in ("0001", "0002", "0003", "0004"):
        assert rev in result.output
    assert "epic5_schema_completion" in result.output

    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output


def test_verify_command_passes_then_fails_naming_the_index(env: Database) -> None:
    result = runner.invoke(app, ["db", "verify"], terminal_width=250)
    assert result.exit_code == 0, result.output
    assert "0 failed" in result.output and "PASSED" in result.output

    with env.engine.begin() as conn:
        conn.execute(sa.text('DROP INDEX "recommendations_userId_status_priorityScore_idx"'))
    result = runner.invoke(app, ["db", "verify", "--no-planner"], terminal_width=250)
    assert result.exit_code == 1
    assert "FAILED: recommendations_userId_status_priorityScore_idx" in result.output


def test_verify_on_an_unmigrated_database_fails(
    empty_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWIN_DATABASE_URL", empty_db.url)
    result = runner.invoke(app, ["db", "verify", "--no-planner"], terminal_width=250)
    assert result.exit_code == 1
    assert "table is missing" in result.output


def test_unreachable_database_is_a_clean_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWIN_DATABASE_URL", "postgresql://x@127.0.0.1:1/none")
    result = runner.invoke(app, ["db", "current"])
    assert result.exit_code == 1
    assert "cannot reach PostgreSQL" in result.output
    assert "Traceback" not in result.output
