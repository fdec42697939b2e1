"""Struggle prediction workflow (twin.services.struggle) on the real database."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.analysis.struggle.hand_learner import DAY, T, golden_context_values
from tests.conftest import PgServer
from tests.services.struggle.support import delete_after, make_struggle_learner
from twin.analysis.struggle.features import build_features
from twin.analysis.struggle.rules import RULE_MODEL_VERSION, rule_predict
from twin.api.schemas.struggle import PredictionDetailOut
from twin.db.engine import Database, create_db_engine
from twin.db.models import InterventionRecommendation, Mission, StrugglePrediction
from twin.enums import InterventionStatus, MissionStatus
from twin.errors import Conflict, Forbidden, NotFound
from twin.services import struggle
from twin.simulate.generate import DEFAULT_START
from twin.simulate.load import load_cohort
from twin.simulate.traits import user_id

pytestmark = pytest.mark.db  # every test here uses PostgreSQL

U = "sp"


def _context(db: Database) -> dict[str, object]:
    with db.session() as s:
        ctx = struggle.build_contexts(s, U, [f"{U}-oT", "not-an-objective"], T)
    assert list(ctx) == [f"{U}-oT"]
    return {f.name: getattr(ctx[f"{U}-oT"], f.name) for f in dataclasses.fields(ctx[f"{U}-oT"])}


def test_context_of_a_hand_built_objective_has_the_golden_values(db: Database) -> None:
    with db.session() as s:
        make_struggle_learner(s, U)
    got = _context(db)
    want = golden_context_values()
    for name, value in want.items():
        if isinstance(value, tuple | float):
            assert got[name] == pytest.approx(value, abs=1e-9), name
        else:
            assert str(got[name]) == str(value), name
    # pinned numbers (FSRS-6 default decay): recall of k1 (S=0.05, 6 days), k2 (S=0.2, 25 days)
    assert got["recall_predictions"] == pytest.approx((0.4788, 0.4758), abs=5e-4)


def test_data_after_now_is_ignored(db: Database) -> None:
    with db.session() as s:
        make_struggle_learner(s, U)
    before = _context(db)
    with db.session() as s:
        delete_after(s, U)
    assert _context(db) == before


def test_candidates_missions_exams_weakest(db: Database) -> None:
    with db.session() as s:
        make_struggle_learner(s, U)
        cands = struggle.candidate_objectives(s, U, T, days_ahead=14)
    # m2 (dated T + 1 day) was completed after T: at T it was still pending
    assert [(c.objectiveId, c.dueAt, c.source, c.sourceId) for c in cands] == [
        (f"{U}-oT", T + DAY, "mission", f"{U}-m2"),
        (f"{U}-oP1", T + 2 * DAY, "mission", f"{U}-m3"),
        (f"{U}-oX", T + 5 * DAY, "exam", f"{U}-x2"),
        (f"{U}-oP2", T + 10 * DAY, "exam", f"{U}-x1"),
        (f"{U}-oP3", T + 10 * DAY, "exam", f"{U}-x1"),
    ]
    with db.session() as s:
        short = struggle.candidate_objectives(s, U, T, days_ahead=3)
    # only the mission within 3 days, then the weakest by retention (oP1/oT are already in)
    assert [(c.objectiveId, c.source) for c in short] == [
        (f"{U}-oT", "mission"),
        (f"{U}-oP1", "mission"),
    ]
    with db.session() as s:
        s.execute(sa.text('DELETE FROM missions WHERE "userId" = :u'), {"u": U})
        weakest = struggle.candidate_objectives(s, U, T, days_ahead=3)
    # no mission, no exam within 3 days: the objectives with reviewed cards (≤ 5 weakest)
    assert [(c.objectiveId, c.source, c.dueAt) for c in weakest] == [
        (f"{U}-oP1", "weakest", T + 3 * DAY),
        (f"{U}-oT", "weakest", T + 3 * DAY),
    ]


def test_generate_stores_every_prediction_with_its_explanation(db: Database) -> None:
    with db.session() as s:
        make_struggle_learner(s, U)
        result = struggle.generate_predictions(s, U, T, days_ahead=14)
        contexts = struggle.build_contexts(s, U, [f"{U}-oT"], T)
    assert result.model_version == RULE_MODEL_VERSION
    assert result.created == 5 and result.updated == 0
    by_obj = {p.objective.id: p for p in result.predictions}
    target = by_obj[f"{U}-oT"]
    expected = rule_predict(build_features(contexts[f"{U}-oT"]))
    assert target.probability == pytest.approx(expected.probability)
    with db.session() as s:
        rows = s.scalars(
            sa.select(StrugglePrediction).where(
                StrugglePrediction.userId == U, StrugglePrediction.actualOutcome.is_(None)
            )
        ).all()
        assert len(rows) == 5
        low = [r for r in rows if r.predictedStruggleProbability <= 0.5]
        high = [r for r in rows if r.predictedStruggleProbability > 0.5]
        assert low and high  # stored on both sides of 0.5
        row = next(r for r in rows if r.learningObjectiveId == f"{U}-oT")
        assert row.predictionDate == T and row.predictedAt == T
        assert row.topicId == "renal"
        vector = row.featureVector or {}
        assert set(vector) == {
            "modelVersion",
            "features",
            "unknown",
            "dataQuality",
            "contributions",
            "dueAt",
            "source",
        }
        assert vector["modelVersion"] == RULE_MODEL_VERSION and vector["source"] == "mission"
        assert vector["unknown"] == [] and vector["dataQuality"] == 1.0
        assert vector["features"]["complexityMismatch"] == pytest.approx(0.6)
        assert vector["features"]["daysUntilExam"] == pytest.approx(10 / 90, abs=1e-4)
        assert row.strugglingFactors == [
            {"feature": n, "value": pytest.approx(vector["features"][n]), "contribution": c}
            for n, c in ((f["feature"], f["contribution"]) for f in row.strugglingFactors)
        ]
        assert [f["feature"] for f in row.strugglingFactors] == [
            n for n, _ in expected.top_factors(3)
        ]
        assert row.predictionConfidence == pytest.approx(
            1.0 * (0.5 + 0.5 * abs(2 * expected.probability - 1))
        )
        # indicators / interventions only for p > 0.5
        counts = dict(
            s.execute(
                sa.text(
                    'SELECT p."learningObjectiveId", count(i.id) FROM struggle_predictions p '
                    'LEFT JOIN struggle_indicators i ON i."predictionId" = p.id '
                    'WHERE p."userId" = :u AND p."actualOutcome" IS NULL GROUP BY 1'
                ),
                {"u": U},
            ).all()
        )
        for r in rows:
            if r.predictedStruggleProbability <= 0.5:
                assert counts[r.learningObjectiveId] == 0
        assert counts[f"{U}-oT"] > 0
        ivs = s.scalars(
            sa.select(InterventionRecommendation).where(InterventionRecommendation.userId == U)
        ).all()
        assert {iv.predictionId for iv in ivs} <= {r.id for r in high}
        assert all(iv.relatedObjectiveId is not None for iv in ivs)


def test_target_prediction_is_at_risk_with_tailored_interventions(db: Database) -> None:
    with db.session() as s:
        make_struggle_learner(s, U)
        result = struggle.generate_predictions(s, U, T, days_ahead=14)
    target = next(p for p in result.predictions if p.objective.id == f"{U}-oT")
    assert target.probability > 0.5
    types = [i.indicator_type.value for i in target.indicators]
    assert "PREREQUISITE_GAP" in types and "COMPLEXITY_MISMATCH" in types
    ivs = {iv.intervention_type.value: iv for _id, iv in target.interventions}
    assert "PREREQUISITE_REVIEW" in ivs
    # tailored: the profile's 40-minute sessions at 07:00
    assert "07:00" in ivs["PREREQUISITE_REVIEW"].description
    assert "40-minute" in ivs["PREREQUISITE_REVIEW"].description
    priorities = [iv.priority for _id, iv in target.interventions]
    assert priorities == sorted(priorities, reverse=True)


def test_regeneration_updates_open_predictions_in_place(db: Database) -> None:
    with db.session() as s:
        make_struggle_learner(s, U)
        first = struggle.generate_predictions(s, U, T)
    with db.session() as s:
        second = struggle.generate_predictions(s, U, T + timedelta(hours=1))
    assert second.created == 0 and second.updated == len(first.predictions)
    assert {p.prediction_id for p in first.predictions} == {
        p.prediction_id for p in second.predictions
    }
    with db.session() as s:
        n_pred = s.execute(
            sa.text(
                'SELECT count(*) FROM struggle_predictions WHERE "userId" = :u '
                'AND "actualOutcome" IS NULL'
            ),
            {"u": U},
        ).scalar_one()
        n_ind = s.execute(
            sa.text('SELECT count(*) FROM struggle_indicators WHERE "userId" = :u'), {"u": U}
        ).scalar_one()
        n_iv = s.execute(
            sa.text('SELECT count(*) FROM intervention_recommendations WHERE "userId" = :u'),
            {"u": U},
        ).scalar_one()
        dates = s.execute(
            sa.text(
                'SELECT DISTINCT "predictedAt" FROM struggle_predictions WHERE "userId" = :u '
                'AND "actualOutcome" IS NULL'
            ),
            {"u": U},
        ).all()
    assert n_pred == len(first.predictions)
    assert n_ind == second.indicators and n_iv == second.interventions
    assert dates == [(T + timedelta(hours=1),)]


def test_a_prediction_whose_objective_was_studied_since_is_kept_for_its_outcome(
    db: Database,
) -> None:
    """T's card is reviewed at T + 1 day: regenerating at T + 36 h keeps T's prediction as it
    was (its outcome is being measured on that study); the others are updated in place."""
    with db.session() as s:
        make_struggle_learner(s, U)
        first = struggle.generate_predictions(s, U, T)
    target = next(p for p in first.predictions if p.objective.id == f"{U}-oT")
    later = T + timedelta(hours=36)
    with db.session() as s:
        second = struggle.generate_predictions(s, U, later)
    assert [k.prediction_id for k in second.awaiting_outcome] == [target.prediction_id]
    kept = second.awaiting_outcome[0]
    assert (kept.probability, kept.predicted_at) == (target.probability, T)
    assert f"{U}-oT" not in {p.objective.id for p in second.predictions}
    updated = {p.prediction_id for p in second.predictions if not p.created}
    assert updated == {p.prediction_id for p in first.predictions} - {target.prediction_id}
    assert second.counts.awaiting_outcome == 1
    with db.session() as s:
        row = s.get(StrugglePrediction, target.prediction_id)
        assert row is not None and row.predictedAt == T
        assert row.predictedStruggleProbability == target.probability
        n_indicators = s.execute(
            sa.text('SELECT count(*) FROM struggle_indicators WHERE "predictionId" = :p'),
            {"p": target.prediction_id},
        ).scalar_one()
    assert n_indicators == len(target.indicators) > 0  # its indicators are kept too
    # Kept predictions still compete for alerts, with their stored values.
    due = kept.due_at - later
    if kept.probability >= 0.7 and due <= timedelta(days=3):
        assert target.prediction_id in {a.prediction_id for a in second.alerts}


def test_privacy_and_unknown_learner(db: Database) -> None:
    with db.session() as s:
        make_struggle_learner(s, "off", enabled=False)
    with db.session() as s, pytest.raises(Forbidden, match="behavioralAnalysisEnabled"):
        struggle.generate_predictions(s, "off", T)
    with db.session() as s, pytest.raises(NotFound):
        struggle.generate_predictions(s, "nobody", T)
    with db.session() as s, pytest.raises(Forbidden):
        struggle.list_predictions(s, "off", now=T)
    with db.session() as s:
        n = s.execute(
            sa.text(
                "SELECT count(*) FROM struggle_predictions WHERE \"userId\" = 'off' "
                'AND "actualOutcome" IS NULL'
            )
        ).scalar_one()
    assert n == 0


def test_list_detail_and_interventions(db: Database) -> None:
    with db.session() as s:
        make_struggle_learner(s, U)
        result = struggle.generate_predictions(s, U, T)
    with db.session() as s:
        listed = struggle.list_predictions(s, U, now=T)
        everything = struggle.list_predictions(s, U, min_probability=0.0, now=T)
        confirmed = struggle.list_predictions(s, U, status="CONFIRMED", min_probability=0.0, now=T)
        assert all(v.probability >= 0.5 for v in listed.predictions)
        assert len(everything.predictions) == 5 + 3  # new ones and the fixture's past ones
        assert [v.id for v in confirmed.predictions] == [f"{U}-past2", f"{U}-past0"] or [
            v.id for v in confirmed.predictions
        ] == [f"{U}-past0", f"{U}-past2"]
        assert listed.stats.total == 8 and listed.stats.with_outcome == 3
        assert listed.stats.by_status["PENDING"] == 5
        target = next(p for p in result.predictions if p.objective.id == f"{U}-oT")
        view = struggle.prediction_detail(s, U, target.prediction_id, now=T)
        body = PredictionDetailOut.model_validate(view).model_dump(mode="json")
        assert body["objective"]["text"] == "Objective T"
        assert body["objective"]["complexity"] == "ADVANCED"
        assert view.due_at == T + DAY
        assert len(body["interventions"]) == len(target.interventions)
        why = body["why"]
        assert [f["feature"] for f in why["features"]][:2] == [
            "retentionScore",
            "retentionDeclineRate",
        ]
        assert len(why["features"]) == 15 and why["modelVersion"] == RULE_MODEL_VERSION
        assert why["topFactors"] and all(isinstance(t, str) for t in why["topFactors"])
        with pytest.raises(NotFound):
            struggle.prediction_detail(s, U, "nope", now=T)
        ivs = struggle.list_interventions(s, U, status=InterventionStatus.PENDING)
        assert len(ivs) == result.interventions
        assert [iv.priority for iv in ivs] == sorted((iv.priority for iv in ivs), reverse=True)


def _intervention(db: Database, kind: str) -> tuple[str, str]:
    with db.session() as s:
        iv = s.scalars(
            sa.select(InterventionRecommendation).where(
                InterventionRecommendation.userId == U,
                InterventionRecommendation.relatedObjectiveId == f"{U}-oT",
                InterventionRecommendation.interventionType == kind,
            )
        ).one()
        return iv.id, iv.predictionId or ""


def test_apply_prerequisite_review_inserts_weak_prerequisites(db: Database) -> None:
    with db.session() as s:
        make_struggle_learner(s, U)
        struggle.generate_predictions(s, U, T)
    iv_id, pred_id = _intervention(db, "PREREQUISITE_REVIEW")
    with db.session() as s:
        result = struggle.apply_intervention(s, U, iv_id, now=T)
    # the next PENDING mission planning oT is m3 (oT, oP1); oP2 (mastery 0.25) and oP3 (0)
    # are weak, oP1 (recall ≈ 0.98) is not
    assert result.mission.id == f"{U}-m3"
    assert result.before.objective_ids == [f"{U}-oT", f"{U}-oP1"]
    assert result.after.objective_ids == [f"{U}-oP2", f"{U}-oP3", f"{U}-oT", f"{U}-oP1"]
    assert result.after.estimated_minutes == 60  # 40 + 10 per inserted review
    with db.session() as s:
        mission = s.get(Mission, f"{U}-m3")
        assert mission is not None and mission.estimatedMinutes == 60
        assert mission.recommendedDuration == 60
        assert mission.objectives[0]["prerequisiteFor"] == f"{U}-oT"
        iv = s.get(InterventionRecommendation, iv_id)
        assert iv is not None and iv.appliedAt == T and iv.appliedToMissionId == f"{U}-m3"
        assert iv.status == InterventionStatus.IN_PROGRESS
        pred = s.get(StrugglePrediction, pred_id)
        assert pred is not None and pred.interventionApplied and pred.interventionId == iv_id
    with db.session() as s, pytest.raises(Conflict, match="already applied"):
        struggle.apply_intervention(s, U, iv_id, now=T)


def test_apply_difficulty_progression_to_a_given_mission(db: Database) -> None:
    with db.session() as s:
        make_struggle_learner(s, U)
        struggle.generate_predictions(s, U, T)
    iv_id, _ = _intervention(db, "DIFFICULTY_PROGRESSION")
    with db.session() as s, pytest.raises(NotFound):
        struggle.apply_intervention(s, U, iv_id, mission_id="someone-elses", now=T)
    with db.session() as s, pytest.raises(Conflict, match="SKIPPED"):
        struggle.apply_intervention(s, U, iv_id, mission_id=f"{U}-m5", now=T)
    with db.session() as s:
        result = struggle.apply_intervention(s, U, iv_id, mission_id=f"{U}-m4", now=T)
    # m4 (oX only) did not plan oT: oT is added with the mission's 40 minutes per objective,
    # then the time grows by 25%: (40 + 40) × 1.25 = 100
    assert result.after.objective_ids == [f"{U}-oX", f"{U}-oT"]
    assert result.after.estimated_minutes == 100
    with db.session() as s:
        mission = s.get(Mission, f"{U}-m4")
        assert mission is not None and mission.status == MissionStatus.PENDING
        entry = mission.objectives[1]
        assert entry["difficultyRamp"] is True and entry["interventions"] == [iv_id]


def test_alerts_for_imminent_likely_struggles(db: Database) -> None:
    with db.session() as s:
        make_struggle_learner(s, U)
        result = struggle.generate_predictions(s, U, T)
    eligible = [
        p
        for p in result.predictions
        if p.probability >= 0.7 and p.candidate.dueAt - T <= timedelta(days=3)
    ]
    assert [a.prediction_id for a in result.alerts] == [
        a.prediction_id for a in sorted(result.alerts, key=lambda a: -a.priority)
    ]
    assert {a.prediction_id for a in result.alerts} == {p.prediction_id for p in eligible[:3]}


# --- a small simulated cohort ----------------------------------------------------------------

SEED = 717
LEARNERS = 2
WEEKS = 8
START = datetime(DEFAULT_START.year, DEFAULT_START.month, DEFAULT_START.day)
END = START + timedelta(weeks=WEEKS, hours=12)


@pytest.fixture(scope="module")
def cohort(pg_server: PgServer, template_db: str) -> Iterator[Database]:
    name = pg_server.create_database(template=template_db)
    database = Database(engine=create_db_engine(pg_server.url_for(name)))
    try:
        load_cohort(database, LEARNERS, WEEKS, SEED, workers=0, connections=1)
        yield database
    finally:
        database.close()
        pg_server.drop_database(name)


def test_cohort_predictions_cover_upcoming_missions_and_rank_true_struggles(
    cohort: Database,
) -> None:
    for index in range(LEARNERS):
        uid = user_id(SEED, index)
        with cohort.session() as s:
            truth = s.execute(
                sa.text('SELECT traits FROM simulation_truth WHERE "userId" = :u'), {"u": uid}
            ).scalar_one()
            pending = s.execute(
                sa.text(
                    "SELECT objectives FROM missions WHERE \"userId\" = :u AND status = 'PENDING'"
                ),
                {"u": uid},
            ).all()
            result = struggle.generate_predictions(s, uid, END, days_ahead=14)
        planned = {e["objectiveId"] for (objs,) in pending for e in objs}
        predicted = {p.objective.id for p in result.predictions}
        assert planned <= predicted
        assert all(0.0 < p.probability < 1.0 for p in result.predictions)
        # the cohort has no load readings, no profile and no recorded outcomes yet
        for p in result.predictions:
            assert {
                "cognitiveLoadIndicator",
                "contentTypeMismatch",
                "historicalStruggleScore",
            } <= p.features.unknown
            studied = "retentionScore" not in p.features.unknown
            assert studied or p.candidate.source != "weakest"
        struggles = set(truth["struggleObjectiveIds"])
        hit = [p.probability for p in result.predictions if p.objective.id in struggles]
        miss = [p.probability for p in result.predictions if p.objective.id not in struggles]
        if hit and miss:
            # the rule baseline ranks the learner's true struggles higher on average
            assert sum(hit) / len(hit) > sum(miss) / len(miss)
    assert datetime.now(UTC) > END.replace(tzinfo=UTC)  # END is in the past: no clock leak
