"""The dashboard's web plumbing: templates, static files, security headers, sessions, errors.

Every dashboard route uses :class:`UiRoute`, which turns engine errors into HTML pages (not
the API's JSON envelope), sends an expired or bad session back to the sign-in page, and
adds the security headers (Content-Security-Policy with scripts from this origin only)
to every answer.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import re
import threading
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import jinja2
from fastapi import Depends, Form, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

import twin
from twin.clock import utcnow
from twin.config import load_settings
from twin.db.engine import Database
from twin.errors import Forbidden, NotFound, TwinError, Unauthorized
from twin.ui import data
from twin.ui.data import LEARNER_TOKEN_PREFIX, KeyCache, TokenExpired
from twin.ui.data import schedule as schedule_data
from twin.ui.session import (
    COOKIE_PATH,
    CSRF_COOKIE,
    CSRF_FIELD,
    OPERATOR_PREFIX,
    SESSION_COOKIE,
    SessionInvalid,
    Viewer,
    csrf_token,
    csrf_valid,
    new_csrf_cookie,
    read_operator_cookie,
    ui_key,
)

log = logging.getLogger("twin.ui")

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        # plotly.js writes style attributes and one <style> element while it draws; styles
        # cannot run code, scripts stay restricted to this origin.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
PAGE_CACHE_CONTROL = "no-store"
STATIC_CACHE_CONTROL = "public, max-age=31536000, immutable"
STATIC_FILES = {
    "ui.css": "text/css; charset=utf-8",
    "charts.js": "text/javascript; charset=utf-8",
    "warm.js": "text/javascript; charset=utf-8",
    "sw.js": "text/javascript; charset=utf-8",
    "favicon.svg": "image/svg+xml",
}
PLOTLY_MEDIA_TYPE = "text/javascript; charset=utf-8"
GZIP_LEVEL = 6


# --- static files -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Asset:
    """A static file held in memory, with its gzip form and a content hash for its URL."""

    body: bytes
    gzipped: bytes
    media_type: str
    digest: str


_assets: dict[str, Asset] = {}
_assets_lock = threading.Lock()


def _asset(name: str, loader: Callable[[], bytes], media_type: str) -> Asset:
    with _assets_lock:
        cached = _assets.get(name)
        if cached is None:
            body = loader()
            cached = Asset(
                body=body,
                gzipped=gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0),
                media_type=media_type,
                digest=hashlib.sha256(body).hexdigest()[:12],
            )
            _assets[name] = cached
        return cached


def static_asset(name: str) -> Asset | None:
    """One of the dashboard's own static files (None for any other name)."""
    media_type = STATIC_FILES.get(name)
    if media_type is None:
        return None
    return _asset(
        name, lambda: resources.files("twin.ui").joinpath("static", name).read_bytes(), media_type
    )


def plotly_path() -> Path:
    """plotly.min.js as shipped inside the installed plotly package (never a CDN)."""
    return Path(str(resources.files("plotly").joinpath("package_data", "plotly.min.js")))


def plotly_asset() -> Asset:
    """plotly.min.js in memory (4.8 MB; about 1.4 MB gzipped)."""
    return _asset("plotly.min.js", plotly_path().read_bytes, PLOTLY_MEDIA_TYPE)


def asset_response(request: Request, asset: Asset) -> Response:
    """The asset, gzipped when the browser accepts it, cached for a year (its URL has its hash)."""
    headers = {"Cache-Control": STATIC_CACHE_CONTROL, "Vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(asset.gzipped, media_type=asset.media_type, headers=headers)
    return Response(asset.body, media_type=asset.media_type, headers=headers)


def static_url(name: str) -> str:
    """The versioned URL of a static file."""
    asset = static_asset(name)
    assert asset is not None, name
    return f"/ui/static/{asset.digest}/{name}"


def plotly_url() -> str:
    """The versioned URL of plotly.js."""
    return f"/ui/static/{plotly_asset().digest}/plotly.min.js"


# --- templates ----------------------------------------------------------------------------------


def urlpart(value: object) -> str:
    """A path segment, percent-encoded (ids may hold any printable character)."""
    return quote(str(value), safe="")


def _pct(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{float(value) * 100:.{digits}f}%"


def _num(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{float(value):.{digits}f}"


def _sci(value: float | None) -> str:
    """A p-value or other small number to three significant digits."""
    return "—" if value is None else f"{float(value):.3g}"


def _when(value: datetime | str | None) -> str:
    """A timestamp in UTC, to the minute (stored timestamps are naive UTC)."""
    if value is None:
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.strftime("%Y-%m-%d %H:%M UTC")


def _day(value: datetime | str | None) -> str:
    if value is None:
        return "—"
    return (value if isinstance(value, str) else value.isoformat())[:10]


CAMEL_BOUNDARY_RE = re.compile(r"(?<=[a-z])(?=[A-Z])")


def _words(value: object) -> str:
    """``SESSION_DURATION_PREFERENCE`` → ``session duration preference``; camelCase names
    too (``insightApplication`` → ``insight application``)."""
    return CAMEL_BOUNDARY_RE.sub(" ", str(value)).replace("_", " ").lower()


def _why_row(feature: dict[str, Any]) -> tuple[str, str, str, str]:
    """One feature of a prediction's "why" as a table row."""
    value = "unknown" if feature["unknown"] else f"{feature['value']:.2f}"
    return (_words(feature["feature"]), value, f"{feature['contribution']:+.2f}", feature["reason"])


def _plan_item_row(item: dict[str, Any]) -> tuple[str, str, str, str, str]:
    """One block of a session plan as a table row (times in the learner's zone)."""
    what = _words(item.get("kind", ""))
    if item.get("meanRecall") is not None:
        what += f" (recall now {_pct(item['meanRecall'])})"
    return (
        str(item.get("start", ""))[11:16],
        what,
        _words(item.get("phase", "")),
        _num(item.get("minutes")),
        str(len(item.get("cardIds") or [])),
    )


def _count_row(item: tuple[str, int]) -> tuple[str, str]:
    return (_words(item[0]), str(item[1]))


def _share_row(item: tuple[str, float]) -> tuple[str, str]:
    return (_words(item[0]), _pct(item[1]))


_environment = jinja2.Environment(
    loader=jinja2.PackageLoader("twin.ui", "templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=jinja2.StrictUndefined,
    auto_reload=False,
)
_environment.filters.update(
    urlpart=urlpart,
    pct=_pct,
    num=_num,
    sci=_sci,
    when=_when,
    day=_day,
    words=_words,
    why_row=_why_row,
    plan_item_row=_plan_item_row,
    derived_row=_count_row,
    share_row=_share_row,
)
_environment.globals.update(static=static_url, plotly_url=plotly_url, version=twin.__version__)


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    viewer: Viewer | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Render a page; every page gets the viewer and a CSRF token bound to their session."""
    chart_list = context.get("charts") or []
    body = _environment.get_template(template).render(
        chart={c.id: c for c in chart_list},
        request_path=request.url.path,
        viewer=viewer,
        csrf=form_token(request, viewer),
        csrf_field=CSRF_FIELD,
        **context,
    )
    return HTMLResponse(body, status_code=status_code)


# --- sessions and CSRF --------------------------------------------------------------------------


def database(request: Request) -> Database:
    """The application's database."""
    db: Database = request.app.state.db
    return db


def signing_key(request: Request) -> bytes:
    """The dashboard's signing key (derived from the token secret, cached on the app)."""
    state = request.app.state
    secret = getattr(state, "token_secret", None)
    if secret is None:
        settings = getattr(state, "settings", None)
        configured = settings.secret_key if settings is not None else None
        secret = data.token_secret(database(request), configured)
        state.token_secret = secret
    return ui_key(secret)


def token_secret(request: Request) -> bytes:
    """The engine's learner-token secret (cached on the app, as the API does)."""
    signing_key(request)
    secret: bytes = request.app.state.token_secret
    return secret


def calendar_context(request: Request) -> schedule_data.CalendarContext:
    """The app's calendar context, shared with the API's calendar routes (tests inject one)."""
    context = getattr(request.app.state, "calendar_context", None)
    if context is None:
        settings = getattr(request.app.state, "settings", None) or load_settings()
        context = schedule_data.calendar_context(settings)
        request.app.state.calendar_context = context
    assert isinstance(context, schedule_data.CalendarContext)
    return context


def key_cache(request: Request) -> KeyCache:
    """The app's cache of service-key lookups (shared with the API)."""
    cache = getattr(request.app.state, "key_cache", None)
    if cache is None:
        cache = KeyCache()
        request.app.state.key_cache = cache
    return cache


def csrf_cookie(request: Request) -> str:
    """This browser's CSRF cookie, created (and set on the answer) on its first visit."""
    existing = request.cookies.get(CSRF_COOKIE)
    if existing:
        return existing
    fresh: str | None = getattr(request.state, "new_csrf", None)
    if fresh is None:
        fresh = new_csrf_cookie()
        request.state.new_csrf = fresh
    return fresh


def form_token(request: Request, viewer: Viewer | None) -> str:
    """The CSRF token of this browser and session (sign-in forms: of no session)."""
    return csrf_token(signing_key(request), csrf_cookie(request), viewer.cookie if viewer else "")


def check_form_token(request: Request, viewer: Viewer | None, submitted: str) -> None:
    """Forbidden unless ``submitted`` is this browser's and session's CSRF token."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not csrf_valid(signing_key(request), submitted, cookie, viewer.cookie if viewer else ""):
        raise Forbidden(
            "This form has expired or did not come from this dashboard. Reload the page and "
            "try again."
        )


def current_viewer(request: Request) -> Viewer:
    """The signed-in learner or operator; SessionInvalid (→ sign-in page) otherwise."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise SessionInvalid("required")
    if cookie.startswith(OPERATOR_PREFIX):
        name, digest = read_operator_cookie(signing_key(request), cookie, utcnow())
        try:
            data.check_key_digest(database(request), digest, key_cache(request))
        except Unauthorized:
            raise SessionInvalid("revoked") from None
        return Viewer("operator", name, None, cookie)
    if cookie.startswith(LEARNER_TOKEN_PREFIX):
        try:
            principal = data.verify_learner_token(token_secret(request), cookie, utcnow())
        except TokenExpired:
            raise SessionInvalid("expired") from None
        except Unauthorized:
            raise SessionInvalid("invalid") from None
        viewer = Viewer("learner", principal.name, principal.user_id, cookie)
        request.state.learner_viewer = viewer  # for the erased check of a 404 (UiRoute)
        return viewer
    raise SessionInvalid("invalid")


CurrentViewer = Annotated[Viewer, Depends(current_viewer)]


def form_viewer(
    request: Request, viewer: CurrentViewer, csrf: Annotated[str, Form(max_length=200)] = ""
) -> Viewer:
    """The viewer of a form POST whose CSRF token checks out (403 page otherwise)."""
    check_form_token(request, viewer, csrf)
    return viewer


FormViewer = Annotated[Viewer, Depends(form_viewer)]


def require_operator(viewer: CurrentViewer) -> Viewer:
    """Only a service-key session may open operator pages."""
    if not viewer.is_operator:
        raise Forbidden("Operator pages need an operator session (sign in with a service key).")
    return viewer


OperatorViewer = Annotated[Viewer, Depends(require_operator)]


def require_learner_access(viewer: Viewer, user_id: str) -> None:
    """A learner sees only their own pages; an operator sees every learner's."""
    if not viewer.is_operator and viewer.user_id != user_id:
        raise Forbidden("You can only see your own dashboard.")


def set_session_cookie(request: Request, response: Response, value: str) -> None:
    """The session cookie: HttpOnly, SameSite=Strict, only under /ui; ends with the browser."""
    response.set_cookie(
        SESSION_COOKIE,
        value,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def clear_session_cookie(response: Response) -> None:
    """Forget the session in this browser."""
    response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH, httponly=True, samesite="strict")


def redirect(url: str) -> RedirectResponse:
    """303 See Other (after a form POST the browser follows with a GET)."""
    return RedirectResponse(url, status_code=303)


ERASED_PAGE = "/ui/erased"


def sign_in_redirect(reason: str) -> RedirectResponse:
    """Back to the sign-in page with the reason's message (an erased learner to the page that
    says so); the stale session is dropped."""
    response = redirect(ERASED_PAGE if reason == "erased" else f"/ui/signin?reason={quote(reason)}")
    clear_session_cookie(response)
    return response


# --- the route class ----------------------------------------------------------------------------

UNEXPECTED_ERROR_PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Error · Behavioral Twin'
    "</title></head><body><main><h1>Something went wrong</h1><p>The dashboard could not show "
    'this page. The error was logged. <a href="/ui">Go to the start page</a>.</p></main></body>'
    "</html>"
)
ERROR_TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Not found",
    409: "Already done",
    422: "Check what you entered",
    429: "Too many requests",
    503: "Temporarily unavailable",
}


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    """An HTML error page with the engine's message and a way back."""
    return render(
        request,
        "error.html",
        {
            "status": status,
            "title": ERROR_TITLES.get(status, "Something went wrong"),
            "message": message,
        },
        status_code=status,
    )


def _validation_message(exc: RequestValidationError) -> str:
    problems = []
    for err in exc.errors()[:5]:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")]
        problems.append(f"{'.'.join(loc) or 'input'}: {err.get('msg', 'invalid')}")
    return "; ".join(problems)


def finish(request: Request, response: Response) -> Response:
    """Security headers on every answer; the CSRF cookie on a browser's first visit."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("Cache-Control", PAGE_CACHE_CONTROL)
    fresh = getattr(request.state, "new_csrf", None)
    if fresh is not None:
        response.set_cookie(
            CSRF_COOKIE,
            fresh,
            path=COOKIE_PATH,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
    return response


def viewer_was_erased(request: Request) -> bool:
    """Whether this request's learner session belongs to a learner who is gone.

    A learner token is signed and outlives an erasure; checked only when a page found
    nothing (a 404), so the pages of a learner who exists pay no extra query.
    """
    viewer: Viewer | None = getattr(request.state, "learner_viewer", None)
    return viewer is not None and not data.learner_exists(database(request), viewer.user_id or "")


class UiRoute(APIRoute):
    """A dashboard route: HTML errors, sign-in redirects, security headers."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def run(request: Request) -> Response:
            try:
                response = await handler(request)
            except SessionInvalid as exc:
                response = sign_in_redirect(exc.reason)
            except NotFound as exc:
                response = (
                    sign_in_redirect("erased")
                    if viewer_was_erased(request)
                    else error_page(request, exc.http_status, exc.message)
                )
            except TwinError as exc:
                response = error_page(request, exc.http_status, exc.message)
            except RequestValidationError as exc:
                response = error_page(request, 422, _validation_message(exc))
            except StarletteHTTPException as exc:
                response = error_page(request, exc.status_code, str(exc.detail))
            except Exception:
                log.exception("dashboard error on %s %s", request.method, request.url.path)
                response = HTMLResponse(UNEXPECTED_ERROR_PAGE, status_code=500)
            return finish(request, response)

        return run
