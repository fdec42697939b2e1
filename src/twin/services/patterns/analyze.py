"""One analysis of one learner: the gates, then load, analyse, write (see :mod:`twin.services.patterns`)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from twin.analysis.common import aware_utc, iso_utc
from twin.analysis.patterns.profile import TwinAnalysis, analyze_learner
from twin.analysis.patterns.sufficiency import (
    ON_REQUEST_MIN_INTERVAL,
    REANALYSIS_MIN_NEW_SESSIONS,
    Sufficiency,
)
from twin.db.models import User
from twin.errors import Conflict
from twin.learners import LearnerLock, check_analysis_consent, try_lock_learner
from twin.services.learners import get_user
from twin.services.patterns.loading import DataCounts, data_counts, load_learner_data
from twin.services.patterns.writing import write_analysis
from twin.services.recall import MemoryRefresh, refresh_memory_model

TRIGGER_REQUEST = "request"
TRIGGER_SCHEDULED = "scheduled"
STATUS_ANALYZED = "analyzed"
STATUS_INSUFFICIENT = "insufficient_data"
STATUS_SKIPPED = "skipped"
STATUS_NOT_ANALYZED = "not_analyzed"


def require_analysis_enabled(user: User) -> None:
    """Forbidden (403) unless the learner allows behavioural analysis."""
    check_analysis_consent(user.id, user.behavioralAnalysisEnabled)


def analysis_user(session: Session, user_id: str) -> User:
    """The learner (404 if unknown), checked for consent to behavioural analysis (403)."""
    user = get_user(session, user_id)
    require_analysis_enabled(user)
    return user


# --- one analysis ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PatternCounts:
    """What the pattern lifecycle of one analysis did."""

    created: int
    updated: int
    deleted: int
    not_saved: int
    """Detected below the confidence needed to save."""


@dataclass(frozen=True)
class AnalysisOutcome:
    """What one call of :func:`analyze_user` did."""

    user_id: str
    status: str
    trigger: str
    now: datetime
    sufficiency: Sufficiency | None = None
    analysis: TwinAnalysis | None = None
    created: int = 0
    updated: int = 0
    deleted: int = 0
    not_saved: int = 0
    insight_ids: tuple[str, ...] = ()
    memory: MemoryRefresh | None = None
    reason: str | None = None
    seconds: float = 0.0

    force_ignored: bool = False
    """``force`` was asked for by a caller not allowed to force (set by the API)."""

    @property
    def analyzed_at(self) -> datetime | None:
        """When the analysis ran (None unless it stored one)."""
        return self.now if self.status == STATUS_ANALYZED else None

    @property
    def patterns(self) -> PatternCounts:
        """What the pattern lifecycle did."""
        return PatternCounts(self.created, self.updated, self.deleted, self.not_saved)

    @property
    def data_quality_score(self) -> float | None:
        """Mean of the analysers' confidences (None without an analysis)."""
        return self.analysis.profile.data_quality_score if self.analysis else None

    @property
    def analyser_confidences(self) -> dict[str, float]:
        """Each analyser's confidence (empty without an analysis)."""
        return dict(self.analysis.analyser_confidences) if self.analysis else {}

    @property
    def insufficient(self) -> dict[str, dict[str, dict[str, float]]]:
        """Per analyser, the minimums it has not met."""
        return self.analysis.insufficient if self.analysis else {}

    @property
    def notes(self) -> list[str]:
        """What the analysers noted."""
        return list(self.analysis.notes) if self.analysis else []

    @property
    def duration_ms(self) -> float:
        """How long the call took."""
        return self.seconds * 1000.0


def _daily_limit_error(counts: DataCounts) -> Conflict:
    assert counts.last_analyzed_at is not None
    next_at = counts.last_analyzed_at + ON_REQUEST_MIN_INTERVAL
    needed = REANALYSIS_MIN_NEW_SESSIONS - counts.new_sessions
    return Conflict(
        f"this learner was analysed at {iso_utc(counts.last_analyzed_at)}; an analysis on "
        f"request runs at most once a day: the next is allowed at {iso_utc(next_at)}, or "
        f"earlier after {needed} more session(s) (10 new sessions since the last analysis). "
        'A service key may force it with {"force": true}.',
        details={
            "lastAnalyzedAt": iso_utc(counts.last_analyzed_at),
            "nextAllowedAt": iso_utc(next_at),
            "sessionsSinceLastAnalysis": counts.new_sessions,
            "sessionsForEarlierRun": REANALYSIS_MIN_NEW_SESSIONS,
        },
    )


def analyze_user(
    session: Session,
    user_id: str,
    *,
    now: datetime,
    trigger: str = TRIGGER_REQUEST,
    force: bool = False,
    skip_if_analyzed_since: datetime | None = None,
) -> AnalysisOutcome:
    """Analyse one learner and write patterns, insights and profile (see the module docstring).

    ``trigger`` is ``"request"`` (once a day unless ``force`` or 10 new sessions) or
    ``"scheduled"`` (never raises for a held lock, an analysis newer than
    ``skip_if_analyzed_since`` or a withdrawn consent: it reports ``skipped``).
    """
    began = time.perf_counter()
    now = aware_utc(now)
    scheduled = trigger == TRIGGER_SCHEDULED

    def skipped(reason: str) -> AnalysisOutcome:
        return AnalysisOutcome(
            user_id,
            STATUS_SKIPPED,
            trigger,
            now,
            reason=reason,
            seconds=time.perf_counter() - began,
        )

    user = get_user(session, user_id)
    if scheduled and not user.behavioralAnalysisEnabled:
        return skipped("behavioural analysis is switched off")
    require_analysis_enabled(user)
    if not try_lock_learner(session, LearnerLock.PATTERN_ANALYSIS, user_id):
        if scheduled:
            return skipped("another analysis of this learner is running")
        raise Conflict(
            f"an analysis of learner {user_id!r} is already running; try again in a minute"
        )
    counts = data_counts(session, user_id, now)
    if (
        scheduled
        and skip_if_analyzed_since is not None
        and counts.last_analyzed_at is not None
        and counts.last_analyzed_at >= aware_utc(skip_if_analyzed_since)
    ):
        return skipped(f"already analysed at {counts.last_analyzed_at.isoformat()}")
    suff = counts.sufficiency(now, requested=not scheduled, forced=force)
    if not scheduled and not suff.reanalysis_due:
        raise _daily_limit_error(counts)
    memory = refresh_memory_model(session, user, now, reviews_total=counts.reviews)
    if not suff.sufficient:
        return AnalysisOutcome(
            user_id,
            STATUS_INSUFFICIENT,
            trigger,
            now,
            sufficiency=suff,
            memory=memory,
            reason="not enough data for a full analysis: nothing was stored",
            seconds=time.perf_counter() - began,
        )

    loaded = load_learner_data(session, user, now, counts=counts)
    analysis = analyze_learner(loaded.data, style_profiling=user.learningStyleProfilingEnabled)
    if not analysis.sufficiency.sufficient:
        # Sessions without any scored item were left out and the rest fall short.
        return AnalysisOutcome(
            user_id,
            STATUS_INSUFFICIENT,
            trigger,
            now,
            sufficiency=analysis.sufficiency,
            analysis=analysis,
            memory=memory,
            reason="not enough scored sessions for a full analysis: nothing was stored",
            seconds=time.perf_counter() - began,
        )
    written = write_analysis(session, user, analysis, now)
    return AnalysisOutcome(
        user_id,
        STATUS_ANALYZED,
        trigger,
        now,
        sufficiency=suff,
        analysis=analysis,
        created=len(written.plan.creates),
        updated=len(written.plan.updates),
        deleted=len(written.plan.deletes) + written.style_deleted,
        not_saved=len(written.plan.not_saved),
        insight_ids=written.insight_ids,
        memory=memory,
        seconds=time.perf_counter() - began,
    )
