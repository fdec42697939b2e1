"""The schedule page and its forms (issue 16): slots, plans, the calendar, the feed link."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from pydantic import ValidationError as PydanticValidationError
from starlette.background import BackgroundTask

from twin.api.schemas.orchestration import PreferencesIn
from twin.clock import utcnow
from twin.errors import TwinError, ValidationFailed
from twin.ui import week
from twin.ui.data import schedule as data
from twin.ui.routes import (
    CALENDAR_KINDS,
    FORM_ERRORS,
    FormError,
    ItemId,
    UserId,
    _learner_page,
    _learner_url,
    _viewer_for,
    _yes_no,
)
from twin.ui.session import Viewer
from twin.ui.web import (
    CurrentViewer,
    FormViewer,
    UiRoute,
    calendar_context,
    database,
    redirect,
)

router = APIRouter(prefix="/ui", route_class=UiRoute, include_in_schema=False)


def _schedule_page(
    request: Request,
    viewer: Viewer,
    user_id: str,
    done: str | None = None,
    feed_url: str | None = None,
) -> HTMLResponse:
    ctx = data.schedule(database(request), user_id, utcnow())
    drawn = week.week_chart(ctx["schedule"], ctx["busy"]) if "schedule" in ctx else None
    chart_list = [drawn] if drawn is not None else []
    return _learner_page(
        request,
        viewer,
        "schedule.html",
        "schedule",
        {**ctx, "charts": chart_list, "feed_url": feed_url, "calendar_kinds": CALENDAR_KINDS},
        done,
    )


@router.get("/learners/{user_id}/schedule", response_class=HTMLResponse)
def schedule_page(
    request: Request, user_id: UserId, viewer: CurrentViewer, done: str | None = None
) -> Response:
    """Best study times, recommended slots over the calendar's busy time, plans, the calendar."""
    _viewer_for(viewer, user_id)
    return _schedule_page(request, viewer, user_id, done)


def _schedule_done(user_id: str, done: str, write_back: BackgroundTask | None = None) -> Response:
    response = redirect(_learner_url(user_id, "schedule") + f"?done={done}")
    response.background = write_back
    return response


def _write_back(request: Request, user_id: str) -> BackgroundTask:
    """After the answer: the learner's CalDAV study calendar follows the change (if write-back
    is on), as the API's schedule routes do; the change was committed before."""
    return BackgroundTask(
        data.write_back, database(request), user_id, utcnow(), calendar_context(request)
    )


@router.get("/learners/{user_id}/schedule/effectiveness", response_class=HTMLResponse)
def effectiveness_page(request: Request, user_id: UserId, viewer: CurrentViewer) -> Response:
    """Adherence to accepted slots and the followed-vs-other outcome differences."""
    _viewer_for(viewer, user_id)
    ctx = data.schedule_effectiveness(database(request), user_id, utcnow())
    return _learner_page(
        request, viewer, "schedule_effectiveness.html", "schedule", {**ctx, "charts": []}
    )


@router.post("/learners/{user_id}/schedule/recommend")
def recommend(request: Request, user_id: UserId, viewer: FormViewer) -> Response:
    """Find the learner's best free study slots of the next 7 days (the stored offer)."""
    _viewer_for(viewer, user_id)
    answer = data.recommend_slots(database(request), user_id, utcnow())
    return _schedule_done(user_id, "rest" if answer["rest"] else "recommended")


@router.post("/learners/{user_id}/schedule/slots/{slot_id}/accept")
def accept_slot(request: Request, user_id: UserId, slot_id: ItemId, viewer: FormViewer) -> Response:
    """Accept a recommended slot: a session is planned at it."""
    _viewer_for(viewer, user_id)
    data.accept_slot(database(request), user_id, slot_id, utcnow())
    return _schedule_done(user_id, "slot-accepted", _write_back(request, user_id))


@router.post("/learners/{user_id}/schedule/plans/{plan_id}/cancel")
def cancel_plan(request: Request, user_id: UserId, plan_id: ItemId, viewer: FormViewer) -> Response:
    """Cancel a planned session."""
    _viewer_for(viewer, user_id)
    data.cancel_plan(database(request), user_id, plan_id, utcnow())
    return _schedule_done(user_id, "plan-cancelled", _write_back(request, user_id))


@router.post("/learners/{user_id}/schedule/feed", response_class=HTMLResponse)
def new_feed(request: Request, user_id: UserId, viewer: FormViewer) -> Response:
    """A secret subscription link of the planned sessions, shown on this answer only (never in
    a URL the browser keeps: the page is the POST's answer)."""
    _viewer_for(viewer, user_id)
    path = data.new_feed_path(database(request), user_id, utcnow())
    feed_url = str(request.base_url).rstrip("/") + path
    return _schedule_page(request, viewer, user_id, feed_url=feed_url)


@router.post("/learners/{user_id}/calendar")
def connect_calendar(
    request: Request,
    user_id: UserId,
    viewer: FormViewer,
    kind: Annotated[str, Form(max_length=20)],
    url: Annotated[str, Form(min_length=1, max_length=2000)],
    username: Annotated[str, Form(max_length=500)] = "",
    password: Annotated[str, Form(max_length=500)] = "",
    write_back: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    """Connect an iCalendar feed URL or a CalDAV account (checked and read now, or nothing)."""
    _viewer_for(viewer, user_id)
    if kind not in CALENDAR_KINDS:
        raise ValidationFailed(
            "invalid form: kind: choose an iCalendar address or a CalDAV server",
            details=[{"index": None, "field": "kind", "reason": "unknown kind"}],
        )
    data.connect_calendar(
        database(request),
        user_id,
        kind=kind,
        url=url.strip(),
        username=username.strip() or None,
        password=password or None,
        write_back=_yes_no("write_back", write_back) if write_back else False,
        now=utcnow(),
        context=calendar_context(request),
    )
    return _schedule_done(user_id, "calendar-connected")


@router.post("/learners/{user_id}/calendar/upload")
async def upload_calendar(
    request: Request,
    user_id: UserId,
    viewer: FormViewer,
    file: Annotated[UploadFile, File()],
) -> Response:
    """Upload an .ics file; a malformed one is a 422 naming its line and component."""
    _viewer_for(viewer, user_id)
    body = await file.read(data.MAX_ICS_BYTES + 1)  # one byte over the cap is enough to refuse
    await run_in_threadpool(
        data.upload_calendar,
        database(request),
        user_id,
        body,
        utcnow(),
        calendar_context(request),
    )
    return _schedule_done(user_id, "calendar-connected")


@router.post("/learners/{user_id}/calendar/sync")
def sync_calendar(request: Request, user_id: UserId, viewer: FormViewer) -> Response:
    """Read the connected calendar again; a failure is recorded and shown in its status."""
    _viewer_for(viewer, user_id)
    try:
        _status, replanned = data.sync_calendar(
            database(request), user_id, utcnow(), calendar_context(request)
        )
    except TwinError as exc:
        if exc.http_status < 500:
            raise
        return _schedule_done(user_id, "sync-failed")
    if replanned:
        return _schedule_done(user_id, "calendar-replanned", _write_back(request, user_id))
    return _schedule_done(user_id, "calendar-synced")


@router.post("/learners/{user_id}/calendar/disconnect")
def disconnect_calendar(request: Request, user_id: UserId, viewer: FormViewer) -> Response:
    """Remove the calendar and its busy times."""
    _viewer_for(viewer, user_id)
    data.disconnect_calendar(database(request), user_id, utcnow(), calendar_context(request))
    return _schedule_done(user_id, "calendar-removed")


# --- study windows and feed links ---------------------------------------------------------------

EMPTY_WINDOW_ROWS = 2
"""Blank rows under the declared windows, to add new ones."""
DAY_CHOICES: tuple[tuple[str, str, tuple[int, ...]], ...] = (
    ("all", "every day", tuple(range(7))),
    ("weekdays", "Monday to Friday", (0, 1, 2, 3, 4)),
    ("weekend", "Saturday and Sunday", (5, 6)),
    *(
        (str(i), name, (i,))
        for i, name in enumerate(
            ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
        )
    ),
)
MINUTES_PER_HOUR = 60
MINUTES_PER_DAY = 24 * MINUTES_PER_HOUR


def _clock(minute: int) -> str:
    """Minute of the day → ``HH:MM`` (the day's end, minute 1440, is 00:00)."""
    minute %= MINUTES_PER_DAY
    return f"{minute // MINUTES_PER_HOUR:02d}:{minute % MINUTES_PER_HOUR:02d}"


def _day_choice(weekdays: list[int]) -> str:
    days = tuple(sorted(weekdays))
    return next((key for key, _label, chosen in DAY_CHOICES if chosen == days), "all")


def _settings_page(
    request: Request,
    viewer: Viewer,
    user_id: str,
    done: str | None = None,
    form_error: FormError | None = None,
    rows: list[dict[str, str]] | None = None,
) -> HTMLResponse:
    ctx = data.schedule_settings(database(request), user_id)
    if rows is None:
        rows = [
            {
                "kind": w["kind"],
                "start": _clock(w["startMinute"]),
                "end": _clock(w["endMinute"]),
                "days": _day_choice(w["weekdays"]),
                "label": w.get("label", ""),
            }
            for w in ctx["preferences"]["windows"]
        ]
        rows += [{"kind": "", "start": "", "end": "", "days": "all", "label": ""}] * (
            EMPTY_WINDOW_ROWS
        )
    return _learner_page(
        request,
        viewer,
        "schedule_settings.html",
        "schedule",
        {**ctx, "charts": [], "rows": rows, "day_choices": DAY_CHOICES},
        done,
        form_error=form_error,
    )


@router.get("/learners/{user_id}/schedule/settings", response_class=HTMLResponse)
def settings_page(
    request: Request, user_id: UserId, viewer: CurrentViewer, done: str | None = None
) -> Response:
    """The learner's declared study windows and their calendar feed links."""
    _viewer_for(viewer, user_id)
    return _settings_page(request, viewer, user_id, done)


def _minute(value: str, *, end: bool) -> int | None:
    """``HH:MM`` → minute of the day (an end of 00:00 is midnight at the day's end)."""
    try:
        hours, minutes = (int(part) for part in value.split(":")[:2])
    except ValueError:
        return None
    if not (0 <= hours < 24 and 0 <= minutes < MINUTES_PER_HOUR):
        return None
    minute = hours * MINUTES_PER_HOUR + minutes
    return MINUTES_PER_DAY if end and minute == 0 else minute


def _window_rows(
    kind: list[str], start: list[str], end: list[str], days: list[str], label: list[str]
) -> list[dict[str, str]]:
    if not len(kind) == len(start) == len(end) == len(days) == len(label):
        raise ValidationFailed(
            "invalid form: windows: every row needs a kind, start, end, days and label",
            details=[{"index": None, "field": "windows", "reason": "rows of unequal length"}],
        )
    return [
        {"kind": k, "start": s, "end": e, "days": d, "label": lb}
        for k, s, e, d, lb in zip(kind, start, end, days, label, strict=True)
    ]


def _preferences_body(rows: list[dict[str, str]]) -> PreferencesIn:
    """The rows of the form as the API's request body, checked by the API's own model."""
    chosen = {key: list(values) for key, _label, values in DAY_CHOICES}
    windows: list[dict[str, object]] = []
    problems: list[dict[str, object]] = []
    for number, row in enumerate(rows, start=1):
        if not row["kind"]:
            continue  # a row left at "no window"
        begin, finish = _minute(row["start"], end=False), _minute(row["end"], end=True)
        for field, value in (("start", begin), ("end", finish)):
            if value is None:
                problems.append({"index": number, "field": field, "reason": "give a time HH:MM"})
        if row["days"] not in chosen:
            problems.append({"index": number, "field": "days", "reason": "unknown choice"})
        if problems:
            continue
        windows.append(
            {
                "kind": row["kind"],
                "startMinute": begin,
                "endMinute": finish,
                "weekdays": chosen[row["days"]],
                "label": row["label"].strip(),
            }
        )
    if not problems:
        try:
            return PreferencesIn.model_validate({"windows": windows})
        except PydanticValidationError as exc:
            for err in exc.errors():
                loc = [p for p in err["loc"] if not isinstance(p, int)]
                index = next((p + 1 for p in err["loc"] if isinstance(p, int)), None)
                problems.append(
                    {"index": index, "field": ".".join(map(str, loc)), "reason": err["msg"]}
                )
    raise ValidationFailed(
        "Nothing was saved: "
        + "; ".join(
            f"window {p['index']}: {p['field']}: {p['reason']}"
            if p["index"] is not None
            else f"{p['field']}: {p['reason']}"
            for p in problems
        ),
        details=problems,
    )


@router.post("/learners/{user_id}/schedule/preferences", response_class=HTMLResponse)
def save_preferences(
    request: Request,
    user_id: UserId,
    viewer: FormViewer,
    kind: Annotated[list[Literal["", "PREFER", "AVOID"]], Form()],
    start: Annotated[list[str], Form()],
    end: Annotated[list[str], Form()],
    days: Annotated[list[str], Form()],
    label: Annotated[list[str], Form()],
) -> Response:
    """Replace the declared study windows; any bad row is shown on the form (422)."""
    _viewer_for(viewer, user_id)
    rows = _window_rows(list(kind), start, end, days, label)
    try:
        body = _preferences_body(rows)
        data.set_preferences(database(request), user_id, body, utcnow())
    except FORM_ERRORS as exc:
        failed = FormError.of("preferences", exc)
        return _settings_page(request, viewer, user_id, form_error=failed, rows=rows)
    return redirect(_learner_url(user_id, "schedule/settings") + "?done=preferences-saved")


@router.post("/learners/{user_id}/schedule/feed-tokens/{token_id}/revoke")
def revoke_feed_token(
    request: Request, user_id: UserId, token_id: ItemId, viewer: FormViewer
) -> Response:
    """Revoke one calendar feed link."""
    _viewer_for(viewer, user_id)
    data.revoke_feed_token(database(request), user_id, token_id, utcnow())
    return redirect(_learner_url(user_id, "schedule/settings") + "?done=feed-revoked")
