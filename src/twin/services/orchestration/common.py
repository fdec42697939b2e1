"""What the orchestration services share: the calendar context, the secret box, statuses, times."""

from __future__ import annotations

import hashlib
import logging
import ssl
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy.orm import Session

from twin.analysis.common import aware_utc, storage_time
from twin.config import Settings
from twin.ingest.calendars.fetch import FetchPolicy, Resolver, parse_networks
from twin.ingest.calendars.secretbox import SecretBox
from twin.services.auth import token_secret

# Libraries that would log a calendar's URL (its path is the secret) at INFO or DEBUG: the
# engine's own log lines name only ``scheme://host/…``, so these stay at WARNING.
QUIET_LOGGERS = ("httpx", "httpcore", "niquests", "urllib3", "urllib3_future", "caldav")
for _name in QUIET_LOGGERS:
    logging.getLogger(_name).setLevel(logging.WARNING)

SECRET_PURPOSE = b"calendar-credentials"
ACCESS_TOKEN_COLUMN = "calendar_integrations.accessToken"
CALENDAR_UID_SUFFIX = "@twin-engine"

# Busy time is synced for a window around now: a day back (a session that started
# yesterday evening is still matched) and six weeks ahead (slots look at most 31 days).
SYNC_DAYS_BACK = 1
SYNC_DAYS_AHEAD = 42
# An uploaded file is expanded further ahead: nothing refreshes it but another upload.
UPLOAD_DAYS_AHEAD = 120
# Busy blocks older than this are "stale": answers still use them, and say so.
STALE_AFTER = timedelta(hours=2)
SYNC_INTERVAL = timedelta(hours=1)


class CalendarKind(StrEnum):
    """``calendar_integrations.calendarProvider`` values: the three sources of 5.3."""

    ICS_URL = "ics_url"
    ICS_UPLOAD = "ics_upload"
    CALDAV = "caldav"


class PlanStatus(StrEnum):
    """``planned_sessions.status``."""

    PLANNED = "PLANNED"
    DONE = "DONE"
    MISSED = "MISSED"
    CANCELLED = "CANCELLED"


@dataclass(frozen=True)
class CalendarContext:
    """How calendars are reached: the address policy, the engine secret, TLS trust (tests: their CA)."""

    policy: FetchPolicy = field(default_factory=FetchPolicy)
    secret_key: str | None = None
    verify: ssl.SSLContext | bool = True
    resolver: Resolver | None = None

    def __repr__(self) -> str:
        return f"CalendarContext(policy={self.policy!r}, secret_key=***)"


def calendar_context(settings: Settings) -> CalendarContext:
    """The context of the engine's settings (``TWIN_CALENDAR_ALLOW_NETWORKS``, ``TWIN_SECRET_KEY``)."""
    return CalendarContext(
        policy=FetchPolicy(allowed_networks=parse_networks(*settings.calendar_allowed_networks)),
        secret_key=settings.secret_key,
    )


def secret_box(session: Session, context: CalendarContext) -> SecretBox:
    """The AES-256-GCM box for calendar secrets, keyed from the engine's one secret."""
    return SecretBox(token_secret(session, context.secret_key), purpose=SECRET_PURPOSE)


def associated_data(user_id: str) -> bytes:
    """What a sealed credential is bound to: its learner and its column."""
    return f"{user_id}|{ACCESS_TOKEN_COLUMN}".encode()


def utc(ts: datetime) -> datetime:
    """An aware UTC instant from a stored (naive UTC) or aware value."""
    return aware_utc(ts)


def stored(ts: datetime) -> datetime:
    """The storage form (naive UTC, milliseconds) of an instant."""
    return storage_time(ts)


def age_minutes(since: datetime | None, now: datetime) -> float | None:
    """Minutes from ``since`` to ``now`` (None when ``since`` is None), never negative."""
    if since is None:
        return None
    return max(0.0, (aware_utc(now) - aware_utc(since)).total_seconds() / 60.0)


def sha256_hex(text: str) -> str:
    """SHA-256 of ``text`` (hex): feed tokens are stored as this."""
    return hashlib.sha256(text.encode()).hexdigest()


def calendar_uid(plan_id: str) -> str:
    """The stable iCalendar UID of a plan's event (feed and CalDAV)."""
    return plan_id + CALENDAR_UID_SUFFIX


def epoch() -> datetime:
    """A time before any data (lower bound of open windows)."""
    return datetime(1970, 1, 1, tzinfo=UTC)
