"""``twin health USER`` (the function the lead registers on the CLI)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
import typer
from typer.testing import CliRunner

from tests.cli.test_messages import RAW_STRUCTURE, fits, single_word_runs
from tests.services.cognitive.support import add_loaded_days, make_learner
from twin.cli.cognitive import health_command
from twin.clock import utcnow
from twin.db.engine import Database

pytestmark = pytest.mark.db  # every test here uses PostgreSQL


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("health")(health_command)
    app.command("noop")(lambda: None)  # keep "health" a subcommand, as under `twin`
    return app


@pytest.fixture
def env(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWIN_DATABASE_URL", db.url)


def test_health_prints_history_burnout_and_stress(db: Database, env: None) -> None:
    first = datetime.combine((utcnow() - timedelta(days=10)).date(), datetime.min.time())
    with db.session() as s:
        make_learner(s, "cli-learner")
        add_loaded_days(s, "cli-learner", first, 10, load=72.0, minutes=200)
    result = CliRunner().invoke(_app(), ["health", "cli-learner", "--days", "14"])
    assert result.exit_code == 0, result.output
    for text in (
        "Current load 72/100 HIGH",
        "cognitive load per day, last 14 days (UTC)",
        "burnout risk",
        "chronic load",
        "100% of study days overloaded",  # a share, with its unit
        "stress patterns",
    ):
        assert text in result.output, text
    assert "HIGH" in result.output
    # 80 columns (CliRunner's default width), no squeezed columns, no Python structures
    assert fits(result.output) == [] and single_word_runs(result.output) == []
    assert not RAW_STRUCTURE.search(result.output)
    as_json = CliRunner().invoke(_app(), ["health", "cli-learner", "--json"])
    body = json.loads(as_json.stdout)
    assert body["burnoutRisk"]["level"] in result.output
    assert len(body["loadHistory"]["buckets"]) >= 10


def test_health_of_a_learner_without_data_says_what_is_missing(db: Database, env: None) -> None:
    with db.session() as s:
        make_learner(s, "cli-new")
    result = CliRunner().invoke(_app(), ["health", "cli-new"])
    assert result.exit_code == 0, result.output
    flat = " ".join(result.output.split())  # wrapping aside
    assert "No load reading yet." in flat
    assert "no load reading in the last 14 days" in flat
    assert "not enough data yet: 0 of the 6 sessions needed" in flat
    assert "load tolerance not measured yet" in flat
    assert "recovery time not measured yet" in flat
    # no raw structures, no empty figures with a dangling unit
    assert not RAW_STRUCTURE.search(result.output)
    assert "— h" not in result.output and "(none)" not in result.output


def test_health_explains_unknown_and_private_learners(db: Database, env: None) -> None:
    with db.session() as s:
        make_learner(s, "cli-private", enabled=False)
    unknown = CliRunner().invoke(_app(), ["health", "nobody"])
    assert unknown.exit_code == 1 and "no learner with id 'nobody'" in unknown.output
    assert "twin learners list" in unknown.output and "/v1/" not in unknown.output
    private = CliRunner().invoke(_app(), ["health", "cli-private"])
    assert private.exit_code == 1 and "behavioralAnalysisEnabled" in private.output
    assert "PATCH" not in private.output
