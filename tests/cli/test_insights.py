"""``twin insights USER``: recommendations, goals and score of an analysed learner."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from tests.services.insights.support import END, insights_db, insights_module_db, learner
from twin.cli import insights as cli_insights
from twin.db.engine import Database

__all__ = ["insights_db", "insights_module_db"]


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("insights")(cli_insights.insights_command)
    return app


@pytest.fixture
def env(insights_db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWIN_DATABASE_URL", insights_db.url)
    monkeypatch.setattr(cli_insights, "utcnow", lambda: END.replace(tzinfo=None))


def test_insights_prints_recommendations_goals_and_score(env: None) -> None:
    result = CliRunner().invoke(_app(), [learner(0)], terminal_width=80)
    assert result.exit_code == 0, result.output
    for text in ("daily run:", "Recommendations", "Goals", "Behavioral score", "consistency"):
        assert text in result.output
    assert max(len(line) for line in result.output.splitlines()) <= 80


def test_insights_explains_an_unknown_learner(env: None) -> None:
    result = CliRunner().invoke(_app(), ["nobody"])
    assert result.exit_code == 1 and "no learner with id 'nobody'" in result.output
