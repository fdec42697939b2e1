"""The insights and learn pages and their forms (issue 19): recommendations, goals,
notifications, articles."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request, Response
from fastapi.responses import HTMLResponse

from twin.clock import utcnow
from twin.errors import ValidationFailed
from twin.ui import charts, prose
from twin.ui.data import insights as data
from twin.ui.routes import (
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
    database,
    redirect,
    urlpart,
)

router = APIRouter(prefix="/ui", route_class=UiRoute, include_in_schema=False)


@router.get("/learners/{user_id}/insights", response_class=HTMLResponse)
def insights_page(
    request: Request, user_id: UserId, viewer: CurrentViewer, done: str | None = None
) -> Response:
    """Recommendations with their evidence, goals with progress, notifications."""
    _viewer_for(viewer, user_id)
    return _insights_page(request, viewer, user_id, done)


def _insights_page(
    request: Request,
    viewer: Viewer,
    user_id: str,
    done: str | None = None,
    form_error: FormError | None = None,
) -> HTMLResponse:
    ctx = data.insights(database(request), user_id, utcnow())
    if "applied" in ctx:
        ctx["applied_rows"] = [_applied_row(r) for r in ctx["applied"]]
    goal_types = [(t.value, t.value.replace("_", " ").capitalize()) for t in data.GOAL_TYPES]
    return _learner_page(
        request,
        viewer,
        "insights.html",
        "insights",
        {**ctx, "charts": [], "goal_types": goal_types},
        done,
        form_error=form_error,
    )


def _applied_row(rec: dict[str, object]) -> tuple[str, str, str, str]:
    outcome = rec.get("outcome")
    verdict, change = "being measured", "—"
    if isinstance(outcome, dict) and outcome.get("verdict"):
        verdict = str(outcome["verdict"]).replace("_", " ").lower()
        if outcome.get("change") is not None:
            change = f"{float(outcome['change']):+.1f}"
    return (str(rec["title"]), str(rec.get("appliedAt") or "")[:10], verdict, change)


@router.get("/learners/{user_id}/progress", response_class=HTMLResponse)
def progress_page(
    request: Request,
    user_id: UserId,
    viewer: CurrentViewer,
    compare: Annotated[int, Query(ge=2, le=8)] = 2,
) -> Response:
    """The behavioral score's history, its correlation with results (with its interval, or
    what is missing), pattern evolution and progress against 2, 4 or 8 weeks ago."""
    _viewer_for(viewer, user_id)
    if compare not in data.COMPARE_WEEKS:
        raise ValidationFailed(
            "invalid request: compare: choose 2, 4 or 8 weeks",
            details=[{"index": None, "field": "compare", "reason": "must be 2, 4 or 8"}],
        )
    ctx = data.progress(database(request), user_id, utcnow(), compare)
    chart_list = []
    if "score" in ctx and ctx["score"]["weeks"]:
        chart_list.append(charts.score_history_chart(ctx["score"]))
    return _learner_page(
        request,
        viewer,
        "progress.html",
        "progress",
        {**ctx, "charts": chart_list, "compare_choices": data.COMPARE_WEEKS},
    )


@router.get("/learners/{user_id}/learn", response_class=HTMLResponse)
def learn_page(request: Request, user_id: UserId, viewer: CurrentViewer) -> Response:
    """The learning-science articles, the ones the learner's twin suggests and why."""
    _viewer_for(viewer, user_id)
    ctx = data.learn(database(request), user_id, utcnow())
    titles = {a["slug"]: a["title"] for a in ctx["articles"]}
    return _learner_page(
        request, viewer, "learn.html", "learn", {**ctx, "titles": titles, "charts": []}
    )


@router.get("/learners/{user_id}/learn/{slug}", response_class=HTMLResponse)
def article_page(
    request: Request,
    user_id: UserId,
    slug: Annotated[str, Path(min_length=1, max_length=120)],
    viewer: CurrentViewer,
    done: str | None = None,
) -> Response:
    """One article with "your data" from the learner's own twin."""
    _viewer_for(viewer, user_id)
    ctx = data.article(database(request), user_id, slug, utcnow())
    body = prose.blocks(ctx["article"]["markdown"])
    return _learner_page(
        request, viewer, "article.html", "learn", {**ctx, "body": body, "charts": []}, done
    )


@router.post("/learners/{user_id}/learn/{slug}/feedback")
def article_feedback(
    request: Request,
    user_id: UserId,
    slug: Annotated[str, Path(min_length=1, max_length=120)],
    viewer: FormViewer,
    helpful: Annotated[str, Form(max_length=3)],
    rating: Annotated[str, Form(max_length=1)] = "",
) -> Response:
    """Was the article helpful, and a rating 1–5."""
    _viewer_for(viewer, user_id)
    if rating and not rating.isdigit():
        raise ValidationFailed(
            "invalid form: rating: choose 1 to 5",
            details=[{"index": None, "field": "rating", "reason": "not a number"}],
        )
    data.article_feedback(
        database(request),
        user_id,
        slug,
        utcnow(),
        helpful=_yes_no("helpful", helpful),
        rating=int(rating) if rating else None,
    )
    return redirect(_learner_url(user_id, f"learn/{urlpart(slug)}") + "?done=article-feedback")


def _insights_done(user_id: str, done: str) -> Response:
    return redirect(_learner_url(user_id, "insights") + f"?done={done}")


@router.post("/learners/{user_id}/recommendations/{rec_id}/apply")
def apply_recommendation(
    request: Request, user_id: UserId, rec_id: ItemId, viewer: FormViewer
) -> Response:
    """The learner will act on a recommendation (its effect is measured two weeks on)."""
    _viewer_for(viewer, user_id)
    data.apply_recommendation(database(request), user_id, rec_id, utcnow())
    return _insights_done(user_id, "rec-applied")


@router.post("/learners/{user_id}/recommendations/{rec_id}/dismiss")
def dismiss_recommendation(
    request: Request, user_id: UserId, rec_id: ItemId, viewer: FormViewer
) -> Response:
    """Dismiss a recommendation for good."""
    _viewer_for(viewer, user_id)
    data.dismiss_recommendation(database(request), user_id, rec_id, utcnow())
    return _insights_done(user_id, "rec-dismissed")


def _form_number(field: str, value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if number != number or number in (float("inf"), float("-inf")):
        raise ValidationFailed(
            f"invalid form: {field}: give a number",
            details=[{"index": None, "field": field, "reason": "not a number"}],
        )
    return number


def _form_day_end(field: str, value: str) -> datetime:
    """A date field (YYYY-MM-DD) as the end of that day, UTC."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(
            f"invalid form: {field}: give a date as YYYY-MM-DD",
            details=[{"index": None, "field": field, "reason": "not a date"}],
        ) from None
    return datetime.combine(day, time(23, 59), tzinfo=UTC)


@router.post("/learners/{user_id}/goals")
def create_goal(
    request: Request,
    user_id: UserId,
    viewer: FormViewer,
    goal_type: Annotated[str, Form(max_length=40)],
    target_value: Annotated[str, Form(max_length=40)] = "",
    deadline: Annotated[str, Form(max_length=10)] = "",
    title: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Set a goal from a template; the service names every bad field (422, nothing written)."""
    _viewer_for(viewer, user_id)
    if goal_type not in {t.value for t in data.GOAL_TYPES}:
        raise ValidationFailed(
            "invalid form: goal_type: choose one of the listed goals",
            details=[{"index": None, "field": "goal_type", "reason": "unknown goal type"}],
        )
    data.create_goal(
        database(request),
        user_id,
        goal_type=goal_type,
        target_value=_form_number("target_value", target_value) if target_value else None,
        deadline=_form_day_end("deadline", deadline) if deadline else None,
        title=title.strip() or None,
        now=utcnow(),
    )
    return _insights_done(user_id, "goal-set")


@router.post("/learners/{user_id}/notifications/read-all")
def read_all_notifications(request: Request, user_id: UserId, viewer: FormViewer) -> Response:
    """Mark every notification read."""
    _viewer_for(viewer, user_id)
    data.read_all_notifications(database(request), user_id, utcnow())
    return _insights_done(user_id, "read-all")


@router.post("/learners/{user_id}/notifications/{notification_id}/read")
def read_notification(
    request: Request, user_id: UserId, notification_id: ItemId, viewer: FormViewer
) -> Response:
    """Mark one notification read."""
    _viewer_for(viewer, user_id)
    data.read_notification(database(request), user_id, notification_id, utcnow())
    return _insights_done(user_id, "read")


@router.post("/learners/{user_id}/goals/{goal_id}/edit", response_class=HTMLResponse)
def edit_goal(
    request: Request,
    user_id: UserId,
    goal_id: ItemId,
    viewer: FormViewer,
    title: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Rename a goal; a blank title is shown on the form (422), nothing written."""
    _viewer_for(viewer, user_id)
    try:
        data.edit_goal(database(request), user_id, goal_id, utcnow(), title=title, abandon=False)
    except FORM_ERRORS as exc:
        return _insights_page(
            request, viewer, user_id, form_error=FormError.of(f"goal-{goal_id}", exc)
        )
    return _insights_done(user_id, "goal-renamed")


@router.post("/learners/{user_id}/goals/{goal_id}/abandon", response_class=HTMLResponse)
def abandon_goal(
    request: Request, user_id: UserId, goal_id: ItemId, viewer: FormViewer
) -> Response:
    """Abandon an active goal (409 on the form when it is over already)."""
    _viewer_for(viewer, user_id)
    try:
        data.edit_goal(database(request), user_id, goal_id, utcnow(), title=None, abandon=True)
    except FORM_ERRORS as exc:
        return _insights_page(
            request, viewer, user_id, form_error=FormError.of(f"goal-{goal_id}", exc)
        )
    return _insights_done(user_id, "goal-abandoned")
