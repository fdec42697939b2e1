"""``twin model train`` and ``twin model list`` against a real database."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tests.services.struggle.test_outcomes import add_training_learners
from twin.cli.struggle import model_app
from twin.db.engine import Database

pytestmark = pytest.mark.db  # every test here uses PostgreSQL


@pytest.fixture
def env(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWIN_DATABASE_URL", db.url)
    monkeypatch.setenv("COLUMNS", "220")  # rich wraps at the terminal width


def test_train_then_list(db: Database, env: None) -> None:
    runner = CliRunner()
    empty = runner.invoke(model_app, ["list"], terminal_width=200)
    assert empty.exit_code == 0, empty.output
    assert "rules-v1 predicts" in empty.output
    refused = runner.invoke(model_app, ["train"], terminal_width=200)
    assert refused.exit_code == 0, refused.output
    assert "insufficient_data" in refused.output and "50 needed" in refused.output
    with db.session() as s:
        add_training_learners(s, "cli", 8, 10, share=True, struggle_when_high=True)
    trained = runner.invoke(model_app, ["train"], terminal_width=200)
    assert trained.exit_code == 0, trained.output
    for text in ("held-out comparison", "candidate", "current", "rules-v1", "deployed"):
        assert text in trained.output
    skipped = runner.invoke(model_app, ["train"], terminal_width=200)
    assert "skipped" in skipped.output
    listed = runner.invoke(model_app, ["list"], terminal_width=200)
    assert listed.exit_code == 0, listed.output
    assert "struggle-lr-" in listed.output and "active" in listed.output
    assert "rules-v1 predicts" not in listed.output
    as_json = json.loads(runner.invoke(model_app, ["list", "--json"]).stdout)
    [active] = [m for m in as_json["models"] if m["active"]]
    assert active["kind"] == "logistic" and active["version"] in listed.output
