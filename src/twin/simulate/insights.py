"""Simulated learners with a known insights truth (ENGINE.md 5.6), for ``benchmarks/insights_quality.py``.

Built on the main generator (:func:`twin.simulate.generate.generate_learner`) through its
one hook, ``session_quality`` (session day indices → a multiplier of each session's
quality — the GOOD/EASY share of recalled cards, validation scores, engagement — and of its
recall probability); a learner whose multiplier is 1 everywhere is the plain run's.

- **Following a recommendation that truly helps** (:func:`applied_learner`): from the day
  the learner applies it, a *helped* learner's sessions have quality × (1 + ``gain``); a
  learner it does nothing for is generated exactly as without it. The truth is
  ``helped``; the effect on the session score is measured by the benchmark.
- **A known link between behaviour and exam results** (:func:`linked_learner`): each week
  w has a latent state z_w ~ N(0, 1) that scales the week's session quality
  (× (1 + ``amplitude``·z_w), clipped to [0.5, 1.5]); one exam result per week is
  ``70 + 10·(ρ·z_w + √(1 − ρ²)·e_w)`` (clipped to 0–100), with ρ > 0 for a *linked* learner
  and ρ = 0 for one without a link. The generator's in-session validation scores follow
  session quality by construction (they would link every learner's results to their
  behaviour), so these learners answer no validation prompts: their academic results are
  the exams alone.

:func:`load_learners` COPYs the generated rows (and exam results) into the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np

from twin.db.base import new_id
from twin.db.engine import Database
from twin.simulate.generate import (
    COURSE_CATALOGUE,
    TABLE_ORDER,
    LearnerData,
    SessionQuality,
    generate_learner,
)
from twin.simulate.localtime import local_clock
from twin.simulate.rows import Column, Table, copy_statement, copy_text
from twin.simulate.traits import learner_rng, sample_traits, user_id

LINK_STREAM = 0x5106  # the learner's side stream for weekly states and exam noise
QUALITY_CLIP = (0.5, 1.5)
EXAM_MEAN = 70.0
EXAM_SD = 10.0
EXAM_HOUR_LOCAL = 10.0
SCORE_RANGE = (0.0, 100.0)
DAYS_PER_WEEK = 7


@dataclass(frozen=True)
class ExamResultRow:
    """One simulated exam result (for ``exam_results``)."""

    user_id: str
    score: float
    taken_at: datetime


@dataclass(frozen=True)
class SimulatedLearner:
    """A generated learner, what the benchmark knows about them, and extra rows."""

    user_id: str
    data: LearnerData
    truth: dict[str, Any]
    exam_results: tuple[ExamResultRow, ...] = field(default_factory=tuple)


def following(applied_day: int, gain: float) -> SessionQuality:
    """Quality × (1 + gain) for sessions on or after ``applied_day``."""

    def factor(days: np.ndarray) -> np.ndarray:
        return np.where(days >= applied_day, 1.0 + gain, 1.0)

    return factor


def weekly_states(z: np.ndarray, amplitude: float) -> SessionQuality:
    """Quality × (1 + amplitude·z_week), clipped."""

    def factor(days: np.ndarray) -> np.ndarray:
        week = np.minimum(days // DAYS_PER_WEEK, len(z) - 1)
        return np.asarray(np.clip(1.0 + amplitude * z[week], *QUALITY_CLIP))

    return factor


def _generate(
    seed: int, index: int, start: date, weeks: int, quality: SessionQuality | None
) -> LearnerData:
    rng = learner_rng(seed, index)
    traits = sample_traits(seed, index, weeks, rng, len(COURSE_CATALOGUE))
    return generate_learner(traits, rng, start, weeks, session_quality=quality)


def applied_learner(
    seed: int,
    index: int,
    start: date,
    weeks: int,
    *,
    applied_day: int,
    helped: bool,
    gain: float,
) -> SimulatedLearner:
    """A learner who applies a recommendation on ``applied_day``; it helps only if ``helped``."""
    quality = following(applied_day, gain) if helped else None
    data = _generate(seed, index, start, weeks, quality)
    truth = {"helped": helped, "appliedDay": applied_day, "qualityGain": gain if helped else 0.0}
    return SimulatedLearner(user_id(seed, index), data, truth)


def _without_validations(data: LearnerData) -> LearnerData:
    tables = dict(data.tables)
    t = tables["validation_responses"]
    tables["validation_responses"] = Table(
        t.name, tuple(Column(c.name, c.kind, c.values[:0]) for c in t.columns)
    )
    return replace(data, tables=tables)


def linked_learner(
    seed: int,
    index: int,
    start: date,
    weeks: int,
    *,
    rho: float,
    amplitude: float,
) -> SimulatedLearner:
    """A learner whose weekly state drives their behaviour, and (ρ > 0) their exam results."""
    side = np.random.default_rng(np.random.SeedSequence([seed, index, LINK_STREAM]))
    z = side.normal(0.0, 1.0, weeks)
    noise = side.normal(0.0, 1.0, weeks)
    exam_day = side.integers(0, DAYS_PER_WEEK, weeks)
    data = _without_validations(_generate(seed, index, start, weeks, weekly_states(z, amplitude)))
    uid = user_id(seed, index)
    clock = local_clock(data.traits.timezone, start, weeks * DAYS_PER_WEEK)
    exams = []
    for w in range(weeks):
        score = EXAM_MEAN + EXAM_SD * (rho * z[w] + np.sqrt(1.0 - rho * rho) * noise[w])
        day = start + timedelta(days=DAYS_PER_WEEK * w + int(exam_day[w]))
        ms = clock.to_utc_ms(day, EXAM_HOUR_LOCAL)
        exams.append(
            ExamResultRow(
                uid,
                float(np.clip(score, *SCORE_RANGE)),
                datetime(1970, 1, 1) + timedelta(milliseconds=int(ms)),
            )
        )
    truth = {"linked": rho > 0, "rho": rho, "amplitude": amplitude, "weeklyState": z.tolist()}
    return SimulatedLearner(uid, data, truth, tuple(exams))


def load_learners(db: Database, learners: Sequence[SimulatedLearner]) -> int:
    """COPY the learners' rows (and exam results) in, one transaction; rows written."""
    written = 0
    pooled = db.engine.raw_connection()
    try:
        conn: Any = pooled.driver_connection
        with conn.transaction(), conn.cursor() as cur:
            for name in TABLE_ORDER:
                for learner in learners:
                    table = learner.data.tables[name]
                    if not len(table):
                        continue
                    with cur.copy(copy_statement(name, table.column_names)) as copy:
                        copy.write(copy_text(table))
                    written += len(table)
            for learner in learners:
                for e in learner.exam_results:
                    cur.execute(
                        'INSERT INTO exam_results (id, "userId", score, "takenAt") '
                        "VALUES (%s, %s, %s, %s)",
                        (new_id(), e.user_id, e.score, e.taken_at),
                    )
                    written += 1
    finally:
        pooled.close()
    return written
