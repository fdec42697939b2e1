"""``twin health USER`` (the function the lead registers on the CLI)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import typer
from typer.testing import CliRunner

from tests.services.cognitive.support import add_loaded_days, make_learner
from twin.cli.cognitive import health_command
from twin.clock import utcnow
from twin.db.engine import Database


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("health")(health_command)
    return app


@pytest.fixture
def env(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWIN_DATABASE_URL", db.url)


def test_health_prints_history_burnout_and_stress(db: Database, env: None) -> None:
    first = datetime.combine((utcnow() - timedelta(days=10)).date(), datetime.min.time())
    with db.session() as s:
        make_learner(s, "cli-learner")
        add_loaded_days(s, "cli-learner", first, 10, load=72.0, minutes=200)
    result = CliRunner().invoke(_app(), ["cli-learner", "--days", "14"], terminal_width=160)
    assert result.exit_code == 0, result.output
    for text in (
        "Current load",
        "Cognitive load per day",
        "Burnout risk",
        "CHRONIC_LOAD",
        "Stress patterns",
    ):
        assert text in result.output
    assert "HIGH" in result.output


def test_health_explains_unknown_and_private_learners(db: Database, env: None) -> None:
    with db.session() as s:
        make_learner(s, "cli-private", enabled=False)
    unknown = CliRunner().invoke(_app(), ["nobody"])
    assert unknown.exit_code == 1 and "no learner with id 'nobody'" in unknown.output
    private = CliRunner().invoke(_app(), ["cli-private"])
    assert private.exit_code == 1 and "behavioralAnalysisEnabled" in private.output
