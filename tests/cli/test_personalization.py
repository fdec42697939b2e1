"""``twin personalize USER`` and the demo's section, on a learner driven through the services
by the simulator (a hidden best strategy)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from tests.services.experiments.support import add_learner
from twin.cli import personalization as cli_personalization
from twin.db.engine import Database
from twin.simulate.personalization import simulate_personalized_weeks

pytestmark = pytest.mark.db  # every test here uses PostgreSQL

END = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("personalize")(cli_personalization.personalize_command)
    return app


@pytest.fixture
def env(db: Database, monkeypatch: pytest.MonkeyPatch) -> Database:
    monkeypatch.setenv("TWIN_DATABASE_URL", db.url)
    monkeypatch.setattr(cli_personalization, "utcnow", lambda: END.replace(tzinfo=None))
    return db


def test_personalize_shows_arms_rewards_effectiveness_and_an_evaluation(env: Database) -> None:
    with env.session() as session:
        add_learner(session, "sim")
    run = simulate_personalized_weeks(env, "sim", END, np.random.default_rng(3))
    assert run.baseline_outcomes == 16 and run.decisions == 32
    assert sum(run.chosen.values()) == 32
    # the hidden best arm (PATTERN_HEAVY, +0.2 vs +0.08 for the next) is chosen most
    assert max(run.chosen, key=lambda a: run.chosen[a]) == "PATTERN_HEAVY", run.chosen
    result = CliRunner().invoke(
        _app(), ["sim", "--evaluate", "UNIFORM", "--context", "MISSION"], terminal_width=80
    )
    assert result.exit_code == 0, result.output
    for text in ("level MEDIUM", "PATTERN_HEAVY", "32 decisions logged, 32 rewarded"):
        assert text in result.output, result.output
    assert "UNIFORM on 32 MISSION decisions" in result.output
    assert "IPS:" in result.output and "DR:" in result.output
    assert "effectiveness" in result.output
    assert max(len(line) for line in result.output.splitlines()) <= 80


def test_personalize_explains_an_unknown_learner(env: Database) -> None:
    result = CliRunner().invoke(_app(), ["nobody"])
    assert result.exit_code == 1 and "no learner with id 'nobody'" in result.output


def test_the_demo_section_prints_arms_and_effectiveness(
    env: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    with env.session() as session:
        add_learner(session, "demo-one")
    cli_personalization.demo_personalization(env, "demo-one", END)
    out = capsys.readouterr().out
    assert "hidden effect of each strategy" in out and "strategy arms of demo-one" in out
    assert "effectiveness" in out and "UNIFORM on" in out
