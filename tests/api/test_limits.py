"""Limits on what a client may send, the order of the checks, and a commit error as the answer."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from twin.api.app import create_app
from twin.api.middleware import RateLimiter
from twin.config import DEFAULT_MAX_BODY_BYTES, Settings, load_settings
from twin.db.engine import Database
from twin.enums import CompletionQuality, EngagementLevel, EventType
from twin.errors import ConfigError
from twin.ingest.schemas import (
    MAX_BATCH_RECORDS,
    MAX_EVENT_DATA_BYTES,
    MAX_ID_LENGTH,
    MAX_NAME_LENGTH,
    EventRecord,
)
from twin.services.auth import Principal

Headers = dict[str, str]
BASE = Settings(database_url=None, data_dir=Path("/nonexistent"))


def _client(db: Database, **limits: int) -> TestClient:
    return TestClient(
        create_app(replace(BASE, **limits), database=db), raise_server_exceptions=False
    )


@pytest.fixture
def small(db: Database) -> Iterator[TestClient]:
    """An API whose bodies may have at most 2,000 bytes."""
    with _client(db, max_body_bytes=2000) as c:
        yield c


def _error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code and set(error) == {"code", "message", "details"}
    return error


# --- the body cap --------------------------------------------------------------------------


def test_a_body_over_the_cap_is_413_before_it_is_read(
    small: TestClient, service_headers: Headers
) -> None:
    small.put("/v1/users/u", json={}, headers=service_headers)
    big = {"records": [{"id": f"c{i}", "name": "x" * 50} for i in range(60)]}
    response = small.post("/v1/users/u/courses:batch", json=big, headers=service_headers)
    error = _error(response, 413, "payload_too_large")
    assert "TWIN_MAX_BODY_BYTES" in error["message"]
    assert error["details"]["limitBytes"] == 2000
    # Without credentials too: the declared length is refused before anything else.
    anonymous = small.post("/v1/users/u/courses:batch", json=big)
    _error(anonymous, 413, "payload_too_large")


def test_a_chunked_body_over_the_cap_is_413(small: TestClient, service_headers: Headers) -> None:
    small.put("/v1/users/u", json={}, headers=service_headers)
    chunks = [b'{"records": [', *([b'{"id": "c", "name": "' + b"x" * 400 + b'"},'] * 8), b"]}"]
    response = small.post(
        "/v1/users/u/courses:batch",
        content=iter(chunks),  # no Content-Length: counted as it arrives
        headers={**service_headers, "content-type": "application/json"},
    )
    _error(response, 413, "payload_too_large")
    under = small.post(
        "/v1/users/u/courses:batch",
        content=iter([b'{"records": [{"id": "c1", ', b'"name": "Anatomy"}]}']),
        headers={**service_headers, "content-type": "application/json"},
    )
    assert under.status_code == 200, under.text


def _longest(enum: type[StrEnum]) -> str:
    return max((m.value for m in enum), key=len)


def _largest_event(i: int) -> dict[str, Any]:
    """An event with every field at its longest (ASCII) and eventData at its cap."""
    record = {
        "id": f"{i:08d}".ljust(MAX_ID_LENGTH, "x"),
        "eventType": _longest(EventType),
        "timestamp": "2026-01-05T08:00:00.123+01:00",
        "completionQuality": _longest(CompletionQuality),
        "contentType": "c" * MAX_NAME_LENGTH,
        "dayOfWeek": 6,
        "difficultyLevel": "d" * MAX_NAME_LENGTH,
        "engagementLevel": _longest(EngagementLevel),
        "sessionPerformanceScore": 100,
        "timeOfDay": 23,
        "eventData": {"blob": ""},
    }
    overhead = len(json.dumps(record["eventData"], separators=(",", ":")))
    record["eventData"] = {"blob": "b" * (MAX_EVENT_DATA_BYTES - overhead)}
    return record


def test_the_default_cap_admits_the_largest_valid_events_batch_with_room() -> None:
    one = _largest_event(0)
    EventRecord.model_validate(one)  # valid, eventData exactly at its cap
    assert len(json.dumps(one["eventData"], separators=(",", ":"))) == MAX_EVENT_DATA_BYTES
    size = len(json.dumps({"records": [_largest_event(i) for i in range(MAX_BATCH_RECORDS)]}))
    # The largest events batch is ~27.6 MB; the default (32 MiB) leaves a few MB above it.
    assert size < DEFAULT_MAX_BODY_BYTES
    assert 2_000_000 <= DEFAULT_MAX_BODY_BYTES - size <= 8_000_000, size


def test_event_data_over_its_cap_is_422(
    client: TestClient, service_headers: Headers, db: Database
) -> None:
    client.put("/v1/users/u", json={}, headers=service_headers)
    at_cap = _largest_event(1)
    over = _largest_event(2)
    over["eventData"]["blob"] += "b"
    response = client.post(
        "/v1/users/u/events:batch", json={"records": [at_cap, over]}, headers=service_headers
    )
    error = _error(response, 422, "validation_failed")
    assert error["details"] == [
        {
            "index": 1,
            "field": "eventData",
            "reason": f"at most {MAX_EVENT_DATA_BYTES} bytes of JSON "
            f"(got {MAX_EVENT_DATA_BYTES + 1}); keep bulky data elsewhere",
        }
    ]
    # Bytes, not characters: 1,366 three-byte characters are 4,098 bytes.
    wide = _largest_event(3)
    wide["eventData"] = {"t": "語" * 1366}
    wide_answer = client.post(
        "/v1/users/u/events:batch", json={"records": [wide]}, headers=service_headers
    )
    assert _error(wide_answer, 422, "validation_failed")["details"][0]["field"] == "eventData"
    with db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM behavioral_events")).scalar_one() == 0
    ok = client.post(
        "/v1/users/u/events:batch", json={"records": [at_cap]}, headers=service_headers
    )
    assert ok.status_code == 200, ok.text


def test_settings_of_the_limits() -> None:
    env = {"TWIN_DATA_DIR": "/tmp/x"}
    defaults = load_settings(env)
    assert defaults.max_body_bytes == DEFAULT_MAX_BODY_BYTES
    assert defaults.rate_limit_per_minute == 0 and defaults.rate_limit_burst == 0
    custom = load_settings(
        {
            **env,
            "TWIN_MAX_BODY_BYTES": "1048576",
            "TWIN_RATE_LIMIT_PER_MINUTE": "600",
            "TWIN_RATE_LIMIT_BURST": "20",
        }
    )
    assert (custom.max_body_bytes, custom.rate_limit_per_minute, custom.rate_limit_burst) == (
        1_048_576,
        600,
        20,
    )
    for name, value in [
        ("TWIN_MAX_BODY_BYTES", "12"),
        ("TWIN_MAX_BODY_BYTES", "lots"),
        ("TWIN_RATE_LIMIT_PER_MINUTE", "-1"),
    ]:
        with pytest.raises(ConfigError, match=name):
            load_settings({**env, name: value})


# --- order of checks: credentials before the body ------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("PUT", "/v1/users/u"),
        ("POST", "/v1/tokens"),
        ("POST", "/v1/users/u/events:batch"),
        ("POST", "/v1/users/u/patterns:analyze"),
        ("POST", "/v1/users/u/cognitive-load:calculate"),
    ],
)
def test_malformed_json_without_credentials_is_401(
    client: TestClient, method: str, url: str
) -> None:
    response = client.request(
        method, url, content=b"{not json", headers={"content-type": "application/json"}
    )
    _error(response, 401, "unauthorized")


def test_a_learner_token_elsewhere_is_403_before_its_body_is_read(
    client: TestClient, service_headers: Headers, learner_headers: Callable[..., Headers]
) -> None:
    client.put("/v1/users/a", json={}, headers=service_headers)
    response = client.put(
        "/v1/users/b",
        content=b"{not json",
        headers={**learner_headers("a"), "content-type": "application/json"},
    )
    _error(response, 403, "forbidden")


# --- strict request models ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url", "body", "field"),
    [
        ("POST", "/v1/tokens", {"userId": "u", "ttlSeconds": "60"}, "ttlSeconds"),
        ("POST", "/v1/tokens", {"userId": "u", "ttlSeconds": True}, "ttlSeconds"),
        ("POST", "/v1/tokens", {"userId": "u", "ttlSeconds": 60.5}, "ttlSeconds"),
        ("POST", "/v1/tokens", {"userId": 7}, "userId"),
        ("PUT", "/v1/users/u", {"defaultMissionMinutes": "30"}, "defaultMissionMinutes"),
        ("PUT", "/v1/users/u", {"behavioralAnalysisEnabled": "yes"}, "behavioralAnalysisEnabled"),
        ("PUT", "/v1/users/u", {"shareAnonymizedPatterns": 1}, "shareAnonymizedPatterns"),
        ("PATCH", "/v1/users/u/privacy", {"behavioralAnalysisEnabled": "false"}, None),
        ("POST", "/v1/users/u/patterns:analyze", {"force": "yes"}, "force"),
        ("POST", "/v1/users/u/predictions:generate", {"daysAhead": "7"}, "daysAhead"),
        ("POST", "/v1/users/u/predictions/p/feedback", {"actualStruggle": "true"}, None),
        (
            "POST",
            "/v1/users/u/cognitive-load:calculate",
            {"responseLatencies": ["900"], "errors": 0, "durationMinutes": 5},
            "responseLatencies.0",
        ),
        (
            "POST",
            "/v1/users/u/cognitive-load:calculate",
            {"responseLatencies": [900], "errors": "0", "durationMinutes": 5},
            "errors",
        ),
        (
            "POST",
            "/v1/users/u/cognitive-load:calculate",
            {"responseLatencies": [900], "errors": 0, "durationMinutes": "5"},
            "durationMinutes",
        ),
        (
            "POST",
            "/v1/users/u/cognitive-load:calculate",
            {"responseLatencies": [900], "errors": 0, "durationMinutes": 5, "dryRun": "yes"},
            "dryRun",
        ),
    ],
)
def test_numbers_and_flags_given_as_strings_are_refused(
    client: TestClient,
    service_headers: Headers,
    method: str,
    url: str,
    body: dict[str, Any],
    field: str | None,
) -> None:
    client.put("/v1/users/u", json={}, headers=service_headers)
    response = client.request(method, url, json=body, headers=service_headers)
    error = _error(response, 422, "validation_failed")
    expected = field or next(iter(body))
    assert expected in [d["field"] for d in error["details"]], error


def test_integers_written_with_a_zero_fraction_are_integers(
    client: TestClient, service_headers: Headers
) -> None:
    """JSON Schema counts 8388609.0 as an integer; so does the API."""
    put = client.put("/v1/users/u", json={"defaultMissionMinutes": 30.0}, headers=service_headers)
    assert put.status_code == 201 and put.json()["defaultMissionMinutes"] == 30
    token = client.post(
        "/v1/tokens", json={"userId": "u", "ttlSeconds": 600.0}, headers=service_headers
    )
    assert token.status_code == 201, token.text
    session = {
        "id": "s1",
        "startedAt": "2026-01-05T08:00:00Z",
        "durationMs": 8388609.0,
        "reviewsCompleted": 3.0,
    }
    batch = client.post(
        "/v1/users/u/sessions:batch", json={"records": [session]}, headers=service_headers
    )
    assert batch.status_code == 200, batch.text
    review_event = {
        "id": "e1",
        "eventType": "CARD_REVIEWED",
        "timestamp": "2026-01-05T08:00:00Z",
        "timeOfDay": 8.0,
    }
    events = client.post(
        "/v1/users/u/events:batch", json={"records": [review_event]}, headers=service_headers
    )
    assert events.status_code == 200, events.text
    listed = client.get("/v1/users/u/events", headers=service_headers).json()["events"]
    assert listed[0]["timeOfDay"] == 8


# --- the learner token after an erasure -----------------------------------------------------


def test_a_learner_token_cannot_bring_its_erased_learner_back(
    client: TestClient,
    service_headers: Headers,
    learner_headers: Callable[..., Headers],
    db: Database,
) -> None:
    assert client.put("/v1/users/gone", json={}, headers=service_headers).status_code == 201
    own = learner_headers("gone")
    assert client.put("/v1/users/gone", json={"name": "Ada"}, headers=own).status_code == 200
    assert client.delete("/v1/users/gone", headers=own).status_code == 200
    again = client.put("/v1/users/gone", json={"name": "Ada"}, headers=own)
    assert _error(again, 404, "not_found")
    upload = client.post(
        "/v1/users/gone/imports/revlog",
        files={"file": ("r.csv", b"card_id,review_rating,review_time,review_duration\n")},
        headers=own,
    )
    _error(upload, 404, "not_found")
    with db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM users")).scalar_one() == 0
    # The platform (a service key) may create the learner anew.
    assert client.put("/v1/users/gone", json={}, headers=service_headers).status_code == 201


# --- rate limiting ---------------------------------------------------------------------------


def test_rate_limiting_is_per_credential_with_retry_after(
    db: Database, service_headers: Headers, learner_headers: Callable[..., Headers]
) -> None:
    with _client(db, rate_limit_per_minute=6, rate_limit_burst=3) as limited:
        assert limited.put("/v1/users/a", json={}, headers=service_headers).status_code == 201
        for _ in range(2):
            assert limited.get("/v1/users/a", headers=service_headers).status_code == 200
        refused = limited.get("/v1/users/a", headers=service_headers)
        error = _error(refused, 429, "too_many_requests")
        # 6 a minute: the next request is possible 10 s after the bucket ran dry.
        assert refused.headers["retry-after"] == "10" == str(error["details"]["retryAfterSeconds"])
        # Another credential has its own allowance; open routes none at all.
        assert limited.get("/v1/users/a", headers=learner_headers("a")).status_code == 200
        assert all(limited.get("/healthz").status_code == 200 for _ in range(5))


def test_no_rate_limit_by_default(client: TestClient, service_headers: Headers) -> None:
    client.put("/v1/users/a", json={}, headers=service_headers)
    assert all(
        client.get("/v1/users/a", headers=service_headers).status_code == 200 for _ in range(100)
    )


def test_the_token_bucket_refills_at_the_configured_rate() -> None:
    now = [0.0]
    limiter = RateLimiter(per_minute=60, burst=2, clock=lambda: now[0])
    key = Principal(kind="service", name="k")
    limiter.check(key)
    limiter.check(key)
    with pytest.raises(Exception, match="retry in 1 s"):
        limiter.check(key)
    now[0] += 1.0  # one request a second comes back
    limiter.check(key)
    with pytest.raises(Exception, match="too many requests"):
        limiter.check(key)
    now[0] += 10.0  # never more than the burst
    limiter.check(key)
    limiter.check(key)
    with pytest.raises(Exception, match="too many requests"):
        limiter.check(key)
    assert not RateLimiter(per_minute=0).enabled


# --- a commit error is the answer ------------------------------------------------------------


def test_a_failed_commit_is_the_answer_not_a_2xx(
    client: TestClient, service_headers: Headers, db: Database
) -> None:
    """A constraint checked at COMMIT fails: the client hears about it, nothing is stored."""
    with db.engine.begin() as conn:
        conn.execute(
            sa.text(
                "CREATE FUNCTION refuse_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$ "
                "BEGIN RAISE EXCEPTION 'refused at commit' USING ERRCODE = 'check_violation'; "
                "END $$"
            )
        )
        conn.execute(
            sa.text(
                "CREATE CONSTRAINT TRIGGER refuse_at_commit AFTER INSERT ON users "
                "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_at_commit()"
            )
        )
    response = client.put("/v1/users/u", json={}, headers=service_headers)
    _error(response, 409, "conflict")
    with db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM users")).scalar_one() == 0
