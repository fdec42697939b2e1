"""The one clock of the engine: the only place that reads the time.

Analyses never read a clock (they take ``now``); services take ``now`` from their
caller; only the edges — HTTP routes, CLI commands, the job worker's ticks — call
:func:`utcnow` and pass the instant down. Tests pass their own ``now``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from twin.analysis.common import storage_time


def utcnow() -> datetime:
    """Naive UTC now at millisecond precision (the storage convention of every timestamp)."""
    return storage_time(datetime.now(UTC))
