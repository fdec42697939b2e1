"""Learners and their rights through the API: profile, privacy, export, erasure."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.db.rows import insert_one_row_everywhere
from twin.db.engine import Database
from twin.services.learners import DERIVED_TABLES

pytestmark = pytest.mark.db  # every test here uses PostgreSQL

ERASED = "erase-me"
KEPT = "keep-me"


def _rows_of(conn: sa.Connection, user_id: str) -> dict[str, int]:
    """Rows of ``user_id`` in every table of the live database with a userId column."""
    tables = [
        r[0]
        for r in conn.execute(
            sa.text(
                "SELECT table_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND column_name = 'userId'"
            )
        )
    ]
    counts = {
        t: conn.execute(
            sa.text(f'SELECT count(*) FROM "{t}" WHERE "userId" = :u'), {"u": user_id}
        ).scalar_one()
        for t in tables
    }
    counts["users"] = conn.execute(
        sa.text("SELECT count(*) FROM users WHERE id = :u"), {"u": user_id}
    ).scalar_one()
    return counts


def _fill_two_learners(db: Database) -> None:
    with db.engine.begin() as conn:
        first = insert_one_row_everywhere(conn, n=1, user_id=ERASED)
        article = {"learning_articles": first["learning_articles"]}  # a shared catalogue row
        insert_one_row_everywhere(
            conn, n=2, user_id=KEPT, skip=("learning_articles",), parents=article
        )
        conn.execute(
            sa.text(
                'UPDATE users SET "behavioralAnalysisEnabled" = true, "learningStyleProfilingEnabled" = true'
            )
        )


def test_put_get_and_list(client: TestClient, service_headers: dict[str, str]) -> None:
    created = client.put(
        "/v1/users/u1",
        json={"email": "a@example.org", "timezone": "Asia/Tokyo"},
        headers=service_headers,
    )
    assert created.status_code == 201, created.text
    assert created.json()["timezone"] == "Asia/Tokyo"
    updated = client.put("/v1/users/u1", json={"name": "Ada"}, headers=service_headers)
    assert updated.status_code == 200
    assert updated.json()["email"] == "a@example.org" and updated.json()["name"] == "Ada"
    for i in range(2, 6):
        client.put(f"/v1/users/u{i}", json={}, headers=service_headers)
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/users", params=params, headers=service_headers).json()
        seen += [u["id"] for u in page["users"]]
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert seen == ["u1", "u2", "u3", "u4", "u5"]


def test_bad_profile_fields_are_named_and_nothing_is_written(
    client: TestClient, service_headers: dict[str, str], db: Database
) -> None:
    for body, field in [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"email": "not-an-email"}, "email"),
        ({"defaultMissionMinutes": 0}, "defaultMissionMinutes"),
        ({"behavioralAnalysisEnabled": "perhaps"}, "behavioralAnalysisEnabled"),
        ({"unknownField": 1}, "unknownField"),
    ]:
        response = client.put("/v1/users/bad", json=body, headers=service_headers)
        assert response.status_code == 422, (body, response.text)
        error = response.json()["error"]
        assert error["code"] == "validation_failed"
        assert [d["field"] for d in error["details"]] == [field]
        assert field in error["message"]
    with db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM users")).scalar_one() == 0


def test_switching_analysis_off_deletes_derived_data_and_keeps_inputs(
    client: TestClient, service_headers: dict[str, str], db: Database
) -> None:
    _fill_two_learners(db)
    response = client.patch(
        f"/v1/users/{ERASED}/privacy",
        json={"behavioralAnalysisEnabled": False},
        headers=service_headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["behavioralAnalysisEnabled"] is False
    with db.engine.connect() as conn:
        mine = _rows_of(conn, ERASED)
        theirs = _rows_of(conn, KEPT)
        goal = conn.execute(
            sa.text(
                'SELECT "currentValue", "progressHistory" FROM behavioral_goals WHERE "userId" = :u'
            ),
            {"u": ERASED},
        ).one()
    for table in DERIVED_TABLES:
        assert mine[table] == 0, table
        assert body["deleted"][table] >= 1, table
        assert theirs[table] == 1, table  # another learner's data is untouched
    for raw in (
        "behavioral_events",
        "reviews",
        "study_sessions",
        "missions",
        "exams",
        "validation_responses",
    ):
        assert mine[raw] == 1, raw
    assert tuple(goal) == (0.0, [])


def test_switching_style_profiling_off_clears_the_style_profile(
    client: TestClient, service_headers: dict[str, str], db: Database
) -> None:
    _fill_two_learners(db)
    response = client.patch(
        f"/v1/users/{ERASED}/privacy",
        json={"learningStyleProfilingEnabled": False},
        headers=service_headers,
    )
    assert response.status_code == 200
    with db.engine.connect() as conn:
        profile = conn.execute(
            sa.text(
                'SELECT "contentPreferences", "learningStyleProfile" FROM user_learning_profiles WHERE "userId" = :u'
            ),
            {"u": ERASED},
        ).one()
    assert tuple(profile) == ({}, {})


def test_export_contains_everything_sent(
    client: TestClient, service_headers: dict[str, str], db: Database
) -> None:
    _fill_two_learners(db)
    response = client.get(f"/v1/users/{ERASED}/export", headers=service_headers)
    assert response.status_code == 200
    doc = json.loads(response.content)
    assert doc["userId"] == ERASED and doc["user"]["id"] == ERASED
    with db.engine.connect() as conn:
        expected = {t: n for t, n in _rows_of(conn, ERASED).items() if t != "users"}
    for table, count in expected.items():
        assert len(doc["tables"][table]) == count, table
        assert all(r["userId"] == ERASED for r in doc["tables"][table])
    for table in ("learning_objectives", "cards", "objective_prerequisites", "insight_patterns"):
        assert len(doc["tables"][table]) == 1, table
    event = doc["tables"]["behavioral_events"][0]
    assert event["timestamp"] == "2026-01-02T03:04:05.678Z"
    assert "keep-me" not in response.text


def test_erasure_leaves_no_row_anywhere(
    client: TestClient, service_headers: dict[str, str], db: Database
) -> None:
    _fill_two_learners(db)
    response = client.delete(f"/v1/users/{ERASED}", headers=service_headers)
    assert response.status_code == 200, response.text
    with db.engine.connect() as conn:
        left = {t: n for t, n in _rows_of(conn, ERASED).items() if n}
        assert left == {}, f"rows of an erased learner remain: {left}"
        # Supporting rows without a userId column went with their parents.
        for table in (
            "learning_objectives",
            "cards",
            "objective_prerequisites",
            "insight_patterns",
        ):
            assert conn.execute(sa.text(f'SELECT count(*) FROM "{table}"')).scalar_one() == 1, table
        assert all(n == 1 for n in _rows_of(conn, KEPT).values())
        # the catalogue (the inserted row and the articles migration 0012 ships) is untouched
        assert (
            conn.execute(
                sa.text("SELECT count(*) FROM learning_articles WHERE id NOT LIKE 'article-%'")
            ).scalar_one()
            == 1
        )
    assert client.get(f"/v1/users/{ERASED}", headers=service_headers).status_code == 404
    assert client.delete(f"/v1/users/{ERASED}", headers=service_headers).status_code == 404


def test_timestamps_are_utc_with_z(client: TestClient, service_headers: dict[str, str]) -> None:
    body = client.put("/v1/users/tz", json={}, headers=service_headers).json()
    assert body["createdAt"].endswith("Z") and body["updatedAt"].endswith("Z")
