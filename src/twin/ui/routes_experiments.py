"""The operator's experiment pages (issue 18): the list, each result, stopping one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from twin.clock import utcnow
from twin.ui import comparisons, data
from twin.ui.routes import (
    OPERATOR_PAGES,
    ItemId,
    _done,
    _operator_page,
)
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
) -> Response:
    """Every experiment with its state, participants and verdict, newest first."""
    listed = data.experiments(database(request), utcnow(), cursor)
    return _operator_page(
        request,
        viewer,
        "experiments.html",
        "experiments",
        {**listed, "first_page": cursor is None, "charts": [], "done": None},
    )


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
