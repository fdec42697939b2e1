"""Small charts drawn on the server as SVG: the overview's load meter and sparkline.

The overview is the first page a learner opens (their sign-in link lands there), and
plotly.js is 4.8 MB of script a fresh browser must fetch and compile before a plotly
chart appears (2–3 s on a busy machine, measured). The overview's two small charts need
nothing plotly offers — no hover, zoom or axes to read — so they are drawn here as
static shapes and the page needs no script at all; the detailed, interactive versions
stay plotly charts on the health page. A sketch is data (coordinates in its own view
box); ``macros.html`` turns it into ``<svg>``, escaping every text, and it carries the
same summary sentence as its plotly counterpart (its text alternative).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from twin.analysis.cognitive.load import LOAD_HIGH_MIN
from twin.ui.charts import BLUE, GAUGE_STEPS, GREY, INK, ORANGE, history_summary, load_summary

SPARKLINE_WIDTH = 320
SPARKLINE_HEIGHT = 84
METER_WIDTH = 320
METER_HEIGHT = 58
PAD_LEFT = 28  # room for the 0 / 100 labels of the sparkline
PAD = 6
LOAD_MAX = 100.0
METER_BAND_Y = 10
METER_BAND_HEIGHT = 18
METER_MARKER_WIDTH = 5
METER_MARKER_OVERHANG = 6  # the marker stands out above and below the bands
METER_LABEL_Y = 52
METER_TICKS = (0.0, 25.0, 50.0, 75.0, 100.0)
DOT_RADIUS = 2.5
COORDINATE_DIGITS = 1


@dataclass(frozen=True)
class Label:
    """A text in the sketch: position, anchor (start / middle / end) and the text."""

    x: float
    y: float
    anchor: str
    text: str


@dataclass(frozen=True)
class Band:
    """A filled rectangle (the meter's level bands and its marker)."""

    x: float
    y: float
    width: float
    height: float
    colour: str


@dataclass(frozen=True)
class Guide:
    """A dotted reference line."""

    x1: float
    y1: float
    x2: float
    y2: float
    colour: str


@dataclass(frozen=True)
class Sketch:
    """A server-drawn chart: shapes in a ``width`` × ``height`` view box, and its summary."""

    id: str
    title: str
    summary: str
    width: int
    height: int
    points: int
    """How many values it draws (0 means it has nothing to show)."""
    line: str = ""
    """The polyline's ``points`` attribute ("x,y x,y …"), empty when there is no line."""
    line_colour: str = BLUE
    dots: tuple[tuple[float, float], ...] = ()
    bands: tuple[Band, ...] = ()
    guides: tuple[Guide, ...] = ()
    labels: tuple[Label, ...] = ()


def _r(value: float) -> float:
    return round(value, COORDINATE_DIGITS)


def load_meter(load: dict[str, Any]) -> Sketch | None:
    """The latest load reading as a marker on the four level bands (None without a reading)."""
    summary = load_summary(load)
    if summary is None:
        return None
    score = min(LOAD_MAX, max(0.0, float(load["current"]["loadScore"])))
    span = METER_WIDTH - 2 * PAD

    def x(value: float) -> float:
        return _r(PAD + span * value / LOAD_MAX)

    bands = [
        Band(x(lo), METER_BAND_Y, _r(x(hi) - x(lo)), METER_BAND_HEIGHT, colour)
        for lo, hi, colour in GAUGE_STEPS
    ]
    marker_x = min(
        max(x(score) - METER_MARKER_WIDTH / 2, PAD), METER_WIDTH - PAD - METER_MARKER_WIDTH
    )
    bands.append(
        Band(
            _r(marker_x),
            METER_BAND_Y - METER_MARKER_OVERHANG,
            METER_MARKER_WIDTH,
            METER_BAND_HEIGHT + 2 * METER_MARKER_OVERHANG,
            INK,
        )
    )
    labels = tuple(
        Label(
            x(t),
            METER_LABEL_Y,
            "start" if t == 0 else "end" if t == LOAD_MAX else "middle",
            f"{t:.0f}",
        )
        for t in METER_TICKS
    )
    return Sketch(
        id="load-meter",
        title="Cognitive load now",
        summary=summary,
        width=METER_WIDTH,
        height=METER_HEIGHT,
        points=1,
        bands=tuple(bands),
        labels=labels,
    )


def load_sparkline(history: dict[str, Any]) -> Sketch:
    """Daily mean load over the window as a line on its calendar days, the "high" level dotted."""
    first = date.fromisoformat(history["from"][:10])
    last = date.fromisoformat(history["to"][:10])
    days = max(1, (last - first).days)
    width = SPARKLINE_WIDTH - PAD_LEFT - PAD
    height = SPARKLINE_HEIGHT - 2 * PAD

    def y(value: float) -> float:
        return _r(PAD + height * (1.0 - min(LOAD_MAX, max(0.0, value)) / LOAD_MAX))

    dots = []
    for bucket in history["buckets"]:
        offset = (date.fromisoformat(bucket["start"][:10]) - first).days
        dots.append(
            (_r(PAD_LEFT + width * min(max(offset, 0), days) / days), y(bucket["meanLoad"]))
        )
    return Sketch(
        id="load-sparkline",
        title="Load, last 14 days",
        summary=history_summary(history),
        width=SPARKLINE_WIDTH,
        height=SPARKLINE_HEIGHT,
        points=len(dots),
        line=" ".join(f"{px},{py}" for px, py in dots) if len(dots) > 1 else "",
        dots=tuple(dots),
        guides=(
            Guide(PAD_LEFT, y(LOAD_HIGH_MIN), SPARKLINE_WIDTH - PAD, y(LOAD_HIGH_MIN), ORANGE),
            Guide(PAD_LEFT, y(0.0), SPARKLINE_WIDTH - PAD, y(0.0), GREY),
        ),
        labels=(
            Label(PAD_LEFT - 4, y(LOAD_MAX) + 4, "end", "100"),
            Label(PAD_LEFT - 4, y(0.0) + 4, "end", "0"),
        ),
    )


SCORE_MAX = 100.0


def score_sparkline(card: dict[str, Any]) -> Sketch | None:
    """The weekly behavioral score of the last weeks as a line (None when no week has one)."""
    points = card["sparkline"]
    measured = [(i, p) for i, p in enumerate(points) if p["value"] is not None]
    if not measured:
        return None
    width = SPARKLINE_WIDTH - PAD_LEFT - PAD
    height = SPARKLINE_HEIGHT - 2 * PAD
    slots = max(1, len(points) - 1)

    def y(value: float) -> float:
        return _r(PAD + height * (1.0 - min(SCORE_MAX, max(0.0, value)) / SCORE_MAX))

    dots = tuple((_r(PAD_LEFT + width * i / slots), y(float(p["value"]))) for i, p in measured)
    values = ", ".join(f"{float(p['value']):.0f}" for _i, p in measured)
    summary = (
        f"Your behavioral score, week by week since {measured[0][1]['weekStart']}: {values} "
        f"(out of 100)."
    )
    return Sketch(
        id="score-sparkline",
        title=f"Behavioral score, last {len(points)} weeks",
        summary=summary,
        width=SPARKLINE_WIDTH,
        height=SPARKLINE_HEIGHT,
        points=len(dots),
        line=" ".join(f"{px},{py}" for px, py in dots) if len(dots) > 1 else "",
        dots=dots,
        guides=(Guide(PAD_LEFT, y(0.0), SPARKLINE_WIDTH - PAD, y(0.0), GREY),),
        labels=(
            Label(PAD_LEFT - 4, y(SCORE_MAX) + 4, "end", "100"),
            Label(PAD_LEFT - 4, y(0.0) + 4, "end", "0"),
        ),
    )
