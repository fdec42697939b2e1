"""Cohort distributions for the operator: twin measures over learners who share anonymised
patterns (``users.shareAnonymizedPatterns``) and have behavioural analysis on — the same
consent the pooled personalization prior and the shared struggle model select by.

One query reads each consenting learner's latest weekly behavioral score, best study hour
(the profile's first preferred study time), average session length, latest burnout risk
and fitted forgetting half-life; :func:`twin.analysis.patterns.cohort.cohort_distribution`
turns each measure into quartiles and a histogram that never shows fewer than
:data:`~twin.analysis.patterns.cohort.MIN_COHORT_LEARNERS` learners. No learner id leaves
this module.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from twin.analysis.common import InsufficientData
from twin.analysis.patterns.cohort import CohortDistribution, Scale, cohort_distribution
from twin.analysis.patterns.memory_curve import SOURCE_FITTED

HOURS_PER_DAY = 24
MAX_SESSION_MINUTES_SHOWN = 120
MAX_HALF_LIFE_DAYS_SHOWN = 30


@dataclass(frozen=True)
class Measure:
    """A twin measure the cohort page shows: its key, label, unit and histogram scale."""

    key: str
    label: str
    unit: str
    scale: Scale


MEASURES: tuple[Measure, ...] = (
    Measure("behavioralScore", "Behavioral score (latest week)", "points", Scale(0, 100, 10)),
    Measure("optimalHour", "Best study hour (local)", "h", Scale(0, HOURS_PER_DAY, 8)),
    Measure(
        "sessionMinutes",
        "Average session length",
        "min",
        Scale(0, MAX_SESSION_MINUTES_SHOWN, 8),
    ),
    Measure("burnoutRisk", "Burnout risk (latest)", "points", Scale(0, 100, 10)),
    Measure("halfLifeDays", "Forgetting half-life", "days", Scale(0, MAX_HALF_LIFE_DAYS_SHOWN, 10)),
)

_COHORT_SQL = sa.text(
    """
    SELECT
      (SELECT s.score FROM behavioral_scores s WHERE s."userId" = u.id
        ORDER BY s."weekStart" DESC LIMIT 1) AS "behavioralScore",
      CAST(p."preferredStudyTimes" -> 0 ->> 'hour' AS double precision) AS "optimalHour",
      CAST(NULLIF(p."averageSessionDuration", 0) AS double precision) AS "sessionMinutes",
      (SELECT b."riskScore" FROM burnout_risk_assessments b WHERE b."userId" = u.id
        ORDER BY b."assessmentDate" DESC LIMIT 1) AS "burnoutRisk",
      CASE WHEN p."personalizedForgettingCurve" ->> 'source' = :fitted
        THEN CAST(p."personalizedForgettingCurve" ->> 'halfLife' AS double precision)
      END AS "halfLifeDays"
    FROM users u LEFT JOIN user_learning_profiles p ON p."userId" = u.id
    WHERE u."shareAnonymizedPatterns" AND u."behavioralAnalysisEnabled"
    """
)


@dataclass(frozen=True)
class CohortView:
    """The consenting learners and each measure's distribution (or how many are missing)."""

    sharing_learners: int
    distributions: tuple[tuple[Measure, CohortDistribution | InsufficientData], ...]


def cohort_distributions(session: Session) -> CohortView:
    """Each measure's distribution over the learners who share anonymised patterns."""
    rows = session.execute(_COHORT_SQL, {"fitted": SOURCE_FITTED}).mappings().all()
    found = []
    for measure in MEASURES:
        values = [float(r[measure.key]) for r in rows if r[measure.key] is not None]
        found.append((measure, cohort_distribution(values, measure.scale)))
    return CohortView(sharing_learners=len(rows), distributions=tuple(found))
