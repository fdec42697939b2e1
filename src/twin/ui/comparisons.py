"""An experiment's comparisons: each variant against the control per metric, with the
deciding test's interval, as table rows and a plotly figure."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from twin.ui.charts import (
    CHART_HEIGHT_PX,
    GREEN,
    GREY,
    INK,
    PERCENT,
    RED,
    Chart,
    _layout,
    _pct,
)

SEQUENTIAL_METHOD = "sequential"
RELATIVE = "relative"
OUTCOME_COLOURS = {"better": GREEN, "worse": RED}


def decision_of(comparison: dict[str, Any]) -> dict[str, Any]:
    """The deciding test's result of a comparison (sequential, or the fixed-horizon test)."""
    key = "sequential" if comparison["method"] == SEQUENTIAL_METHOD else "fixed"
    decision: dict[str, Any] = comparison[key]
    return decision


def _effect(value: float, relative: bool) -> str:
    return f"{value * PERCENT:+.1f}%" if relative else f"{value:+.2f}"


def comparison_row(comparison: dict[str, Any], names: dict[str, str]) -> tuple[str, ...]:
    """One comparison as a table row: metric, role, variant, difference, interval, p, chance."""
    d = decision_of(comparison)
    relative = d["differenceType"] == RELATIVE
    tested = d["error"] is None
    return (
        comparison["metric"].replace("_", " "),
        comparison["role"],
        names.get(comparison["variantId"], comparison["variantId"]),
        _effect(d["expected"], relative) if tested else "—",
        f"{_effect(d['ci'][0], relative)} to {_effect(d['ci'][1], relative)}" if tested else "—",
        f"{d['pValue']:.3g}" if tested else "—",
        _pct(comparison["bayesian"]["chanceToWin"]) if tested else "—",
        comparison["outcome"].replace("_", " ") + ("" if tested else f" ({d['error']})"),
    )


def intervals_chart(comparisons: Sequence[dict[str, Any]], names: dict[str, str]) -> Chart | None:
    """Each variant's difference from the control per metric with the deciding test's interval."""
    tested = [c for c in comparisons if decision_of(c)["error"] is None]
    if not tested:
        return None
    relative = all(decision_of(c)["differenceType"] == RELATIVE for c in tested)
    scale = PERCENT if relative else 1.0
    labels = [
        f"{c['metric'].replace('_', ' ')} · {names.get(c['variantId'], c['variantId'])}"
        for c in tested
    ]
    expected = [decision_of(c)["expected"] * scale for c in tested]
    low = [decision_of(c)["ci"][0] * scale for c in tested]
    high = [decision_of(c)["ci"][1] * scale for c in tested]
    primary = next((c for c in tested if c["role"] == "primary"), tested[0])
    d = decision_of(primary)
    summary = (
        f"{len(tested)} comparison{'s' if len(tested) != 1 else ''} with the control. "
        f"On the primary metric, {names.get(primary['variantId'], primary['variantId'])} differs "
        f"by {_effect(d['expected'], d['differenceType'] == RELATIVE)} "
        f"(interval {_effect(d['ci'][0], d['differenceType'] == RELATIVE)} to "
        f"{_effect(d['ci'][1], d['differenceType'] == RELATIVE)}): {primary['outcome']}."
    )
    figure = {
        "data": [
            {
                "type": "scatter",
                "mode": "markers",
                "x": expected,
                "y": labels,
                "marker": {
                    "size": 10,
                    "color": [OUTCOME_COLOURS.get(c["outcome"], GREY) for c in tested],
                },
                "error_x": {
                    "type": "data",
                    "symmetric": False,
                    "array": [h - e for h, e in zip(high, expected, strict=True)],
                    "arrayminus": [e - lo for e, lo in zip(expected, low, strict=True)],
                    "color": INK,
                },
                "hovertemplate": "%{y}: %{x:.2f}<extra></extra>",
            }
        ],
        "layout": _layout(
            height=max(CHART_HEIGHT_PX // 2, 40 * len(tested) + 80),
            margin={"l": 200, "r": 16, "t": 8, "b": 44},
            xaxis={
                "title": {
                    "text": "difference from the control"
                    + (" (% of the control's mean)" if relative else "")
                },
                "zeroline": True,
                "zerolinecolor": INK,
            },
            yaxis={"automargin": True, "autorange": "reversed"},
        ),
    }
    return Chart("intervals", "Differences from the control with intervals", summary, figure)
