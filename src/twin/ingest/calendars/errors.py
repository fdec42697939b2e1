"""Errors of the calendar layer, each naming what was wrong (a line, a component, a rule)."""

from __future__ import annotations

from typing import Any

from twin.errors import TwinError, ValidationFailed


class CalendarParseError(ValidationFailed):
    """The iCalendar text is malformed; ``details`` names the line and the component."""

    code = "calendar_malformed"

    def __init__(
        self,
        message: str,
        *,
        line: int | None = None,
        component: str | None = None,
        uid: str | None = None,
    ) -> None:
        details: dict[str, Any] = {"line": line, "component": component}
        if uid is not None:
            details["uid"] = uid
        where = []
        if component:
            where.append(component + (f" {uid!r}" if uid else ""))
        if line is not None:
            where.append(f"line {line}")
        prefix = f"{', '.join(where)}: " if where else ""
        super().__init__(prefix + message, details=details)
        self.line = line
        self.component = component
        self.uid = uid


class CalendarTooLarge(TwinError):
    """The calendar is bigger than the size cap (bytes) or expands to too many occurrences."""

    code = "calendar_too_large"
    http_status = 413

    def __init__(self, message: str, *, limit: int, rule: str = "size") -> None:
        super().__init__(message, details={"rule": rule, "limit": limit})
        self.rule = rule
        self.limit = limit


class FeedFetchError(TwinError):
    """A feed could not be fetched; ``rule`` names the rule that stopped it."""

    code = "calendar_fetch_failed"
    http_status = 502

    def __init__(self, message: str, *, rule: str, **details: Any) -> None:
        super().__init__(message, details={"rule": rule, **details})
        self.rule = rule


class FeedRefused(FeedFetchError):
    """The URL or an address it resolves or redirects to is not allowed (scheme, address, redirect)."""

    code = "calendar_url_refused"
    http_status = 422


class FeedTooLarge(FeedFetchError):
    """The feed is larger than the size cap."""

    code = "calendar_too_large"
    http_status = 413


class FeedTimeout(FeedFetchError):
    """Connecting or reading took longer than allowed."""

    code = "calendar_fetch_timeout"
    http_status = 504


class CalDavError(TwinError):
    """The CalDAV server refused or failed a request."""

    code = "caldav_failed"
    http_status = 502


class SecretBoxError(TwinError):
    """A sealed secret could not be opened: wrong key, wrong context, or tampered with."""

    code = "secret_unreadable"
    http_status = 500


class CalendarUnusable(TwinError):
    """A calendar being connected could not be fetched or read: the request's URL or
    credentials are what is wrong (422), whatever the server did (``details.rule``)."""

    code = "calendar_unusable"
    http_status = 422

    def __init__(self, cause: TwinError) -> None:
        details = dict(cause.details) if isinstance(cause.details, dict) else {}
        details.setdefault("rule", cause.code)
        details["cause"] = cause.code
        super().__init__(f"the calendar cannot be connected: {cause.message}", details=details)
        self.rule = str(details["rule"])
