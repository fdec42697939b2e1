"""``twin learners list`` and ``twin keys …``, and the demo's key that is reused by name."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from typer.testing import CliRunner

from tests.cli.test_messages import fits
from twin.cli import app
from twin.clock import utcnow
from twin.db.engine import Database
from twin.db.models import StudySession, User
from twin.errors import Unauthorized
from twin.services import auth

pytestmark = pytest.mark.db  # every test here uses PostgreSQL

runner = CliRunner()


@pytest.fixture
def env(db: Database, monkeypatch: pytest.MonkeyPatch) -> Database:
    monkeypatch.setenv("TWIN_DATABASE_URL", db.url)
    return db


def _add(db: Database, uid: str, *, name: str | None = None, sessions: int = 0) -> None:
    start = datetime(2026, 3, 1, 9, 0)
    with db.session() as s:
        s.add(User(id=uid, name=name, email=f"{uid}@example.org", timezone="Europe/Berlin"))
        s.flush()
        for i in range(sessions):
            at = start + timedelta(days=i)
            s.add(
                StudySession(
                    id=f"{uid}-s{i}", userId=uid, startedAt=at, completedAt=at, durationMs=1
                )
            )


def test_learners_list_searches_ids_and_names(env: Database) -> None:
    _add(env, "anna", name="Anna Berg", sessions=3)
    _add(env, "bob_1", name="Bob", sessions=0)
    _add(env, "bobx1")
    listed = runner.invoke(app, ["learners", "list"])
    assert listed.exit_code == 0, listed.output
    assert fits(listed.output) == []
    for text in ("anna", "bob_1", "bobx1", "Europe/Berlin", "2026-03-03 09:00", "never"):
        assert text in listed.output, text
    by_name = runner.invoke(app, ["learners", "list", "--search", "BERG"])
    assert "anna" in by_name.output and "bob" not in by_name.output
    # "_" is a literal character, not LIKE's any-character
    literal = json.loads(runner.invoke(app, ["learners", "list", "-s", "b_1", "--json"]).stdout)
    assert [r["id"] for r in literal["learners"]] == ["bob_1"]
    assert literal["learners"][0]["sessions"] == 0
    first = json.loads(runner.invoke(app, ["learners", "list", "-n", "1", "--json"]).stdout)
    assert [r["id"] for r in first["learners"]] == ["anna"] and first["more"] is True
    assert "--limit shows more" in runner.invoke(app, ["learners", "list", "-n", "1"]).output
    none = runner.invoke(app, ["learners", "list", "-s", "zzz"])
    assert none.exit_code == 0 and "no learner matches 'zzz'" in none.output


def test_keys_create_list_revoke(env: Database) -> None:
    assert "no service key yet" in runner.invoke(app, ["keys", "list"]).output
    created = runner.invoke(app, ["keys", "create", "platform"])
    assert created.exit_code == 0 and "twk_" in created.output
    revoked = runner.invoke(app, ["keys", "revoke", "platform"])
    assert revoked.exit_code == 0
    taken = runner.invoke(app, ["keys", "create", "platform"])
    assert taken.exit_code == 1 and "revoked keys keep their name" in taken.output
    keys = json.loads(runner.invoke(app, ["keys", "list", "--json"]).stdout)["keys"]
    assert [k["name"] for k in keys] == ["platform"] and keys[0]["revokedAt"] is not None
    missing = runner.invoke(app, ["keys", "revoke", "nope"])
    assert missing.exit_code == 1 and "no API key named 'nope'" in missing.output


def test_a_rotated_key_reuses_its_row_and_kills_the_old_secret(env: Database) -> None:
    now = utcnow()
    with env.session() as s:
        first_row, first = auth.rotate_api_key(s, "demo", now)  # created when absent
        first_id = first_row.id
    with env.session() as s:
        auth.revoke_api_key(s, "demo", now)  # the demo stopped
    with env.session() as s:
        row, second = auth.rotate_api_key(s, "demo", now + timedelta(minutes=5))
        assert row.id == first_id and row.revokedAt is None and second != first
    with env.session() as s:
        assert len(auth.list_api_keys(s)) == 1  # runs do not pile up keys
        assert auth.authenticate_service_key(s, second).name == "demo"
        with pytest.raises(Unauthorized):
            auth.authenticate_service_key(s, first)
