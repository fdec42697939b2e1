"""Personalization as a recommendation source (issue 19, ENGINE 5.5 → 5.6), through the database.

Outcomes are recorded through the personalization services, the daily effectiveness rows
are stored by :func:`store_effectiveness`, and :class:`PersonalizationProvider` reads them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import sqlalchemy as sa

from tests.services.experiments.support import add_learner
from twin.analysis.insights.common import SourceKind
from twin.analysis.insights.recommendations import generate_candidates
from twin.db.engine import Database
from twin.enums import PersonalizationContext, PersonalizationLevel, RecommendationType
from twin.learners import get_learner
from twin.services.insights import recommendations as recommendation_service
from twin.services.insights.providers import PersonalizationProvider, gather_sources
from twin.services.personalization import outcomes
from twin.services.personalization.decisions import apply_personalization
from twin.services.personalization.effectiveness import store_effectiveness
from twin.services.personalization.preferences import PreferencesChange, update_preferences

pytestmark = pytest.mark.db

TICK = datetime(2026, 5, 4, 3, 45, tzinfo=UTC)
MISSION = PersonalizationContext.MISSION
KEY = f"{RecommendationType.EXPERIMENTAL_SUGGESTION}:personalization:MISSION"
SPREAD = 0.05  # retention alternates mean ± this, so both groups have a variance


def _seed(db: Database, uid: str, personalized_retention: float, completion: float) -> str:
    """12 unpersonalized MISSION outcomes 50–39 days before TICK (retention 0.5 ± 0.05,
    completion 0.5), then 12 from one fixed arm 20–9 days before; the effectiveness row's id."""
    with db.session() as session:
        add_learner(session, uid)
        start = TICK - timedelta(days=50)
        for i in range(12):
            outcomes.record_outcome(
                session,
                uid,
                outcomes.OutcomeIn(
                    context=MISSION, retention=0.5 + SPREAD * (-1) ** i, completion=0.5
                ),
                start + timedelta(days=i),
            )
        update_preferences(session, uid, PreferencesChange(auto_adapt=False), start)
        for i in range(12):
            at = TICK - timedelta(days=20) + timedelta(days=i)
            decision = apply_personalization(
                session, uid, MISSION, None, at, np.random.default_rng(i)
            )
            outcomes.record_outcome(
                session,
                uid,
                outcomes.OutcomeIn(
                    decision_id=decision.decision_id,
                    retention=personalized_retention + SPREAD * (-1) ** i,
                    completion=completion,
                ),
                at + timedelta(hours=1),
            )
            if i == 0:  # only the first arm stays active, so it serves all 12 whatever its reward
                session.execute(
                    sa.text(
                        'UPDATE personalization_configs SET "isActive" = false WHERE "userId" = :u '
                        'AND id <> (SELECT "configId" FROM personalization_decisions WHERE id = :d)'
                    ),
                    {"u": uid, "d": decision.decision_id},
                )
        assert store_effectiveness(session, uid, TICK) == 1
        row_id = session.scalar(
            sa.text('SELECT id FROM personalization_effectiveness WHERE "userId" = :u'), {"u": uid}
        )
    assert isinstance(row_id, str)
    return row_id


def test_personalization_that_helped_is_recommended(db: Database) -> None:
    """Outcome score 0.4·retention + 0.2·completion over 0.6 (performance and engagement not
    measured): baseline (0.4·0.5 + 0.2·0.5)/0.6 = 0.5, the arm (0.4·0.7 + 0.2·0.9)/0.6 = 0.7667
    → +26.67 points, interval well above 0; level MEDIUM (default) → suggest HIGH."""
    eff_id = _seed(db, "pers-good", 0.7, 0.9)
    with db.session() as s:
        (signal,) = (
            PersonalizationProvider().provide(s, get_learner(s, "pers-good"), TICK).personalization
        )
    assert signal.effectiveness_id == eff_id and signal.context == MISSION
    assert signal.improvement == pytest.approx(100 * (0.46 / 0.6 - 0.5))
    assert 0.0 < signal.ci_low < signal.improvement < signal.ci_high
    assert signal.sample_size == 12 and signal.confidence > 0.99
    assert (signal.current_level, signal.suggested_level) == (
        PersonalizationLevel.MEDIUM,
        PersonalizationLevel.HIGH,
    )
    with db.session() as s:
        made = recommendation_service.generate(s, get_learner(s, "pers-good"), TICK)
        views = recommendation_service.list_recommendations(s, "pers-good", checked=True)
    (rec,) = [v for v in views if v.key == KEY]
    assert rec.id in made.created
    assert [(x.kind, x.id) for x in rec.sources] == [(SourceKind.PERSONALIZATION, eff_id)]
    assert rec.evidence[0].startswith("Improvement 26.67 (95% CI ") and "n = 12" in rec.evidence[0]
    assert "from MEDIUM to HIGH" in rec.actionable_text
    # Not before the window was measured, nor once the learner switches the context off.
    with db.session() as s:
        earlier = PersonalizationProvider().provide(
            s, get_learner(s, "pers-good"), TICK - timedelta(days=1)
        )
        update_preferences(s, "pers-good", PreferencesChange(mission_enabled=False), TICK)
        off = PersonalizationProvider().provide(s, get_learner(s, "pers-good"), TICK)
    assert earlier.personalization == () and off.personalization == ()


def test_no_recommendation_without_a_clear_gain_or_room_to_raise(db: Database) -> None:
    """Personalized outcomes nearly like the baseline (completion 0.53 instead of 0.5):
    +0.2·0.03/0.6 = +1 point against a spread of ±3.3 → the interval spans 0, no candidate;
    a clear gain at level HIGH already → nothing to raise, no candidate."""
    _seed(db, "pers-flat", 0.5, 0.53)
    with db.session() as s:
        sources = gather_sources(s, get_learner(s, "pers-flat"), TICK)
        made = recommendation_service.generate(s, get_learner(s, "pers-flat"), TICK)
        views = recommendation_service.list_recommendations(s, "pers-flat", checked=True)
    (signal,) = sources.personalization
    assert signal.improvement == pytest.approx(1.0) and signal.ci_low < 0 < signal.ci_high
    assert KEY not in {c.key for c in generate_candidates(sources)}
    assert KEY not in {v.key for v in views} and made.created == ()
    _seed(db, "pers-high", 0.7, 0.9)
    with db.session() as s:
        update_preferences(s, "pers-high", PreferencesChange(level=PersonalizationLevel.HIGH), TICK)
    with db.session() as s:
        high = gather_sources(s, get_learner(s, "pers-high"), TICK)
    (signal,) = high.personalization
    assert signal.ci_low > 0 and signal.suggested_level == PersonalizationLevel.HIGH
    assert KEY not in {c.key for c in generate_candidates(high)}
