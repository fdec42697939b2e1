"""Measured effectiveness: the learner's outcomes in a window against their own baseline window.

``GET …/personalization/effectiveness?from=&to=`` reads ``personalization_outcomes`` of the
window ``[from, to)`` and of the baseline window of the same length just before it, and
answers :func:`measure_effectiveness` (improvements, Pearson r of the level in effect vs the
outcome score with its p-value and 95% interval, composite score) or "insufficient data"
under 10 outcomes on either side — never zeros. The level of an outcome is the one stored
with it (an outcome without personalization counts as NONE).

The daily job (:func:`store_effectiveness`) writes one ``personalization_effectiveness`` row
per arm with at least 10 outcomes in the last 28 days: that arm's outcomes against all of
the context's outcomes in the 28 days before; the arm's ``effectivenessScore`` is the
composite score. A tick served twice replaces its rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from twin.analysis.common import InsufficientData, aware_utc, storage_time
from twin.analysis.personalization.effectiveness import (
    Effectiveness,
    OutcomeRecord,
    measure_effectiveness,
)
from twin.db.models import PersonalizationConfig, PersonalizationEffectiveness
from twin.enums import PersonalizationContext, PersonalizationLevel
from twin.learners import analysis_learner
from twin.services.personalization.common import arm_rows, invalid_field

DEFAULT_WINDOW = timedelta(days=28)
MAX_WINDOW = timedelta(days=366)

_OUTCOMES_SQL = sa.text(
    """
    SELECT "retentionScore" AS retention, "performanceScore" AS performance,
           "completionRate" AS completion, "engagementScore" AS engagement,
           "personalizationApplied" AS applied, "personalizationLevel" AS level,
           "configId" AS config, context::text AS context, timestamp AS at
    FROM personalization_outcomes
    WHERE "userId" = :u AND timestamp >= :lo AND timestamp < :hi
      AND (CAST(:context AS text) IS NULL OR context::text = CAST(:context AS text))
    ORDER BY timestamp, id
    """
)


@dataclass(frozen=True)
class EffectivenessView:
    """The learner's effectiveness over a window, or why it cannot be said yet."""

    user_id: str
    context: str | None
    window_start: datetime
    window_end: datetime
    baseline_start: datetime
    result: dict[str, Any] | None
    """The measured numbers (:class:`Effectiveness`'s stored shape); None when insufficient."""
    insufficient: InsufficientData | None
    """What is missing when there are too few outcomes (the API's shared ``Insufficient``)."""


def _record(row: Any) -> OutcomeRecord | None:
    level = row.level if row.level in PersonalizationLevel.__members__ else None
    if level is None:
        level = (
            PersonalizationLevel.MEDIUM.value if row.applied else PersonalizationLevel.NONE.value
        )
    try:
        return OutcomeRecord(
            level=PersonalizationLevel(level),
            retention=row.retention,
            performance=row.performance,
            completion=row.completion,
            engagement=row.engagement,
        )
    except ValueError:
        return None  # a stored value out of range is not an outcome the analysis can use


def outcome_records(
    session: Session,
    user_id: str,
    lo: datetime,
    hi: datetime,
    context: PersonalizationContext | None = None,
) -> list[tuple[OutcomeRecord, str | None]]:
    """The learner's outcomes in ``[lo, hi)`` with the arm (configId) of each."""
    rows = session.execute(
        _OUTCOMES_SQL,
        {
            "u": user_id,
            "lo": storage_time(lo),
            "hi": storage_time(hi),
            "context": None if context is None else context.value,
        },
    )
    out = []
    for row in rows:
        record = _record(row)
        if record is not None:
            out.append((record, row.config))
    return out


def learner_effectiveness(
    session: Session,
    user_id: str,
    now: datetime,
    start: datetime | None = None,
    end: datetime | None = None,
    context: PersonalizationContext | None = None,
) -> EffectivenessView:
    """Effectiveness over ``[start, end)`` (default: the last 28 days) vs the window before."""
    analysis_learner(session, user_id)
    hi = aware_utc(end) if end is not None else aware_utc(now)
    lo = aware_utc(start) if start is not None else hi - DEFAULT_WINDOW
    if lo >= hi:
        raise invalid_field("from", "must be before to")
    if hi - lo > MAX_WINDOW:
        raise invalid_field("to", f"the window may be at most {MAX_WINDOW.days} days")
    base_lo = lo - (hi - lo)
    window = [r for r, _ in outcome_records(session, user_id, lo, hi, context)]
    baseline = [r for r, _ in outcome_records(session, user_id, base_lo, lo, context)]
    measured = measure_effectiveness(window, baseline)
    if isinstance(measured, InsufficientData):
        return EffectivenessView(
            user_id,
            None if context is None else context.value,
            lo,
            hi,
            base_lo,
            None,
            measured,
        )
    return EffectivenessView(
        user_id,
        None if context is None else context.value,
        lo,
        hi,
        base_lo,
        measured.to_json(),
        None,
    )


def store_effectiveness(
    session: Session,
    user_id: str,
    now: datetime,
    arms: Sequence[PersonalizationConfig] | None = None,
) -> int:
    """One ``personalization_effectiveness`` row per arm with ≥ 10 recent outcomes; how many.

    ``arms``: the learner's arms when the caller has them loaded. The outcomes of both
    windows and every context are read in one statement.
    """
    hi = aware_utc(now)
    lo = hi - DEFAULT_WINDOW
    base_lo = lo - DEFAULT_WINDOW
    written = 0
    # a tick served twice replaces its own rows instead of adding a second set
    session.execute(
        sa.delete(PersonalizationEffectiveness).where(
            PersonalizationEffectiveness.userId == user_id,
            PersonalizationEffectiveness.endDate == storage_time(hi),
        )
    )
    by_context: dict[PersonalizationContext, list[PersonalizationConfig]] = {}
    for arm in arm_rows(session, user_id) if arms is None else arms:
        by_context.setdefault(arm.context, []).append(arm)
    if not by_context:
        session.flush()
        return 0
    windows: dict[str, list[tuple[OutcomeRecord, str | None]]] = {}
    baselines: dict[str, list[OutcomeRecord]] = {}
    split = storage_time(lo)
    for row in session.execute(
        _OUTCOMES_SQL,
        {"u": user_id, "lo": storage_time(base_lo), "hi": storage_time(hi), "context": None},
    ):
        record = _record(row)
        if record is None:
            continue
        if row.at >= split:
            windows.setdefault(row.context, []).append((record, row.config))
        else:
            baselines.setdefault(row.context, []).append(record)
    for context, context_arms in by_context.items():
        window = windows.get(context.value, [])
        baseline = baselines.get(context.value, [])
        for arm in context_arms:
            own = [r for r, config in window if config == arm.id]
            measured = measure_effectiveness(own, baseline)
            if not isinstance(measured, Effectiveness):
                continue
            body = measured.to_json()
            session.add(
                PersonalizationEffectiveness(
                    configId=arm.id,
                    userId=user_id,
                    startDate=storage_time(lo),
                    endDate=storage_time(hi),
                    retentionImprovement=body["retentionImprovement"],
                    performanceImprovement=body["performanceImprovement"],
                    completionRateChange=body["completionRateChange"],
                    engagementChange=body["engagementChange"],
                    sampleSize=body["sampleSize"],
                    correlation=body["correlation"],
                    pValue=body["pValue"],
                    confidenceInterval=body["confidenceInterval"],
                    compositeScore=body["compositeScore"],
                    isStatisticallySignificant=body["isStatisticallySignificant"],
                    calculatedAt=storage_time(now),
                )
            )
            arm.effectivenessScore = body["compositeScore"]
            written += 1
    session.flush()
    return written
