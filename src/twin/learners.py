"""The learner context every capability shares: who the learner is, consent, zone, locks.

- :class:`Learner`: the learner's settings as the services need them (one query).
- :func:`analysis_learner`: the learner, 404 when unknown and 403 when behavioural
  analysis is switched off — the one consent gate of every analysis and prediction.
- :func:`learner_zone`: the learner's IANA zone (UTC when the stored name is unusable).
- :class:`LearnerLock`, :func:`lock_learner`, :func:`try_lock_learner`: per-learner
  transaction-scoped advisory locks, ``pg_advisory_xact_lock(lock, hashtext(userId))``,
  so that concurrent requests and job ticks never analyse one learner twice at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlalchemy.orm import Session

from twin.errors import Forbidden, NotFound

FALLBACK_ZONE = "UTC"
"""Zone of a learner whose stored time zone is not a valid IANA name."""

OPTIMAL_FROM_PROFILE = "profile.optimalSessionDuration"
OPTIMAL_FROM_SETTINGS = "users.defaultMissionMinutes"
OPTIMAL_DEFAULT = "default"


class LearnerLock(IntEnum):
    """Advisory lock classes: the first key of ``pg_advisory_xact_lock(class, hashtext(userId))``.

    One class per kind of work, so that different kinds never wait for each other while
    the same kind for the same learner never runs twice at once. The numbers are part
    of the engine's behaviour across versions (several processes share them): never
    renumber one, add new ones.
    """

    PATTERN_ANALYSIS = 5101
    """One pattern analysis of a learner at a time (a request finding it busy gets 409)."""
    STRUGGLE_PREDICTION = 5201
    """Serialises a learner's prediction generation (requests and jobs wait)."""
    STRUGGLE_DAILY_RUN = 5202
    """The daily struggle job's run of one learner (a second worker skips it)."""
    COGNITIVE_LOAD = 5401
    """Serialises a learner's load writes (ingestion hook, explicit calculation, backfill)."""
    BURNOUT_ASSESSMENT = 5402
    """One burnout assessment of a learner at a time."""
    STRESS_ANALYSIS = 5403
    """One stress-pattern analysis of a learner at a time."""
    CALENDAR_SYNC = 5301
    """Serialises changes to a learner's calendar and its busy blocks (connect, upload, sync)."""
    SCHEDULE = 5302
    """Serialises writes to a learner's schedule: stored slots, plans, adaptations."""
    EXPERIMENT_DEFINITION = 5501
    """Serialises defining experiments per personalization context (keyed by the context's
    name, not a learner): two overlapping experiments of one context are never both created."""
    EXPERIMENT_METRICS = 5502
    """One metrics computation of an experiment at a time (keyed by the experiment's id)."""
    INSIGHTS = 5601
    """A learner's insight writes (the daily run, notifications, goals, recommendations)."""
    PERSONALIZATION = 5511
    """Serialises a learner's personalization writes: decisions, arms, outcomes, feedback,
    preferences and resets (so an arm's statistics never lose an update)."""


_LOCK_SQL = sa.text("SELECT pg_advisory_xact_lock(:c, hashtext(:u))")
_TRY_LOCK_SQL = sa.text("SELECT pg_try_advisory_xact_lock(:c, hashtext(:u))")


def lock_learner(session: Session, lock: LearnerLock, user_id: str) -> None:
    """Take the learner's ``lock`` for this transaction, waiting while another holds it."""
    session.execute(_LOCK_SQL, {"c": int(lock), "u": user_id})


def try_lock_learner(session: Session, lock: LearnerLock, user_id: str) -> bool:
    """Take the learner's ``lock`` for this transaction; False (at once) when another holds it."""
    return bool(session.execute(_TRY_LOCK_SQL, {"c": int(lock), "u": user_id}).scalar_one())


def learner_zone(name: str) -> ZoneInfo:
    """The learner's zone (UTC when the stored name is not a valid IANA zone)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(FALLBACK_ZONE)


def unknown_learner(user_id: str) -> NotFound:
    """The 404 of an unknown learner, saying how to create one."""
    return NotFound(
        f"no learner with id {user_id!r}; create it with PUT /v1/users/{user_id}",
        details={"userId": user_id},
    )


def check_analysis_consent(user_id: str, enabled: bool) -> None:
    """Forbidden (403) unless behavioural analysis is allowed: the one consent gate of every analysis."""
    if not enabled:
        raise Forbidden(
            f"behavioural analysis is switched off for learner {user_id!r} "
            "(users.behavioralAnalysisEnabled = false): no analysis or prediction runs and no "
            "derived data (patterns, insights, profile, predictions…) is kept; switch it on "
            f"with PATCH /v1/users/{user_id}/privacy",
            details={"userId": user_id, "behavioralAnalysisEnabled": False},
        )


@dataclass(frozen=True)
class Learner:
    """A learner's settings as the services read them."""

    user_id: str
    timezone: str
    analysis_enabled: bool
    """``behavioralAnalysisEnabled``: consent to any analysis or prediction."""
    style_profiling_enabled: bool
    """``learningStyleProfilingEnabled``: content preferences may be derived and used."""
    optimal_session_minutes: float | None
    """The learner's optimal session length: the profile's, else their default mission length."""
    optimal_source: str
    """Where ``optimal_session_minutes`` comes from (or ``default`` when unknown)."""

    @property
    def zone(self) -> ZoneInfo:
        """The learner's IANA zone."""
        return learner_zone(self.timezone)


_LEARNER_SQL = sa.text(
    'SELECT u.timezone, u."behavioralAnalysisEnabled", u."learningStyleProfilingEnabled", '
    'u."defaultMissionMinutes", p."optimalSessionDuration" FROM users u '
    'LEFT JOIN user_learning_profiles p ON p."userId" = u.id WHERE u.id = :u'
)


def load_learner(session: Session, user_id: str) -> Learner | None:
    """The learner, or None when unknown (no consent check)."""
    row = session.execute(_LEARNER_SQL, {"u": user_id}).first()
    return None if row is None else _learner_of(user_id, tuple(row)[:5])


def _learner_of(user_id: str, row: tuple[Any, ...]) -> Learner:
    timezone, enabled, style, default_minutes, profile_minutes = row
    if profile_minutes is not None and profile_minutes > 0:
        optimal, source = float(profile_minutes), OPTIMAL_FROM_PROFILE
    elif default_minutes is not None and default_minutes > 0:
        optimal, source = float(default_minutes), OPTIMAL_FROM_SETTINGS
    else:
        optimal, source = None, OPTIMAL_DEFAULT
    return Learner(user_id, str(timezone), bool(enabled), bool(style), optimal, source)


def get_learner(session: Session, user_id: str) -> Learner:
    """The learner (404 when unknown; no consent check)."""
    learner = load_learner(session, user_id)
    if learner is None:
        raise unknown_learner(user_id)
    return learner


def analysis_learner(session: Session, user_id: str) -> Learner:
    """The learner (404 when unknown), checked for consent to behavioural analysis (403)."""
    learner = get_learner(session, user_id)
    check_analysis_consent(user_id, learner.analysis_enabled)
    return learner


_LOCKED_LEARNER_SQL = sa.text(
    'SELECT u.timezone, u."behavioralAnalysisEnabled", u."learningStyleProfilingEnabled", '
    'u."defaultMissionMinutes", p."optimalSessionDuration", '
    "pg_advisory_xact_lock(:c, hashtext(:u))::text AS locked FROM users u "
    'LEFT JOIN user_learning_profiles p ON p."userId" = u.id WHERE u.id = :u'
)


def locked_analysis_learner(session: Session, user_id: str, lock: LearnerLock) -> Learner:
    """:func:`analysis_learner` and :func:`lock_learner` in one round trip (404, 403 as there).

    The lock is taken in the statement that reads the learner (only for a known learner);
    the queries after it see what the lock's previous holder committed.
    """
    row = session.execute(_LOCKED_LEARNER_SQL, {"c": int(lock), "u": user_id}).first()
    if row is None:
        raise unknown_learner(user_id)
    learner = _learner_of(user_id, tuple(row)[:5])
    check_analysis_consent(user_id, learner.analysis_enabled)
    return learner
