"""Learners and their rights (the learners capability): create/update, privacy switches, export, erasure."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from functools import cache
from typing import Any
from zoneinfo import available_timezones

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from twin.db.models import User
from twin.errors import Conflict, NotFound, ValidationFailed
from twin.learners import unknown_learner

PRIVACY_FLAGS = (
    "behavioralAnalysisEnabled",
    "learningStyleProfilingEnabled",
    "shareAnonymizedPatterns",
)
MAX_ZONE_NAME_SHOWN = 64
EMAIL_CONSTRAINT = "users_email_key"
PROFILE_FIELDS = ("email", "name", "timezone", "defaultMissionMinutes", *PRIVACY_FLAGS)

# What the engine derives from a learner's inputs (ENGINE.md, privacy gates): deleted at
# once when behavioural analysis is switched off. Raw inputs stay.
DERIVED_TABLES = (
    "insight_notifications",
    "applied_recommendations",
    "recommendations",
    "behavioral_insights",  # insight_patterns go with them (ON DELETE CASCADE)
    "behavioral_patterns",
    "user_learning_profiles",
    "learning_patterns",
    "struggle_indicators",
    "intervention_recommendations",
    "struggle_predictions",  # prediction_feedback goes with them (ON DELETE CASCADE)
    "performance_predictions",
    "performance_metrics",
    "cognitive_load_metrics",
    "burnout_risk_assessments",
    "stress_response_patterns",
    "personalization_effectiveness",
    # the bandit's arms and its decision log are inferences about the learner (outcomes,
    # what the platform observed, stay)
    "personalization_decisions",
    "personalization_configs",
    "study_schedule_recommendations",
    "planned_sessions",
    "session_orchestration_plans",
    "schedule_adaptations",
    # the busy-time cache of the learner's calendar: scheduling is analysis, and the engine
    # keeps no copy of a calendar it may not use (the connection itself stays)
    "calendar_busy_blocks",
    "learner_load_profiles",
    "learner_memory_models",
    # A learner's place in an A/B experiment and the metrics measured for it: the variant
    # comes from a hash, but the metrics are derived from the learner's data.
    "experiment_assignments",
    "pattern_snapshots",
    "behavioral_scores",
)
# Derived values kept on rows that stay: reset when behavioural analysis is switched off.
DERIVED_RESETS = (
    'UPDATE calendar_sync_states SET "blockCount" = 0, "contentHash" = NULL, '
    '"windowStart" = NULL, "windowEnd" = NULL, "blocksChangedAt" = NULL, etag = NULL, '
    '"lastModifiedHeader" = NULL WHERE "userId" = :u',
    'UPDATE calendar_integrations SET "lastSyncAt" = NULL WHERE "userId" = :u',
)
# Secrets are never exported: sealed credentials and feed-token hashes are left out.
SECRET_COLUMNS: dict[str, frozenset[str]] = {
    "calendar_integrations": frozenset({"accessToken", "refreshToken"}),
    "calendar_feed_tokens": frozenset({"tokenHash"}),
}
# Content/learning-style profiling: the profile's style fields and content-preference patterns.
STYLE_PATTERN_TYPE = "CONTENT_TYPE_PREFERENCE"

# Personal rows without a userId column, reached through their parents.
REACHABLE_TABLES: dict[str, str] = {
    "learning_objectives": (
        'SELECT o.* FROM learning_objectives o JOIN lectures l ON l.id = o."lectureId" '
        'WHERE l."userId" = :u'
    ),
    "objective_prerequisites": (
        'SELECT p.* FROM objective_prerequisites p JOIN learning_objectives o ON o.id = p."objectiveId" '
        'JOIN lectures l ON l.id = o."lectureId" WHERE l."userId" = :u'
    ),
    "cards": 'SELECT c.* FROM cards c JOIN courses co ON co.id = c."courseId" WHERE co."userId" = :u',
    "insight_patterns": (
        'SELECT ip.* FROM insight_patterns ip JOIN behavioral_insights i ON i.id = ip."insightId" '
        'WHERE i."userId" = :u'
    ),
}


@cache
def iana_zones() -> frozenset[str]:
    """Every IANA time zone name the engine accepts."""
    return frozenset(available_timezones()) | {"UTC"}


def validate_timezone(name: str) -> str:
    """The IANA zone name, or ValidationFailed naming the field."""
    # A lookup in the list of names, never ZoneInfo(name) first: an arbitrary name would be
    # tried as a file path (a 5,000-character one fails with OSError).
    if name not in iana_zones():
        hint = " (IANA names look like Europe/Berlin or America/New_York)"
        shown = name if len(name) <= MAX_ZONE_NAME_SHOWN else name[:MAX_ZONE_NAME_SHOWN] + "…"
        raise ValidationFailed(
            f"timezone {shown!r} is not an IANA time zone{hint}",
            details=[{"index": None, "field": "timezone", "reason": "unknown IANA time zone"}],
        )
    return name


def get_user(session: Session, user_id: str) -> User:
    """The learner, or NotFound."""
    user = session.get(User, user_id)
    if user is None:
        raise unknown_learner(user_id)
    return user


def user_tables_with_user_id(session: Session) -> list[str]:
    """Every table of the live database with a ``userId`` column (introspected, not listed).

    Tables whose ``userId`` is a plain id (the seed's models) come before those whose
    ``userId`` references ``users``: the former may point into the latter (a prediction
    into a learning objective, ON DELETE RESTRICT), never the other way round.
    """
    rows = session.execute(
        sa.text(
            """
            SELECT c.table_name,
                   EXISTS (
                       SELECT 1 FROM pg_constraint k
                       JOIN pg_class t ON t.oid = k.conrelid
                       JOIN pg_namespace n ON n.oid = t.relnamespace
                       JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey)
                       WHERE k.contype = 'f' AND n.nspname = current_schema()
                         AND t.relname = c.table_name AND a.attname = 'userId'
                   ) AS has_fk
            FROM information_schema.columns c
            WHERE c.table_schema = current_schema() AND c.column_name = 'userId'
            ORDER BY has_fk, c.table_name
            """
        )
    )
    return [r[0] for r in rows]


def delete_derived_data(session: Session, user_id: str) -> dict[str, int]:
    """Delete everything derived from the learner's inputs; reset goals' derived values."""
    counts: dict[str, int] = {}
    for table in DERIVED_TABLES:
        result = session.execute(
            sa.text(f'DELETE FROM "{table}" WHERE "userId" = :u'), {"u": user_id}
        )
        counts[table] = int(result.rowcount or 0)  # type: ignore[attr-defined]
    for statement in DERIVED_RESETS:
        session.execute(sa.text(statement), {"u": user_id})
    result = session.execute(
        sa.text(
            'UPDATE behavioral_goals SET "currentValue" = 0, "progressHistory" = \'[]\'::jsonb '
            'WHERE "userId" = :u'
        ),
        {"u": user_id},
    )
    counts["behavioral_goals (derived values reset)"] = int(result.rowcount or 0)  # type: ignore[attr-defined]
    return counts


def derived_data_counts(session: Session, user_id: str) -> dict[str, int]:
    """Rows the engine derived from the learner's inputs, per table (what switching analysis off
    deletes), in one statement."""
    union = " UNION ALL ".join(
        f'SELECT \'{t}\' AS t, count(*) AS n FROM "{t}" WHERE "userId" = :u' for t in DERIVED_TABLES
    )
    return {str(t): int(n) for t, n in session.execute(sa.text(union), {"u": user_id})}


def delete_style_profile(session: Session, user_id: str) -> dict[str, int]:
    """Forget the content / learning-style profile (learningStyleProfilingEnabled = false)."""
    patterns = session.execute(
        sa.text('DELETE FROM behavioral_patterns WHERE "userId" = :u AND "patternType" = :t'),
        {"u": user_id, "t": STYLE_PATTERN_TYPE},
    )
    profiles = session.execute(
        sa.text(
            "UPDATE user_learning_profiles SET \"contentPreferences\" = '{}'::jsonb, "
            '"learningStyleProfile" = \'{}\'::jsonb WHERE "userId" = :u'
        ),
        {"u": user_id},
    )
    return {
        "behavioral_patterns (content preference)": int(patterns.rowcount or 0),  # type: ignore[attr-defined]
        "user_learning_profiles (style fields cleared)": int(profiles.rowcount or 0),  # type: ignore[attr-defined]
    }


@dataclass(frozen=True)
class UpsertOutcome:
    """Result of PUT /v1/users/{id}."""

    user: User
    created: bool
    deleted: dict[str, int]


def apply_privacy(session: Session, user: User, changes: dict[str, Any]) -> dict[str, int]:
    """Set privacy flags; switching analysis or style profiling off deletes what it produced."""
    deleted: dict[str, int] = {}
    for flag in PRIVACY_FLAGS:
        if flag not in changes or changes[flag] is None:
            continue
        new = bool(changes[flag])
        was = bool(getattr(user, flag))
        setattr(user, flag, new)
        if was and not new and flag == "behavioralAnalysisEnabled":
            deleted.update(delete_derived_data(session, user.id))
        if was and not new and flag == "learningStyleProfilingEnabled":
            deleted.update(delete_style_profile(session, user.id))
    session.flush()
    return deleted


@dataclass(frozen=True)
class PrivacyChange:
    """The learner's privacy switches after a change, and the derived rows it deleted."""

    behavioral_analysis_enabled: bool
    learning_style_profiling_enabled: bool
    share_anonymized_patterns: bool
    deleted: dict[str, int]


def change_privacy(session: Session, user_id: str, changes: dict[str, Any]) -> PrivacyChange:
    """Apply privacy switches to the learner (404 if unknown); see :func:`apply_privacy`."""
    user = get_user(session, user_id)
    deleted = apply_privacy(session, user, changes)
    return PrivacyChange(
        behavioral_analysis_enabled=user.behavioralAnalysisEnabled,
        learning_style_profiling_enabled=user.learningStyleProfilingEnabled,
        share_anonymized_patterns=user.shareAnonymizedPatterns,
        deleted=deleted,
    )


def upsert_user(session: Session, user_id: str, fields: dict[str, Any]) -> UpsertOutcome:
    """Create the learner or update the given fields (privacy switches take effect at once).

    Safe under concurrency: of simultaneous first PUTs of one id exactly one inserts the
    row (INSERT … ON CONFLICT DO NOTHING waits for the other inserter to finish); the
    others then update the row it created.
    """
    if fields.get("timezone") is not None:
        validate_timezone(fields["timezone"])
    flags = {f: bool(fields[f]) for f in PRIVACY_FLAGS if fields.get(f) is not None}
    try:
        with session.begin_nested():
            inserted = session.execute(
                pg_insert(User)
                .values(id=user_id, **flags)
                .on_conflict_do_nothing(index_elements=[User.id])
                .returning(User.id)
            ).first()
            created = inserted is not None
            user = session.get(User, user_id, with_for_update=True, populate_existing=True)
            assert user is not None  # inserted now, or there before and locked
            for key in ("email", "name", "timezone", "defaultMissionMinutes"):
                if key in fields and fields[key] is not None:
                    setattr(user, key, fields[key])
            session.flush()
    except sa.exc.IntegrityError as exc:
        constraint = getattr(getattr(exc.orig, "diag", None), "constraint_name", None)
        if constraint != EMAIL_CONSTRAINT:
            raise
        raise Conflict(
            "email is already used by another learner",
            details=[
                {"index": None, "field": "email", "reason": "already used by another learner"}
            ],
        ) from exc
    deleted = {} if created else apply_privacy(session, user, fields)
    return UpsertOutcome(user=user, created=created, deleted=deleted)


LIKE_ESCAPE = "\\"


def _contains_pattern(text: str) -> str:
    """An ILIKE pattern matching ``text`` anywhere, its own ``%`` and ``_`` taken literally."""
    for special in (LIKE_ESCAPE, "%", "_"):
        text = text.replace(special, LIKE_ESCAPE + special)
    return f"%{text}%"


def list_users(
    session: Session, limit: int, cursor: str | None, *, search: str | None = None
) -> tuple[list[User], str | None]:
    """Learners ordered by id, ``limit`` at a time; the cursor is the last id seen.

    With ``search``, only learners whose id or name contains it (case-insensitively).
    """
    query = sa.select(User).order_by(User.id).limit(limit + 1)
    if cursor:
        query = query.where(User.id > cursor)
    if search:
        pattern = _contains_pattern(search)
        query = query.where(
            sa.or_(
                User.id.ilike(pattern, escape=LIKE_ESCAPE),
                User.name.ilike(pattern, escape=LIKE_ESCAPE),
            )
        )
    users = list(session.scalars(query))
    more = len(users) > limit
    users = users[:limit]
    return users, (users[-1].id if more and users else None)


@dataclass(frozen=True)
class LearnerActivity:
    """How much a learner has studied and when last (for listings)."""

    sessions: int
    last_session_at: datetime | None
    simulated: bool


def learner_activity(session: Session, user_ids: list[str]) -> dict[str, LearnerActivity]:
    """Sessions, the last session's start and whether simulated, for each of ``user_ids``."""
    if not user_ids:
        return {}
    rows = session.execute(
        sa.text(
            'SELECT u.id, count(s.id), max(s."startedAt"), '
            '  EXISTS (SELECT 1 FROM simulation_truth t WHERE t."userId" = u.id) '
            'FROM users u LEFT JOIN study_sessions s ON s."userId" = u.id '
            "WHERE u.id = ANY(:ids) GROUP BY u.id"
        ),
        {"ids": list(user_ids)},
    ).all()
    return {
        uid: LearnerActivity(sessions=int(n), last_session_at=last, simulated=bool(sim))
        for uid, n, last, sim in rows
    }


def erase_user(session: Session, user_id: str) -> dict[str, int]:
    """Delete every row of the learner in every table with a ``userId`` column, then the learner.

    The supporting rows (courses, lectures, objectives, cards, …) go with the ``users`` row
    through their ON DELETE CASCADE foreign keys.
    """
    get_user(session, user_id)
    # Ingestion holds FOR KEY SHARE on the learner while it writes: wait for running batches
    # and keep new ones out, so none can leave rows behind an erasure.
    session.execute(sa.text("SELECT 1 FROM users WHERE id = :u FOR UPDATE"), {"u": user_id})
    counts: dict[str, int] = {}
    for table in user_tables_with_user_id(session):
        result = session.execute(
            sa.text(f'DELETE FROM "{table}" WHERE "userId" = :u'), {"u": user_id}
        )
        if result.rowcount:  # type: ignore[attr-defined]
            counts[table] = int(result.rowcount)  # type: ignore[attr-defined]
    session.execute(sa.text("DELETE FROM users WHERE id = :u"), {"u": user_id})
    counts["users"] = 1
    return counts


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="milliseconds") + ("Z" if value.tzinfo is None else "")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"cannot serialise {type(value).__name__}")


def dumps(value: Any) -> str:
    """JSON text with the engine's conventions (UTC timestamps with a Z)."""
    return json.dumps(value, default=_json_default, separators=(",", ":"))


EXPORT_BATCH_ROWS = 1000


def export_user(session: Session, user_id: str) -> Iterator[str]:
    """Everything stored about the learner as one JSON document, yielded in chunks."""
    user = session.execute(sa.text("SELECT * FROM users WHERE id = :u"), {"u": user_id}).first()
    if user is None:
        raise NotFound(f"no learner with id {user_id!r}")
    yield '{"userId":' + dumps(user_id) + ',"user":' + dumps(dict(user._mapping)) + ',"tables":{'
    queries = {
        t: f'SELECT * FROM "{t}" WHERE "userId" = :u ORDER BY id'
        for t in user_tables_with_user_id(session)
    }
    queries.update(REACHABLE_TABLES)
    first_table = True
    for table in sorted(queries):
        yield ("" if first_table else ",") + dumps(table) + ":["
        first_table = False
        result = session.execute(
            sa.text(queries[table]).execution_options(yield_per=EXPORT_BATCH_ROWS), {"u": user_id}
        )
        first_row = True
        hidden = SECRET_COLUMNS.get(table, frozenset())
        for row in result:
            values = {k: v for k, v in row._mapping.items() if k not in hidden}
            yield ("" if first_row else ",") + dumps(values)
            first_row = False
        yield "]"
    yield "}}"
