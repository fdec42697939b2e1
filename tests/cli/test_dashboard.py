"""``twin dashboard-link USER`` prints a working sign-in link."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from twin.api.app import create_app
from twin.cli import app
from twin.db.engine import Database
from twin.services import learners as users_service

pytestmark = pytest.mark.db  # every test here uses PostgreSQL


def test_link_signs_the_learner_in(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWIN_DATABASE_URL", db.url)
    with db.session() as s:
        users_service.upsert_user(s, "ada", {"name": "Ada"})
    runner = CliRunner()
    result = runner.invoke(
        app, ["dashboard-link", "ada", "--base-url", "http://example.test:9000/"]
    )
    assert result.exit_code == 0, result.output
    link = urlsplit(result.output.strip())
    assert (link.scheme, link.netloc, link.path) == ("http", "example.test:9000", "/ui/signin")
    token = parse_qs(link.query)["token"][0]
    with TestClient(create_app(database=db), follow_redirects=False) as client:
        assert client.get("/ui/signin", params={"token": token}).status_code == 303
        assert client.get("/ui").headers["location"] == "/ui/learners/ada"
    unknown = runner.invoke(app, ["dashboard-link", "nobody"])
    assert unknown.exit_code == 1 and "no learner" in unknown.output
    too_long = runner.invoke(app, ["dashboard-link", "ada", "--ttl", "100000"])
    assert too_long.exit_code == 1 and "ttlSeconds" in too_long.output
