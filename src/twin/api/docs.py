"""The API's own pages: the landing page at ``/`` and Swagger UI at ``/docs``, offline.

Swagger UI's script and style come from the installed ``fastapi-offline`` package and
are served under :data:`ASSETS_URL`, so ``/docs`` renders without reaching any CDN.
ReDoc is not served (one documentation page is enough).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Iterator
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS_URL = "/docs-assets"
ASSETS_DIR = Path(fastapi_offline.__file__).resolve().parent / "static"
DOCS_URL = "/docs"
DASHBOARD_URL = "/ui"
SWAGGER_UI_PARAMETERS = {
    "persistAuthorization": True,
    "displayRequestDuration": True,
    "tryItOutEnabled": True,
}

LANDING_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto;
       padding: 0 1rem; line-height: 1.5; color: #1f2328; }}
h1 {{ font-size: 1.5rem; }}
li {{ margin: 0.4rem 0; }}
code {{ background: #f3f4f6; padding: 0 0.2rem; }}
</style>
</head>
<body>
<h1>{title} <small>{version}</small></h1>
<p>The engine's HTTP API. Every route under <code>/v1</code> needs
<code>Authorization: Bearer &lt;service key or learner token&gt;</code>.</p>
<ul>
<li><a href="{docs}">API documentation</a> (try every route; Authorize with a key or token)</li>
{dashboard}<li><a href="/openapi.json">OpenAPI document</a></li>
<li><a href="/healthz">/healthz</a>: the process is up</li>
<li><a href="/readyz">/readyz</a>: the database is reachable and migrated</li>
</ul>
</body>
</html>
"""


def _route_paths(routes: Iterable[object]) -> Iterator[str]:
    """Every path served, including those of included routers (kept wrapped by FastAPI)."""
    for route in routes:
        path = getattr(route, "path", None)
        if isinstance(path, str):
            yield path
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield str(getattr(inner, "prefix", ""))
            yield from _route_paths(getattr(inner, "routes", ()))


def has_dashboard(app: FastAPI) -> bool:
    """True when something is served under :data:`DASHBOARD_URL`."""
    return any(
        path.rstrip("/") == DASHBOARD_URL or path.startswith(DASHBOARD_URL + "/")
        for path in _route_paths(app.routes)
    )


def landing_page(app: FastAPI) -> str:
    """The page at ``/``: links to the docs, the dashboard (when served) and health routes."""
    dashboard = (
        f'<li><a href="{DASHBOARD_URL}/">Dashboard</a>: the learners\' twins at a glance</li>\n'
        if has_dashboard(app)
        else ""
    )
    return LANDING_PAGE.format(
        title=html.escape(app.title),
        version=html.escape(app.version),
        docs=DOCS_URL,
        dashboard=dashboard,
    )


def install_pages(app: FastAPI) -> None:
    """Add ``/``, ``/docs`` (Swagger UI from local assets) and the assets themselves."""
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS_DIR), name="docs-assets")

    @app.get("/", include_in_schema=False, response_class=HTMLResponse)
    def landing() -> HTMLResponse:
        return HTMLResponse(landing_page(app))

    @app.get(DOCS_URL, include_in_schema=False, response_class=HTMLResponse)
    def docs(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - API documentation",
            swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            swagger_ui_parameters=SWAGGER_UI_PARAMETERS,
        )
