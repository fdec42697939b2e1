"""Personalization over HTTP on the real database: apply, outcomes and rewards (golden), feedback,
signals, preferences and reset, effectiveness, the decision log, evaluation, bad input, consent."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.conftest import PgServer
from tests.services.cognitive.support import make_learner
from twin.analysis.common import aware_utc
from twin.api import app as app_module
from twin.api.routers import personalization as personalization_router
from twin.clock import utcnow
from twin.db.engine import Database, create_db_engine
from twin.services import auth
from twin.services.personalization import outcomes as outcome_service

pytestmark = pytest.mark.db  # every test here uses PostgreSQL


@pytest.fixture(scope="module")
def db(pg_server: PgServer, template_db: str) -> Iterator[Database]:
    """One migrated database for the module: every test works on a learner of its own."""
    name = pg_server.create_database(template=template_db)
    database = Database(engine=create_db_engine(pg_server.url_for(name)))
    yield database
    database.close()
    pg_server.drop_database(name)


@pytest.fixture(scope="module")
def client(db: Database) -> Iterator[TestClient]:
    assert personalization_router.router in app_module.V1_ROUTERS
    with TestClient(app_module.create_app(database=db), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="module")
def headers(db: Database) -> dict[str, str]:
    with db.session() as session:
        _row, key = auth.create_api_key(session, "test-platform")
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def learner(db: Database, request: pytest.FixtureRequest) -> Callable[..., str]:
    def make(suffix: str = "", enabled: bool = True) -> str:
        uid = f"pz-{request.node.name[5:30]}{suffix}".replace("_", "-")
        with db.session() as session:
            make_learner(session, uid, enabled=enabled)
        return uid

    return make


def _count(db: Database, table: str, uid: str) -> int:
    with db.session() as session:
        return int(
            session.execute(
                sa.text(f'SELECT count(*) FROM {table} WHERE "userId" = :u'), {"u": uid}
            ).scalar_one()
        )


def _apply(client: TestClient, headers: dict[str, str], uid: str, **body: Any) -> Any:
    r = client.post(f"/v1/users/{uid}/personalization:apply", json=body, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_apply_logs_a_decision_with_its_propensity(
    client: TestClient, headers: dict[str, str], learner: Callable[..., str], db: Database
) -> None:
    uid = learner()
    body = _apply(client, headers, uid, context="SESSION", params={"durationMinutes": 50})
    assert body["personalized"] is True and body["decisionId"]
    d = body["decision"]
    # four arms, uniform priors, no data: each arm is the best with probability 1/4
    assert d["propensity"] == pytest.approx(0.25, abs=1e-6)
    assert sum(d["probabilities"].values()) == pytest.approx(1.0, abs=1e-6)
    assert body["strategy"] in d["probabilities"]
    assert body["parameters"]["durationMinutes"] >= 15
    assert _count(db, "personalization_configs", uid) == 4
    # confidenceScore is P(best) (the floor taken out of the decision's probabilities): with
    # four untried arms under the same prior, 1/4 each
    arms = client.get(f"/v1/users/{uid}/personalization/arms", headers=headers).json()["arms"]
    assert [a["confidence"] for a in arms] == pytest.approx([0.25] * 4, abs=1e-6)
    log = client.get(f"/v1/users/{uid}/personalization/decisions", headers=headers).json()
    assert [x["decisionId"] for x in log["decisions"]] == [body["decisionId"]]
    assert log["decisions"][0]["propensity"] == pytest.approx(d["propensity"])
    assert log["decisions"][0]["level"] == "MEDIUM"


def test_level_none_answers_defaults_and_logs_nothing(
    client: TestClient, headers: dict[str, str], learner: Callable[..., str], db: Database
) -> None:
    uid = learner()
    r = client.patch(
        f"/v1/users/{uid}/personalization/preferences",
        json={"personalizationLevel": "NONE"},
        headers=headers,
    )
    assert r.status_code == 200 and r.json()["level"] == "NONE"
    body = _apply(client, headers, uid, context="MISSION")
    assert body["personalized"] is False and body["decisionId"] is None
    assert body["parameters"] == body["defaults"]
    assert any("NONE" in reason for reason in body["reasons"])
    assert _count(db, "personalization_decisions", uid) == 0


def test_outcome_and_feedback_give_the_documented_reward(
    client: TestClient, headers: dict[str, str], learner: Callable[..., str]
) -> None:
    uid = learner()
    decision = _apply(client, headers, uid, context="MISSION")
    r = client.post(
        f"/v1/users/{uid}/personalization/outcomes",
        json={
            "decisionId": decision["decisionId"],
            "retention": 0.8,
            "performance": 70,
            "completion": 1.0,
        },
        headers=headers,
    )
    assert r.status_code == 201, r.text
    reward = r.json()["reward"]
    # No baseline yet: both gains neutral 0.5; no satisfaction, weights renormalised over 0.9:
    # (0.4·0.5 + 0.3·0.5 + 0.2·1.0) / 0.9 = 0.55 / 0.9 = 0.611111; answers carry the shared
    # Rounded type's 4 decimals: 0.6111 (the stored reward keeps every digit)
    assert reward["reward"] == round(0.55 / 0.9, 4)
    assert reward["armTimesSelected"] == 1
    assert reward["armAvgReward"] == round(0.55 / 0.9, 4)
    r = client.post(
        f"/v1/users/{uid}/personalization/feedback",
        json={"decisionId": decision["decisionId"], "helpful": True, "difficulty": "just_right"},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    # satisfaction 1 joins: 0.2 + 0.15 + 0.2 + 0.1·1 = 0.65; the arm moves by the change only
    assert r.json()["reward"] == pytest.approx(0.65, abs=1e-9)
    assert r.json()["armTimesSelected"] == 1
    assert r.json()["armAvgReward"] == pytest.approx(0.65, abs=1e-9)
    again = client.post(
        f"/v1/users/{uid}/personalization/feedback",
        json={"decisionId": decision["decisionId"], "helpful": False},
        headers=headers,
    )
    assert again.status_code == 409 and again.json()["error"]["details"]["field"] == "decisionId"
    twice = client.post(
        f"/v1/users/{uid}/personalization/outcomes",
        json={"decisionId": decision["decisionId"], "completion": 0.5},
        headers=headers,
    )
    assert twice.status_code == 409
    arms = client.get(
        f"/v1/users/{uid}/personalization/arms?context=MISSION", headers=headers
    ).json()["arms"]
    chosen = next(a for a in arms if a["strategy"] == decision["strategy"])
    assert chosen["timesSelected"] == 1 and chosen["totalReward"] == pytest.approx(0.65)
    assert sum(a["confidence"] for a in arms) == pytest.approx(1.0, abs=4 * 5e-5)  # 4 decimals


def test_skipped_mission_signal_scores_zero(
    client: TestClient, headers: dict[str, str], learner: Callable[..., str]
) -> None:
    uid = learner()
    decision = _apply(client, headers, uid, context="MISSION")
    r = client.post(
        f"/v1/users/{uid}/personalization/signals",
        json={"signal": "mission_skipped"},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    # a skipped mission: completion 0, nothing else measured, no feedback → reward 0 (reward.py)
    assert r.json()["decisionId"] == decision["decisionId"] and r.json()["reward"] == 0.0
    again = client.post(
        f"/v1/users/{uid}/personalization/signals",
        json={"signal": "mission_skipped"},
        headers=headers,
    )
    assert again.status_code == 409


def test_bad_input_names_the_field_and_writes_nothing(
    client: TestClient, headers: dict[str, str], learner: Callable[..., str], db: Database
) -> None:
    uid, other = learner(), learner("-b")
    url = f"/v1/users/{uid}/personalization:apply"
    cases: list[tuple[dict[str, Any], str]] = [
        ({"context": "LECTURE"}, "context"),
        ({"context": "MISSION", "params": {"durationMinutes": 500}}, "durationMinutes"),
        ({"context": "MISSION", "params": {"durationMinutes": "60"}}, "durationMinutes"),
        ({"context": "CONTENT", "params": {"startHour": 3}}, "startHour"),
        ({"context": "SESSION", "params": {"complexity": "HARDEST"}}, "complexity"),
        ({"context": "MISSION", "extra": 1}, "extra"),
    ]
    for body, field in cases:
        r = client.post(url, json=body, headers=headers)
        assert r.status_code == 422, (body, r.text)
        assert field in r.text, (body, r.text)
    assert _count(db, "personalization_decisions", uid) == 0
    assert _count(db, "personalization_configs", uid) == 0
    theirs = _apply(client, headers, other, context="MISSION")["decisionId"]
    r = client.post(
        f"/v1/users/{uid}/personalization/feedback",
        json={"decisionId": theirs, "helpful": True},
        headers=headers,
    )
    assert r.status_code == 404 and "decisionId" in r.text
    r = client.post(
        f"/v1/users/{uid}/personalization/feedback", json={"comment": "meh"}, headers=headers
    )
    assert r.status_code in (404, 422)
    r = client.patch(
        f"/v1/users/{uid}/personalization/preferences",
        json={"disabledFeatures": ["TELEPATHY"]},
        headers=headers,
    )
    assert r.status_code == 422 and "disabledFeatures" in r.text
    r = client.post(
        f"/v1/users/{uid}/personalization/outcomes",
        json={"context": "MISSION", "retention": 1.5},
        headers=headers,
    )
    assert r.status_code == 422 and "retention" in r.text
    assert _count(db, "personalization_outcomes", uid) == 0


def test_consent_off_is_403_but_preferences_stay_readable(
    client: TestClient, headers: dict[str, str], learner: Callable[..., str]
) -> None:
    uid = learner(enabled=False)
    r = client.post(
        f"/v1/users/{uid}/personalization:apply", json={"context": "MISSION"}, headers=headers
    )
    assert r.status_code == 403
    assert client.get(f"/v1/users/{uid}/personalization", headers=headers).status_code == 403
    r = client.get(f"/v1/users/{uid}/personalization/preferences", headers=headers)
    assert r.status_code == 200 and r.json()["stored"] is False
    assert (
        client.get("/v1/users/nobody-here/personalization/preferences", headers=headers).status_code
        == 404
    )


def test_preferences_pause_reset_and_settings_changed_back(
    client: TestClient, headers: dict[str, str], learner: Callable[..., str], db: Database
) -> None:
    uid = learner()
    decision = _apply(client, headers, uid, context="SESSION")
    until = aware_utc(utcnow() + timedelta(days=2)).isoformat()
    r = client.patch(
        f"/v1/users/{uid}/personalization/preferences",
        json={"sessionPersonalizationEnabled": False, "pausedUntil": until},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["paused"] is True and r.json()["sessionEnabled"] is False
    log = client.get(f"/v1/users/{uid}/personalization/decisions", headers=headers).json()
    assert log["decisions"][0]["decisionId"] == decision["decisionId"]
    assert log["decisions"][0]["signals"] == ["settings_changed_back"]
    # implicit "settings changed back" alone: satisfaction 0 is the reward (reward.py)
    assert log["decisions"][0]["reward"] == 0.0
    paused = _apply(client, headers, uid, context="MISSION")
    assert paused["personalized"] is False and any("paused" in x for x in paused["reasons"])
    r = client.patch(
        f"/v1/users/{uid}/personalization/preferences", json={"pausedUntil": None}, headers=headers
    )
    assert r.json()["paused"] is False and r.json()["pausedUntil"] is None
    r = client.post(f"/v1/users/{uid}/personalization:reset", headers=headers)
    assert r.status_code == 200
    assert r.json()["armsCleared"] == 4 and r.json()["preferences"]["sessionEnabled"] is True
    assert r.json()["preferences"]["lastResetAt"] is not None
    assert _count(db, "personalization_configs", uid) == 0
    assert _count(db, "personalization_decisions", uid) == 1  # the log stays


def test_effectiveness_insufficient_then_measured(
    client: TestClient, headers: dict[str, str], learner: Callable[..., str], db: Database
) -> None:
    uid = learner()
    r = client.get(f"/v1/users/{uid}/personalization/effectiveness", headers=headers)
    assert r.status_code == 200
    assert r.json()["result"] is None
    assert r.json()["insufficient"] == {"outcomes": {"have": 0, "need": 10}}  # shared shape
    now = utcnow()
    with db.session() as session:
        for i in range(12):  # baseline window: no personalization, lower scores
            outcome_service.record_outcome(
                session,
                uid,
                outcome_service.OutcomeIn(
                    context=outcome_service.PersonalizationContext.MISSION,
                    retention=0.6,
                    performance=55.0 + (i % 3),
                    completion=0.6,
                ),
                now - timedelta(days=40) + timedelta(days=i),
            )
    for _ in range(12):
        decision = _apply(client, headers, uid, context="MISSION")
        r = client.post(
            f"/v1/users/{uid}/personalization/outcomes",
            json={
                "decisionId": decision["decisionId"],
                "retention": 0.8,
                "performance": 75,
                "completion": 1.0,
            },
            headers=headers,
        )
        assert r.status_code == 201
    frm = aware_utc(now - timedelta(days=28)).isoformat()
    to = aware_utc(now + timedelta(minutes=1)).isoformat()
    r = client.get(
        f"/v1/users/{uid}/personalization/effectiveness",
        params={"from": frm, "to": to},
        headers=headers,
    )
    body = r.json()
    assert r.status_code == 200 and body["insufficient"] is None, body
    res = body["result"]
    assert res["sampleSize"] == 12 and res["baselineSize"] == 12
    assert res["retentionImprovement"] == pytest.approx(0.2, abs=1e-9)
    assert res["completionRateChange"] == pytest.approx(0.4, abs=1e-9)
    # retention +0.2 and completion +0.4 reach 1; performance 75 vs mean(55, 56, 57) = 56:
    # 0.5 + 19/40 = 0.975; no engagement, weights over 0.9:
    # 100·(0.4·1 + 0.3·0.975 + 0.2·1)/0.9 = 99.1667 → 99.17
    assert res["compositeScore"] == pytest.approx(99.17)
    assert res["isStatisticallySignificant"] is True
    overview = client.get(f"/v1/users/{uid}/personalization", headers=headers).json()
    mission = next(c for c in overview["contexts"] if c["context"] == "MISSION")
    assert mission["latest"]["decisionId"] == decision["decisionId"]
    assert sum(a["timesSelected"] for a in mission["arms"]) == 12
    assert overview["decisions"] == 12 and overview["rewarded"] == 12


def test_evaluation_needs_a_service_key(
    client: TestClient,
    headers: dict[str, str],
    learner: Callable[..., str],
    learner_headers: Callable[..., dict[str, str]],
) -> None:
    uid = learner()
    r = client.get(
        "/v1/personalization/evaluation",
        params={"context": "MISSION", "policy": "BALANCED"},
        headers=learner_headers(uid),
    )
    assert r.status_code == 403
    r = client.get(
        "/v1/personalization/evaluation",
        params={"context": "MISSION", "policy": "NOPE"},
        headers=headers,
    )
    assert r.status_code == 422 and "policy" in r.text
    r = client.get(
        "/v1/personalization/evaluation",
        params={"context": "ASSESSMENT", "policy": "UNIFORM", "userId": uid},
        headers=headers,
    )
    assert r.status_code == 200 and r.json()["insufficient"] == {
        "decisions": {"have": 0, "need": 10}
    }


def test_export_privacy_switch_and_erasure_cover_personalization(
    client: TestClient, headers: dict[str, str], learner: Callable[..., str], db: Database
) -> None:
    uid = learner()
    decision = _apply(client, headers, uid, context="MISSION")
    client.post(
        f"/v1/users/{uid}/personalization/outcomes",
        json={"decisionId": decision["decisionId"], "completion": 1.0},
        headers=headers,
    )
    client.post(
        f"/v1/users/{uid}/personalization/feedback",
        json={"helpful": True, "comment": "nice pacing"},
        headers=headers,
    )
    doc = client.get(f"/v1/users/{uid}/export", headers=headers).json()
    logged = doc["tables"]["personalization_decisions"]
    assert [d["id"] for d in logged] == [decision["decisionId"]]
    assert logged[0]["feedbackComment"] == "nice pacing" and logged[0]["reward"] is not None
    assert len(doc["tables"]["personalization_configs"]) == 4
    assert len(doc["tables"]["personalization_outcomes"]) == 1
    assert len(doc["tables"]["personalization_preferences"]) == 1
    # switching analysis off deletes what was inferred (arms, the decision log); outcomes stay
    r = client.patch(
        f"/v1/users/{uid}/privacy", json={"behavioralAnalysisEnabled": False}, headers=headers
    )
    assert r.status_code == 200, r.text
    assert _count(db, "personalization_decisions", uid) == 0
    assert _count(db, "personalization_configs", uid) == 0
    assert _count(db, "personalization_outcomes", uid) == 1
    assert client.delete(f"/v1/users/{uid}", headers=headers).status_code == 200
    for table in (
        "personalization_outcomes",
        "personalization_preferences",
        "personalization_decisions",
    ):
        assert _count(db, table, uid) == 0, table


def test_reads_take_as_of(
    client: TestClient, headers: dict[str, str], learner: Callable[..., str], db: Database
) -> None:
    """``asOf`` reads the decision log, the overview and effectiveness as they were then."""
    uid = learner()
    before = (utcnow() - timedelta(minutes=5)).isoformat() + "Z"
    body = _apply(client, headers, uid, context="MISSION")
    base = f"/v1/users/{uid}/personalization"
    now_log = client.get(f"{base}/decisions", headers=headers).json()["decisions"]
    assert [d["decisionId"] for d in now_log] == [body["decisionId"]]
    then = client.get(f"{base}/decisions", params={"asOf": before}, headers=headers)
    assert then.status_code == 200 and then.json()["decisions"] == []
    overview_then = client.get(base, params={"asOf": before}, headers=headers).json()
    assert overview_then["decisions"] == 0
    assert all(c["latest"] is None for c in overview_then["contexts"])
    assert client.get(base, headers=headers).json()["decisions"] == 1
    eff = client.get(f"{base}/effectiveness", params={"asOf": before}, headers=headers).json()
    assert eff["windowEnd"].startswith(before[:16])
    bad = client.get(f"{base}/decisions", params={"asOf": "yesterday"}, headers=headers)
    assert bad.status_code == 422 and "asOf" in bad.text
