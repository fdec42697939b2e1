"""Ingestion service: what the HTTP API calls to load and read a learner's learning data.

The work happens in :mod:`twin.ingest` (validation, set-based writes, the review-log
importer, the event listing); this module is the entry point for the API layer and
adds what follows a committed batch (the cognitive load of the sessions it touched).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from twin.db.engine import Database
from twin.ingest import batch
from twin.ingest.batch import BatchResult
from twin.ingest.events import DEFAULT_EVENT_PAGE, MAX_EVENT_PAGE, EventView, list_events
from twin.ingest.revlog import ImportResult, ProgressCallback, RowProblem, import_revlog
from twin.ingest.schemas import KINDS, MAX_BATCH_RECORDS, RECORD_MODELS
from twin.services import cognitive
from twin.services.orchestration import plans as orchestration_plans

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
    recomputed as of ``now`` (live load), and those sessions are matched to the session
    plans they followed (actuals); neither step ever undoes or fails the ingestion.
    """
    result = batch.ingest_batch(db, user_id, kind, records)
    cognitive.on_batch_ingested(db, user_id, kind, records, now=now)
    orchestration_plans.on_batch_ingested(db, user_id, kind, records, now=now)
    return result
