"""`twin demo` end to end on a fresh embedded server (the slowest test: db and slow tiers)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from twin.cli import app
from twin.cli.demo import shared_data_file

runner = CliRunner()


@pytest.mark.db
@pytest.mark.slow
def test_demo_on_a_fresh_embedded_server(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir: Path = tmp_path_factory.mktemp("demo", numbered=True)
    monkeypatch.delenv("TWIN_DATABASE_URL", raising=False)
    monkeypatch.setenv("TWIN_DATA_DIR", str(data_dir))
    args = ["demo", "--no-serve", "--learners", "3", "--weeks", "3"]
    result = runner.invoke(app, args, terminal_width=250)
    assert result.exit_code == 0, result.output
    assert "embedded PostgreSQL" in result.output
    assert "0 failed" in result.output
    assert "simulated 3 learners × 3 weeks" in result.output
    # One learner's week: a simulated calendar uploaded, slots over it, one plan.
    assert "a learner's week" in result.output and "The week of" in result.output
    assert "busy blocks" in result.output and "Plan " in result.output
    assert "7. insights: recommendations, goals, score" in result.output
    assert "Behavioral score" in result.output and "Recommendations" in result.output
    if shared_data_file("revlog_single_learner.csv") is not None:
        assert "12,580 reviews, 1,205 cards, 64 sessions" in result.output
    # The A/B experiment: a cohort assigned by the engine, measured, decided.
    assert "6. an A/B experiment" in result.output and "simulated learners" in result.output
    assert "verdict:" in result.output and "sample-ratio χ² p" in result.output
    # A second run reuses what is there.
    result = runner.invoke(app, args, terminal_width=250)
    assert result.exit_code == 0, result.output
    assert "3 learners already loaded" in result.output
    result = runner.invoke(app, ["db", "status"])
    assert "stopped" in result.output  # the demo stopped the server it started
