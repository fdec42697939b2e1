"""The operator's experiment pages (issue 18): the list, each result, stopping one."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import ValidationError as PydanticValidationError

from twin.analysis.experiments.metrics import METRICS
from twin.analysis.experiments.verdict import DecisionMethod
from twin.api.schemas.experiments import ExperimentIn
from twin.clock import utcnow
from twin.enums import PersonalizationContext
from twin.errors import ValidationFailed
from twin.ui import comparisons
from twin.ui.data import operator as data
from twin.ui.routes import (
    FORM_ERRORS,
    OPERATOR_PAGES,
    FormError,
    ItemId,
    _done,
    _operator_page,
)
from twin.ui.session import Viewer
from twin.ui.web import (
    FormViewer,
    OperatorViewer,
    UiRoute,
    database,
    redirect,
    render,
    require_operator,
    urlpart,
)

router = APIRouter(prefix="/ui", route_class=UiRoute, include_in_schema=False)


@router.get("/operator/experiments", response_class=HTMLResponse)
def experiments_page(
    request: Request,
    viewer: OperatorViewer,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    done: str | None = None,
) -> Response:
    """Every experiment with its state, participants and verdict, newest first; the form
    that defines a new one."""
    return _experiments_page(request, viewer, cursor, done)


def _experiments_page(
    request: Request,
    viewer: Viewer,
    cursor: str | None = None,
    done: str | None = None,
    form_error: FormError | None = None,
    entered: dict[str, str] | None = None,
) -> HTMLResponse:
    listed = data.experiments(database(request), utcnow(), cursor)
    return _operator_page(
        request,
        viewer,
        "experiments.html",
        "experiments",
        {
            **listed,
            "first_page": cursor is None,
            "charts": [],
            "done": _done(done),
            "contexts": [c.value for c in PersonalizationContext],
            "metrics": list(METRICS),
            "methods": [m.value for m in DecisionMethod],
            "entered": entered or NEW_EXPERIMENT_DEFAULTS,
        },
        form_error=form_error,
    )


NEW_EXPERIMENT_DEFAULTS = {
    "name": "",
    "description": "",
    "context": PersonalizationContext.MISSION.value,
    "primary_metric": "performance",
    "control_name": "Control",
    "control_config": "{}",
    "treatment_name": "",
    "treatment_config": "{}",
    "treatment_share": "50",
    "end_date": "",
    "min_participants": "20",
    "min_days": "14",
    "method": DecisionMethod.SEQUENTIAL.value,
}
CONTROL_ID = "control"
TREATMENT_ID = "treatment"
PERCENT = 100.0


def _json_object(field: str, text: str) -> dict[str, object]:
    try:
        value = json.loads(text or "{}")
    except json.JSONDecodeError as exc:
        raise ValidationFailed(
            f"invalid form: {field}: not JSON ({exc.msg} at character {exc.pos})",
            details=[{"index": None, "field": field, "reason": "not JSON"}],
        ) from None
    if not isinstance(value, dict):
        raise ValidationFailed(
            f'invalid form: {field}: give a JSON object such as {{"durationFactor": 0.8}}',
            details=[{"index": None, "field": field, "reason": "not an object"}],
        )
    return value


def _whole(field: str, text: str) -> int:
    if not text.strip().isdigit():
        raise ValidationFailed(
            f"invalid form: {field}: give a whole number",
            details=[{"index": None, "field": field, "reason": "not a whole number"}],
        )
    return int(text)


def _experiment_body(entered: dict[str, str]) -> ExperimentIn:
    """The form as the API's request body, checked by the API's own model (the service then
    checks what makes a definition valid)."""
    share = _form_share(entered["treatment_share"])
    try:
        end = datetime.combine(date.fromisoformat(entered["end_date"]), time(23, 59), tzinfo=UTC)
    except ValueError:
        raise ValidationFailed(
            "invalid form: end_date: give the last day as YYYY-MM-DD",
            details=[{"index": None, "field": "end_date", "reason": "not a date"}],
        ) from None
    body = {
        "name": entered["name"].strip(),
        "description": entered["description"].strip(),
        "context": entered["context"],
        "primaryMetric": entered["primary_metric"],
        "variants": [
            {
                "id": CONTROL_ID,
                "name": entered["control_name"].strip(),
                "weight": PERCENT - share,
                "config": _json_object("control_config", entered["control_config"]),
            },
            {
                "id": TREATMENT_ID,
                "name": entered["treatment_name"].strip(),
                "weight": share,
                "config": _json_object("treatment_config", entered["treatment_config"]),
            },
        ],
        "endDate": end.isoformat(),
        "minParticipantsPerArm": _whole("min_participants", entered["min_participants"]),
        "minDurationDays": _whole("min_days", entered["min_days"]),
        "decisionMethod": entered["method"],
    }
    try:
        return ExperimentIn.model_validate(body)
    except PydanticValidationError as exc:
        problems = [
            {
                "index": None,
                "field": ".".join(str(p) for p in err["loc"]),
                "reason": err["msg"],
            }
            for err in exc.errors()
        ]
        raise ValidationFailed(
            "Nothing was saved: " + "; ".join(f"{p['field']}: {p['reason']}" for p in problems),
            details=problems,
        ) from None


def _form_share(text: str) -> float:
    try:
        share = float(text)
    except ValueError:
        share = -1.0
    if not 0.0 < share < PERCENT:
        raise ValidationFailed(
            "invalid form: treatment_share: give a percentage between 0 and 100",
            details=[{"index": None, "field": "treatment_share", "reason": "not in (0, 100)"}],
        )
    return share


@router.post("/operator/experiments", response_class=HTMLResponse)
def create_experiment(
    request: Request,
    viewer: FormViewer,
    name: Annotated[str, Form(max_length=200)] = "",
    description: Annotated[str, Form(max_length=4000)] = "",
    context: Annotated[str, Form(max_length=20)] = "",
    primary_metric: Annotated[str, Form(max_length=100)] = "",
    control_name: Annotated[str, Form(max_length=200)] = "",
    control_config: Annotated[str, Form(max_length=10_000)] = "{}",
    treatment_name: Annotated[str, Form(max_length=200)] = "",
    treatment_config: Annotated[str, Form(max_length=10_000)] = "{}",
    treatment_share: Annotated[str, Form(max_length=20)] = "50",
    end_date: Annotated[str, Form(max_length=10)] = "",
    min_participants: Annotated[str, Form(max_length=10)] = "20",
    min_days: Annotated[str, Form(max_length=10)] = "14",
    method: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Define an experiment; every problem is shown on the form (422, or 409 when another
    experiment of the context overlaps), nothing written."""
    require_operator(viewer)
    entered = {
        "name": name,
        "description": description,
        "context": context,
        "primary_metric": primary_metric,
        "control_name": control_name,
        "control_config": control_config,
        "treatment_name": treatment_name,
        "treatment_config": treatment_config,
        "treatment_share": treatment_share,
        "end_date": end_date,
        "min_participants": min_participants,
        "min_days": min_days,
        "method": method,
    }
    try:
        body = _experiment_body(entered)
        made = data.create_experiment(database(request), body, utcnow(), viewer.name)
    except FORM_ERRORS as exc:
        failed = FormError.of("experiment", exc)
        return _experiments_page(request, viewer, form_error=failed, entered=entered)
    return redirect(f"/ui/operator/experiments/{urlpart(made['id'])}?done=experiment-created")


@router.get("/operator/experiments/{experiment_id}", response_class=HTMLResponse)
def experiment_page(
    request: Request, experiment_id: ItemId, viewer: OperatorViewer, done: str | None = None
) -> Response:
    """One experiment's result: per-metric comparisons with intervals, verdict, SRM check."""
    answer = data.experiment_results(database(request), experiment_id, utcnow())
    experiment, result = answer["experiment"], answer["result"]
    names = {v["id"]: v["name"] for v in experiment["variants"]}
    total = sum(result["srm"]["observed"]) or 0
    arm_rows = [
        (
            a["name"],
            f"{a['weight']:g}",
            str(a["assigned"]),
            str(a["analysed"]),
            f"{expected:.0f}" if total else "—",
        )
        for a, expected in zip(result["arms"], result["srm"]["expected"], strict=False)
    ]
    arm_metric_rows = [
        (
            m["metric"].replace("_", " "),
            names.get(m["variantId"], m["variantId"]),
            str(m["n"]),
            "—" if m["mean"] is None else f"{m['mean']:.2f}",
            "—" if m["preMean"] is None else f"{m['preMean']:.2f}",
        )
        for m in answer["armMetrics"]
    ]
    chart = comparisons.intervals_chart(result["comparisons"], names)
    page = render(
        request,
        "experiment.html",
        {
            "page": "experiments",
            "pages": OPERATOR_PAGES,
            "title": f"Experiment {experiment['name']}",
            "learner": None,
            "done": _done(done),
            "e": experiment,
            "r": result,
            "notes": answer["notes"],
            "metrics_as_of": answer["metricsAsOf"],
            "participants": answer["participants"],
            "pending": answer["pendingParticipants"],
            "control_name": names.get(experiment["controlId"], experiment["controlId"]),
            "arm_rows": arm_rows,
            "arm_metric_rows": arm_metric_rows,
            "comparison_rows": [
                comparisons.comparison_row(c, names) for c in result["comparisons"]
            ],
            "charts": [chart] if chart is not None else [],
        },
        viewer=viewer,
    )
    return page


@router.post("/operator/experiments/{experiment_id}/stop")
def stop_experiment(request: Request, experiment_id: ItemId, viewer: FormViewer) -> Response:
    """Stop a running or scheduled experiment (operators only)."""
    require_operator(viewer)
    data.stop_experiment(database(request), experiment_id, utcnow())
    return redirect(f"/ui/operator/experiments/{urlpart(experiment_id)}?done=stopped")
