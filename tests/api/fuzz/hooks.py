"""Schemathesis hooks for the contract fuzz (loaded through ``SCHEMATHESIS_HOOKS``).

caldav pulls in niquests, whose urllib3-future replaces the ``urllib3`` package in place;
its pool container has no ``keys()``, which Schemathesis' requests transport calls only to
count open connections before re-sending a request dropped by a keep-alive race. The
count then falls back to "unknown" (0), so such a request is re-sent once, as without it.
"""

from __future__ import annotations

from typing import Any

import schemathesis.transport.requests as transport

_count_opened_connections = transport._count_opened_connections


def _count_or_zero(session: Any) -> int:
    try:
        return int(_count_opened_connections(session))
    except AttributeError:
        return 0


transport._count_opened_connections = _count_or_zero
