"""Signed operator sessions and CSRF tokens (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from twin.ui.session import (
    OPERATOR_SESSION_SECONDS,
    SessionInvalid,
    csrf_token,
    csrf_valid,
    operator_cookie,
    read_operator_cookie,
    ui_key,
)

KEY = ui_key(b"engine-secret")
NOW = datetime(2026, 12, 7, 9, 0)


def test_operator_cookie_round_trip_and_expiry() -> None:
    cookie, max_age = operator_cookie(KEY, "ops", "d" * 64, NOW)
    assert max_age == OPERATOR_SESSION_SECONDS
    assert read_operator_cookie(KEY, cookie, NOW + timedelta(hours=1)) == ("ops", "d" * 64)
    # Naive and aware clocks agree (naive is UTC, the engine's convention).
    assert read_operator_cookie(KEY, cookie, NOW.replace(tzinfo=UTC)) == ("ops", "d" * 64)
    with pytest.raises(SessionInvalid) as err:
        read_operator_cookie(KEY, cookie, NOW + timedelta(seconds=OPERATOR_SESSION_SECONDS))
    assert err.value.reason == "expired"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda c: c[:-2] + ("AA" if not c.endswith("AA") else "BB"),  # signature
        lambda c: c.replace("tws_", "tws_x", 1),  # payload
        lambda c: c.split(".")[0],  # no signature
        lambda c: "tws_%%%.%%%",
    ],
)
def test_operator_cookie_tampering_is_refused(tamper: object) -> None:
    cookie, _ = operator_cookie(KEY, "ops", "d" * 64, NOW)
    with pytest.raises(SessionInvalid) as err:
        read_operator_cookie(KEY, tamper(cookie), NOW)  # type: ignore[operator]
    assert err.value.reason == "invalid"
    other_key = ui_key(b"another-engine")
    with pytest.raises(SessionInvalid):
        read_operator_cookie(other_key, cookie, NOW)


def test_csrf_token_is_bound_to_browser_and_session() -> None:
    token = csrf_token(KEY, "browser-1", "session-1")
    assert csrf_valid(KEY, token, "browser-1", "session-1")
    assert not csrf_valid(KEY, token, "browser-2", "session-1")  # another browser
    assert not csrf_valid(KEY, token, "browser-1", "session-2")  # after signing in again
    assert not csrf_valid(KEY, "", "browser-1", "session-1")
    assert not csrf_valid(KEY, token, "", "session-1")
    assert not csrf_valid(ui_key(b"x"), token, "browser-1", "session-1")
