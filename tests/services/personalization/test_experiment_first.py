"""personalization:apply asks the experiments service first: a running experiment of the
context decides (the learner is assigned; the decision is logged with the assignment
probability as its propensity, and no arm moves); elsewhere the bandit decides and logs."""

from __future__ import annotations

import numpy as np
import pytest

from tests.services.experiments.support import DAY, NOW, START, add_learner, count, new_experiment
from twin.db.engine import Database
from twin.enums import PersonalizationContext
from twin.services import experiments as experiments_service
from twin.services.personalization import outcomes
from twin.services.personalization.decisions import apply_personalization
from twin.services.personalization.overview import decisions

pytestmark = pytest.mark.db  # every test here uses PostgreSQL


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
        assert first.experiment is not None and first.decision_id is not None
        assert first.strategy == "BALANCED"
        # support.py's variants weigh 1.0 and 1.0: each learner's variant has probability 1/2;
        # both use the default arm BALANCED, so the arm's probability is 1
        assert first.decision is not None and first.decision.mode == "experiment"
        assert first.decision.propensity == 0.5
        assert first.decision.probabilities == {"BALANCED": 1.0}
        variant = first.experiment["variantId"]
        assert again.experiment is not None and again.experiment["variantId"] == variant
        assert first.experiment["newlyAssigned"] and not again.experiment["newlyAssigned"]
        assert first.experiment["experimentId"] == experiment.id
        assert "the bandit stands aside" in first.reasons[0]
        # control: factor 1.0 → 45 min; "short": 45 × 0.8 = 36 → 35 (support.py's variants)
        assert first.parameters["durationMinutes"] == (45 if variant == "control" else 35)
        assert count(session, "experiment_assignments") == 1
        assert count(session, "personalization_decisions") == 2
        assert count(session, "personalization_configs") == 0  # no arm of the bandit moves
        logged = decisions(session, "ada", PersonalizationContext.MISSION)
        assert [d.decision_id for d in logged] == [again.decision_id, first.decision_id]
        assert {d.mode for d in logged} == {"experiment"} and logged[0].propensity == 0.5
        # an outcome of an experiment's decision is rewarded, and no arm exists to move
        rewarded = outcomes.record_outcome(
            session,
            "ada",
            outcomes.OutcomeIn(decision_id=first.decision_id, completion=1.0),
            at + DAY / 2,
        )
        assert rewarded.reward is not None and rewarded.reward.arm_times_selected is None
        # SESSION has no experiment: the bandit decides and the decision is logged
        other = apply_personalization(session, "ada", PersonalizationContext.SESSION, None, at)
        assert other.experiment is None and other.decision_id is not None
        assert other.decision is not None and other.decision.mode != "experiment"
        assert count(session, "personalization_decisions") == 3
        # after the experiment ends the bandit takes MISSION back
        later = apply_personalization(
            session, "ada", PersonalizationContext.MISSION, None, START + 30 * DAY
        )
        assert later.experiment is None and later.decision_id is not None
