"""CalDAV: read a learner's events of a window as busy intervals; write planned sessions back.

Reading asks the server for each calendar's events of the window with
``search(start=, end=, event=True, expand=True)`` — recurring series come back as
single instances — and turns every instance into a busy interval by the same rules as
an ``.ics`` file (``ics.window_busy_interval``). The study calendar the engine writes to
is never read as busy time (the learner's planned sessions would block themselves).

Writing keeps one event per planned session, keyed by a stable UID: ``upsert`` creates
or replaces it, ``delete`` removes it.

Before any request the server's host is checked with the feed fetcher's address rule
(``fetch.check_url``); credentials go over plain http only to an address the operator
allowed. The connection is then pinned to the checked address: the caldav library's
HTTP session is replaced by one whose resolver knows only the URL's host, mapped to
that address (an in-memory resolver of niquests, the library caldav uses), so a DNS
answer that changes between the check and the connect is never used, TLS still
verifies the certificate against the host name, and a redirect — to another host or
anywhere — is refused (``max_redirects = 0``: a CalDAV account is given by its full URL,
and following a redirect would send the credentials somewhere unchecked). Proxies
from the environment are ignored (``trust_env = False``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import icalendar
import niquests
from caldav.davclient import DAVClient
from caldav.lib import error as caldav_error

from twin.analysis.orchestration.busy import BusyInterval
from twin.analysis.orchestration.common import require_aware, zone
from twin.ingest.calendars.errors import CalDavError, FeedRefused
from twin.ingest.calendars.export import DEFAULT_CALENDAR_NAME, SessionEvent, session_vevent
from twin.ingest.calendars.fetch import FetchPolicy, Resolver, check_url, redact
from twin.ingest.calendars.ics import window_busy_interval

DEFAULT_TIMEOUT_SECONDS = 15
STUDY_CALENDAR_ID = "twin-study-sessions"


@dataclass(frozen=True)
class CalDavAccount:
    """Where and as whom to connect (the password is an app password, kept sealed at rest)."""

    url: str
    username: str
    password: str

    def __repr__(self) -> str:
        return f"CalDavAccount(url={redact(self.url)!r}, username={self.username!r}, password=***)"


@dataclass(frozen=True)
class CalDavBusy:
    """Busy intervals read from a CalDAV account, and how many instances were read."""

    intervals: tuple[BusyInterval, ...]
    calendars: int
    instances: int
    skipped: dict[str, int]


class CalDavConnection:
    """One connection to a CalDAV account (a context manager)."""

    def __init__(
        self,
        account: CalDavAccount,
        *,
        policy: FetchPolicy | None = None,
        timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS,
        resolver: Resolver | None = None,
    ) -> None:
        policy = policy or FetchPolicy()
        address = check_url(account.url, policy, resolver)
        scheme = urlsplit(account.url).scheme.lower()
        if scheme == "http" and not any(
            ipaddress.ip_address(address) in net for net in policy.allowed_networks
        ):
            raise FeedRefused(
                "CalDAV credentials are sent only over https (plain http only to an allowed address)",
                rule="scheme",
            )
        self.account = account
        self._client = DAVClient(
            url=account.url,
            username=account.username,
            password=account.password,
            timeout=timeout_seconds,
            require_tls=scheme == "https",
            enable_rfc6764=False,
        )
        self._client.session.close()
        self._client.session = pinned_session(account.url, address)

    def __enter__(self) -> CalDavConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP session."""
        self._client.close()

    @contextmanager
    def _errors(self, operation: str) -> Iterator[None]:
        try:
            yield
        except caldav_error.AuthorizationError as exc:
            raise CalDavError(
                f"CalDAV {operation} at {redact(self.account.url)}: the server refused the credentials",
                details={"rule": "auth", "operation": operation},
            ) from exc
        except caldav_error.DAVError as exc:
            raise CalDavError(
                f"CalDAV {operation} at {redact(self.account.url)} failed ({exc.__class__.__name__})",
                details={"rule": "server", "operation": operation},
            ) from exc
        except niquests.exceptions.TooManyRedirects as exc:
            raise CalDavError(
                f"CalDAV {operation} at {redact(self.account.url)}: the server redirects; "
                "redirects are not followed (give the calendar's full URL)",
                details={"rule": "redirect", "operation": operation},
            ) from exc
        except (OSError, ConnectionError) as exc:
            raise CalDavError(
                f"CalDAV {operation} at {redact(self.account.url)}: the server could not be reached "
                f"({exc.__class__.__name__})",
                details={"rule": "connect", "operation": operation},
            ) from exc

    def _calendars(self) -> list[Any]:
        principal = self._client.principal()  # type: ignore[no-untyped-call]
        return list(principal.calendars())

    def read_busy(self, window_start: datetime, window_end: datetime, timezone: str) -> CalDavBusy:
        """Busy intervals of every calendar but the study calendar over ``[window_start, window_end)``."""
        require_aware("window_start", window_start)
        require_aware("window_end", window_end)
        tz = zone(timezone)
        intervals: list[BusyInterval] = []
        skipped: dict[str, int] = {}
        instances = calendars = 0
        with self._errors("read"):
            for calendar in self._calendars():
                if _is_study_calendar(calendar):
                    continue
                calendars += 1
                found = calendar.search(start=window_start, end=window_end, event=True, expand=True)
                for obj in found:
                    for vevent in obj.icalendar_instance.walk("VEVENT"):
                        instances += 1
                        busy = window_busy_interval(vevent, tz, window_start, window_end, skipped)
                        if busy is not None:
                            intervals.append(busy)
        intervals.sort(key=lambda iv: (iv.start, iv.end, iv.weight))
        return CalDavBusy(tuple(intervals), calendars, instances, skipped)

    def existing_study_calendar(self) -> StudyCalendar | None:
        """The engine's study calendar on this account, or None (never created here)."""
        with self._errors("open study calendar"):
            for calendar in self._calendars():
                if _is_study_calendar(calendar):
                    return StudyCalendar(self, calendar)
        return None

    def study_calendar(self, name: str = DEFAULT_CALENDAR_NAME) -> StudyCalendar:
        """The engine's study calendar on this account, created when missing."""
        with self._errors("open study calendar"):
            for calendar in self._calendars():
                if _is_study_calendar(calendar):
                    return StudyCalendar(self, calendar)
            principal = self._client.principal()  # type: ignore[no-untyped-call]
            created = principal.make_calendar(name=name, cal_id=STUDY_CALENDAR_ID)
            return StudyCalendar(self, created)


def pinned_session(url: str, address: str) -> niquests.Session:
    """An HTTP session that reaches ``url``'s host only at ``address`` and follows no redirect."""
    host = urlsplit(url).hostname or ""
    session = niquests.Session(resolver=f"in-memory://default/?hosts={host}:{address}")
    session.trust_env = False
    session.max_redirects = 0
    return session


def _is_study_calendar(calendar: Any) -> bool:
    return str(calendar.url).rstrip("/").endswith(STUDY_CALENDAR_ID)


class StudyCalendar:
    """The calendar planned sessions are written to; events keyed by UID."""

    def __init__(self, connection: CalDavConnection, calendar: Any) -> None:
        self._connection = connection
        self._calendar = calendar

    def _find(self, uid: str) -> Any | None:
        try:
            return self._calendar.event_by_uid(uid)
        except caldav_error.NotFoundError:
            return None

    def upsert(self, event: SessionEvent, *, now: datetime) -> None:
        """Create the session's event, or replace it when one with its UID exists."""
        calendar = icalendar.Calendar()
        calendar.add("PRODID", "-//Behavioral Twin Engine//study sessions//EN")
        calendar.add("VERSION", "2.0")
        calendar.add_component(session_vevent(event, now=now))
        data = calendar.to_ical().decode()
        with self._connection._errors("write"):
            existing = self._find(event.uid)
            if existing is None:
                self._calendar.save_event(ical=data)
            else:
                existing.data = data
                existing.save()

    def delete(self, uid: str) -> bool:
        """Remove the session's event; False when there was none."""
        with self._connection._errors("delete"):
            existing = self._find(uid)
            if existing is None:
                return False
            existing.delete()
            return True

    def remove_events(self, uid_suffix: str) -> int:
        """Delete every event whose UID ends with ``uid_suffix`` (the engine's); how many went."""
        removed = 0
        with self._connection._errors("delete"):
            for obj in self._calendar.events():
                uids = [str(v.get("UID", "")) for v in obj.icalendar_instance.walk("VEVENT")]
                # Only objects made wholly of the engine's events: a learner's own event
                # that found its way into the study calendar stays.
                if uids and all(uid.endswith(uid_suffix) for uid in uids):
                    obj.delete()
                    removed += 1
        return removed

    def events(self) -> dict[str, tuple[datetime, datetime]]:
        """UID → (start, end) of every event in the study calendar."""
        out: dict[str, tuple[datetime, datetime]] = {}
        with self._connection._errors("read"):
            for obj in self._calendar.events():
                for vevent in obj.icalendar_instance.walk("VEVENT"):
                    out[str(vevent.get("UID"))] = (vevent.start, vevent.end)
        return out
