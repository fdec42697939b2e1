"""Cohort distributions over learners who share anonymised patterns (round trip through the
real database): who counts, what each measure reads, the minimum group."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from twin.analysis.common import InsufficientData
from twin.analysis.patterns.cohort import MIN_COHORT_LEARNERS, CohortDistribution
from twin.analysis.patterns.memory_curve import SOURCE_FITTED
from twin.clock import utcnow
from twin.db.engine import Database
from twin.db.models import BehavioralScore, BurnoutRiskAssessment, UserLearningProfile
from twin.enums import BurnoutRiskLevel
from twin.services import learners as users_service
from twin.services.patterns import cohorts

pytestmark = pytest.mark.db  # every test here uses PostgreSQL

OUTLIER = 999.0
"""What the learners who do not share are given: it must never show up."""


def seed_cohort(
    db: Database, *, sharing: int, not_sharing: int, seed: int = 7, prefix: str = "cohort"
) -> list[float]:
    """Learners with a profile, two weekly scores, a burnout assessment; the sharing ones'
    latest scores are returned (the non-sharing ones and every older week score OUTLIER)."""
    rng = np.random.default_rng(seed)
    latest: list[float] = []
    today = date.today()
    with db.session() as s:
        for i in range(sharing + not_sharing):
            shares = i < sharing
            uid = f"{prefix}-{i:03d}-{'share' if shares else 'private'}"
            users_service.upsert_user(s, uid, {"shareAnonymizedPatterns": shares})
            score = float(rng.uniform(30, 90)) if shares else OUTLIER
            if shares:
                latest.append(score)
            s.add(
                UserLearningProfile(
                    userId=uid,
                    preferredStudyTimes=[{"hour": int(rng.integers(6, 23)) if shares else 3}],
                    averageSessionDuration=int(rng.integers(20, 70)) if shares else 500,
                    optimalSessionDuration=40,
                    contentPreferences={},
                    learningStyleProfile={},
                    personalizedForgettingCurve={
                        "source": SOURCE_FITTED,
                        "halfLife": float(rng.uniform(2, 12)) if shares else OUTLIER,
                    },
                )
            )
            s.add(
                BehavioralScore(
                    userId=uid, weekStart=today - timedelta(days=14), score=OUTLIER, components={}
                )
            )
            s.add(BehavioralScore(userId=uid, weekStart=today, score=score, components={}))
            s.add(
                BurnoutRiskAssessment(
                    userId=uid,
                    riskScore=float(rng.uniform(10, 60)) if shares else OUTLIER,
                    riskLevel=BurnoutRiskLevel.LOW,
                    contributingFactors=[],
                    recommendations=[],
                    assessmentDate=utcnow().replace(tzinfo=None),
                )
            )
    return latest


def test_only_sharing_learners_count_and_each_measure_reads_its_latest_value(
    db: Database,
) -> None:
    latest = seed_cohort(db, sharing=12, not_sharing=4)
    with db.session() as s:
        view = cohorts.cohort_distributions(s)
    assert view.sharing_learners == 12
    found = {m.key: d for m, d in view.distributions}
    assert set(found) == {
        "behavioralScore",
        "optimalHour",
        "sessionMinutes",
        "burnoutRisk",
        "halfLifeDays",
    }
    for dist in found.values():
        assert isinstance(dist, CohortDistribution) and dist.learners == 12
        assert dist.q75 < OUTLIER  # no private learner's value, no older week
    score = found["behavioralScore"]
    assert isinstance(score, CohortDistribution)
    assert score.median == float(np.median(latest))


def test_fewer_sharing_learners_than_the_minimum_show_nothing(db: Database) -> None:
    seed_cohort(db, sharing=MIN_COHORT_LEARNERS - 1, not_sharing=5)
    with db.session() as s:
        view = cohorts.cohort_distributions(s)
    assert view.sharing_learners == MIN_COHORT_LEARNERS - 1
    for _measure, dist in view.distributions:
        assert dist == InsufficientData("sharingLearners", MIN_COHORT_LEARNERS - 1, 10)


def test_switching_analysis_off_takes_a_learner_out(db: Database) -> None:
    seed_cohort(db, sharing=MIN_COHORT_LEARNERS, not_sharing=0)
    with db.session() as s:
        user = users_service.get_user(s, "cohort-000-share")
        users_service.apply_privacy(s, user, {"behavioralAnalysisEnabled": False})
    with db.session() as s:
        view = cohorts.cohort_distributions(s)
    assert view.sharing_learners == MIN_COHORT_LEARNERS - 1
    assert all(isinstance(d, InsufficientData) for _m, d in view.distributions)
