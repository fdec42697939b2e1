"""The dashboard's pages and forms under ``/ui`` (server-rendered; not part of the OpenAPI document).

Learner pages live under ``/ui/learners/{userId}/``: a learner's session opens only their
own, an operator's (service key) every learner's. Forms POST with a CSRF token and answer
with a redirect (303) to the page they came from, carrying a fixed message key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request, Response
from fastapi.responses import HTMLResponse, StreamingResponse

from twin.clock import utcnow
from twin.enums import InterventionStatus, PersonalizationLevel
from twin.errors import Conflict, NotFound, TwinError, Unauthorized, ValidationFailed
from twin.ui import charts, data, sketches
from twin.ui.data import operator as operator_data
from twin.ui.session import (
    SIGN_IN_MESSAGES,
    SessionInvalid,
    Viewer,
    operator_cookie,
)
from twin.ui.web import (
    CurrentViewer,
    FormViewer,
    OperatorViewer,
    UiRoute,
    asset_response,
    check_form_token,
    clear_session_cookie,
    current_viewer,
    database,
    key_cache,
    plotly_asset,
    redirect,
    render,
    require_learner_access,
    set_session_cookie,
    sign_in_redirect,
    signing_key,
    static_asset,
    token_secret,
    urlpart,
)

router = APIRouter(prefix="/ui", route_class=UiRoute, include_in_schema=False)

UserId = Annotated[str, Path(min_length=1, max_length=200)]
ItemId = Annotated[str, Path(min_length=1, max_length=200)]
MAX_KEY_CHARS = 200
MAX_TOKEN_CHARS = 2000

LEARNER_PAGES: tuple[tuple[str, str], ...] = (
    ("", "Overview"),
    ("patterns", "Patterns"),
    ("health", "Health"),
    ("struggles", "Struggles"),
    ("insights", "Insights"),
    ("progress", "Progress"),
    ("schedule", "Schedule"),
    ("personalization", "Personalization"),
    ("learn", "Learn"),
    ("privacy", "Privacy"),
)
OPERATOR_PAGES: tuple[tuple[str, str], ...] = (
    ("high-risk", "High-risk learners"),
    ("learners", "Learners"),
    ("models", "Model performance"),
    ("experiments", "Experiments"),
    ("cohorts", "Cohorts"),
)
DONE_MESSAGES = {
    "feedback": "Thank you: your answer is saved and is now this prediction's outcome.",
    "applied": "The intervention was applied to your next planned mission.",
    "acknowledged": "The insight is marked as seen.",
    "analysis-off": (
        "Behavioural analysis is off. Everything the engine derived from your data has been "
        "deleted; your study data itself is kept."
    ),
    "analysis-on": "Behavioural analysis is on again; your twin is rebuilt at the next analysis.",
    "style-off": "Learning-style profiling is off; your content and style profile was deleted.",
    "style-on": "Learning-style profiling is on.",
    "share-off": "Your anonymized patterns are no longer shared.",
    "share-on": "Your anonymized patterns are shared to improve the engine's models.",
    "erased": "The learner and all of their data were erased.",
    "recommended": "Your study slots for the next 7 days were found again around your calendar.",
    "rest": ("Your burnout risk is critical: rest is recommended instead of study slots for now."),
    "slot-accepted": "The session is planned at that time (see the plan below).",
    "plan-cancelled": "The planned session was cancelled.",
    "calendar-connected": "Your calendar is connected; its busy times are kept out of your plans.",
    "calendar-synced": "Your calendar was read again.",
    "calendar-replanned": "Your calendar was read again and sessions that now clash were moved.",
    "sync-failed": (
        "Your calendar could not be read this time (see its status below); the busy times "
        "from the last good read are kept."
    ),
    "calendar-removed": "Your calendar and its busy times were removed.",
    "rec-applied": (
        "Noted: the recommendation is applied. Its effect is measured against your two weeks "
        "before, two weeks from now."
    ),
    "rec-dismissed": "The recommendation is dismissed and will not be made again.",
    "goal-set": "Your goal is set; its progress is measured from your data every day.",
    "goal-renamed": "The goal's title is changed.",
    "goal-abandoned": "The goal is abandoned; its history is kept.",
    "preferences-saved": "Your study windows are saved; the next slots are scored with them.",
    "feed-revoked": "The feed link is revoked: calendars subscribed to it get nothing from now on.",
    "experiment-created": "The experiment is defined; learners are assigned on their next "
    "personalization in its context.",
    "read": "The notification is marked as read.",
    "read-all": "Every notification is marked as read.",
    "article-feedback": "Thank you: your feedback on the article is saved.",
    "stopped": (
        "The experiment is stopped: no learner is assigned any more; its final metrics and "
        "verdict come with the next metrics run."
    ),
    "level-changed": "Your personalization level is changed; the next plans follow it.",
}
PRIVACY_SWITCHES: dict[str, tuple[str, str]] = {
    "behavioralAnalysisEnabled": ("analysis-on", "analysis-off"),
    "learningStyleProfilingEnabled": ("style-on", "style-off"),
    "shareAnonymizedPatterns": ("share-on", "share-off"),
}
CALENDAR_KINDS = ("ics_url", "caldav")


@dataclass(frozen=True)
class FormError:
    """A form's rejected input, shown on the form it came from (the page is answered again
    with the error next to the form, 422 or 409, nothing written)."""

    form: str
    message: str
    fields: tuple[str, ...]
    status: int

    @classmethod
    def of(cls, form: str, exc: TwinError) -> FormError:
        """The form's error from the engine's (its message and the fields it names)."""
        details = exc.details if isinstance(exc.details, list) else []
        fields = tuple(str(d.get("field")) for d in details if isinstance(d, dict))
        return cls(form, exc.message, fields, exc.http_status)


FORM_ERRORS = (ValidationFailed, Conflict)
"""The engine's errors a form shows on itself; any other stays an error page."""


def _done(done: str | None) -> str | None:
    return DONE_MESSAGES.get(done or "")


def _learner_url(user_id: str, page: str = "") -> str:
    return f"/ui/learners/{urlpart(user_id)}/{page}".rstrip("/")


def _learner_page(
    request: Request,
    viewer: Viewer,
    template: str,
    page: str,
    context: dict[str, object],
    done: str | None = None,
    *,
    form_error: FormError | None = None,
) -> HTMLResponse:
    learner = context["learner"]
    return render(
        request,
        template,
        {
            "page": page,
            "pages": LEARNER_PAGES,
            "title": dict(LEARNER_PAGES)[page],
            "done": _done(done),
            "learner": learner,
            "base": _learner_url(str(getattr(learner, "id", ""))),
            "form_error": form_error,
            **{k: v for k, v in context.items() if k != "learner"},
        },
        viewer=viewer,
        status_code=200 if form_error is None else form_error.status,
    )


# --- signing in and out -------------------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
def home(request: Request) -> Response:
    """The viewer's start page: their overview, the operator's list, or the sign-in page."""
    try:
        viewer = current_viewer(request)
    except SessionInvalid as exc:
        if exc.reason == "required":
            return redirect("/ui/signin")
        raise
    if viewer.is_operator:
        return redirect("/ui/operator/high-risk")
    if not data.learner_exists(database(request), viewer.user_id or ""):
        return sign_in_redirect("erased")
    return redirect(_learner_url(viewer.user_id or ""))


@router.get("/signin", response_class=HTMLResponse)
def sign_in_page(
    request: Request,
    token: Annotated[str | None, Query(max_length=MAX_TOKEN_CHARS)] = None,
    reason: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """The sign-in page; with ``token`` (a dashboard link) the token becomes the session."""
    if token is None:
        return render(
            request,
            "signin.html",
            {"title": "Sign in", "message": SIGN_IN_MESSAGES.get(reason or ""), "error": None},
        )
    try:
        if not token.startswith(data.LEARNER_TOKEN_PREFIX):
            raise Unauthorized("not a learner token")
        principal = data.verify_learner_token(token_secret(request), token, utcnow())
        data.learner_header(database(request), principal.user_id or "")
    except (Unauthorized, NotFound) as exc:
        expired = isinstance(exc, data.TokenExpired)
        return render(
            request,
            "signin.html",
            {
                "title": "Sign in",
                "message": None,
                "error": SIGN_IN_MESSAGES["expired" if expired else "invalid"],
            },
            status_code=401,
        )
    # The token leaves the address bar at once: a 303 to a page without it. That page then
    # moves on by itself, so the SameSite=Strict cookie is sent even when the link was
    # opened from another site (a cross-site redirect chain would withhold it).
    response = redirect("/ui/welcome")
    set_session_cookie(request, response, token)
    return response


@router.get("/welcome", response_class=HTMLResponse)
def welcome(request: Request) -> Response:
    """A moment's page after the token exchange that continues to the dashboard."""
    return render(request, "welcome.html", {"title": "Signing you in"})


@router.get("/erased", response_class=HTMLResponse)
def erased(request: Request) -> Response:
    """Where a learner lands after erasure, or with the session of a learner who was erased."""
    return render(request, "erased.html", {"title": "Your data has been erased"})


@router.post("/signin", response_class=HTMLResponse)
def operator_sign_in(
    request: Request,
    key: Annotated[str, Form(min_length=1, max_length=MAX_KEY_CHARS)],
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Operator sign-in with a service key: a signed session holding the key's digest."""
    check_form_token(request, None, csrf)
    try:
        principal, digest = data.check_service_key(
            database(request), key.strip(), key_cache(request)
        )
    except Unauthorized:
        return render(
            request,
            "signin.html",
            {
                "title": "Sign in",
                "message": None,
                "error": "That service key is not valid (or was revoked).",
            },
            status_code=401,
        )
    cookie, _max_age = operator_cookie(signing_key(request), principal.name, digest, utcnow())
    response = redirect("/ui/operator/high-risk")
    set_session_cookie(request, response, cookie)
    return response


@router.post("/signout")
def sign_out(request: Request, viewer: FormViewer) -> Response:
    """Forget the session in this browser."""
    response = redirect("/ui/signin?reason=signed-out")
    clear_session_cookie(response)
    return response


# --- static files -------------------------------------------------------------------------------


@router.get("/static/{digest}/{name}")
def static_file(request: Request, digest: str, name: str) -> Response:
    """plotly.js from the installed package and the dashboard's own CSS/JS (cached a year)."""
    asset = plotly_asset() if name == "plotly.min.js" else static_asset(name)
    if asset is None:
        raise NotFound(f"no static file {name!r}")
    return asset_response(request, asset)


@router.get("/sw.js")
def service_worker(request: Request) -> Response:
    """The service worker that keeps plotly.js compiled (at /ui/ so its scope is the dashboard).

    Not cached by its URL (a browser checks it for updates); it names the plotly.js it keeps.
    """
    asset = static_asset("sw.js")
    assert asset is not None
    response = asset_response(request, asset)
    response.headers["Cache-Control"] = "no-cache"
    return response


# --- learner pages ------------------------------------------------------------------------------


def _viewer_for(viewer: Viewer, user_id: str) -> Viewer:
    require_learner_access(viewer, user_id)
    return viewer


@router.get("/learners/{user_id}", response_class=HTMLResponse)
def overview_page(
    request: Request, user_id: UserId, viewer: CurrentViewer, done: str | None = None
) -> Response:
    """Latest load and burnout, top predictions, pattern highlights."""
    _viewer_for(viewer, user_id)
    ctx = data.overview(database(request), user_id, utcnow())
    extra: dict[str, object] = {}
    if "load" in ctx:
        # Drawn on the server: the page a sign-in link lands on needs no plotly.js.
        extra["meter"] = sketches.load_meter(ctx["load"])
        extra["sparkline_sketch"] = sketches.load_sparkline(ctx["sparkline"])
    if "board" in ctx:
        score_card = next((c for c in ctx["board"]["cards"] if c["name"] == "score"), None)
        extra["score_sketch"] = None if score_card is None else sketches.score_sparkline(score_card)
        extra["component_cards"] = [c for c in ctx["board"]["cards"] if c["name"] != "score"]
    return _learner_page(request, viewer, "overview.html", "", {**ctx, **extra, "charts": []}, done)


@router.get("/learners/{user_id}/patterns", response_class=HTMLResponse)
def patterns_page(
    request: Request, user_id: UserId, viewer: CurrentViewer, done: str | None = None
) -> Response:
    """Heatmap, optimal windows, forgetting curve, attention and duration findings."""
    _viewer_for(viewer, user_id)
    ctx = data.patterns(database(request), user_id, utcnow())
    chart_list = []
    extra: dict[str, object] = {}
    if "heatmap" in ctx:
        chart_list = [
            charts.heatmap_chart(ctx["heatmap"]),
            charts.forgetting_chart(ctx["forgetting"]),
        ]
        extra["windows_table"] = charts.optimal_windows_table(ctx["heatmap"])
    return _learner_page(
        request, viewer, "patterns.html", "patterns", {**ctx, **extra, "charts": chart_list}, done
    )


@router.get("/learners/{user_id}/health", response_class=HTMLResponse)
def health_page(request: Request, user_id: UserId, viewer: CurrentViewer) -> Response:
    """Load gauge and 30-day history, burnout factors and warnings."""
    _viewer_for(viewer, user_id)
    ctx = data.health(database(request), user_id, utcnow())
    chart_list = []
    if "load" in ctx:
        gauge = charts.load_gauge(ctx["load"])
        chart_list = [c for c in (gauge, charts.load_history_chart(ctx["history"])) if c]
        chart_list.append(charts.burnout_chart(ctx["burnout"]))
    return _learner_page(request, viewer, "health.html", "health", {**ctx, "charts": chart_list})


@router.get("/learners/{user_id}/struggles", response_class=HTMLResponse)
def struggles_page(
    request: Request, user_id: UserId, viewer: CurrentViewer, done: str | None = None
) -> Response:
    """Predictions with why, interventions to apply, feedback, this learner's model performance."""
    _viewer_for(viewer, user_id)
    ctx = data.struggles(database(request), user_id, utcnow())
    chart_list = []
    if "predictions" in ctx:
        if ctx["predictions"]:
            chart_list.append(charts.predictions_chart(ctx["predictions"]))
        perf = ctx["performance"]
        if perf.get("status") == "ok" and perf.get("overall"):
            chart_list.append(charts.calibration_chart(perf["overall"]))
    return _learner_page(
        request,
        viewer,
        "struggles.html",
        "struggles",
        {**ctx, "charts": chart_list, "applicable": InterventionStatus.PENDING.value},
        done,
    )


@router.get("/learners/{user_id}/personalization", response_class=HTMLResponse)
def personalization_page(
    request: Request, user_id: UserId, viewer: CurrentViewer, done: str | None = None
) -> Response:
    """Level and switches, each context's current config and why, the arms, effectiveness."""
    _viewer_for(viewer, user_id)
    ctx = data.personalization(database(request), user_id, utcnow())
    return _learner_page(
        request, viewer, "personalization.html", "personalization", {**ctx, "charts": []}, done
    )


@router.post("/learners/{user_id}/personalization/level")
def personalization_level(
    request: Request,
    user_id: UserId,
    viewer: FormViewer,
    level: Annotated[str, Form(max_length=10)],
) -> Response:
    """Change the personalization level (NONE, LOW, MEDIUM, HIGH)."""
    _viewer_for(viewer, user_id)
    if level not in PersonalizationLevel.__members__:
        raise ValidationFailed(
            "invalid form: level: choose NONE, LOW, MEDIUM or HIGH",
            details=[{"index": None, "field": "level", "reason": "unknown level"}],
        )
    data.set_personalization_level(
        database(request), user_id, PersonalizationLevel(level), utcnow()
    )
    return redirect(_learner_url(user_id, "personalization") + "?done=level-changed")


@router.get("/learners/{user_id}/privacy", response_class=HTMLResponse)
def privacy_page(
    request: Request, user_id: UserId, viewer: CurrentViewer, done: str | None = None
) -> Response:
    """The three switches, export, erasure."""
    _viewer_for(viewer, user_id)
    ctx = data.privacy(database(request), user_id)
    return _learner_page(request, viewer, "privacy.html", "privacy", {**ctx, "charts": []}, done)


@router.get("/learners/{user_id}/export")
def export(request: Request, user_id: UserId, viewer: CurrentViewer) -> Response:
    """Download everything stored about the learner (one JSON document)."""
    _viewer_for(viewer, user_id)
    chunks = data.export_chunks(database(request), user_id)
    return StreamingResponse(
        chunks,
        media_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="twin-export.json"'},
    )


# --- learner forms ------------------------------------------------------------------------------


def _yes_no(field: str, value: str) -> bool:
    if value not in ("yes", "no"):
        raise ValidationFailed(
            f"invalid form: {field}: choose yes or no",
            details=[{"index": None, "field": field, "reason": "not yes or no"}],
        )
    return value == "yes"


@router.post("/learners/{user_id}/predictions/{prediction_id}/feedback")
def feedback(
    request: Request,
    user_id: UserId,
    prediction_id: ItemId,
    viewer: FormViewer,
    actual: Annotated[str, Form(max_length=3)],
    helpfulness: Annotated[str, Form(max_length=1)] = "",
    comments: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """The learner's own outcome of a prediction."""
    _viewer_for(viewer, user_id)
    score: int | None = None
    if helpfulness:
        if not helpfulness.isdigit():
            raise ValidationFailed(
                "invalid form: helpfulness: choose 1 to 5",
                details=[{"index": None, "field": "helpfulness", "reason": "not a number"}],
            )
        score = int(helpfulness)
    data.record_feedback(
        database(request),
        user_id,
        prediction_id,
        actual_struggle=_yes_no("actual", actual),
        feedback_type=None,
        helpfulness=score,
        comments=comments.strip() or None,
        now=utcnow(),
    )
    return redirect(_learner_url(user_id, "struggles") + "?done=feedback")


@router.post("/learners/{user_id}/interventions/{intervention_id}/apply")
def apply(
    request: Request, user_id: UserId, intervention_id: ItemId, viewer: FormViewer
) -> Response:
    """Apply an intervention to the learner's next planned mission."""
    _viewer_for(viewer, user_id)
    data.apply_intervention(database(request), user_id, intervention_id, utcnow())
    return redirect(_learner_url(user_id, "struggles") + "?done=applied")


@router.post("/learners/{user_id}/insights/{insight_id}/acknowledge")
def acknowledge(
    request: Request,
    user_id: UserId,
    insight_id: ItemId,
    viewer: FormViewer,
    applied: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    """Mark an insight as seen."""
    _viewer_for(viewer, user_id)
    data.acknowledge_insight(
        database(request),
        user_id,
        insight_id,
        _yes_no("applied", applied) if applied else None,
        utcnow(),
    )
    return redirect(_learner_url(user_id, "patterns") + "?done=acknowledged")


@router.post("/learners/{user_id}/privacy")
def privacy_switch(
    request: Request,
    user_id: UserId,
    viewer: FormViewer,
    setting: Annotated[str, Form(max_length=60)],
    value: Annotated[str, Form(max_length=3)],
) -> Response:
    """Turn one privacy switch on or off."""
    _viewer_for(viewer, user_id)
    if setting not in PRIVACY_SWITCHES or value not in ("on", "off"):
        raise ValidationFailed(
            "invalid form: setting: not one of the three privacy switches",
            details=[{"index": None, "field": "setting", "reason": "unknown switch"}],
        )
    data.set_privacy(database(request), user_id, setting, value == "on")
    on, off = PRIVACY_SWITCHES[setting]
    return redirect(_learner_url(user_id, "privacy") + f"?done={on if value == 'on' else off}")


@router.post("/learners/{user_id}/erase")
def erase(
    request: Request,
    user_id: UserId,
    viewer: FormViewer,
    confirm: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Erase the learner after they typed their id to confirm."""
    _viewer_for(viewer, user_id)
    if confirm != user_id:
        raise ValidationFailed(
            "Nothing was erased: type the id exactly as shown to confirm.",
            details=[{"index": None, "field": "confirm", "reason": "does not match"}],
        )
    data.erase(database(request), user_id)
    if viewer.is_operator:
        return redirect("/ui/operator/learners?done=erased")
    return sign_in_redirect("erased")


# --- operator pages -----------------------------------------------------------------------------


def _operator_page(
    request: Request,
    viewer: Viewer,
    template: str,
    page: str,
    context: dict[str, object],
    *,
    form_error: FormError | None = None,
) -> HTMLResponse:
    return render(
        request,
        template,
        {
            "page": page,
            "pages": OPERATOR_PAGES,
            "title": dict(OPERATOR_PAGES)[page],
            "learner": None,
            "form_error": form_error,
            **context,
        },
        viewer=viewer,
        status_code=200 if form_error is None else form_error.status,
    )


@router.get("/operator", response_class=HTMLResponse)
def operator_home(viewer: OperatorViewer) -> Response:
    """The operator's start page."""
    return redirect("/ui/operator/high-risk")


@router.get("/operator/high-risk", response_class=HTMLResponse)
def high_risk_page(
    request: Request,
    viewer: OperatorViewer,
    min_probability: Annotated[
        float, Query(alias="min", ge=0.0, le=1.0)
    ] = operator_data.HIGH_RISK_FROM,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
    done: str | None = None,
) -> Response:
    """PENDING predictions above a probability across learners, newest first, a page at a time."""
    page = operator_data.high_risk(database(request), min_probability, cursor)
    return _operator_page(
        request,
        viewer,
        "high_risk.html",
        "high-risk",
        {
            "result": page,
            "thresholds": (0.5, 0.7, 0.9),
            "first_page": cursor is None,
            "done": _done(done),
            "charts": [],
        },
    )


@router.get("/operator/learners", response_class=HTMLResponse)
def learners_page(
    request: Request,
    viewer: OperatorViewer,
    q: Annotated[str, Query(max_length=200)] = "",
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    done: str | None = None,
) -> Response:
    """Find a learner by id or name: learners by id, a page at a time, with a search box."""
    search = q.strip()
    found = operator_data.find_learners(database(request), search or None, cursor)
    return _operator_page(
        request,
        viewer,
        "learners.html",
        "learners",
        {
            "result": found,
            "search": search,
            "first_page": cursor is None,
            "done": _done(done),
            "charts": [],
        },
    )


@router.get("/operator/models", response_class=HTMLResponse)
def models_page(request: Request, viewer: OperatorViewer) -> Response:
    """The struggle-model registry with held-out metrics."""
    registry = operator_data.model_registry(database(request))
    chart_list = [charts.registry_chart(registry["models"])] if registry["models"] else []
    return _operator_page(
        request, viewer, "models.html", "models", {**registry, "charts": chart_list, "done": None}
    )


@router.get("/operator/cohorts", response_class=HTMLResponse)
def cohorts_page(request: Request, viewer: OperatorViewer) -> Response:
    """Twin measures over the learners who share anonymized patterns, never fewer than the
    minimum group size (no learner can be picked out)."""
    ctx = operator_data.cohorts(database(request))
    chart_list = [
        charts.cohort_chart(m, ctx["minBin"]) for m in ctx["measures"] if "distribution" in m
    ]
    return _operator_page(
        request, viewer, "cohorts.html", "cohorts", {**ctx, "charts": chart_list, "done": None}
    )


@router.get("/{rest:path}", response_class=HTMLResponse)
def not_found(rest: str) -> Response:
    """Any other address under /ui."""
    raise NotFound("There is no dashboard page at this address.")
