"""The dashboard: server-rendered pages at ``/ui`` over the same services as the API.

``twin.ui.data`` is the one module that calls the engine; ``routes`` holds the pages and
forms, ``charts`` the plotly figures with their text alternatives, ``web`` the templates,
static files, sessions and security headers.
"""

from __future__ import annotations

from fastapi import FastAPI


def mount_ui(app: FastAPI) -> None:
    """Serve the dashboard (pages and static files) from ``app`` under ``/ui``."""
    from twin.ui.routes import router

    app.include_router(router)
