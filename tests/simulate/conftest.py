"""The classic cohort two modules read: generated once per run (it takes about a second)."""

from __future__ import annotations

import pytest

from twin.simulate.generate import DEFAULT_START, LearnerData, generate_cohort_learner

CLASSIC_SEED = 20260105
CLASSIC_WEEKS = 12
CLASSIC_LEARNERS = 60


@pytest.fixture(scope="session")
def classic_cohort() -> list[LearnerData]:
    """Learners 0–59 of seed 20260105 over twelve weeks from the default start, read-only.

    test_generate checks the cohort's properties and test_interventions compares its first
    learners with their treated twins: the same learners, generated once instead of twice.
    """
    return [
        generate_cohort_learner(CLASSIC_SEED, i, DEFAULT_START, CLASSIC_WEEKS)
        for i in range(CLASSIC_LEARNERS)
    ]
