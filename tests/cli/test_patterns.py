"""``twin analyze USER``: the CLI function prints the twin, respects the daily limit, honours --force."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from tests.cli.test_messages import fits, single_word_runs
from tests.services.patterns_support import (
    cohort_db,
    cohort_module_db,
    count_rows,
    execute,
    learner,
)
from twin.cli.patterns import analyze_command
from twin.db.engine import Database

pytestmark = pytest.mark.db  # every test here uses PostgreSQL

__all__ = ["cohort_db", "cohort_module_db"]  # fixtures used here

L0 = learner(0)


@pytest.fixture
def cli(cohort_db: Database, monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    monkeypatch.setenv("TWIN_DATABASE_URL", cohort_db.url)
    app = typer.Typer()
    app.command()(analyze_command)
    return app


def test_analyze_prints_the_twin_then_limits_and_forces(
    cli: typer.Typer, cohort_db: Database
) -> None:
    runner = CliRunner()
    first = runner.invoke(cli, [L0])
    assert first.exit_code == 0, first.output
    for heading in ("data sufficiency", "profile", "patterns", "open insights", "forgetting curve"):
        assert heading in first.output
    assert "analysed in" in first.output and "FSRS-6 fitted on" in first.output
    # Evidence is prose: it wraps as blocks at 80 columns, not one word per line.
    assert fits(first.output) == [] and single_word_runs(first.output) == []
    assert "data span days" in first.output  # minimums in words (issue 14: the data span)
    assert count_rows(cohort_db, "user_learning_profiles", L0) == 1
    again = runner.invoke(cli, [L0])
    assert again.exit_code == 0
    assert "not re-analysed" in again.output and "once a day" in again.output
    assert "--force" in again.output and '{"force": true}' not in again.output
    assert "patterns" in again.output  # the stored twin is still shown
    forced = runner.invoke(cli, [L0, "--force"])
    assert forced.exit_code == 0 and "analysed in" in forced.output
    as_json = json.loads(runner.invoke(cli, [L0, "--json"]).stdout)
    assert as_json["status"] == "analyzed" and len(as_json["patterns"]) == count_rows(
        cohort_db, "behavioral_patterns", L0
    )


def test_analyze_explains_what_stops_it(cli: typer.Typer, cohort_db: Database) -> None:
    runner = CliRunner()
    missing = runner.invoke(cli, ["nobody"])
    assert missing.exit_code == 1 and "no learner with id 'nobody'" in missing.output
    execute(cohort_db, 'UPDATE users SET "behavioralAnalysisEnabled" = false WHERE id = :u', u=L0)
    off = runner.invoke(cli, [L0])
    assert off.exit_code == 1 and "switched off" in off.output
