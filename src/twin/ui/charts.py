"""Plotly figures as plain data, each with its text alternative.

Figures are built as dicts (plotly.js's own figure format) rather than through
``plotly.graph_objects``: the Python figure classes validate every property and cost tens
of milliseconds per figure, which the page-time budget cannot afford; the test suite checks
every figure here against plotly's validators instead. The page embeds a figure as JSON in a
``data-figure`` attribute and ``static/charts.js`` draws it, so no inline script runs.
Every chart carries a summary sentence (its ``aria-label`` and caption) and, where the
numbers matter, a table.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from twin.analysis.cognitive.burnout import RISK_CRITICAL_MIN, RISK_HIGH_MIN, RISK_MEDIUM_MIN
from twin.analysis.cognitive.load import LOAD_CRITICAL_MIN, LOAD_HIGH_MIN, LOAD_MODERATE_MIN

# Colours: each meets 4.5:1 on white as text and 3:1 as a graphical object (WCAG 1.4.11).
INK = "#1f2933"
BLUE = "#0b57d0"
RED = "#b3261e"
GREY = "#5f6368"
GREEN = "#146c2e"
ORANGE = "#a04100"
GAUGE_STEPS = (  # light fills behind the dark bar, so the bar keeps its contrast
    (0.0, LOAD_MODERATE_MIN, "#d7f0dd"),
    (LOAD_MODERATE_MIN, LOAD_HIGH_MIN, "#fdf1c7"),
    (LOAD_HIGH_MIN, LOAD_CRITICAL_MIN, "#fddcc4"),
    (LOAD_CRITICAL_MIN, 100.0, "#f8d0cc"),
)
FONT = {
    "family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif",
    "size": 13,
    "color": INK,
}
MARGIN = {"l": 48, "r": 16, "t": 16, "b": 44}
MARGIN_WITH_LEGEND = {"l": 48, "r": 16, "t": 40, "b": 44}
LEGEND = {"orientation": "h", "x": 0, "y": 1.02, "xanchor": "left", "yanchor": "bottom"}
HEATMAP_HEIGHT_PX = 300
CHART_HEIGHT_PX = 280
GAUGE_HEIGHT_PX = 220
PERCENT = 100.0


@dataclass(frozen=True)
class Table:
    """A chart's numbers as a table (its text alternative)."""

    caption: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Chart:
    """A figure to draw, the sentence that says what it shows, and optionally its table."""

    id: str
    title: str
    summary: str
    figure: dict[str, Any]
    table: Table | None = None
    classes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def figure_json(self) -> str:
        """The figure as strict JSON (NaN and infinities are not JSON: they become null)."""
        return json.dumps(_finite(self.figure), separators=(",", ":"), allow_nan=False)

    @property
    def points(self) -> int:
        """How many values the figure draws (0 means the chart has nothing to show)."""
        return sum(_trace_points(t) for t in self.figure.get("data", []))


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _trace_points(trace: dict[str, Any]) -> int:
    if trace.get("type") == "indicator":
        return 1 if trace.get("value") is not None else 0
    for key in ("z", "y", "x"):
        values = trace.get(key)
        if isinstance(values, list):
            flat = [v for row in values for v in (row if isinstance(row, list) else [row])]
            return sum(1 for v in flat if _drawable(v))
    return 0


def _drawable(value: Any) -> bool:
    """A value plotly draws: not missing, and a finite number if a number."""
    return value is not None and not (isinstance(value, float) and not math.isfinite(value))


def _layout(**extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "font": FONT,
        "margin": MARGIN,
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "height": CHART_HEIGHT_PX,
        "showlegend": False,
    }
    layout.update(extra)
    return layout


def _pct(x: float | None, digits: int = 0) -> str:
    return "—" if x is None else f"{x * PERCENT:.{digits}f}%"


def _num(x: float | None, digits: int = 1) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def _day(iso: str) -> str:
    return iso[:10]


def _interval(low: float, high: float) -> str:
    return f"{low:g} or more" if math.isinf(high) else f"{low:g}–{high:g}"


# --- patterns -----------------------------------------------------------------------------------


def heatmap_chart(heatmap: dict[str, Any]) -> Chart:
    """Mean performance by weekday × local hour, with session counts on hover."""
    weekdays: list[str] = heatmap["weekdays"]
    hours = [f"{h:02d}" for h in heatmap["hours"]]
    z: list[list[float | None]] = heatmap["meanPerformance"]
    counts: list[list[int]] = heatmap["sessionCounts"]
    cells = [
        (z[d][h], counts[d][h], weekdays[d], hours[h])
        for d in range(len(weekdays))
        for h in range(len(hours))
        if z[d][h] is not None
    ]
    windows = heatmap["optimalWindows"]
    if cells:
        best = max(cells, key=lambda c: (c[0], c[1]))
        best_text = (
            f"the best cell is {best[2]} {best[3]}:00 with a mean of {best[0]:.0f} "
            f"over {best[1]} session{'s' if best[1] != 1 else ''}"
        )
    else:
        best_text = "no session in this window yet"
    window_text = (
        "Optimal start times: "
        + "; ".join(f"{w['window']} (+{w['liftPercent']:.0f}%)" for w in windows)
        + "."
        if windows
        else "No start time is better than the rest with 95% confidence yet."
    )
    summary = (
        f"Mean performance (0–100) by weekday and local hour ({heatmap['timezone']}) over the "
        f"last {heatmap['weeks']} weeks, {heatmap['sessions']} sessions; {best_text}. {window_text}"
    )
    figure = {
        "data": [
            {
                "type": "heatmap",
                "z": z,
                "x": hours,
                "y": weekdays,
                "customdata": counts,
                "zmin": 0,
                "zmax": 100,
                "colorscale": "Viridis",
                "hoverongaps": False,
                "hovertemplate": "%{y} %{x}:00<br>mean %{z:.0f}<br>%{customdata} sessions<extra></extra>",
                "colorbar": {"title": {"text": "mean"}, "thickness": 12},
            }
        ],
        "layout": _layout(
            height=HEATMAP_HEIGHT_PX,
            xaxis={"title": {"text": "local hour"}, "tickmode": "array", "tickvals": hours[::3]},
            yaxis={"autorange": "reversed"},
        ),
    }
    rows = tuple(
        (
            day,
            *(
                ("—" if v is None else f"{v:.0f} ({n})")
                for v, n in zip(z[d], counts[d], strict=True)
            ),
        )
        for d, day in enumerate(weekdays)
    )
    table = Table(
        caption="Mean performance (sessions) by weekday and local hour; — means no session.",
        headers=("day", *hours),
        rows=rows,
    )
    return Chart("heatmap", "When you study best", summary, figure, table, ("chart-wide",))


def optimal_windows_table(heatmap: dict[str, Any]) -> Table:
    """The optimal start windows with their evidence."""
    return Table(
        caption=(
            "Start hours whose sessions beat the rest of the day (simultaneous 95% test over "
            f"{heatmap['hoursTested']} hours with enough sessions)"
        ),
        headers=("window", "mean score", "rest of the day", "lift", "sessions", "confidence"),
        rows=tuple(
            (
                w["window"],
                _num(w["windowMean"], 0),
                _num(w["restMean"], 0),
                f"+{w['liftPercent']:.0f}%",
                str(w["windowSessions"]),
                _pct(w["confidence"]),
            )
            for w in heatmap["optimalWindows"]
        ),
    )


def forgetting_chart(forgetting: dict[str, Any]) -> Chart:
    """The model's curve, the typical curve and the learner's own recall per interval."""
    curve = forgetting["curve"]
    bins = forgetting["bins"]
    fitted = curve.get("source") == "fitted"
    r0 = float(curve.get("R0", 1.0))
    k = float(curve.get("k", 0.14))
    half = math.log(2.0) / k
    model_name = "your curve" if fitted else "typical curve (not enough reviews to fit yours)"
    traces: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "lines",
            "name": model_name,
            "x": forgetting["days"],
            "y": [p * PERCENT for p in forgetting["model"]],
            "line": {"color": BLUE, "width": 3},
            "hovertemplate": "day %{x:.0f}: %{y:.0f}%<extra>" + model_name + "</extra>",
        }
    ]
    if fitted:
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": "typical learner",
                "x": forgetting["days"],
                "y": [p * PERCENT for p in forgetting["baseline"]],
                "line": {"color": GREY, "width": 2, "dash": "dash"},
                "hovertemplate": "day %{x:.0f}: %{y:.0f}%<extra>typical</extra>",
            }
        )
    if bins:
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": "your reviews",
                "x": [b["meanDays"] for b in bins],
                "y": [b["share"] * PERCENT for b in bins],
                "customdata": [b["reviews"] for b in bins],
                "error_y": {
                    "type": "data",
                    "symmetric": False,
                    "array": [(b["ci95"][1] - b["share"]) * PERCENT for b in bins],
                    "arrayminus": [(b["share"] - b["ci95"][0]) * PERCENT for b in bins],
                    "color": RED,
                },
                "marker": {"color": RED, "size": 9, "symbol": "diamond"},
                "hovertemplate": "after %{x:.1f} days: %{y:.0f}% recalled (%{customdata} reviews)<extra></extra>",
            }
        )
    observed = "; ".join(
        f"{_pct(b['share'])} recalled after about {b['meanDays']:.1f} days ({b['reviews']} reviews)"
        for b in bins
    )
    summary = (
        f"{'Your fitted' if fitted else 'The typical'} forgetting curve R(t) = {r0:.2f}·e^(−{k:.3f}·t): "
        f"half of what you learnt is forgotten after {half:.1f} days"
        + (f" (typical: {math.log(2.0) / 0.14:.1f} days)" if fitted else "")
        + ". "
        + (
            f"Your own reviews: {observed}."
            if bins
            else "No interval has enough repeat reviews to show yet."
        )
    )
    figure = {
        "data": traces,
        "layout": _layout(
            showlegend=True,
            legend=LEGEND,
            margin=MARGIN_WITH_LEGEND,
            height=CHART_HEIGHT_PX + 40,
            xaxis={"title": {"text": "days since the previous review"}, "rangemode": "tozero"},
            yaxis={"title": {"text": "recalled (%)"}, "range": [0, 105]},
        ),
    }
    table = Table(
        caption="Your recall by interval since the previous review (95% interval).",
        headers=(
            "interval (days)",
            "reviews",
            "recalled",
            "95% interval",
            "curve at mean interval",
        ),
        rows=tuple(
            (
                _interval(b["lowDays"], b["highDays"]),
                str(b["reviews"]),
                _pct(b["share"]),
                f"{_pct(b['ci95'][0])}–{_pct(b['ci95'][1])}",
                _pct(r0 * math.exp(-k * b["meanDays"])),
            )
            for b in bins
        ),
    )
    return Chart("forgetting", "How fast you forget", summary, figure, table)


# --- health -------------------------------------------------------------------------------------


def load_summary(load: dict[str, Any]) -> str | None:
    """The sentence saying the latest load, its change and the bands (None without a reading)."""
    current = load.get("current")
    if current is None:
        return None
    score = float(current["loadScore"])
    trend = load.get("trend") or {}
    delta = trend.get("delta")
    change = (
        ""
        if delta is None
        else f", {'up' if delta > 0 else 'down'} {abs(delta):.0f} points on the previous reading"
        if abs(delta) >= 0.5
        else ", the same as the previous reading"
    )
    return (
        f"Latest cognitive load {score:.0f} of 100 ({current['level']}) on "
        f"{_day(current['timestamp'])}{change}. Bands: low below {LOAD_MODERATE_MIN:.0f}, "
        f"moderate below {LOAD_HIGH_MIN:.0f}, high below {LOAD_CRITICAL_MIN:.0f}, critical above."
    )


def load_gauge(load: dict[str, Any]) -> Chart | None:
    """The latest load reading on a 0–100 gauge with the level bands (None without a reading)."""
    summary = load_summary(load)
    if summary is None:
        return None
    score = float(load["current"]["loadScore"])
    figure = {
        "data": [
            {
                "type": "indicator",
                "mode": "gauge+number",
                "value": round(score, 1),
                "number": {"suffix": " / 100", "font": {"color": INK}},
                "gauge": {
                    "axis": {"range": [0, 100], "tickcolor": INK},
                    "bar": {"color": INK, "thickness": 0.3},
                    "steps": [{"range": [lo, hi], "color": c} for lo, hi, c in GAUGE_STEPS],
                },
            }
        ],
        "layout": _layout(height=GAUGE_HEIGHT_PX, margin={"l": 36, "r": 40, "t": 24, "b": 8}),
    }
    return Chart("load-gauge", "Cognitive load now", summary, figure)


def history_summary(history: dict[str, Any]) -> str:
    """The sentence saying the window's days with readings, their mean and the highest peak."""
    buckets = history["buckets"]
    if not buckets:
        return f"No cognitive-load reading from {_day(history['from'])} to {_day(history['to'])}."
    means = [b["meanLoad"] for b in buckets]
    peak = max(buckets, key=lambda b: b["maxLoad"])
    return (
        f"Daily cognitive load from {_day(history['from'])} to {_day(history['to'])}: "
        f"{len(buckets)} days with readings, mean {sum(means) / len(means):.0f}, highest "
        f"{peak['maxLoad']:.0f} on {_day(peak['start'])}."
    )


def load_history_chart(history: dict[str, Any]) -> Chart:
    """Daily mean (bars) and peak (dots) load over the window."""
    buckets = history["buckets"]
    days = [_day(b["start"]) for b in buckets]
    means = [b["meanLoad"] for b in buckets]
    summary = history_summary(history)
    figure = {
        "data": [
            {
                "type": "bar",
                "name": "daily mean",
                "x": days,
                "y": means,
                "marker": {"color": BLUE},
                "hovertemplate": "%{x}: mean %{y:.0f}<extra></extra>",
            },
            {
                "type": "scatter",
                "mode": "markers",
                "name": "daily peak",
                "x": days,
                "y": [b["maxLoad"] for b in buckets],
                "marker": {"color": RED, "size": 7, "symbol": "line-ew-open", "line": {"width": 3}},
                "hovertemplate": "%{x}: peak %{y:.0f}<extra></extra>",
            },
        ],
        "layout": _layout(
            showlegend=True,
            legend=LEGEND,
            margin=MARGIN_WITH_LEGEND,
            yaxis={"title": {"text": "load (0–100)"}, "range": [0, 100]},
            shapes=[
                {
                    "type": "line",
                    "xref": "paper",
                    "x0": 0,
                    "x1": 1,
                    "y0": LOAD_HIGH_MIN,
                    "y1": LOAD_HIGH_MIN,
                    "line": {"color": ORANGE, "dash": "dot", "width": 1},
                }
            ],
        ),
    }
    table = Table(
        caption="Cognitive load per day (mean, peak, readings).",
        headers=("day", "mean", "peak", "readings"),
        rows=tuple(
            (_day(b["start"]), _num(b["meanLoad"], 0), _num(b["maxLoad"], 0), str(b["count"]))
            for b in buckets
        ),
    )
    return Chart("load-history", "Cognitive load, last 30 days", summary, figure, table)


def burnout_chart(burnout: dict[str, Any]) -> Chart:
    """Each burnout factor's contribution to the risk score."""
    factors = sorted(burnout["contributingFactors"], key=lambda f: f["contribution"])
    names = [f["factor"].replace("_", " ").lower() for f in factors]
    top = factors[-1] if factors else None
    summary = (
        f"Burnout risk {burnout['riskScore']:.0f} of 100 ({burnout['level']}; bands: medium from "
        f"{RISK_MEDIUM_MIN:.0f}, high from {RISK_HIGH_MIN:.0f}, critical from "
        f"{RISK_CRITICAL_MIN:.0f})"
        + (
            f"; the largest contribution is {names[-1]} with {top['contribution']:.1f} points."
            if top is not None
            else "."
        )
    )
    figure = {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "x": [f["contribution"] for f in factors],
                "y": names,
                "marker": {"color": [RED if f["contribution"] >= 10 else BLUE for f in factors]},
                "hovertemplate": "%{y}: %{x:.1f} points<extra></extra>",
            }
        ],
        "layout": _layout(
            margin={"l": 150, "r": 16, "t": 8, "b": 44},
            xaxis={"title": {"text": "points of risk"}, "rangemode": "tozero"},
        ),
    }
    table = Table(
        caption="Burnout factors: score 0–100, weight, contribution in points, evidence.",
        headers=("factor", "score", "weight", "points", "evidence"),
        rows=tuple(
            (
                f["factor"].replace("_", " ").lower(),
                _num(f["score"], 0) if f.get("measured", True) else "not measured",
                f"{f['weight']:.2f}",
                _num(f["contribution"], 1),
                _evidence_text(f.get("evidence")),
            )
            for f in reversed(factors)
        ),
    )
    return Chart("burnout-factors", "What drives your burnout risk", summary, figure, table)


def _evidence_text(evidence: Any) -> str:
    if isinstance(evidence, str):
        return evidence
    if isinstance(evidence, dict):
        return ", ".join(f"{k}: {_short(v)}" for k, v in evidence.items())
    if isinstance(evidence, list):
        return "; ".join(_short(v) for v in evidence)
    return "" if evidence is None else str(evidence)


def _short(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.3g}"
    return str(v)


# --- struggles ----------------------------------------------------------------------------------


def predictions_chart(predictions: Sequence[dict[str, Any]]) -> Chart:
    """Probability of struggling per objective (highest first)."""
    ordered = list(reversed(predictions))
    labels = [_objective_label(p) for p in ordered]
    summary = (
        f"{len(predictions)} prediction{'s' if len(predictions) != 1 else ''}; the likeliest struggle is "
        f"{_objective_label(predictions[0])} at {_pct(predictions[0]['probability'])}."
        if predictions
        else "No prediction at or above 50% yet."
    )
    figure = {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "x": [p["probability"] * PERCENT for p in ordered],
                "y": labels,
                "marker": {"color": [RED if p["probability"] >= 0.7 else ORANGE for p in ordered]},
                "hovertemplate": "%{y}: %{x:.0f}%<extra></extra>",
            }
        ],
        "layout": _layout(
            height=max(CHART_HEIGHT_PX, 28 * len(ordered) + 60),
            margin={"l": 180, "r": 16, "t": 8, "b": 44},
            xaxis={"title": {"text": "probability of struggling (%)"}, "range": [0, 100]},
            yaxis={"automargin": True},
        ),
    }
    return Chart("predictions", "Predicted struggles", summary, figure)


def _objective_label(prediction: dict[str, Any]) -> str:
    objective = prediction.get("objective") or {}
    text = objective.get("text") or objective.get("id") or "objective"
    return text if len(text) <= 40 else text[:39] + "…"


def calibration_chart(overall: dict[str, Any]) -> Chart:
    """Predicted probability against the observed struggle rate per bin."""
    bins = [b for b in overall["calibration"] if b["count"] and b["meanPredicted"] is not None]
    summary = (
        f"Accuracy {_pct(overall['accuracy'])}, AUC {_num(overall['auc'], 2)}, Brier "
        f"{_num(overall['brier'], 3)} over {overall['n']} predictions with an outcome; "
        f"calibration error (ECE) {_num(overall['ece'], 3)}."
    )
    figure = {
        "data": [
            {
                "type": "scatter",
                "mode": "lines",
                "x": [0, 100],
                "y": [0, 100],
                "line": {"color": GREY, "dash": "dash", "width": 1},
                "hoverinfo": "skip",
            },
            {
                "type": "scatter",
                "mode": "lines+markers",
                "x": [b["meanPredicted"] * PERCENT for b in bins],
                "y": [b["observedRate"] * PERCENT for b in bins],
                "customdata": [b["count"] for b in bins],
                "line": {"color": BLUE},
                "hovertemplate": "predicted %{x:.0f}%: observed %{y:.0f}% (%{customdata})<extra></extra>",
            },
        ],
        "layout": _layout(
            xaxis={"title": {"text": "predicted (%)"}, "range": [0, 100]},
            yaxis={"title": {"text": "struggled (%)"}, "range": [0, 100]},
        ),
    }
    table = Table(
        caption="Calibration: predictions per probability bin and how often the learner struggled.",
        headers=("bin", "predictions", "mean predicted", "struggled"),
        rows=tuple(
            (
                f"{_pct(b['lower'])}–{_pct(b['upper'])}",
                str(b["count"]),
                _pct(b["meanPredicted"]),
                _pct(b["observedRate"]),
            )
            for b in bins
        ),
    )
    return Chart("calibration", "How well the predictions held", summary, figure, table)


# --- operators ----------------------------------------------------------------------------------


def registry_chart(models: Sequence[dict[str, Any]]) -> Chart:
    """Held-out AUC of every registered model version (and the model it was compared with)."""
    ordered = list(reversed(models))
    versions = [m["version"] for m in ordered]
    auc = [m["metrics"].get("auc") for m in ordered]
    current = [(m["metrics"].get("current") or {}).get("auc") for m in ordered]
    active = next((m for m in models if m["isActive"]), None)
    summary = f"{len(models)} registered model versions; " + (
        f"active: {active['version']} (held-out AUC {_num(active['metrics'].get('auc'), 3)})."
        if active
        else "none is active, so the rule baseline predicts."
    )
    figure = {
        "data": [
            {
                "type": "bar",
                "name": "candidate",
                "x": versions,
                "y": auc,
                "marker": {"color": BLUE},
                "hovertemplate": "%{x}: AUC %{y:.3f}<extra>candidate</extra>",
            },
            {
                "type": "bar",
                "name": "model it was compared with",
                "x": versions,
                "y": current,
                "marker": {"color": GREY},
                "hovertemplate": "%{x}: AUC %{y:.3f}<extra>compared with</extra>",
            },
        ],
        "layout": _layout(
            showlegend=True,
            legend=LEGEND,
            margin=MARGIN_WITH_LEGEND,
            barmode="group",
            yaxis={"title": {"text": "held-out AUC"}, "range": [0.5, 1]},
        ),
    }
    return Chart("registry", "Held-out AUC by model version", summary, figure)


def cohort_chart(entry: dict[str, Any], min_bin: int) -> Chart:
    """A measure's histogram over the sharing learners; withheld bins are drawn empty and
    said so in the table (never a count below ``min_bin``)."""
    dist = entry["distribution"]
    unit = entry["unit"]
    labels = [f"{_num(b.low, 0)}–{_num(b.high, 0)}" for b in dist.bins]
    counts = [b.learners for b in dist.bins]
    withheld = sum(1 for c in counts if c is None)
    summary = (
        f"{entry['label']} over {dist.learners} learners who share anonymized patterns: "
        f"median {_num(dist.median)} {unit}, half of them between {_num(dist.q25)} and "
        f"{_num(dist.q75)} {unit}."
        + (
            f" {withheld} bin{'s' if withheld != 1 else ''} with fewer than {min_bin} learners "
            "not shown."
            if withheld
            else ""
        )
    )
    # A withheld range is drawn as a grey bar up to min_bin − 1 ("1 to 2"), never its count.
    figure = {
        "data": [
            {
                "type": "bar",
                "name": "learners",
                "x": labels,
                "y": [None if c is None else c for c in counts],
                "marker": {"color": BLUE},
                "hovertemplate": "%{x} " + unit + ": %{y} learners<extra></extra>",
            },
            {
                "type": "bar",
                "name": f"fewer than {min_bin} (count withheld)",
                "x": labels,
                "y": [min_bin - 1 if c is None else None for c in counts],
                "marker": {"color": GREY, "pattern": {"shape": "/"}},
                "hovertemplate": "%{x} " + unit + f": fewer than {min_bin}<extra></extra>",
            },
        ],
        "layout": _layout(
            showlegend=bool(withheld),
            legend=LEGEND,
            margin=MARGIN_WITH_LEGEND,
            barmode="overlay",
            xaxis={"title": {"text": unit}, "type": "category"},
            yaxis={"title": {"text": "learners"}, "rangemode": "tozero"},
        ),
    }
    rows = tuple(
        (f"{label} {unit}", f"fewer than {min_bin}" if c is None else str(c))
        for label, c in zip(labels, counts, strict=True)
    )
    table = Table(f"{entry['label']}: learners per range", ("range", "learners"), rows)
    return Chart(f"cohort-{entry['key']}", entry["label"], summary, figure, table)


def _not_started(week: dict[str, Any]) -> bool:
    """A week in progress without a session: its stored score of 0 is not a score yet."""
    return not week["complete"] and not week["sessions"]


def score_history_chart(history: dict[str, Any]) -> Chart:
    """The weekly behavioral score (0–100), the current partial week marked; a week in
    progress without a session yet has no score to draw (a gap, not a drop to 0)."""
    weeks = history["weeks"]
    days = [w["weekStart"] for w in weeks]
    scores = [None if _not_started(w) else w["score"] for w in weeks]
    latest = history.get("latest")
    last = (
        " (a week in progress, no session yet)"
        if _not_started(weeks[-1])
        else f" to {_num(scores[-1], 0)} in the week of {days[-1]}"
        + ("" if weeks[-1]["complete"] else " (a week still in progress)")
    )
    summary = (
        f"Behavioral score over {len(weeks)} weeks, from {_num(scores[0], 0)} in the week of "
        f"{days[0]}{last}"
        + (f"; latest complete week: {_num(latest['score'], 0)} of 100." if latest else ".")
    )
    figure = {
        "data": [
            {
                "type": "scatter",
                "mode": "lines+markers",
                "x": days,
                "y": scores,
                "line": {"color": BLUE, "width": 2},
                "marker": {
                    "color": [BLUE if w["complete"] else GREY for w in weeks],
                    "size": 8,
                },
                "hovertemplate": "week of %{x}: %{y:.0f}<extra></extra>",
            }
        ],
        "layout": _layout(
            xaxis={"title": {"text": "week starting"}, "type": "category"},
            yaxis={"title": {"text": "score (0–100)"}, "range": [0, 100]},
        ),
    }
    components = sorted(history.get("weights") or {})
    rows = tuple(
        (
            w["weekStart"] + ("" if w["complete"] else " (so far)"),
            "no session yet" if _not_started(w) else _num(w["score"], 0),
            str(w["sessions"]),
            *(_num(w["components"].get(c), 0) for c in components),
        )
        for w in weeks
    )
    headers = ("week", "score", "sessions", *components)
    table = Table("Behavioral score and its components per week", headers, rows)
    return Chart("score-history", "Weekly behavioral score", summary, figure, table)
