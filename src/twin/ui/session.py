"""Dashboard sessions and CSRF tokens: signed cookies, no server-side state.

A learner's session cookie is the learner token they signed in with (signed and expiring
already; verified by :func:`twin.services.auth.verify_learner_token` on every request).
An operator's session cookie is signed here and carries the SHA-256 digest of the service
key, never the key, so revoking the key ends the session. Forms carry a CSRF token: an
HMAC of a random per-browser cookie and the session cookie, so a token from another
browser or from before a sign-in is refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

SESSION_COOKIE = "twin_ui_session"
CSRF_COOKIE = "twin_ui_csrf"
COOKIE_PATH = "/ui"
OPERATOR_PREFIX = "tws_"
OPERATOR_SESSION_SECONDS = 8 * 3600
CSRF_FIELD = "csrf"
UI_KEY_LABEL = b"twin-ui/v1"
CSRF_COOKIE_BYTES = 32


SignInReason = Literal["required", "expired", "invalid", "signed-out", "erased", "revoked"]


class SessionInvalid(Exception):
    """The session cookie is missing, forged or expired; ``reason`` picks the sign-in message."""

    def __init__(self, reason: SignInReason) -> None:
        super().__init__(reason)
        self.reason: SignInReason = reason


SIGN_IN_MESSAGES: dict[str, str] = {
    "required": "Please sign in to see the dashboard.",
    "expired": "Your session has ended. Open a new dashboard link, or sign in again.",
    "invalid": "That sign-in link or session is not valid. Ask for a new dashboard link.",
    "signed-out": "You are signed out.",
    "erased": "Your data has been erased and you are signed out.",
    "revoked": "The service key of this session was revoked. Sign in with a valid key.",
}


@dataclass(frozen=True)
class Viewer:
    """Who is looking: a learner (only their own pages) or an operator (any page)."""

    kind: Literal["learner", "operator"]
    name: str
    user_id: str | None
    cookie: str

    @property
    def is_operator(self) -> bool:
        """True for a service-key session."""
        return self.kind == "operator"


def ui_key(token_secret: bytes) -> bytes:
    """The dashboard's own signing key, derived from the engine's token secret."""
    return hmac.new(token_secret, UI_KEY_LABEL, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, message: str) -> str:
    return _b64(hmac.new(key, message.encode(), hashlib.sha256).digest())


def _epoch(ts: datetime) -> int:
    """Seconds since the epoch; naive timestamps are UTC (the engine's convention)."""
    return int((ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts).timestamp())


def operator_cookie(key: bytes, name: str, key_digest: str, now: datetime) -> tuple[str, int]:
    """A signed operator session for the key called ``name``; returns (cookie, max age seconds)."""
    issued = _epoch(now)
    payload = {
        "sub": name,
        "kd": key_digest,
        "iat": issued,
        "exp": issued + OPERATOR_SESSION_SECONDS,
    }
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    return f"{OPERATOR_PREFIX}{body}.{_mac(key, body)}", OPERATOR_SESSION_SECONDS


def read_operator_cookie(key: bytes, cookie: str, now: datetime) -> tuple[str, str]:
    """(key name, key digest) of a valid operator session; SessionInvalid otherwise."""
    try:
        body, signature = cookie.removeprefix(OPERATOR_PREFIX).split(".", 1)
        if not hmac.compare_digest(_mac(key, body), signature):
            raise SessionInvalid("invalid")
        payload = json.loads(_unb64(body))
        name, digest, expires = str(payload["sub"]), str(payload["kd"]), int(payload["exp"])
    except (ValueError, KeyError, TypeError):
        raise SessionInvalid("invalid") from None
    if expires <= _epoch(now):
        raise SessionInvalid("expired")
    return name, digest


def new_csrf_cookie() -> str:
    """A random per-browser value the CSRF tokens are bound to."""
    return secrets.token_urlsafe(CSRF_COOKIE_BYTES)


def csrf_token(key: bytes, csrf_cookie: str, session_cookie: str) -> str:
    """The token forms must send back: bound to this browser and this session."""
    return _mac(key, f"csrf|{csrf_cookie}|{session_cookie}")


def csrf_valid(key: bytes, submitted: str, csrf_cookie: str, session_cookie: str) -> bool:
    """True when ``submitted`` is the token of this browser and session."""
    if not submitted or not csrf_cookie:
        return False
    return hmac.compare_digest(submitted, csrf_token(key, csrf_cookie, session_cookie))
