"""Ingestion service: what the HTTP API calls to load and read a learner's learning data.

The work happens in :mod:`twin.ingest` (validation, set-based writes, the
review-log importer); this module is the stable entry point for the API layer.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import IO, Any

from twin.db.engine import Database
from twin.enums import EventType
from twin.ingest import batch, events, revlog
from twin.ingest.batch import BatchResult
from twin.ingest.events import DEFAULT_EVENT_PAGE, MAX_EVENT_PAGE, EventView
from twin.ingest.revlog import ImportResult, ProgressCallback, RowProblem
from twin.ingest.schemas import KINDS, MAX_BATCH_RECORDS, RECORD_MODELS
from twin.services import cognitive

__all__ = [
    "DEFAULT_EVENT_PAGE",
    "KINDS",
    "MAX_BATCH_RECORDS",
    "MAX_EVENT_PAGE",
    "RECORD_MODELS",
    "BatchResult",
    "EventView",
    "ImportResult",
    "ProgressCallback",
    "RowProblem",
    "import_revlog",
    "ingest_batch",
    "list_events",
]


def ingest_batch(
    db: Database, user_id: str, kind: str, records: list[dict[str, Any]], *, now: datetime
) -> BatchResult:
    """Validate and upsert a batch of one kind for a learner, all or nothing (see twin.ingest.batch).

    Once committed, the cognitive load of every study session the batch touched is
    recomputed as of ``now`` (live load); that step never undoes or fails the ingestion.
    """
    result = batch.ingest_batch(db, user_id, kind, records)
    cognitive.on_batch_ingested(db, user_id, kind, records, now=now)
    return result


def list_events(
    db: Database,
    user_id: str,
    event_type: EventType | str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = DEFAULT_EVENT_PAGE,
    cursor: str | None = None,
) -> tuple[list[EventView], str | None]:
    """A page of the learner's events, newest first, and the next page's cursor (or None)."""
    return events.list_events(db, user_id, event_type, since, until, limit, cursor)


def import_revlog(
    db: Database,
    path_or_file: str | Path | IO[str] | IO[bytes],
    user_id: str,
    timezone: str = "UTC",
    skip_bad: bool = False,
    progress: ProgressCallback | None = None,
) -> ImportResult:
    """Import a review-log CSV (path or uploaded file) for a learner (see twin.ingest.revlog)."""
    return revlog.import_revlog(db, path_or_file, user_id, timezone, skip_bad, progress)
