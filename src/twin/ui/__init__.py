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
    import threading

    from twin.ui import routes, routes_experiments, routes_insights, routes_schedule, web

    # The capability pages first: the core router ends with its catch-all route, which
    # would otherwise answer their addresses.
    for module in (routes_schedule, routes_insights, routes_experiments, routes):
        app.include_router(module.router)
    # plotly.js is read, hashed and gzipped once (≈0.4 s for 4.8 MB): do it now, beside
    # the start-up, rather than in the first page that names its URL (zlib and hashlib
    # release the GIL, so requests are not held up meanwhile).
    threading.Thread(target=web.plotly_asset, name="twin-ui-plotly", daemon=True).start()
