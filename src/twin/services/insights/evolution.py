"""How the twin changed (ENGINE.md 5.6): one pattern snapshot per analysed week, evolution, progress.

The daily run *pulls* the pattern analysis's result: when the profile's ``lastAnalyzedAt``
is newer than the snapshot of its local week, the learner's stored patterns (type, key,
name, confidence) become that week's snapshot (``pattern_snapshots``, replaced while the
week is re-analysed). :func:`evolution` compares snapshots week by week (new / kept /
gone); :func:`progress` compares the latest stored weekly score with the one 2, 4 or 8
weeks earlier, with the patterns found and lost between those weeks.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from twin.analysis.common import InsufficientData, aware_utc, local_date, naive_utc
from twin.analysis.insights.common import week_start
from twin.analysis.insights.evolution import (
    PatternState,
    ProgressComparison,
    WeekEvolution,
    WeekPatterns,
    compare_progress,
    pattern_evolution,
)
from twin.db.base import new_id
from twin.db.models import PatternSnapshot
from twin.enums import BehavioralPatternType
from twin.learners import Learner, analysis_learner
from twin.services.insights.common import pattern_signals
from twin.services.insights.score import stored_scores, weekly_scores_of

MAX_EVOLUTION_WEEKS = 52

_ANALYZED_SQL = sa.text('SELECT "lastAnalyzedAt" FROM user_learning_profiles WHERE "userId" = :u')
_SNAPSHOT_AT_SQL = sa.text(
    'SELECT "analyzedAt" FROM pattern_snapshots WHERE "userId" = :u AND "weekStart" = :w'
)


def snapshot_patterns(session: Session, learner: Learner, now: datetime) -> bool:
    """Store the patterns as the snapshot of their analysis's week if newer; True when written."""
    analyzed = session.scalar(_ANALYZED_SQL, {"u": learner.user_id})
    if analyzed is None or aware_utc(analyzed) > aware_utc(now):
        return False
    week = week_start(local_date(aware_utc(analyzed), learner.zone))
    stored = session.scalar(_SNAPSHOT_AT_SQL, {"u": learner.user_id, "w": week})
    if stored is not None and stored >= analyzed:
        return False
    patterns = [
        {
            "patternType": str(p.pattern_type),
            "key": p.key,
            "name": p.name,
            "confidence": round(p.confidence, 4),
        }
        for p in pattern_signals(session, learner.user_id)
    ]
    stmt = postgresql.insert(PatternSnapshot).values(
        id=new_id(),
        userId=learner.user_id,
        weekStart=week,
        analyzedAt=analyzed,
        patterns=patterns,
        createdAt=naive_utc(now),
    )
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["userId", "weekStart"],
            set_={"analyzedAt": stmt.excluded.analyzedAt, "patterns": stmt.excluded.patterns},
        )
    )
    return True


def snapshots(session: Session, user_id: str, weeks: int) -> list[WeekPatterns]:
    """The last ``weeks`` snapshots, oldest first."""
    rows = list(
        session.scalars(
            sa.select(PatternSnapshot)
            .where(PatternSnapshot.userId == user_id)
            .order_by(PatternSnapshot.weekStart.desc())
            .limit(weeks)
        )
    )[::-1]
    out = []
    for r in rows:
        states = []
        for p in r.patterns or []:
            if (
                not isinstance(p, dict)
                or p.get("patternType") not in BehavioralPatternType._value2member_map_
            ):
                continue
            states.append(
                PatternState(
                    BehavioralPatternType(p["patternType"]),
                    str(p.get("key", "")),
                    str(p.get("name", "")),
                    min(1.0, max(0.0, float(p.get("confidence", 0.0)))),
                )
            )
        out.append(WeekPatterns(r.weekStart, tuple(states)))
    return out


def evolution(session: Session, user_id: str, weeks: int) -> list[WeekEvolution]:
    """The last ``weeks`` analysed weeks, each against the one before."""
    analysis_learner(session, user_id)
    return pattern_evolution(snapshots(session, user_id, weeks + 1), weeks=weeks)


def progress(
    session: Session, user_id: str, compare_weeks: int
) -> ProgressComparison | InsufficientData:
    """The latest week against ``compare_weeks`` (2, 4 or 8) weeks earlier."""
    analysis_learner(session, user_id)
    rows = stored_scores(session, user_id, weeks=compare_weeks + 1)
    snaps = snapshots(session, user_id, compare_weeks + 1)
    return compare_progress(weekly_scores_of(rows), compare_weeks, snaps)
