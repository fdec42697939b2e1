"""The `twin db …` commands end to end, against a test database."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from tests.cli.test_messages import fits
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
    history = json.loads(runner.invoke(app, ["db", "history", "--json"]).stdout)["revisions"]
    assert [r["applied"] for r in history[:2]] == [True, False]

    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output


def test_verify_command_passes_then_fails_naming_the_index(env: Database) -> None:
    result = runner.invoke(app, ["db", "verify"], terminal_width=250)
    assert result.exit_code == 0, result.output
    assert "0 failed" in result.output and "PASSED" in result.output
    # One row per kind of check at 80 columns; every check with -v; JSON with --json.
    assert "query patterns: the planner picks the intended index" in result.output
    assert "-v lists every check" in result.output
    assert fits(result.output) == []
    verbose = runner.invoke(app, ["db", "verify", "--no-planner", "-v"], terminal_width=250)
    assert "recommendations_userId_status_priorityScore_idx" in verbose.output
    as_json = json.loads(runner.invoke(app, ["db", "verify", "--no-planner", "--json"]).stdout)
    assert as_json["ok"] is True and len(as_json["checks"]) > 90
    assert {c["category"] for c in as_json["checks"]} >= {"table", "enum", "0002 index"}

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


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An embedded data directory with a (fake, never started) cluster in it."""
    monkeypatch.delenv("TWIN_DATABASE_URL", raising=False)
    monkeypatch.setenv("TWIN_DATA_DIR", str(tmp_path / "twin"))
    pgdata = tmp_path / "twin" / "pgdata"
    (pgdata / "base").mkdir(parents=True)
    (pgdata / "base" / "1").write_bytes(b"x" * 4096)
    return tmp_path / "twin"


def test_reset_asks_then_removes_the_data_directory(data_dir: Path) -> None:
    declined = runner.invoke(app, ["db", "reset"], input="n\n")
    assert declined.exit_code == 1 and "nothing deleted" in declined.output
    assert "Delete the embedded database in" in declined.output and "4 KB" in declined.output
    assert (data_dir / "pgdata").exists()
    confirmed = runner.invoke(app, ["db", "reset"], input="y\n")
    assert confirmed.exit_code == 0, confirmed.output
    assert not data_dir.exists()  # emptied, so removed as well
    again = runner.invoke(app, ["db", "reset", "--yes"])
    assert again.exit_code == 0 and "nothing to delete" in again.output


def test_reset_refuses_while_the_server_is_in_use_and_for_an_external_server(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (data_dir / "keep.txt").write_text("not ours")
    user = subprocess.Popen(["sleep", "60"])
    try:
        # A live postmaster and a live attached process: an API or a demo is running.
        (data_dir / "pgdata" / "postmaster.pid").write_text(f"{user.pid}\n")
        (data_dir / "pgdata" / ".handle_pids.json").write_text(json.dumps([user.pid]))
        refused = runner.invoke(app, ["db", "reset", "--yes"])
        assert refused.exit_code == 1
        assert f"in use by process(es) {user.pid}" in " ".join(refused.output.split())
        assert (data_dir / "pgdata").exists()
    finally:
        user.kill()
        user.wait()
    (data_dir / "pgdata" / "postmaster.pid").unlink()
    done = runner.invoke(app, ["db", "reset", "--yes"])
    assert done.exit_code == 0, done.output
    assert not (data_dir / "pgdata").exists() and (data_dir / "keep.txt").exists()
    monkeypatch.setenv("TWIN_DATABASE_URL", "postgresql://x@127.0.0.1:1/none")
    external = runner.invoke(app, ["db", "reset", "--yes"])
    assert external.exit_code == 1 and "TWIN_DATABASE_URL is set" in external.output
    assert os.path.exists(data_dir / "keep.txt")
