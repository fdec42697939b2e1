"""Burnout risk (ENGINE.md 5.4): 14 local days of study in, a stored assessment out.

The days come from :func:`~twin.analysis.cognitive.session.daily_aggregates`; the
learner's history starts at their first session or mission. The days loaded are the
window and the ``REFERENCE_DAYS`` (28) before it: the reference period the analysis judges
performance, engagement and load against (the learner's earlier level, not one that
adapts to an overload). Every element of ``contributingFactors`` carries the assessment's ``window`` (first and last local day,
covered days, unmet minimum). Assessments happen once per learner at a time
(``LearnerLock.BURNOUT_ASSESSMENT``), on request when the latest is older than 24 h and
daily from the job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from twin.analysis.cognitive.baseline import REFERENCE_DAYS
from twin.analysis.cognitive.burnout import (
    WINDOW_DAYS,
    BurnoutAssessment,
    assess_burnout_risk,
)
from twin.analysis.cognitive.burnout_advice import MissionOverride, mission_override_for
from twin.analysis.cognitive.recovery import AssessmentSnapshot, RecoveryProgress, track_recovery
from twin.analysis.cognitive.session import daily_aggregates
from twin.analysis.common import local_date, local_midnight_utc, naive_utc
from twin.db.base import new_id
from twin.db.models import BurnoutRiskAssessment
from twin.enums import BurnoutRiskLevel
from twin.learners import Learner, LearnerLock, lock_learner, try_lock_learner
from twin.services.cognitive.load import ensure_session_loads
from twin.services.cognitive.profile import update_mean_load_7d
from twin.services.cognitive.summaries import session_summaries

# GET burnout-risk assesses again when the latest assessment is older than this.
ASSESSMENT_MAX_AGE = timedelta(hours=24)


@dataclass(frozen=True)
class BurnoutView:
    """A stored (or, without any data, unstored) assessment with recovery and mission override."""

    assessment_id: str | None
    assessed_at: datetime
    risk_score: float
    level: BurnoutRiskLevel
    confidence: float
    contributing_factors: list[dict[str, Any]]
    """As stored in ``burnout_risk_assessments.contributingFactors``."""
    warning_signals: list[dict[str, Any]]
    """As stored in ``burnout_risk_assessments.warningSignals``."""
    recommendations: list[str]
    window: dict[str, Any]
    """The assessment's window as stored with its factors."""
    recovery: RecoveryProgress | None
    fresh: bool

    @property
    def mission_override(self) -> MissionOverride | None:
        """Limits for the mission planner while the risk is HIGH or CRITICAL."""
        return mission_override_for(self.level, self.risk_score)


def _window_json(assessment: BurnoutAssessment) -> dict[str, Any]:
    return {
        "start": assessment.window_start.isoformat(),
        "end": assessment.window_end.isoformat(),
        "coveredDays": assessment.covered_days,
        "insufficient": None
        if assessment.insufficient is None
        else assessment.insufficient.to_json(),
    }


def _snapshot(row: BurnoutRiskAssessment, zone: ZoneInfo) -> AssessmentSnapshot:
    """What recovery tracking compares of a stored assessment (its window's last day)."""
    day = local_date(row.assessmentDate, zone)
    factors = row.contributingFactors or []
    if factors and isinstance(factors[0], dict):
        end = (factors[0].get("window") or {}).get("end")
        if isinstance(end, str):
            day = date.fromisoformat(end)
    return AssessmentSnapshot(float(row.riskScore), row.riskLevel, day)


def _latest_assessments(
    session: Session, user_id: str, n: int = 2, as_of: datetime | None = None
) -> list[BurnoutRiskAssessment]:
    """The ``n`` latest assessments (made at or before ``as_of``, when given), newest first."""
    query = sa.select(BurnoutRiskAssessment).where(BurnoutRiskAssessment.userId == user_id)
    if as_of is not None:
        query = query.where(BurnoutRiskAssessment.assessmentDate <= naive_utc(as_of))
    return list(
        session.scalars(
            query.order_by(
                BurnoutRiskAssessment.assessmentDate.desc(), BurnoutRiskAssessment.id.desc()
            ).limit(n)
        )
    )


def _view(
    row: BurnoutRiskAssessment, previous: BurnoutRiskAssessment | None, zone: ZoneInfo, fresh: bool
) -> BurnoutView:
    factors = list(row.contributingFactors or [])
    window = (factors[0].get("window") if factors and isinstance(factors[0], dict) else None) or {}
    recovery = (
        track_recovery(_snapshot(previous, zone), _snapshot(row, zone))
        if previous is not None
        else None
    )
    return BurnoutView(
        assessment_id=row.id,
        assessed_at=row.assessmentDate,
        risk_score=float(row.riskScore),
        level=row.riskLevel,
        confidence=float(row.confidence),
        contributing_factors=factors,
        warning_signals=list(row.warningSignals or []),
        recommendations=list(row.recommendations),
        window=window,
        recovery=recovery,
        fresh=fresh,
    )


def assess_burnout(
    session: Session,
    learner: Learner,
    now: datetime,
    *,
    through: date | None = None,
    backfill_loads: bool = True,
) -> BurnoutView:
    """Assess burnout risk over the 14 local days ending on ``through`` (default: today) and store it.

    A learner without any session or mission gets an unstored LOW answer with the
    unmet minimum (``window.insufficient``).
    """
    zone = learner.zone
    assessed_at = naive_utc(now)
    last_day = through or local_date(assessed_at, zone)
    first_day = last_day - timedelta(days=WINDOW_DAYS - 1)
    # The window and the reference period before it (the learner's earlier level).
    since = local_midnight_utc(first_day - timedelta(days=REFERENCE_DAYS), zone)
    until = local_midnight_utc(last_day + timedelta(days=1), zone)
    if backfill_loads:
        ensure_session_loads(session, learner, since, until)
    uid = learner.user_id
    summaries = session_summaries(session, uid, since, until)
    missions = [
        (local_date(r[0], zone), str(r[1]))
        for r in session.execute(
            sa.text(
                'SELECT date, status::text FROM missions WHERE "userId" = :u '
                "AND date >= :a AND date < :b"
            ),
            {"u": uid, "a": since, "b": until},
        )
    ]
    loose = [
        (r[0], float(r[1]))
        for r in session.execute(
            sa.text(
                'SELECT "timestamp", "loadScore" FROM cognitive_load_metrics WHERE "userId" = :u '
                'AND "sessionId" IS NULL AND "timestamp" >= :a AND "timestamp" < :b'
            ),
            {"u": uid, "a": since, "b": until},
        )
    ]
    first = session.execute(
        sa.text(
            'SELECT least((SELECT min("startedAt") FROM study_sessions WHERE "userId" = :u), '
            '(SELECT min(date) FROM missions WHERE "userId" = :u AND date < :b))'
        ),
        {"u": uid, "b": until},
    ).scalar_one_or_none()
    days = daily_aggregates(summaries, missions, loose, zone, last_day)
    history_start = local_date(first, zone) if first is not None else last_day + timedelta(days=1)
    assessment = assess_burnout_risk(days, last_day, history_start=history_start, reference=days)
    window = _window_json(assessment)
    factors = [{**f, "window": window} for f in assessment.contributing_factors_json()]
    previous = _latest_assessments(session, uid, 1, as_of=assessed_at)
    if assessment.covered_days == 0:
        return BurnoutView(
            assessment_id=None,
            assessed_at=assessed_at,
            risk_score=assessment.risk_score,
            level=assessment.level,
            confidence=assessment.confidence,
            contributing_factors=factors,
            warning_signals=assessment.warning_signals_json(),
            recommendations=list(assessment.recommendations),
            window=window,
            recovery=None,
            fresh=True,
        )
    row = BurnoutRiskAssessment(
        id=new_id(),
        userId=uid,
        riskScore=assessment.risk_score,
        riskLevel=assessment.level,
        contributingFactors=factors,
        warningSignals=assessment.warning_signals_json(),
        recommendations=list(assessment.recommendations),
        confidence=assessment.confidence,
        assessmentDate=assessed_at,
    )
    session.add(row)
    session.flush()
    update_mean_load_7d(session, uid, assessed_at)
    return _view(row, previous[0] if previous else None, zone, fresh=True)


def latest_burnout(
    session: Session, learner: Learner, as_of: datetime | None = None
) -> BurnoutView | None:
    """The learner's latest stored assessment (at or before ``as_of``), with recovery."""
    rows = _latest_assessments(session, learner.user_id, 2, as_of)
    if not rows:
        return None
    return _view(rows[0], rows[1] if len(rows) > 1 else None, learner.zone, fresh=False)


def burnout_risk(session: Session, learner: Learner, now: datetime) -> BurnoutView:
    """The latest assessment, assessed anew (once, under the learner's lock) when older than 24 h."""
    now_naive = naive_utc(now)
    latest = latest_burnout(session, learner, now_naive)
    if latest is not None and now_naive - latest.assessed_at <= ASSESSMENT_MAX_AGE:
        return latest
    lock_learner(session, LearnerLock.BURNOUT_ASSESSMENT, learner.user_id)
    latest = latest_burnout(session, learner, now_naive)  # another request may have assessed
    if latest is not None and now_naive - latest.assessed_at <= ASSESSMENT_MAX_AGE:
        return latest
    return assess_burnout(session, learner, now_naive)


def daily_burnout_assessment(session: Session, learner: Learner, now: datetime) -> str:
    """The daily job's assessment of one learner; returns what happened.

    Assesses the 14 days ending yesterday (the last complete local day) unless the
    learner already has an assessment made on today's local date, or another
    worker holds the learner's burnout lock: ``"assessed"``, ``"already_assessed"``,
    ``"locked"``, ``"no_data"``.
    """
    if not try_lock_learner(session, LearnerLock.BURNOUT_ASSESSMENT, learner.user_id):
        return "locked"
    zone = learner.zone
    today = local_date(now, zone)
    latest = _latest_assessments(session, learner.user_id, 1)
    if latest and local_date(latest[0].assessmentDate, zone) >= today:
        return "already_assessed"
    view = assess_burnout(session, learner, now, through=today - timedelta(days=1))
    return "assessed" if view.assessment_id is not None else "no_data"
