"""No server error on any input: the malformed requests of issue #12, each a 4xx naming its field.

Each of these answered 500 or dropped the connection before; each must now be a 4xx
with the error envelope ``{"error": {"code", "message", "details"}}`` whose details
name the field, and write nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import quote

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from twin.db.engine import Database
from twin.ingest.schemas import ID_JSON_SCHEMA, id_problem

Headers = dict[str, str]
LEARNER = "learner-1"


@pytest.fixture
def learner(client: TestClient, service_headers: Headers) -> str:
    created = client.put(f"/v1/users/{LEARNER}", json={}, headers=service_headers)
    assert created.status_code == 201, created.text
    return LEARNER


def _fields(response: httpx.Response, status: int = 422) -> list[str]:
    """The fields an error answer names (and that it has the envelope)."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"code", "message", "details"}
    assert isinstance(error["details"], list) and error["details"], error
    return [d["field"] for d in error["details"]]


def test_a_100000_deep_json_array_is_422_not_a_recursion_error(
    client: TestClient, service_headers: Headers, learner: str
) -> None:
    depth = 100_000
    body = b'{"records": ' + b"[" * depth + b"]" * depth + b"}"
    response = client.post(
        f"/v1/users/{learner}/events:batch",
        content=body,
        headers={**service_headers, "content-type": "application/json"},
    )
    assert _fields(response) == ["body"]
    assert "nested deeper than 200 levels" in response.json()["error"]["message"]
    # The same body on a route whose body FastAPI itself validates.
    put = client.put(
        f"/v1/users/{learner}",
        content=b"[" * depth + b"]" * depth,
        headers={**service_headers, "content-type": "application/json"},
    )
    assert _fields(put) == ["body"]


# Valid RFC 3339 texts whose UTC value (or a span around them) leaves Python's calendar.
OVERFLOWING = ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00Z")


@pytest.mark.parametrize("value", OVERFLOWING)
@pytest.mark.parametrize(
    ("path", "param"),
    [
        ("/v1/users/{u}/events", "since"),
        ("/v1/users/{u}/events", "until"),
        ("/v1/users/{u}/cognitive-load/history", "from"),
        ("/v1/users/{u}/cognitive-load/history", "to"),
        ("/v1/users/{u}/cards/some-card/recall", "at"),
    ],
)
def test_timestamps_at_the_ends_of_the_calendar_are_422(
    client: TestClient, service_headers: Headers, learner: str, path: str, param: str, value: str
) -> None:
    url = path.format(u=learner)
    response = client.get(url, params={param: value}, headers=service_headers)
    assert _fields(response) == [f"query.{param}"]
    assert "year must be between 1900 and 2999" in response.json()["error"]["message"]


def test_an_overflowing_record_timestamp_is_422(
    client: TestClient, service_headers: Headers, learner: str
) -> None:
    event = {"id": "e1", "eventType": "CARD_REVIEWED", "timestamp": OVERFLOWING[0]}
    response = client.post(
        f"/v1/users/{learner}/events:batch", json={"records": [event]}, headers=service_headers
    )
    assert _fields(response) == ["timestamp"]
    assert response.json()["error"]["details"][0]["index"] == 0


def test_a_5000_character_timezone_is_422(
    client: TestClient, service_headers: Headers, db: Database
) -> None:
    response = client.put("/v1/users/tz", json={"timezone": "A" * 5000}, headers=service_headers)
    assert _fields(response) == ["timezone"]
    # Not a file name either: the name is looked up, never opened.
    for name in ("../../../etc/passwd", "Europe/Berlin/../../x", "Europe/Berlin\x00"):
        bad = client.put("/v1/users/tz", json={"timezone": name}, headers=service_headers)
        assert bad.status_code == 422, (name, bad.text)
    upload = client.post(
        "/v1/users/tz/imports/revlog",
        files={"file": ("r.csv", b"card_id,review_rating,review_time,review_duration\n")},
        data={"timezone": "A" * 5000},
        headers=service_headers,
    )
    assert _fields(upload) == ["timezone"]
    with db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM users")).scalar_one() == 0


def test_nul_in_ids_paths_and_cursors_is_422(
    client: TestClient, service_headers: Headers, learner: str
) -> None:
    assert _fields(client.put("/v1/users/a%00b", json={}, headers=service_headers)) == [
        "path.userId"
    ]
    recall = client.get(f"/v1/users/{learner}/cards/a%00b/recall", headers=service_headers)
    assert _fields(recall) == ["path.cardId"]
    users = client.get("/v1/users", params={"cursor": "a\x00b"}, headers=service_headers)
    assert _fields(users) == ["query.cursor"]
    events = client.get(
        f"/v1/users/{learner}/events", params={"cursor": "eyJ\x00"}, headers=service_headers
    )
    assert _fields(events) == ["query.cursor"]
    record = client.post(
        f"/v1/users/{learner}/courses:batch",
        json={"records": [{"id": "c\x00", "name": "x"}]},
        headers=service_headers,
    )
    assert _fields(record) == ["id"]
    text = client.put(f"/v1/users/{learner}", json={"name": "a\x00b"}, headers=service_headers)
    assert _fields(text) == ["name"]


def test_nul_anywhere_in_a_json_body_is_named(
    client: TestClient, service_headers: Headers, learner: str
) -> None:
    event = {
        "id": "e1",
        "eventType": "CARD_REVIEWED",
        "timestamp": "2026-01-05T08:00:00Z",
        "eventData": {"note": ["ok", "a\x00"]},
    }
    response = client.post(
        f"/v1/users/{learner}/events:batch", json={"records": [event]}, headers=service_headers
    )
    assert _fields(response) == ["eventData.note.1"]
    assert response.json()["error"]["details"][0]["index"] == 0


def test_numbers_beyond_a_float_are_422(
    client: TestClient, service_headers: Headers, learner: str
) -> None:
    body = (
        b'{"records": [{"id": "e1", "eventType": "CARD_REVIEWED", '
        b'"timestamp": "2026-01-05T08:00:00Z", "eventData": {"x": 1e400}}]}'
    )
    response = client.post(
        f"/v1/users/{learner}/events:batch",
        content=body,
        headers={**service_headers, "content-type": "application/json"},
    )
    assert _fields(response) == ["eventData.x"]
    nan = client.put(
        f"/v1/users/{learner}",
        content=b'{"defaultMissionMinutes": NaN}',
        headers={**service_headers, "content-type": "application/json"},
    )
    assert _fields(nan) == ["body"]


def test_unpaired_surrogates_in_json_are_422(
    client: TestClient, service_headers: Headers, learner: str
) -> None:
    response = client.put(
        f"/v1/users/{learner}",
        content=b'{"name": "\\ud800"}',
        headers={**service_headers, "content-type": "application/json"},
    )
    assert _fields(response) == ["body"]


def test_a_non_ascii_learner_id_exports_with_a_safe_file_name(
    client: TestClient, service_headers: Headers
) -> None:
    uid = "ünïcødé-学习者"
    assert client.put(f"/v1/users/{quote(uid)}", json={}, headers=service_headers).is_success
    response = client.get(f"/v1/users/{quote(uid)}/export", headers=service_headers)
    assert response.status_code == 200
    disposition = response.headers["content-disposition"]
    disposition.encode("ascii")  # header values must be plain ASCII
    assert 'filename="twin-export-' in disposition
    assert f"filename*=UTF-8''{quote('twin-export-' + uid + '.json', safe='')}" in disposition
    assert response.json()["userId"] == uid


def test_a_newline_in_an_id_is_refused_where_ids_enter(
    client: TestClient, service_headers: Headers, learner: str
) -> None:
    put = client.put("/v1/users/a%0Ab", json={}, headers=service_headers)
    assert _fields(put) == ["path.userId"]
    assert "'\\n'" in put.json()["error"]["message"]
    record = client.post(
        f"/v1/users/{learner}/courses:batch",
        json={"records": [{"id": "a\nb", "name": "x"}]},
        headers=service_headers,
    )
    assert _fields(record) == ["id"]
    token = client.post("/v1/tokens", json={"userId": "a\nb"}, headers=service_headers)
    assert _fields(token) == ["userId"]


def _paths_with_ids(client: TestClient) -> list[tuple[str, str, list[str]]]:
    spec = client.get("/openapi.json").json()
    found = []
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            names = [p["name"] for p in op.get("parameters", []) if p["in"] == "path"]
            if names:
                found.append((method.upper(), path, names))
    return found


@pytest.mark.parametrize("bad", ["a%00b", "a%0Ab", "a%C2%85b", "%2E", "%2E%2E", "x" * 201])
def test_every_path_id_follows_the_id_alphabet(
    client: TestClient, service_headers: Headers, learner: str, bad: str
) -> None:
    routes = _paths_with_ids(client)
    assert len(routes) >= 30
    for method, template, names in routes:
        for name in names:
            url = re.sub(r"\{([^}]+)\}", lambda m, n=name: bad if m[1] == n else learner, template)
            response = client.request(method, url, headers=service_headers)
            if bad in ("%2E", "%2E%2E") and response.status_code in (404, 405):
                continue  # the client or router resolved the dot segment: no route to reach
            assert response.status_code == 422, (method, template, name, response.text)
            fields = [d["field"] for d in response.json()["error"]["details"]]
            assert f"path.{name}" in fields, (method, template, fields)


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("a", True),
        ("Üben 1", True),
        ("...", True),
        ("x" * 200, True),
        ("", False),
        ("x" * 201, False),
        (".", False),
        ("..", False),
        ("a/b", False),
        ("a\tb", False),
        ("a\u2028b", False),
        ("a\x85b", False),
        ("a\x7fb", False),
    ],
)
def test_the_id_alphabet_and_its_json_schema_agree(value: str, ok: bool) -> None:
    """id_problem (the check) and ID_JSON_SCHEMA (the documented rule) accept the same ids."""
    pattern = re.compile(ID_JSON_SCHEMA["pattern"].encode().decode("unicode_escape"))
    by_schema = (
        ID_JSON_SCHEMA["minLength"] <= len(value) <= ID_JSON_SCHEMA["maxLength"]
        and pattern.search(value) is not None
        and value not in ID_JSON_SCHEMA["not"]["enum"]
    )
    assert (id_problem(value) is None) is ok
    assert by_schema is ok


def test_header_values_are_built_from_any_id(
    client: TestClient, service_headers: Headers, learner_headers: Callable[..., Headers]
) -> None:
    """Every id the alphabet admits gives a legal Content-Disposition."""
    for uid in ('quo"te', "semi;colon", "back\\slash", "tab\u00a0nbsp", "emoji-🙂"):
        created = client.put(f"/v1/users/{quote(uid, safe='')}", json={}, headers=service_headers)
        assert created.status_code == 201, (uid, created.text)
        response = client.get(f"/v1/users/{quote(uid, safe='')}/export", headers=service_headers)
        assert response.status_code == 200, (uid, response.text)
        value = response.headers["content-disposition"]
        value.encode("ascii")
        assert re.fullmatch(r'attachment; filename="[A-Za-z0-9._-]+"; filename\*=\S+', value)
