"""`twin demo` end to end on a fresh embedded server (the slowest test: db and slow tiers)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from twin.api.app import create_app
from twin.cli import app
from twin.cli.demo import REAL_LEARNER_ID, demo_banner, shared_data_file
from twin.db.engine import Database
from twin.services import learners as learners_service

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
    # Personalization: one learner's arms and effectiveness after 8 adapted weeks.
    assert "8. personalization" in result.output and "strategy arms of" in result.output
    assert "UNIFORM on" in result.output
    # A second run reuses what is there.
    result = runner.invoke(app, args, terminal_width=250)
    assert result.exit_code == 0, result.output
    assert "3 learners already loaded" in result.output
    result = runner.invoke(app, ["db", "status"])
    assert "stopped" in result.output  # the demo stopped the server it started


BANNER_PORT = 8123  # only printed: nothing listens, the app is called in-process


def test_demo_banner_links_sign_in(db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    """The learner link signs the real learner in; the operator link opens the sign-in page,
    where the printed service key signs an operator in."""
    with db.session() as s:
        learners_service.upsert_user(s, "aaa-first-by-id", {"name": "Someone"})
        learners_service.upsert_user(s, REAL_LEARNER_ID, {"name": "The real log"})
    demo_banner(db, BANNER_PORT)
    out = capsys.readouterr().out
    base = f"http://127.0.0.1:{BANNER_PORT}"
    links = re.findall(rf"^\s+({re.escape(base)}/ui/\S*)$", out, flags=re.MULTILINE)
    assert len(links) == 2, out
    learner_link, operator_link = links
    key = re.search(r"^\s+(twk_\S+)$", out, flags=re.MULTILINE)
    assert key is not None, out

    def path(url: str) -> str:
        parts = urlsplit(url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    with TestClient(create_app(database=db), follow_redirects=False) as browser:
        r = browser.get(path(learner_link))
        assert r.status_code == 303 and r.headers["location"] == "/ui/welcome"
        home = browser.get("/ui")  # where the welcome page moves on to
        assert home.headers["location"] == f"/ui/learners/{REAL_LEARNER_ID}"
        page = browser.get(home.headers["location"])
        assert page.status_code == 200 and "Hello, The real log" in page.text
    with TestClient(create_app(database=db), follow_redirects=False) as browser:
        assert path(operator_link) == "/ui/signin"
        signin = browser.get(path(operator_link))
        assert signin.status_code == 200 and "Sign in as operator" in signin.text
        csrf = re.search(r'name="csrf" value="([^"]+)"', signin.text)
        assert csrf is not None
        r = browser.post("/ui/signin", data={"key": key.group(1), "csrf": csrf.group(1)})
        assert r.status_code == 303 and r.headers["location"] == "/ui/operator/high-risk"
        assert browser.get("/ui/operator/high-risk").status_code == 200
