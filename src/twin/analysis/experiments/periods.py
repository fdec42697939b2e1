"""A participant's pre- and post-period, and the metrics document stored for them.

**Periods.** A participant enters the experiment when they are assigned (``assignedAt``: the
first time the experiment's context was personalized for them while it ran). Their
*pre-period* is the :data:`PRE_PERIOD_DAYS` days before that instant — untouched by the
variant, so its value of a metric is a valid CUPED covariate — and their *post-period* runs
from that instant to the *as-of* time of the computation, capped at the experiment's end or
the moment it was stopped. Both are half-open ``[start, end)`` in naive UTC (the storage
convention).

**The metrics document** is what the daily job writes into ``experiment_assignments.metrics``
(the seed's "A/B test outcome metrics" field)::

    {"version": 1, "asOf": "2026-03-20T02:30:00.000Z",
     "pre":  {"start": "…Z", "end": "…Z", "days": 14.0,
              "values": {"retention": 0.81, "satisfaction": null, …},
              "n": {"retention": 52, "satisfaction": 0, …}},
     "post": {…the same…}}

``values`` holds every catalogue metric (``null`` when the period has no data for it) and
``n`` its sample size (the items the value rests on). The results query reads
``metrics->'post'->'values'->>'<metric>'`` (and ``'pre'`` for CUPED). The document depends
only on the stored data, the assignment time and the as-of time, so recomputing it gives the
same document: the job is idempotent.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

from twin.analysis.common import iso_utc, naive_utc
from twin.analysis.experiments.metrics import METRICS, MetricValue

PRE_PERIOD_DAYS = 14
"""Length of the pre-period: two weekly cycles of study habits, like the minimum duration."""

METRICS_DOCUMENT_VERSION = 1
"""Version of the stored metrics document (a change of its shape bumps it)."""

SECONDS_PER_DAY = 86_400.0


@dataclass(frozen=True)
class Period:
    """A half-open interval ``[start, end)`` of naive-UTC instants."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("period bounds are naive UTC")
        if self.end < self.start:
            raise ValueError(f"period end {self.end} is before its start {self.start}")

    @property
    def days(self) -> float:
        """Length in days."""
        return (self.end - self.start).total_seconds() / SECONDS_PER_DAY


@dataclass(frozen=True)
class ParticipantPeriods:
    """The pre-period (before assignment) and the post-period (assignment → as-of)."""

    pre: Period
    post: Period


def analysis_end(as_of: datetime, end: datetime, stopped_at: datetime | None) -> datetime:
    """The end of every post-period at ``as_of``: the earliest of as-of, end date and stop."""
    return min(t for t in (as_of, end, stopped_at) if t is not None)


def participant_periods(
    assigned_at: datetime, post_end: datetime, *, pre_days: int = PRE_PERIOD_DAYS
) -> ParticipantPeriods | None:
    """The participant's periods, or None while their post-period is empty (assigned at or after ``post_end``)."""
    if pre_days < 1:
        raise ValueError(f"pre_days must be ≥ 1, got {pre_days}")
    if post_end <= assigned_at:
        return None
    return ParticipantPeriods(
        pre=Period(assigned_at - timedelta(days=pre_days), assigned_at),
        post=Period(assigned_at, post_end),
    )


def parse_instant(text: str) -> datetime:
    """The inverse of :func:`~twin.analysis.common.iso_utc` (any offset accepted; naive UTC out)."""
    return naive_utc(datetime.fromisoformat(text))


@dataclass(frozen=True)
class PeriodMetrics:
    """Every catalogue metric of one participant over one period."""

    period: Period
    values: Mapping[str, MetricValue]

    def __post_init__(self) -> None:
        unknown = sorted(set(self.values) - set(METRICS))
        if unknown:
            raise ValueError(f"unknown metrics {unknown}")
        for name, metric in self.values.items():
            if metric.value is not None:
                METRICS[name].check_value(metric.value)

    def to_json(self) -> dict[str, Any]:
        """The period's part of the stored document."""
        return {
            "start": iso_utc(self.period.start),
            "end": iso_utc(self.period.end),
            "days": round(self.period.days, 6),
            "values": {name: self.values[name].value for name in sorted(self.values)},
            "n": {name: self.values[name].n for name in sorted(self.values)},
        }

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> PeriodMetrics:
        """The inverse of :meth:`to_json`."""
        values = doc["values"]
        counts = doc["n"]
        return cls(
            period=Period(parse_instant(doc["start"]), parse_instant(doc["end"])),
            values=MappingProxyType(
                {
                    name: MetricValue(
                        None if values[name] is None else float(values[name]), int(counts[name])
                    )
                    for name in values
                }
            ),
        )


@dataclass(frozen=True)
class ParticipantMetrics:
    """What is stored for one participant: both periods' metrics as of one instant."""

    as_of: datetime
    pre: PeriodMetrics
    post: PeriodMetrics

    def to_json(self) -> dict[str, Any]:
        """The document stored in ``experiment_assignments.metrics``."""
        for part in (self.pre, self.post):
            for value in part.values.values():
                if value.value is not None and not math.isfinite(value.value):
                    raise ValueError("metric values must be finite")
        return {
            "version": METRICS_DOCUMENT_VERSION,
            "asOf": iso_utc(self.as_of),
            "pre": self.pre.to_json(),
            "post": self.post.to_json(),
        }

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> ParticipantMetrics:
        """The inverse of :meth:`to_json` (ValueError on another version)."""
        if doc.get("version") != METRICS_DOCUMENT_VERSION:
            raise ValueError(f"unsupported metrics document version {doc.get('version')!r}")
        return cls(
            as_of=parse_instant(doc["asOf"]),
            pre=PeriodMetrics.from_json(doc["pre"]),
            post=PeriodMetrics.from_json(doc["post"]),
        )
