"""``twin predict USER`` (the function registered on the CLI)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
import typer
from typer.testing import CliRunner

from tests.cli.test_messages import fits, single_word_runs
from tests.services.struggle.support import make_struggle_learner
from twin.cli.struggle import predict_command
from twin.clock import utcnow
from twin.db.engine import Database

pytestmark = pytest.mark.db  # every test here uses PostgreSQL


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("predict")(predict_command)
    app.command("noop")(lambda: None)  # keep "predict" a subcommand, as under `twin`
    return app


@pytest.fixture
def env(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWIN_DATABASE_URL", db.url)


def test_predict_prints_risks_reasons_interventions_and_alerts(db: Database, env: None) -> None:
    with db.session() as s:
        make_struggle_learner(s, "cli-sp", at=utcnow() - timedelta(minutes=1))
    result = CliRunner().invoke(_app(), ["predict", "cli-sp", "--days-ahead", "14"])
    assert result.exit_code == 0, result.output
    flat = " ".join(result.output.split())  # wrapping aside
    for text in (
        "struggle risks of cli-sp",
        "rules-v1",
        "Objective T",
        "its validation answers score 25% on average",  # a reason in words
        "priority 9/10",  # a labelled priority
        "Review the weak prerequisites first",  # an intervention
        "alerts (priority 0–100)",
        "5 objectives due or weakest: 5 predicted now (5 new, 0 updated)",
    ):
        assert text in flat, text
    # The default layout reads at 80 columns (CliRunner's width).
    assert fits(result.output) == [] and single_word_runs(result.output) == []
    with db.engine.connect() as conn:
        stored = conn.execute(
            sa.text(
                "SELECT count(*) FROM struggle_predictions WHERE \"userId\" = 'cli-sp' "
                'AND "actualOutcome" IS NULL'
            )
        ).scalar_one()
    assert stored == 5
    again = CliRunner().invoke(_app(), ["predict", "cli-sp", "--json"])
    counts = json.loads(again.stdout)["counts"]
    assert counts["candidates"] + counts["awaitingOutcome"] == 5
    assert counts["created"] + counts["updated"] == counts["candidates"]
    wide = CliRunner().invoke(_app(), ["predict", "cli-sp", "--wide"], terminal_width=250)
    assert wide.exit_code == 0 and "why (top reasons)" in wide.output


def test_predict_explains_unknown_private_and_bad_options(db: Database, env: None) -> None:
    with db.session() as s:
        make_struggle_learner(s, "cli-off", enabled=False)
    unknown = CliRunner().invoke(_app(), ["predict", "nobody"])
    assert unknown.exit_code == 1 and "no learner with id 'nobody'" in unknown.output
    private = CliRunner().invoke(_app(), ["predict", "cli-off"])
    assert private.exit_code == 1 and "behavioralAnalysisEnabled" in private.output
    bad = CliRunner().invoke(_app(), ["predict", "cli-off", "--days-ahead", "31"])
    assert bad.exit_code == 2 and "--days-ahead" in bad.output
