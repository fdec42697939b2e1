"""Fixtures of the calendar tests: the real servers of ``tests.calendar_servers`` and the shared files."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.calendar_servers import caldav_account, feed_server, radicale_server, tls_feed_server

__all__ = [
    "caldav_account",
    "feed_server",
    "radicale_server",
    "real_calendars",
    "tls_feed_server",
]

# ../shared/calendars relative to the repository root (read in place, never copied).
CALENDARS_DIR = Path(__file__).resolve().parents[3].parent / "shared" / "calendars"


@pytest.fixture(scope="session")
def real_calendars() -> Path:
    """The directory of real-world .ics files; the test is skipped when it is absent."""
    if not (CALENDARS_DIR / "SOURCES.md").is_file():
        pytest.skip(f"real-world calendars not found at {CALENDARS_DIR} (see ../shared/calendars)")
    return CALENDARS_DIR
