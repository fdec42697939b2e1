"""personalization:apply asks the experiments service first: a running experiment of the
context decides (the learner is assigned, nothing is logged for the bandit); elsewhere the
bandit decides and logs."""

from __future__ import annotations

import numpy as np

from tests.services.experiments.support import DAY, NOW, START, add_learner, count, new_experiment
from twin.db.engine import Database
from twin.enums import PersonalizationContext
from twin.services import experiments as experiments_service
from twin.services.personalization.decisions import apply_personalization


def test_a_running_experiment_decides_and_the_bandit_stands_aside(db: Database) -> None:
    with db.session() as session:
        experiment = experiments_service.create_experiment(session, new_experiment(), NOW)
        add_learner(session, "ada")
        at = START + DAY
        first = apply_personalization(
            session, "ada", PersonalizationContext.MISSION, None, at, np.random.default_rng(1)
        )
        again = apply_personalization(
            session, "ada", PersonalizationContext.MISSION, None, at + DAY
        )
        assert first.experiment is not None and first.decision_id is None
        assert first.decision is None and first.strategy == "BALANCED"
        variant = first.experiment["variantId"]
        assert again.experiment is not None and again.experiment["variantId"] == variant
        assert first.experiment["newlyAssigned"] and not again.experiment["newlyAssigned"]
        assert first.experiment["experimentId"] == experiment.id
        assert "the bandit stands aside" in first.reasons[0]
        # control: factor 1.0 → 45 min; "short": 45 × 0.8 = 36 → 35 (support.py's variants)
        assert first.parameters["durationMinutes"] == (45 if variant == "control" else 35)
        assert count(session, "experiment_assignments") == 1
        assert count(session, "personalization_decisions") == 0
        assert count(session, "personalization_configs") == 0
        # SESSION has no experiment: the bandit decides and the decision is logged
        other = apply_personalization(session, "ada", PersonalizationContext.SESSION, None, at)
        assert other.experiment is None and other.decision_id is not None
        assert count(session, "personalization_decisions") == 1
        # after the experiment ends the bandit takes MISSION back
        later = apply_personalization(
            session, "ada", PersonalizationContext.MISSION, None, START + 30 * DAY
        )
        assert later.experiment is None and later.decision_id is not None
