"""``twin experiment create|list|results|stop|metrics``."""

from __future__ import annotations

import json
from datetime import UTC, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from tests.services.experiments.support import add_learner
from twin.cli.experiments import experiment_app
from twin.clock import utcnow
from twin.db.engine import Database
from twin.enums import PersonalizationContext
from twin.services import experiments as service

pytestmark = pytest.mark.db  # every test here uses PostgreSQL


@pytest.fixture
def env(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWIN_DATABASE_URL", db.url)
    monkeypatch.setenv("COLUMNS", "80")


def _definition(tmp_path: Path, **overrides: object) -> Path:
    start = utcnow().replace(tzinfo=UTC) + timedelta(seconds=2)
    doc = {
        "name": "shorter missions",
        "context": "MISSION",
        "variants": [
            {"id": "control", "name": "Control", "config": {}, "weight": 1},
            {"id": "short", "name": "Shorter", "config": {"durationFactor": 0.8}, "weight": 1},
        ],
        "primaryMetric": "performance",
        "startDate": start.isoformat(),
        "endDate": (start + timedelta(days=28)).isoformat(),
        **overrides,
    }
    path = tmp_path / "experiment.json"
    path.write_text(json.dumps(doc))
    return path


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(experiment_app, list(args), terminal_width=80)
    return result.exit_code, result.output


def test_create_list_results_stop(db: Database, env: None, tmp_path: Path) -> None:
    code, out = _run("create", str(_definition(tmp_path)))
    assert code == 0, out
    with db.engine.connect() as conn:
        experiment_id, creator = conn.execute(
            sa.text('SELECT id, "createdBy" FROM personalization_experiments')
        ).one()
    assert experiment_id in out and creator == "twin-cli"
    code, out = _run("list")
    assert code == 0 and "shorter" in out and experiment_id in out
    with db.session() as session:
        for uid in ("ada", "bob"):
            add_learner(session, uid)
            service.active_variant(
                session, uid, PersonalizationContext.MISSION, utcnow() + timedelta(seconds=5)
            )
    code, out = _run("metrics", experiment_id)
    assert code == 0, out
    assert "Metrics run" in out
    code, out = _run("results", experiment_id)
    assert code == 0, out
    for text in ("Split", "Comparisons", "verdict: keep_running", "sample-ratio"):
        assert text in out, text
    assert all(len(line) <= 80 for line in out.splitlines())
    # --json: the API's answer models (GET /v1/experiments/{id}/results), the same verdict.
    code, out = _run("results", experiment_id, "--json")
    assert code == 0, out
    doc = json.loads(out)
    assert doc["experiment"]["id"] == experiment_id and doc["participants"] == 2
    assert doc["result"]["verdict"] == "keep_running"
    code, out = _run("list", "--json")
    assert code == 0 and [e["id"] for e in json.loads(out)["experiments"]] == [experiment_id]
    code, out = _run("metrics", experiment_id, "--json")
    assert code == 0, out
    [run] = json.loads(out)["runs"]
    assert run["experimentId"] == experiment_id and run["participants"] == 2
    code, out = _run("stop", experiment_id, "--json")
    assert code == 0, out
    stopped = json.loads(out)
    assert stopped["participants"] == 2 and stopped["results"]["result"]["verdict"] == "invalid"
    code, out = _run("stop", experiment_id)
    assert code == 1 and "already stopped" in out


def test_bad_definitions_name_the_field(db: Database, env: None, tmp_path: Path) -> None:
    code, out = _run("create", str(_definition(tmp_path, primaryMetric="joy")))
    assert code == 1 and "primaryMetric" in out and "unknown metric 'joy'" in out
    code, out = _run(
        "create",
        str(_definition(tmp_path, variants=[{"id": "a", "name": "A", "weight": "1"}])),
    )
    assert code == 1 and "variants.0.weight" in out
    code, out = _run("create", str(tmp_path / "missing.json"))
    assert code == 1 and "cannot read" in out
    code, out = _run("results", "nope")
    assert code == 1 and "no experiment with id 'nope'" in out
    with db.engine.connect() as conn:
        assert (
            conn.execute(sa.text("SELECT count(*) FROM personalization_experiments")).scalar() == 0
        )
