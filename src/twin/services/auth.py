"""Credentials: service API keys (hash stored) and signed, expiring learner tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from twin.analysis.common import naive_utc
from twin.db.models import ApiKey, EngineSecret
from twin.errors import Conflict, NotFound, Unauthorized, ValidationFailed

SERVICE_KEY_PREFIX = "twk_"
LEARNER_TOKEN_PREFIX = "twl_"
TOKEN_SECRET_ID = "learner-token-hmac-sha256"
MAX_TOKEN_TTL_SECONDS = 86_400
KEY_CACHE_SECONDS = 10.0
KEY_NAME_MAX_CHARS = 100


class TokenExpired(Unauthorized):
    """A well-formed, correctly signed learner token past its expiry."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: a service (may act for any learner) or one learner."""

    kind: str  # "service" | "learner"
    name: str  # key name, or the learner's id
    user_id: str | None = None

    @property
    def is_service(self) -> bool:
        """True for a service API key."""
        return self.kind == "service"


def hash_key(key: str) -> str:
    """SHA-256 hex digest of an API key (keys are random, so no salt is needed)."""
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_key(session: Session, name: str) -> tuple[ApiKey, str]:
    """Create a key called ``name``; return the row and the plaintext key (shown once)."""
    name = name.strip()
    if not name or len(name) > KEY_NAME_MAX_CHARS:
        raise ValidationFailed(
            f"key name must be 1–{KEY_NAME_MAX_CHARS} characters",
            details=[{"index": None, "field": "name", "reason": "empty or too long"}],
        )
    if session.scalar(sa.select(ApiKey).where(ApiKey.name == name)) is not None:
        raise Conflict(f"an API key named {name!r} exists already; revoke it or pick another name")
    plaintext = SERVICE_KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(name=name, keyHash=hash_key(plaintext), keyPrefix=plaintext[:10])
    session.add(row)
    session.flush()
    return row, plaintext


def rotate_api_key(session: Session, name: str, now: datetime) -> tuple[ApiKey, str]:
    """A fresh secret for the key called ``name``, created when absent; return row and plaintext.

    The row (and so the name) is reused: the old secret stops working at once and a
    revoked key is live again. For a key that is replaced on every run (``twin demo``'s),
    so that runs do not pile up keys.
    """
    row = session.scalar(sa.select(ApiKey).where(ApiKey.name == name.strip()))
    if row is None:
        return create_api_key(session, name)
    plaintext = SERVICE_KEY_PREFIX + secrets.token_urlsafe(32)
    row.keyHash = hash_key(plaintext)
    row.keyPrefix = plaintext[:10]
    row.createdAt = naive_utc(now)
    row.revokedAt = None
    session.flush()
    return row, plaintext


def list_api_keys(session: Session) -> list[ApiKey]:
    """Every key, newest first (hashes only)."""
    return list(session.scalars(sa.select(ApiKey).order_by(ApiKey.createdAt.desc())))


def revoke_api_key(session: Session, name: str, now: datetime) -> ApiKey:
    """Revoke the key called ``name`` at ``now`` (kept for the record, unusable from then on)."""
    row = session.scalar(sa.select(ApiKey).where(ApiKey.name == name))
    if row is None:
        raise NotFound(f"no API key named {name!r}")
    if row.revokedAt is None:
        row.revokedAt = naive_utc(now)
    return row


class KeyCache:
    """A short-lived cache of key lookups so each request does not cost a query."""

    def __init__(self, ttl_seconds: float = KEY_CACHE_SECONDS) -> None:
        self.ttl = ttl_seconds
        self._entries: dict[str, tuple[float, str | None]] = {}
        self._lock = threading.Lock()

    def get(self, digest: str) -> tuple[bool, str | None]:
        """(hit, key name or None for a known-bad key)."""
        with self._lock:
            entry = self._entries.get(digest)
            if entry is None or entry[0] < time.monotonic():
                return False, None
            return True, entry[1]

    def put(self, digest: str, name: str | None) -> None:
        """Remember a lookup."""
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[digest] = (time.monotonic() + self.ttl, name)


def authenticate_service_key(
    session: Session, key: str, cache: KeyCache | None = None
) -> Principal:
    """The service principal of a valid, unrevoked key; Unauthorized otherwise."""
    return authenticate_key_digest(session, hash_key(key), cache)


def authenticate_key_digest(
    session: Session, digest: str, cache: KeyCache | None = None
) -> Principal:
    """The service principal of the unrevoked key with this SHA-256 digest; Unauthorized otherwise.

    Lets a signed session (the dashboard's operator cookie) hold the digest, never the key,
    and still end the moment the key is revoked.
    """
    hit, name = cache.get(digest) if cache else (False, None)
    if not hit:
        row = session.execute(
            sa.select(ApiKey.name).where(ApiKey.keyHash == digest, ApiKey.revokedAt.is_(None))
        ).first()
        name = row[0] if row else None
        if cache:
            cache.put(digest, name)
    if name is None:
        raise Unauthorized("invalid or revoked API key")
    return Principal(kind="service", name=name)


def token_secret(session: Session, configured: str | None) -> bytes:
    """The token signing key: the configured one (``Settings.secret_key``), else one generated once and kept in the database."""
    if configured:
        return configured.encode()
    session.execute(
        pg_insert(EngineSecret)
        .values(id=TOKEN_SECRET_ID, value=secrets.token_hex(32))
        .on_conflict_do_nothing(index_elements=["id"])
    )
    value = session.scalar(sa.select(EngineSecret.value).where(EngineSecret.id == TOKEN_SECRET_ID))
    assert value is not None
    return value.encode()


def _epoch(ts: datetime) -> int:
    """Seconds since the epoch; naive timestamps are UTC (the storage convention)."""
    return int((ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts).timestamp())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue_learner_token(
    secret: bytes, user_id: str, ttl_seconds: int, now: datetime
) -> tuple[str, int]:
    """A token bound to ``user_id`` valid for ``ttl_seconds``; returns (token, expiry epoch seconds)."""
    if not 1 <= ttl_seconds <= MAX_TOKEN_TTL_SECONDS:
        raise ValidationFailed(
            f"ttlSeconds must be between 1 and {MAX_TOKEN_TTL_SECONDS}",
            details=[{"index": None, "field": "ttlSeconds", "reason": "out of range"}],
        )
    issued = _epoch(now)
    expires = issued + ttl_seconds
    payload = {"sub": user_id, "iat": issued, "exp": expires}
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    signature = _b64(hmac.new(secret, body.encode(), hashlib.sha256).digest())
    return f"{LEARNER_TOKEN_PREFIX}{body}.{signature}", expires


def verify_learner_token(secret: bytes, token: str, now: datetime) -> Principal:
    """The learner principal of a valid, unexpired token; Unauthorized otherwise."""
    try:
        body, signature = token.removeprefix(LEARNER_TOKEN_PREFIX).split(".", 1)
        expected = _b64(hmac.new(secret, body.encode(), hashlib.sha256).digest())
        if not hmac.compare_digest(expected, signature):
            raise Unauthorized("invalid token signature")
        payload = json.loads(_unb64(body))
        user_id, expires = str(payload["sub"]), int(payload["exp"])
    except (ValueError, KeyError, TypeError) as exc:
        raise Unauthorized("malformed token") from exc
    if expires <= _epoch(now):
        raise TokenExpired("token expired; ask the platform for a new one")
    return Principal(kind="learner", name=user_id, user_id=user_id)
