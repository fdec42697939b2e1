"""Per-session summaries of the learner's past sessions (burnout, stress, load vs performance).

One record per session with its latest load, duration (``durationMs``, else the
``SESSION_ENDED`` event's, else end − start), performance (the event's
``sessionPerformanceScore``, else the GOOD/EASY share of its reviews) and engagement
(the event's ``engagementScore``, else its ``engagementLevel`` mapped coarsely); with
``content`` also the dominant objective and the mean complexity of the reviewed
objectives (BASIC 0.3, INTERMEDIATE 0.6, ADVANCED 0.9, as 5.2's contentComplexity).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from twin.analysis.cognitive.session import SessionSummary
from twin.analysis.common import naive_utc
from twin.services.cognitive.common import IDS

# ``behavioral_events.engagementLevel`` as a 0–100 engagement when no engagementScore was sent.
ENGAGEMENT_LEVEL_SCORES: dict[str, float] = {"LOW": 25.0, "MEDIUM": 60.0, "HIGH": 90.0}
MS_PER_MINUTE = 60_000.0


def session_summaries(
    session: Session, user_id: str, since: datetime, until: datetime, *, content: bool = False
) -> list[SessionSummary]:
    """The learner's sessions started in [since, until), oldest first."""
    since, until = naive_utc(since), naive_utc(until)
    rows = session.execute(
        sa.text(
            'SELECT s.id, s."startedAt", s."completedAt", s."durationMs", m."loadScore" '
            "FROM study_sessions s LEFT JOIN LATERAL ("
            ' SELECT "loadScore" FROM cognitive_load_metrics m'
            ' WHERE m."userId" = s."userId" AND m."sessionId" = s.id'
            ' ORDER BY m."timestamp" DESC, m.id DESC LIMIT 1) m ON true '
            'WHERE s."userId" = :u AND s."startedAt" >= :a AND s."startedAt" < :b '
            'ORDER BY s."startedAt", s.id'
        ),
        {"u": user_id, "a": since, "b": until},
    ).all()
    if not rows:
        return []
    ids = [r[0] for r in rows]
    ended: dict[str, tuple[dict[str, Any], int | None, str | None]] = {}
    for sid, data, perf, level in session.execute(
        sa.text(
            'SELECT "eventData"->>\'sessionId\', "eventData", "sessionPerformanceScore", '
            '"engagementLevel"::text FROM behavioral_events WHERE "userId" = :u '
            'AND "eventType" = \'SESSION_ENDED\' AND "timestamp" >= :a '
            "AND \"eventData\"->>'sessionId' = ANY(:ids)"
        ).bindparams(IDS),
        {"u": user_id, "a": since, "ids": ids},
    ):
        ended[sid] = (data if isinstance(data, dict) else {}, perf, level)
    complexity = (
        "avg(CASE o.complexity::text WHEN 'BASIC' THEN 0.3 WHEN 'INTERMEDIATE' THEN 0.6 "
        "WHEN 'ADVANCED' THEN 0.9 END)"
        if content
        else "NULL"
    )
    topic = 'mode() WITHIN GROUP (ORDER BY c."objectiveId")' if content else "NULL"
    joins = (
        'JOIN cards c ON c.id = r."cardId" LEFT JOIN learning_objectives o ON o.id = c."objectiveId" '
        if content
        else ""
    )
    review_stats: dict[str, tuple[float | None, float | None, str | None]] = {}
    for sid, good, difficulty, objective in session.execute(
        sa.text(
            "SELECT r.\"sessionId\", avg(CASE WHEN r.rating::text IN ('GOOD', 'EASY') "
            f"THEN 100.0 ELSE 0.0 END), {complexity}, {topic} FROM reviews r {joins}"
            'WHERE r."userId" = :u AND r."sessionId" = ANY(:ids) GROUP BY r."sessionId"'
        ).bindparams(IDS),
        {"u": user_id, "ids": ids},
    ):
        review_stats[sid] = (
            None if good is None else float(good),
            None if difficulty is None else float(difficulty),
            objective,
        )
    out = []
    for sid, started, completed, duration_ms, load in rows:
        data, perf, level = ended.get(sid, ({}, None, None))
        if duration_ms is not None and duration_ms > 0:
            minutes = duration_ms / MS_PER_MINUTE
        elif isinstance(data.get("durationMs"), int | float):
            minutes = float(data["durationMs"]) / MS_PER_MINUTE
        elif completed is not None:
            minutes = max(0.0, (completed - started).total_seconds() / 60.0)
        else:
            minutes = 0.0
        good, difficulty, objective = review_stats.get(sid, (None, None, None))
        performance = float(perf) if perf is not None else good
        score = data.get("engagementScore")
        if isinstance(score, int | float):
            engagement: float | None = float(score)
        else:
            engagement = ENGAGEMENT_LEVEL_SCORES.get(level) if level else None
        out.append(
            SessionSummary(
                session_id=sid,
                started_at=started,
                duration_minutes=minutes,
                load=None if load is None else float(load),
                performance=performance,
                engagement=engagement,
                topic_id=objective,
                difficulty=difficulty,
            )
        )
    return out
