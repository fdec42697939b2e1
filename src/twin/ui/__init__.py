"""The dashboard: server-rendered pages at ``/ui`` over the same services as the API.

``twin.ui.data`` (a package, by page family) is the only code that calls the engine; ``routes`` holds the sign-in,
the core pages and forms (``routes_schedule``, ``routes_insights`` and
``routes_experiments`` those of the later capabilities), ``charts`` the plotly figures with their text alternatives, ``web`` the templates,
static files, sessions and security headers.
"""

from __future__ import annotations

from fastapi import FastAPI


def mount_ui(app: FastAPI) -> None:
    """Serve the dashboard (pages and static files) from ``app`` under ``/ui``."""
    from twin.ui import routes, routes_experiments, routes_insights, routes_schedule

    # The capability pages first: the core router ends with its placeholder and catch-all
    # routes, which would otherwise answer their addresses.
    for module in (routes_schedule, routes_insights, routes_experiments, routes):
        app.include_router(module.router)
