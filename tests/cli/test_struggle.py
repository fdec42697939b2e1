"""``twin predict USER`` (the function registered on the CLI)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
import typer
from typer.testing import CliRunner

from tests.services.struggle.support import make_struggle_learner
from twin.cli.struggle import predict_command
from twin.clock import utcnow
from twin.db.engine import Database


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("predict")(predict_command)
    return app


@pytest.fixture
def env(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWIN_DATABASE_URL", db.url)
    monkeypatch.setenv("COLUMNS", "250")  # rich wraps long reasons at the default 80


def test_predict_prints_risks_reasons_interventions_and_alerts(db: Database, env: None) -> None:
    with db.session() as s:
        make_struggle_learner(s, "cli-sp", at=utcnow() - timedelta(minutes=1))
    result = CliRunner().invoke(_app(), ["cli-sp", "--days-ahead", "14"], terminal_width=200)
    assert result.exit_code == 0, result.output
    for text in (
        "Upcoming struggle risks of cli-sp",
        "rules-v1",
        "Objective T",
        "its validation answers score 25% on average",  # a reason in words
        "Review the weak prerequisites first",  # an intervention
        "Alerts",
        "5 objectives predicted (5 new, 0 updated)",
    ):
        assert text in result.output, text
    with db.engine.connect() as conn:
        stored = conn.execute(
            sa.text(
                "SELECT count(*) FROM struggle_predictions WHERE \"userId\" = 'cli-sp' "
                'AND "actualOutcome" IS NULL'
            )
        ).scalar_one()
    assert stored == 5


def test_predict_explains_unknown_private_and_bad_options(db: Database, env: None) -> None:
    with db.session() as s:
        make_struggle_learner(s, "cli-off", enabled=False)
    unknown = CliRunner().invoke(_app(), ["nobody"])
    assert unknown.exit_code == 1 and "no learner with id 'nobody'" in unknown.output
    private = CliRunner().invoke(_app(), ["cli-off"])
    assert private.exit_code == 1 and "behavioralAnalysisEnabled" in private.output
    bad = CliRunner().invoke(_app(), ["cli-off", "--days-ahead", "31"])
    assert bad.exit_code == 2
