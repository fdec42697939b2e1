"""Outcomes derived from the data: which completed session or mission followed which decision.

A personalized SESSION or MISSION decision is rewarded by what the learner then did, read
from the learning data itself (no ``POST …/personalization/outcomes`` needed):

- **Which source follows which decision.** A study session (SESSION) or a mission
  (MISSION) *follows* the latest decision of the same context taken at or before its
  start and at most :data:`FOLLOW_WINDOW_HOURS` before it. A decision takes the first
  source that follows it; later ones (a second session the same evening) are not its
  outcome. A decision that already has an outcome (reported by the platform) takes none.
  A mission's start is its actual start, else its recommended start, else its date.
- **The measures** (ENGINE 5.5's reward inputs):

  - *retention*: recall of the due reviews (reviews of cards already studied, stability
    before > 0) made in the session (for a mission: in its sessions) — share not rated
    AGAIN; not measured without due reviews;
  - *performance* (0–100): a mission's ``sessionPerformanceScore``, else 100 × its
    ``successScore``; otherwise 100 × the mean score of the validation answers given in the
    session(s); not measured without any;
  - *completion*: a mission's objectives completed / listed (1 when it lists none and is
    COMPLETED); a session's minutes / the minutes the decision planned, capped at 1 (not
    measured when the decision planned no duration);
  - a SKIPPED mission is the implicit signal ``mission_skipped`` (completion 0, nothing
    else measured — :func:`twin.analysis.personalization.reward.compute_reward`).
- **Idempotence.** Each source yields one outcome whose id is a hash of (learner, source
  kind, source id) (:func:`derived_outcome_id`): deriving again — a re-ingested session, a
  tick served twice — finds the id taken and writes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from twin.analysis.personalization.common import clip01
from twin.analysis.personalization.reward import ImplicitSignal
from twin.enums import PersonalizationContext

FOLLOW_WINDOW_HOURS = 24
"""A session or mission starting later than this after a decision did not follow it."""
FOLLOW_WINDOW = timedelta(hours=FOLLOW_WINDOW_HOURS)
PERFORMANCE_SCALE = 100.0
"""Validation scores and ``successScore`` are 0–1; performance is 0–100."""
MINUTES_PER_MS = 1.0 / 60_000.0

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
OUTCOME_ID_LENGTH = 26
"""Derived ids look like the engine's own ids (26 Crockford base-32 characters)."""


class SourceKind(StrEnum):
    """Where a derived outcome comes from."""

    STUDY_SESSION = "study_session"
    MISSION = "mission"


SOURCE_CONTEXT: dict[SourceKind, PersonalizationContext] = {
    SourceKind.STUDY_SESSION: PersonalizationContext.SESSION,
    SourceKind.MISSION: PersonalizationContext.MISSION,
}
"""The decision context each source kind rewards."""


@dataclass(frozen=True)
class DecisionRef:
    """A logged decision as the matching needs it."""

    decision_id: str
    context: PersonalizationContext
    decided_at: datetime
    has_outcome: bool
    planned_minutes: float | None = None
    """The duration the decision's parameters planned (SESSION completion), if any."""


@dataclass(frozen=True)
class SourceMeasures:
    """What one completed session or settled mission holds (counts, not yet ratios)."""

    kind: SourceKind
    source_id: str
    started_at: datetime
    ended_at: datetime
    """When the outcome happened (completion time; a skipped mission: its start)."""
    due_reviews: int = 0
    recalled: int = 0
    validations: int = 0
    validation_score_sum: float = 0.0
    minutes: float | None = None
    objectives_listed: int = 0
    objectives_done: int = 0
    performance_score: float | None = None
    """A mission's own performance (0–100) when it carries one."""
    skipped: bool = False


@dataclass(frozen=True)
class DerivedOutcome:
    """The reward inputs of one source."""

    retention: float | None
    performance: float | None
    completion: float | None
    duration_minutes: int | None
    signals: tuple[ImplicitSignal, ...]


def derived_outcome_id(user_id: str, kind: SourceKind, source_id: str) -> str:
    """The outcome id of a source: the same source always gets the same id."""
    digest = hashlib.sha256(f"{user_id}\x1f{kind.value}\x1f{source_id}".encode()).digest()
    value = int.from_bytes(digest[:17], "big")
    chars = []
    for _ in range(OUTCOME_ID_LENGTH):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def match_sources(
    decisions: Sequence[DecisionRef], sources: Sequence[SourceMeasures]
) -> list[tuple[DecisionRef, SourceMeasures]]:
    """Each decision without an outcome paired with the first source that follows it."""
    by_context: dict[PersonalizationContext, list[DecisionRef]] = {}
    for d in sorted(decisions, key=lambda d: (d.decided_at, d.decision_id)):
        by_context.setdefault(d.context, []).append(d)
    taken: dict[str, tuple[DecisionRef, SourceMeasures]] = {}
    for s in sorted(sources, key=lambda s: (s.started_at, s.source_id)):
        candidates = by_context.get(SOURCE_CONTEXT[s.kind], [])
        latest = None
        for d in candidates:  # sorted by time: the last one at or before the start
            if d.decided_at > s.started_at:
                break
            latest = d
        if latest is None or s.started_at - latest.decided_at > FOLLOW_WINDOW:
            continue
        if latest.has_outcome or latest.decision_id in taken:
            continue
        taken[latest.decision_id] = (latest, s)
    return sorted(taken.values(), key=lambda p: (p[1].ended_at, p[1].source_id))


def derive_outcome(source: SourceMeasures, planned_minutes: float | None) -> DerivedOutcome:
    """The retention, performance and completion of one source (None: not measured)."""
    duration = None if source.minutes is None else max(0, round(source.minutes))
    if source.skipped:
        return DerivedOutcome(None, None, 0.0, duration, (ImplicitSignal.MISSION_SKIPPED,))
    retention = source.recalled / source.due_reviews if source.due_reviews > 0 else None
    performance: float | None
    if source.performance_score is not None:
        performance = min(PERFORMANCE_SCALE, max(0.0, source.performance_score))
    elif source.validations > 0:
        mean = source.validation_score_sum / source.validations
        performance = PERFORMANCE_SCALE * clip01(mean)
    else:
        performance = None
    completion: float | None
    if source.kind is SourceKind.MISSION:
        completion = (
            source.objectives_done / source.objectives_listed
            if source.objectives_listed > 0
            else 1.0
        )
    elif planned_minutes is not None and planned_minutes > 0 and source.minutes is not None:
        completion = clip01(source.minutes / planned_minutes)
    else:
        completion = None
    return DerivedOutcome(
        None if retention is None else clip01(retention),
        performance,
        None if completion is None else clip01(completion),
        duration,
        (),
    )
