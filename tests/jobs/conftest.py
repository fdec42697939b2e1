"""Fixtures of the job tests: the real HTTP feed server of ``tests.calendar_servers``."""

from __future__ import annotations

from tests.calendar_servers import feed_server

__all__ = ["feed_server"]
