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


def test_recommendation_types_are_cut_at_whole_words() -> None:
    assert cli_insights._type_label("SESSION_DURATION_ADJUSTMENT") == "session duration"
    assert cli_insights._type_label("CONSISTENCY_BUILDING") == "consistency building"
    assert cli_insights._type_label("STUDY_TIME_OPTIMIZATION") == "study time"


def test_insights_json_is_the_api_answers(env: None) -> None:
    import json

    result = CliRunner().invoke(_app(), [learner(0), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["userId"] == learner(0) and doc["dailyRun"]["weeksScored"] >= 1
    assert doc["recommendations"] and all("priorityScore" in r for r in doc["recommendations"])
    latest = doc["score"]["latest"]
    assert latest is not None and 0 <= latest["score"] <= 100
    assert set(doc["score"]["weights"]) >= {"consistency", "quality"}
    quiet = CliRunner().invoke(_app(), [learner(0), "--json", "--no-refresh"])
    assert quiet.exit_code == 0 and json.loads(quiet.output)["dailyRun"] is None


def test_insights_explains_an_unknown_learner(env: None) -> None:
    result = CliRunner().invoke(_app(), ["nobody"])
    assert result.exit_code == 1 and "no learner with id 'nobody'" in result.output
