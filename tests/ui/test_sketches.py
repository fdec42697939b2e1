"""The overview's server-drawn sketches: shapes where the numbers put them, honest summaries."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from twin.analysis.cognitive.load import LOAD_HIGH_MIN
from twin.ui import charts, sketches

LOAD = {
    "current": {"loadScore": 63.4, "level": "HIGH", "timestamp": "2026-12-06T18:00:00.000Z"},
    "trend": {"delta": -7.2},
}
HISTORY: dict[str, Any] = {
    "from": "2026-11-23T00:00:00Z",
    "to": "2026-12-07T00:00:00Z",
    "buckets": [
        {"start": "2026-11-23T00:00:00+01:00", "meanLoad": 40.0, "maxLoad": 55.0, "count": 2},
        {"start": "2026-11-30T00:00:00+01:00", "meanLoad": 100.0, "maxLoad": 100.0, "count": 1},
        {"start": "2026-12-07T00:00:00+01:00", "meanLoad": 0.0, "maxLoad": 10.0, "count": 1},
    ],
}


def test_meter_marks_the_score_on_the_four_bands_with_the_gauge_summary() -> None:
    meter = sketches.load_meter(LOAD)
    assert meter is not None and meter.points == 1
    assert meter.summary == charts.load_summary(LOAD)  # the same text alternative as the gauge
    *bands, marker = meter.bands
    # Bands 0–40–60–80–100 on a 308-unit track from x = 6: 6, 129.2, 190.8, 252.4 (hand-computed).
    assert [b.x for b in bands] == [6.0, 129.2, 190.8, 252.4]
    assert [b.colour for b in bands] == [c for _lo, _hi, c in charts.GAUGE_STEPS]
    # 63.4 of 100 → x = 6 + 308 × 0.634 = 201.272; the 5-unit marker is centred on it.
    assert marker.x == round(201.272 - 2.5, 1) and marker.colour == charts.INK
    assert [label.text for label in meter.labels] == ["0", "25", "50", "75", "100"]
    assert sketches.load_meter({"current": None, "trend": None}) is None


@given(st.floats(min_value=-50, max_value=250, allow_nan=False))
def test_meter_marker_stays_on_the_track_whatever_the_score(score: float) -> None:
    load = {"current": {**LOAD["current"], "loadScore": score}, "trend": None}
    meter = sketches.load_meter(load)
    assert meter is not None
    marker = meter.bands[-1]
    assert sketches.PAD <= marker.x <= sketches.METER_WIDTH - sketches.PAD - marker.width


def test_sparkline_puts_each_day_on_the_calendar_and_each_load_on_the_0_to_100_scale() -> None:
    spark = sketches.load_sparkline(HISTORY)
    assert spark.points == 3 and spark.summary == charts.history_summary(HISTORY)
    # 14 days over 286 units from x = 28: day 0 → 28, day 7 → 171, day 14 → 314.
    # Loads 40, 100, 0 over 72 units from y = 6 (top = 100): 49.2, 6, 78.
    assert spark.dots == ((28.0, 49.2), (171.0, 6.0), (314.0, 78.0))
    assert spark.line == "28.0,49.2 171.0,6.0 314.0,78.0"
    high = spark.guides[0]
    assert high.y1 == round(6 + 72 * (1 - LOAD_HIGH_MIN / 100), 1) and high.colour == charts.ORANGE


def test_sparkline_without_readings_draws_no_line_and_says_so() -> None:
    spark = sketches.load_sparkline({**HISTORY, "buckets": []})
    assert spark.points == 0 and spark.line == "" and spark.dots == ()
    assert spark.summary == "No cognitive-load reading from 2026-11-23 to 2026-12-07."
    one = sketches.load_sparkline({**HISTORY, "buckets": HISTORY["buckets"][:1]})
    assert one.line == "" and len(one.dots) == 1  # a single day is a dot, not a line
