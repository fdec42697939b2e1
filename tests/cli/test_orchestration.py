"""``twin schedule USER`` and ``twin calendar …`` against the real database."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from tests.services.orchestration.support import ZONE, daily_ics, make_schedule_learner
from twin.cli.orchestration import calendar_app, schedule_command
from twin.clock import utcnow
from twin.db.engine import Database

pytestmark = pytest.mark.db  # every test here uses PostgreSQL


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("schedule")(schedule_command)
    app.add_typer(calendar_app, name="calendar")
    return app


def flat(output: str) -> str:
    """The output with its line wrapping undone (error messages wrap at 80 columns)."""
    return " ".join(output.split())


@pytest.fixture
def env(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWIN_DATABASE_URL", db.url)


def test_upload_schedule_accept_feed(db: Database, env: None, tmp_path: Path) -> None:
    with db.session() as s:
        make_schedule_learner(s, "cli-s", utcnow())
    tomorrow = datetime.now(ZONE).date() + timedelta(days=1)
    ics = tmp_path / "week.ics"
    ics.write_text(daily_ics(tomorrow, 7, 0, 120))
    runner = CliRunner()
    up = runner.invoke(_app(), ["calendar", "upload", "cli-s", str(ics)], terminal_width=80)
    assert up.exit_code == 0, up.output
    assert "ics_upload calendar" in up.output and "busy blocks" in up.output
    out = runner.invoke(_app(), ["schedule", "cli-s", "--accept"], terminal_width=80)
    assert out.exit_code == 0, out.output
    assert "The week of cli-s" in out.output and "07:00–09:00" in out.output
    assert "#1" in out.output and "planned" in out.output.lower()
    assert "Plan " in out.output and "intensity" in out.output
    assert max(len(line) for line in out.output.splitlines()) <= 80
    # --json: the API's answer models; the plan just accepted is on the schedule, and
    # the busy time is the uploaded 07:00–09:00 block (local) of each day.
    js = runner.invoke(_app(), ["schedule", "cli-s", "--json"])
    assert js.exit_code == 0, js.output
    doc = json.loads(js.output)
    assert doc["userId"] == "cli-s" and doc["accepted"] is None
    assert doc["slots"]["slots"] and all(0 <= s["score"] <= 100 for s in doc["slots"]["slots"])
    assert [p["status"] for p in doc["plans"]] == ["PLANNED"]
    starts = {
        datetime.fromisoformat(b["start"]).astimezone(ZONE).strftime("%H:%M")
        for b in doc["busy"]["blocks"]
    }
    assert starts == {"07:00"}
    status = runner.invoke(_app(), ["calendar", "status", "cli-s"])
    assert status.exit_code == 0 and "synced 0 min ago" in status.output
    fed = runner.invoke(_app(), ["calendar", "feed", "cli-s"])
    assert fed.exit_code == 0 and "/v1/feeds/cli-s/twf_" in fed.output
    gone = runner.invoke(_app(), ["calendar", "disconnect", "cli-s"])
    assert gone.exit_code == 0 and "removed the ics_upload calendar" in gone.output
    assert "nothing was written to a CalDAV server" in gone.output


def test_errors_say_what_to_do(db: Database, env: None, tmp_path: Path) -> None:
    with db.session() as s:
        make_schedule_learner(s, "cli-e", utcnow(), history=False)
    bad = tmp_path / "bad.ics"
    bad.write_text("BEGIN:VCALENDAR\nBEGIN:VEVENT\nnot a line\nEND:VEVENT\nEND:VCALENDAR\n")
    runner = CliRunner()
    out = runner.invoke(_app(), ["calendar", "upload", "cli-e", str(bad)])
    assert out.exit_code == 1 and "line 3" in out.output
    # Hints name the commands that help, never the HTTP routes (issue 15).
    out = runner.invoke(_app(), ["calendar", "sync", "cli-e"])
    assert out.exit_code == 1 and "no calendar to sync" in flat(out.output)
    assert "`twin calendar connect cli-e URL`" in flat(out.output) and "/v1/" not in flat(
        out.output
    )
    out = runner.invoke(_app(), ["calendar", "status", "cli-e"])
    assert out.exit_code == 1 and "has no calendar" in flat(out.output)
    assert "`twin calendar connect cli-e URL`" in flat(out.output)
    assert "`twin calendar upload cli-e FILE`" in flat(out.output) and "/v1/" not in flat(
        out.output
    )
    for _ in range(5):
        assert runner.invoke(_app(), ["calendar", "feed", "cli-e"]).exit_code == 0
    out = runner.invoke(_app(), ["calendar", "feed", "cli-e"])
    assert out.exit_code == 1 and "5 active feed tokens" in flat(out.output), out.output
    assert "`twin calendar feed cli-e --revoke TOKEN_ID`" in flat(out.output)
    assert "/v1/" not in flat(out.output)
    out = runner.invoke(
        _app(), ["calendar", "connect", "cli-e", "https://dav.example/", "--caldav"]
    )
    assert out.exit_code == 1 and "--username" in out.output
    out = runner.invoke(_app(), ["schedule", "nobody"])
    assert out.exit_code == 1 and "no learner with id 'nobody'" in out.output
