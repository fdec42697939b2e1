"""The dashboard's figures: valid plotly figures, strict JSON, honest text alternatives.

The figures are plain dicts (fast to build); here plotly's own Python validators check
every property of every figure the pages can produce, including the empty cases.
"""

from __future__ import annotations

import json
import math
from typing import Any

import plotly.graph_objects as go
import pytest

from twin.analysis.patterns.forgetting import forgetting_curve_points
from twin.ui import charts, week

HOURS = 24
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def heatmap_input(
    cells: dict[tuple[int, int], tuple[float, int]], windows: int = 1
) -> dict[str, Any]:
    z: list[list[float | None]] = [[None] * HOURS for _ in WEEKDAYS]
    n = [[0] * HOURS for _ in WEEKDAYS]
    for (d, h), (score, count) in cells.items():
        z[d][h], n[d][h] = score, count
    return {
        "timezone": "Europe/Berlin",
        "weeks": 6,
        "sessions": sum(c for _s, c in cells.values()),
        "weekdays": WEEKDAYS,
        "hours": list(range(HOURS)),
        "meanPerformance": z,
        "sessionCounts": n,
        "optimalWindows": [
            {
                "hour": 9,
                "label": "09:00",
                "window": "08:00–11:00",
                "meanScore": 80.0,
                "windowMean": 79.1,
                "restMean": 65.5,
                "liftPercent": 20.8,
                "sessions": 5,
                "windowSessions": 31,
                "confidence": 0.95,
            }
        ][:windows],
        "hoursTested": 5,
    }


def forgetting_input(fitted: bool) -> dict[str, Any]:
    rng_days = [0.5] * 40 + [3.0] * 30 + [10.0] * 20 + [40.0] * 12
    recalled = (
        [True] * 36
        + [False] * 4
        + [True] * 24
        + [False] * 6
        + [True] * 12
        + [False] * 8
        + [True] * 3
        + [False] * 9
    )
    r0, k = (0.95, 0.05) if fitted else (1.0, 0.14)
    points = forgetting_curve_points(rng_days, recalled, r0, k, 0.2 if fitted else 0.0)
    return {
        "curve": {
            "R0": r0,
            "k": k,
            "halfLife": math.log(2) / k,
            "source": "fitted" if fitted else "baseline",
        },
        "days": list(points.days),
        "model": list(points.model),
        "baseline": list(points.baseline),
        "bins": [
            {
                "lowDays": b.low_days,
                "highDays": b.high_days,
                "meanDays": b.mean_days,
                "reviews": b.reviews,
                "recalled": b.recalled,
                "share": b.share,
                "ci95": list(b.ci95),
            }
            for b in points.bins
        ],
    }


def validated(chart: charts.Chart) -> dict[str, Any]:
    """The figure after a JSON round trip, checked by plotly's validators (raises if invalid)."""
    figure = json.loads(chart.figure_json)
    go.Figure(figure)
    return figure


def test_heatmap_figure_and_its_sentence() -> None:
    chart = charts.heatmap_chart(heatmap_input({(1, 9): (82.0, 5), (4, 20): (40.0, 2)}))
    figure = validated(chart)
    trace = figure["data"][0]
    assert trace["z"][1][9] == 82.0 and trace["z"][0][0] is None  # gaps stay gaps
    assert chart.points == 2
    assert "the best cell is Tue 09:00 with a mean of 82 over 5 sessions" in chart.summary
    assert "Optimal start times: 08:00–11:00 (+21%)." in chart.summary
    assert chart.table is not None and chart.table.rows[1][10] == "82 (5)"  # Tue, hour 09
    empty = charts.heatmap_chart(heatmap_input({}, windows=0))
    validated(empty)
    assert empty.points == 0 and "no session in this window yet" in empty.summary
    assert "No start time is better than the rest" in empty.summary


@pytest.mark.parametrize("fitted", [True, False])
def test_forgetting_figure_shows_the_learners_points_beside_the_curve(fitted: bool) -> None:
    chart = charts.forgetting_chart(forgetting_input(fitted))
    figure = validated(chart)
    names = [t["name"] for t in figure["data"]]
    assert names[-1] == "your reviews"
    assert ("typical learner" in names) is fitted
    points = figure["data"][-1]
    # 36 of 40 reviews after half a day were recalled: 90%.
    assert points["x"][0] == pytest.approx(0.5) and points["y"][0] == pytest.approx(90.0)
    assert all(
        lo >= 0 and hi >= 0
        for lo, hi in zip(points["error_y"]["arrayminus"], points["error_y"]["array"], strict=True)
    )
    assert "90% recalled after about 0.5 days (40 reviews)" in chart.summary
    half = "13.9" if fitted else "5.0"  # ln 2 / 0.05 and ln 2 / 0.14
    assert f"forgotten after {half} days" in chart.summary
    assert chart.table is not None and chart.table.rows[-1][0] == "30–60"


def test_load_charts_gauge_history_sparkline_and_burnout() -> None:
    load = {
        "current": {"loadScore": 63.4, "level": "HIGH", "timestamp": "2026-12-06T18:00:00.000Z"},
        "trend": {"delta": -7.2},
    }
    gauge = charts.load_gauge(load)
    assert gauge is not None
    validated(gauge)
    assert gauge.summary.startswith(
        "Latest cognitive load 63 of 100 (HIGH) on 2026-12-06, down 7 points"
    )
    assert charts.load_gauge({"current": None, "trend": None}) is None
    history = {
        "from": "2026-11-07T00:00:00Z",
        "to": "2026-12-07T00:00:00Z",
        "buckets": [
            {"start": "2026-12-01T00:00:00+01:00", "meanLoad": 40.0, "maxLoad": 55.0, "count": 2},
            {"start": "2026-12-02T00:00:00+01:00", "meanLoad": 20.0, "maxLoad": 70.0, "count": 1},
        ],
    }
    chart = charts.load_history_chart(history)
    validated(chart)
    assert "2 days with readings, mean 30, highest 70 on 2026-12-02" in chart.summary
    empty = charts.load_history_chart({**history, "buckets": []})
    validated(empty)
    assert empty.summary == "No cognitive-load reading from 2026-11-07 to 2026-12-07."
    burnout = {
        "riskScore": 31.0,
        "level": "MEDIUM",
        "contributingFactors": [
            {
                "factor": "INTENSITY",
                "score": 40.0,
                "weight": 0.2,
                "contribution": 8.0,
                "measured": True,
                "evidence": {"minutesPerDay": 95.5},
            },
            {
                "factor": "CHRONIC_LOAD",
                "score": 92.0,
                "weight": 0.25,
                "contribution": 23.0,
                "measured": True,
                "evidence": "12 of 14 days above 60",
            },
        ],
    }
    chart = charts.burnout_chart(burnout)
    validated(chart)
    assert "the largest contribution is chronic load with 23.0 points" in chart.summary
    assert chart.table is not None and chart.table.rows[0][0] == "chronic load"
    assert chart.table.rows[1][4] == "minutesPerDay: 95.5"


def test_struggle_and_model_charts() -> None:
    predictions = [
        {"probability": 0.83, "objective": {"id": "o1", "text": "Renal clearance " + "x" * 60}},
        {"probability": 0.55, "objective": {"id": "o2", "text": None}},
    ]
    chart = charts.predictions_chart(predictions)
    figure = validated(chart)
    assert figure["data"][0]["y"][0] == "o2"  # lowest at the bottom, likeliest on top
    assert figure["data"][0]["y"][1].endswith("…") and len(figure["data"][0]["y"][1]) == 40
    assert chart.summary.startswith("2 predictions; the likeliest struggle is Renal clearance")
    overall = {
        "n": 20,
        "accuracy": 0.8,
        "auc": 0.91,
        "brier": 0.12,
        "ece": 0.05,
        "calibration": [
            {"lower": 0.0, "upper": 0.1, "count": 10, "meanPredicted": 0.05, "observedRate": 0.1},
            {"lower": 0.1, "upper": 0.2, "count": 0, "meanPredicted": None, "observedRate": None},
        ],
    }
    calibration = charts.calibration_chart(overall)
    validated(calibration)
    assert calibration.table is not None and len(calibration.table.rows) == 1  # empty bins left out
    models = [
        {"version": "m2", "isActive": True, "metrics": {"auc": 0.93, "current": {"auc": 0.85}}},
        {"version": "m1", "isActive": False, "metrics": {"auc": 0.84, "current": None}},
    ]
    registry = charts.registry_chart(models)
    validated(registry)
    assert registry.summary == "2 registered model versions; active: m2 (held-out AUC 0.930)."


def test_figure_json_is_strict_json() -> None:
    chart = charts.Chart(
        "x",
        "t",
        "s",
        {"data": [{"type": "bar", "x": [1, 2], "y": [float("nan"), math.inf]}], "layout": {}},
    )
    assert json.loads(chart.figure_json)["data"][0]["y"] == [None, None]
    assert chart.points == 0


def test_week_chart_splits_blocks_at_local_midnight_and_lists_them() -> None:
    # Sydney is UTC+11 in December: 12:00Z is 23:00 local, so a two-hour busy block from
    # 12:00Z runs 23:00–24:00 on the 8th and 00:00–01:00 on the 9th (hand-converted).
    schedule = {
        "timezone": "Australia/Sydney",
        "pendingSlots": [
            {
                "start": "2026-12-09T10:30:00+11:00",
                "end": "2026-12-09T11:05:00+11:00",
                "rank": 1,
                "score": 76.8,
            },
        ],
        "upcoming": [
            {
                "plannedStart": "2026-12-10T09:00:00+11:00",
                "plannedEnd": "2026-12-10T09:42:00+11:00",
                "status": "PLANNED",
                "durationMinutes": 42,
            },
            {
                "plannedStart": "2026-12-11T09:00:00+11:00",
                "plannedEnd": "2026-12-11T09:42:00+11:00",
                "status": "CANCELLED",
                "durationMinutes": 42,
            },
        ],
    }
    busy = {
        "blocks": [{"start": "2026-12-08T12:00:00Z", "end": "2026-12-08T14:00:00Z", "weight": 0.5}]
    }
    chart = week.week_chart(schedule, busy)
    assert chart is not None
    figure = validated(chart)
    busy_trace, slot_trace, plan_trace = figure["data"]
    assert busy_trace["x"] == ["2026-12-08", "2026-12-09"]
    assert busy_trace["base"] == [23.0, 0.0] and busy_trace["y"] == [1.0, 1.0]
    assert slot_trace["base"] == [10.5] and slot_trace["y"] == pytest.approx([35 / 60])
    assert plan_trace["x"] == ["2026-12-10"]  # the cancelled session is not drawn
    assert chart.points == 4
    assert chart.summary == (
        "Your week in Australia/Sydney time: 2 busy blocks from your calendar, "
        "1 recommended slot and 1 planned session."
    )
    assert chart.table is not None
    assert chart.table.rows[0] == ("2026-12-08", "23:00", "24:00", "busy (tentative)")
    assert ("2026-12-09", "10:30", "11:05", "slot #1, score 77") in chart.table.rows
    assert week.week_chart({**schedule, "pendingSlots": [], "upcoming": []}, {"blocks": []}) is None


def test_cohort_chart_never_shows_a_withheld_count() -> None:
    from twin.analysis.patterns.cohort import Scale, cohort_distribution

    # 5 learners at 42 and 5 at 61 (shown), one at 3 and one at 97 (withheld: 1 each).
    dist = cohort_distribution([42.0] * 5 + [61.0] * 5 + [3.0, 97.0], Scale(0, 100, 10))
    entry = {"key": "behavioralScore", "label": "Behavioral score", "unit": "points"}
    chart = charts.cohort_chart({**entry, "distribution": dist}, 3)
    figure = validated(chart)
    shown, withheld = figure["data"]
    assert shown["y"] == [None, 0, 0, 0, 5, 0, 5, 0, 0, None]
    assert withheld["y"] == [2, None, None, None, None, None, None, None, None, 2]
    assert chart.table is not None
    assert chart.table.rows[0] == ("0–10 points", "fewer than 3")
    assert chart.table.rows[4] == ("40–50 points", "5")
    # Median of 12 values (5 × 42, 5 × 61, 3, 97) is (42 + 61) / 2 = 51.5.
    assert "over 12 learners" in chart.summary and "median 51.5 points" in chart.summary
    assert "2 bins with fewer than 3 learners not shown" in chart.summary


def test_score_history_chart_marks_the_week_in_progress() -> None:
    weeks = [
        {
            "weekStart": f"2026-11-{d:02d}",
            "score": s,
            "components": {"consistency": 50.0, "quality": None},
            "sessions": 4,
            "complete": d != 30,
        }
        for d, s in ((16, 40.0), (23, 55.0), (30, 61.0))
    ]
    history = {"weeks": weeks, "latest": weeks[1], "weights": {"consistency": 0.5, "quality": 0.5}}
    chart = charts.score_history_chart(history)
    figure = validated(chart)
    assert figure["data"][0]["y"] == [40.0, 55.0, 61.0]
    assert figure["data"][0]["marker"]["color"] == [charts.BLUE, charts.BLUE, charts.GREY]
    assert "(a week still in progress)" in chart.summary
    assert "latest complete week: 55 of 100" in chart.summary
    assert chart.table is not None
    assert chart.table.rows[-1] == ("2026-11-30 (so far)", "61", "4", "50", "—")


def test_a_week_in_progress_without_sessions_is_a_gap_not_a_zero() -> None:
    weeks = [
        {
            "weekStart": f"2026-11-{d:02d}",
            "score": s,
            "components": {"consistency": s},
            "sessions": n,
            "complete": d != 30,
        }
        for d, s, n in ((16, 40.0, 3), (23, 55.0, 5), (30, 0.0, 0))
    ]
    chart = charts.score_history_chart({"weeks": weeks, "latest": weeks[1], "weights": {}})
    figure = validated(chart)
    assert figure["data"][0]["y"] == [40.0, 55.0, None]
    assert "no session yet" in chart.summary and " to 0 " not in chart.summary
    assert chart.table is not None
    assert chart.table.rows[-1][:3] == ("2026-11-30 (so far)", "no session yet", "0")
