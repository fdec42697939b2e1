"""Health endpoints (the only ones open without a credential)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from twin.api.errors import error_body
from twin.db import migrate

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is up")
def healthz() -> dict[str, str]:
    """Liveness: answers while the process runs."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="The database is reachable and migrated",
    response_model=None,
    responses={503: {"description": "The database is unreachable or not migrated"}},
)
def readyz(request: Request) -> dict[str, Any] | JSONResponse:
    """Readiness: the database answers and is at the head revision."""
    db = request.app.state.db
    try:
        current = migrate.current_revision(db.engine)
    except sa.exc.SQLAlchemyError as exc:
        return JSONResponse(
            status_code=503,
            content=error_body("database_unavailable", f"database unreachable: {exc}"),
        )
    head = migrate.head_revision()
    if current != head:
        return JSONResponse(
            status_code=503,
            content=error_body(
                "not_migrated",
                f"database at revision {current}, needs {head}: run `twin db upgrade`",
            ),
        )
    return {"status": "ready", "revision": current}
