"""The simulated window's dates and limits: a fixed start for reproducible runs, or "now".

A cohort covers ``weeks`` whole weeks of local days from its start date in every
learner's own time zone; PENDING missions and exams follow the window. Benchmarks and
tests pass :data:`DEFAULT_START` (same seed, same dates, same rows); ``twin simulate``
and ``twin demo`` use :func:`start_ending_by`, so the cohort's weeks end just before
now and the analyses of today (burnout over the last 14 days, the heatmap, load
history) see them.

Light on purpose (no numpy): the command line reads these limits when it builds
``--help``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from twin.analysis.common import aware_utc

DEFAULT_START = date(2026, 1, 5)  # a Monday
MAX_SEED = 2**31 - 1  # simulation_truth.seed is a PostgreSQL integer
MAX_WEEKS = 104
FAMILY_NAMES = ("classic", "srs")
"""The simulator's generative families (:mod:`twin.simulate.load` maps each to its generator)."""
DEFAULT_FAMILY = "classic"
DAYS_PER_WEEK = 7
LAST_DAY_SPILL_HOURS = 6
"""A late-night session of the window's last day starts by 02:00 and lasts at most 3 h, so
every row of the window is written before 06:00 local time of the day after it."""


def start_ending_by(now: datetime, weeks: int, zones: Iterable[str] | None = None) -> date:
    """The start of the latest ``weeks``-week window whose every row lies before ``now``.

    The window ends (its last day's rows included, :data:`LAST_DAY_SPILL_HOURS`) before
    ``now`` in each of ``zones`` (default: every zone the simulator gives learners), so
    no simulated row is in the future; in the zones furthest west it ends within the
    last day, in the others up to a day and a half before ``now`` (naive = UTC, the
    storage convention).
    """
    now = aware_utc(now)
    if zones is None:
        from twin.simulate.traits import TIMEZONES

        zones = TIMEZONES
    spill = timedelta(hours=LAST_DAY_SPILL_HOURS)
    end = min((now.astimezone(ZoneInfo(z)) - spill).date() for z in zones)
    return end - timedelta(days=DAYS_PER_WEEK * weeks)


def window_end(start: date, weeks: int) -> date:
    """The first local day after a window (the day its PENDING missions begin)."""
    return start + timedelta(days=DAYS_PER_WEEK * weeks)
