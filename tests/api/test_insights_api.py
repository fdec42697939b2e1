"""The insights API: every route end to end on an analysed cohort, bad input naming the field."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.services.insights.support import (
    END,
    count,
    insights_db,
    insights_module_db,
    learner,
)
from twin.analysis.common import naive_utc
from twin.api import app as app_module
from twin.db.engine import Database
from twin.services import auth

pytestmark = pytest.mark.db

__all__ = ["insights_db", "insights_module_db"]
NOW = naive_utc(END)


@pytest.fixture
def api(insights_db: Database) -> Iterator[TestClient]:
    """The app with its clock (the one every route reads) at the cohort's END."""
    with TestClient(
        app_module.create_app(database=insights_db, clock=lambda: NOW),
        raise_server_exceptions=False,
    ) as c:
        yield c


@pytest.fixture
def key(insights_db: Database) -> dict[str, str]:
    with insights_db.session() as session:
        _row, k = auth.create_api_key(session, "insights-tests")
    return {"Authorization": f"Bearer {k}"}


def _fields(response: Any) -> list[str]:
    return [d["field"] for d in response.json()["error"]["details"]]


def _base(i: int = 0) -> str:
    return f"/v1/users/{learner(i)}"


def test_recommendations_apply_dismiss(
    api: TestClient, key: dict[str, str], insights_db: Database
) -> None:
    r = api.post(f"{_base()}/insights:refresh", headers=key)
    assert r.status_code == 200 and r.json()["recommendationsCreated"] >= 2
    recs = api.get(f"{_base()}/recommendations", headers=key).json()["recommendations"]
    assert recs and recs[0]["evidence"] and recs[0]["sources"]
    first, second = recs[0]["id"], recs[1]["id"]
    bad = api.post(
        f"{_base()}/recommendations/{first}:apply",
        json={"applicationType": "SOMETIMES"},
        headers=key,
    )
    assert bad.status_code == 422 and _fields(bad) == ["applicationType"]
    assert count(insights_db, "applied_recommendations", learner(0)) == 0
    ok = api.post(
        f"{_base()}/recommendations/{first}:apply", json={"applicationType": "MANUAL"}, headers=key
    )
    assert ok.status_code == 200 and ok.json()["outcome"]["baseline"]["n"] >= 0
    gone = api.post(f"{_base()}/recommendations/{second}:dismiss", headers=key)
    assert gone.status_code == 200 and gone.json()["status"] == "DISMISSED"
    again = api.post(
        f"{_base()}/recommendations/{second}:apply", json={"applicationType": "AUTO"}, headers=key
    )
    assert again.status_code == 409 and _fields(again) == ["recommendationId"]
    other = api.post(
        f"{_base(1)}/recommendations/{first}:apply", json={"applicationType": "AUTO"}, headers=key
    )
    assert other.status_code == 404
    assert (
        api.get(f"{_base()}/recommendations?status=DISMISSED", headers=key).json()[
            "recommendations"
        ][0]["id"]
        == second
    )
    assert api.get(f"{_base()}/recommendations?status=NOPE", headers=key).status_code == 422


def test_learner_token_cannot_touch_another_learner(api: TestClient, insights_db: Database) -> None:
    from twin.clock import utcnow
    from twin.config import load_settings

    with insights_db.session() as session:
        secret = auth.token_secret(session, load_settings().secret_key)
    token, _ = auth.issue_learner_token(secret, learner(0), 600, utcnow())
    h = {"Authorization": f"Bearer {token}"}
    assert api.get(f"{_base()}/dashboard", headers=h).status_code == 200
    assert api.get(f"{_base(1)}/dashboard", headers=h).status_code == 403


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {
                "goalType": "CUSTOM",
                "targetMetric": "sessionsPerWeek",
                "targetValue": 5,
                "deadline": (END - timedelta(days=1)).isoformat(),
            },
            "deadline",
        ),
        (
            {
                "goalType": "CUSTOM",
                "targetMetric": "sessionsPerWeek",
                "targetValue": 5,
                "deadline": (END + timedelta(days=95)).isoformat(),
            },
            "deadline",
        ),
        (
            {"goalType": "CUSTOM", "targetMetric": "sessionsPerWeek", "targetValue": 0},
            "targetValue",
        ),
        (
            {"goalType": "CUSTOM", "targetMetric": "sessionsPerWeek", "targetValue": "5"},
            "targetValue",
        ),
        ({"goalType": "WORLD_PEACE", "targetValue": 5}, "goalType"),
        ({"goalType": "CUSTOM", "targetMetric": "vibes", "targetValue": 5}, "targetMetric"),
        (
            {"goalType": "CUSTOM", "targetMetric": "sessionsPerWeek", "targetValue": 5, "extra": 1},
            "extra",
        ),
    ],
)
def test_bad_goals_are_422_naming_the_field(
    api: TestClient, key: dict[str, str], insights_db: Database, body: dict[str, Any], field: str
) -> None:
    r = api.post(f"{_base()}/goals", json=body, headers=key)
    assert r.status_code == 422 and field in _fields(r), r.json()
    assert count(insights_db, "behavioral_goals", learner(0)) == 0


def test_goals_round_trip(api: TestClient, key: dict[str, str]) -> None:
    suggestions = api.get(f"{_base()}/goals/suggestions", headers=key)
    assert suggestions.status_code == 200 and len(suggestions.json()["suggestions"]) <= 3
    made = api.post(
        f"{_base()}/goals",
        json={
            "goalType": "CUSTOM",
            "targetMetric": "sessionsPerWeek",
            "targetValue": 9,
            "title": "Nine a week",
        },
        headers=key,
    )
    assert made.status_code == 201, made.json()
    goal = made.json()
    assert goal["history"][0]["note"] == "created" and goal["status"] == "ACTIVE"
    listed = api.get(f"{_base()}/goals?status=ACTIVE", headers=key).json()["goals"]
    assert [g["id"] for g in listed] == [goal["id"]]
    assert api.get(f"{_base()}/goals/{goal['id']}", headers=key).json()["history"]
    assert api.patch(f"{_base()}/goals/{goal['id']}", json={}, headers=key).status_code == 422
    renamed = api.patch(f"{_base()}/goals/{goal['id']}", json={"title": "Nine!"}, headers=key)
    assert renamed.json()["title"] == "Nine!"
    dropped = api.patch(f"{_base()}/goals/{goal['id']}", json={"status": "ABANDONED"}, headers=key)
    assert dropped.json()["status"] == "ABANDONED"
    assert (
        api.patch(
            f"{_base()}/goals/{goal['id']}", json={"status": "ABANDONED"}, headers=key
        ).status_code
        == 409
    )
    assert api.get(f"{_base()}/goals/nope", headers=key).status_code == 404


def test_notifications_read_and_read_all(api: TestClient, key: dict[str, str]) -> None:
    api.post(f"{_base()}/insights:refresh", headers=key)
    page = api.get(f"{_base()}/notifications?unread=true", headers=key).json()
    assert page["unread"] == len(page["notifications"]) > 0
    first = page["notifications"][0]["id"]
    read = api.post(f"{_base()}/notifications/{first}:read", headers=key)
    assert read.status_code == 200 and read.json()["readAt"]
    assert api.get(f"{_base()}/notifications", headers=key).json()["unread"] == page["unread"] - 1
    assert (
        api.post(f"{_base()}/notifications:readAll", headers=key).json()["markedRead"]
        == page["unread"] - 1
    )
    assert (
        api.get(f"{_base()}/notifications?unread=true", headers=key).json()["notifications"] == []
    )


def test_score_correlation_evolution_progress_exam(api: TestClient, key: dict[str, str]) -> None:
    api.post(f"{_base()}/insights:refresh", headers=key)
    s = api.get(f"{_base()}/behavioral-score?weeks=12", headers=key).json()
    assert (
        len(s["weeks"]) == 12
        and s["latest"]["complete"]
        and set(s["weights"])
        == {"consistency", "quality", "completion", "insightApplication", "retention"}
    )
    c = api.get(f"{_base()}/academic-correlation?weeks=12", headers=key).json()
    assert "causation" in c["caveat"]
    assert (c["correlation"] is None) != (c["insufficient"] is None)
    assert api.get(f"{_base()}/academic-correlation?weeks=4", headers=key).status_code == 422
    e = api.get(f"{_base()}/patterns/evolution?weeks=12", headers=key).json()
    assert len(e["weeks"]) == 1 and e["weeks"][0]["new"]
    p = api.get(f"{_base()}/progress?compareWeeks=4", headers=key).json()
    assert p.get("progress", {}).get("compareWeeks") == 4, p
    assert api.get(f"{_base()}/progress?compareWeeks=3", headers=key).status_code == 422
    ex = api.post(
        f"{_base()}/exam-results", json={"score": 81.5, "takenAt": END.isoformat()}, headers=key
    )
    assert ex.status_code == 201 and ex.json()["score"] == 81.5
    assert (
        api.post(
            f"{_base()}/exam-results", json={"score": 101, "takenAt": END.isoformat()}, headers=key
        ).status_code
        == 422
    )


def test_articles_read_personalized_and_feedback(api: TestClient, key: dict[str, str]) -> None:
    catalogue = api.get("/v1/articles", headers=key).json()["articles"]
    assert len(catalogue) >= 5
    slug = "spaced-repetition-and-the-forgetting-curve"
    assert (
        api.post(
            f"{_base()}/articles/{slug}:feedback", json={"helpful": True}, headers=key
        ).status_code
        == 404
    )
    art = api.get(f"{_base()}/articles/{slug}", headers=key)
    assert art.status_code == 200
    body = art.json()
    assert body["personalized"] and body["yourData"] and body["references"]
    assert "{{" not in body["markdown"]
    mine = api.get(f"{_base()}/articles", headers=key).json()
    assert any(a["slug"] == slug and a["readAt"] for a in mine["articles"])
    assert (
        api.post(f"{_base()}/articles/{slug}:feedback", json={"rating": 6}, headers=key).status_code
        == 422
    )
    assert (
        api.post(
            f"{_base()}/articles/{slug}:feedback", json={"rating": "5"}, headers=key
        ).status_code
        == 422
    )
    assert api.post(f"{_base()}/articles/{slug}:feedback", json={}, headers=key).status_code == 422
    fb = api.post(
        f"{_base()}/articles/{slug}:feedback", json={"helpful": True, "rating": 4}, headers=key
    )
    assert fb.status_code == 200 and fb.json()["rating"] == 4
    assert api.get(f"{_base()}/articles/no-such-article", headers=key).status_code == 404


def test_dashboard_in_one_call(api: TestClient, key: dict[str, str], insights_db: Database) -> None:
    api.post(f"{_base()}/insights:refresh", headers=key)
    goal = api.post(
        f"{_base()}/goals",
        json={"goalType": "CUSTOM", "targetMetric": "sessionsPerWeek", "targetValue": 9},
        headers=key,
    ).json()
    # A pending struggle prediction (the cohort has none): the dashboard's top predictions.
    with insights_db.engine.begin() as conn:
        conn.execute(
            sa.text(
                'INSERT INTO struggle_predictions (id, "userId", "learningObjectiveId", '
                '"predictedStruggleProbability", "predictionConfidence", "strugglingFactors") '
                "SELECT 'dash-pred', :u, id, 0.83, 0.7, '[]'::jsonb "
                "FROM learning_objectives ORDER BY id LIMIT 1"
            ),
            {"u": learner(0)},
        )
    try:
        d = api.get(f"{_base()}/dashboard", headers=key)
    finally:
        with insights_db.engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM struggle_predictions WHERE id = 'dash-pred'"))
    assert d.status_code == 200
    body = d.json()
    assert [g["id"] for g in body["goals"]] == [goal["id"]]
    assert [(p["predictionId"], p["probability"]) for p in body["predictions"]] == [
        ("dash-pred", 0.83)
    ]
    assert body["score"] is not None and body["recommendations"]
    cards = {c["name"]: c for c in body["cards"]}
    assert set(cards) == {
        "score",
        "consistency",
        "quality",
        "completion",
        "insightApplication",
        "retention",
    }
    assert len(cards["score"]["sparkline"]) == 4
    assert (
        body["unreadNotifications"] == len(body["notifications"]) or body["unreadNotifications"] > 5
    )
    assert body["load"] is not None and body["burnout"] is not None


def test_clear_needs_the_confirmation(
    api: TestClient, key: dict[str, str], insights_db: Database
) -> None:
    api.post(f"{_base()}/insights:refresh", headers=key)
    patterns = count(insights_db, "behavioral_patterns", learner(0))
    for body in (None, {}, {"confirm": False}, {"confirm": "true"}):
        r = api.request("DELETE", f"{_base()}/insights", json=body, headers=key)
        assert r.status_code == 422, body
        assert "confirm" in _fields(r) or _fields(r) == ["body"]
    assert count(insights_db, "behavioral_patterns", learner(0)) == patterns > 0
    ok = api.request("DELETE", f"{_base()}/insights", json={"confirm": True}, headers=key)
    assert ok.status_code == 200 and ok.json()["deleted"]["behavioral_patterns"] == patterns
    assert count(insights_db, "study_sessions", learner(0)) > 0


def test_analysis_off_is_403(api: TestClient, key: dict[str, str]) -> None:
    assert (
        api.patch(
            f"{_base(2)}/privacy", json={"behavioralAnalysisEnabled": False}, headers=key
        ).status_code
        == 200
    )
    for path in ("dashboard", "recommendations", "goals", "behavioral-score", "progress"):
        assert api.get(f"{_base(2)}/{path}", headers=key).status_code == 403, path
    assert api.get("/v1/users/nobody/dashboard", headers=key).status_code == 404
