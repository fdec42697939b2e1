"""The dashboard over HTTP (in-process): sign-in, sessions, CSRF, isolation, escaping, forms.

Learners here have no study data, so these tests also show that every page renders its
empty state; the browser tests (test_browser.py) use a simulated learner with 8 weeks.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.ui.conftest import XSS_NAME
from twin.api.app import create_app
from twin.clock import utcnow
from twin.config import load_settings
from twin.db.engine import Database
from twin.learners import analysis_learner
from twin.services import auth
from twin.services import cognitive as cognitive_service
from twin.services import learners as users_service
from twin.ui.web import CONTENT_SECURITY_POLICY, plotly_path, plotly_url, static_url

pytestmark = pytest.mark.db  # every test here uses PostgreSQL

LEARNER = "ada"
OTHER = "bob"
LEARNER_PAGES = (
    "",
    "/patterns",
    "/health",
    "/struggles",
    "/insights",
    "/progress",
    "/schedule",
    "/schedule/settings",
    "/personalization",
    "/learn",
    "/privacy",
)
OPERATOR_PAGES = ("/high-risk", "/learners", "/models", "/experiments", "/cohorts")
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')
INLINE_SCRIPT_RE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)


@pytest.fixture
def learners(db: Database) -> Database:
    with db.session() as s:
        users_service.upsert_user(s, LEARNER, {"name": XSS_NAME, "timezone": "Europe/Berlin"})
        users_service.upsert_user(s, OTHER, {"name": "Bob"})
    return db


def token_for(
    db: Database, uid: str, *, ttl: int = 600, issued_ago: timedelta = timedelta()
) -> str:
    with db.session() as s:
        secret = auth.token_secret(s, load_settings().secret_key)
    token, _exp = auth.issue_learner_token(secret, uid, ttl, utcnow() - issued_ago)
    return token


@pytest.fixture
def browser_client(learners: Database) -> Iterator[TestClient]:
    with TestClient(
        create_app(database=learners), follow_redirects=False, raise_server_exceptions=False
    ) as c:
        yield c


def sign_in(client: TestClient, db: Database, uid: str = LEARNER) -> None:
    r = client.get("/ui/signin", params={"token": token_for(db, uid)})
    assert r.status_code == 303 and r.headers["location"] == "/ui/welcome"


def csrf_of(client: TestClient, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    match = CSRF_RE.search(page.text)
    assert match is not None, "the page has no form with a CSRF token"
    return match.group(1)


def test_link_becomes_a_strict_httponly_cookie_and_leaves_the_url(
    browser_client: TestClient, learners: Database
) -> None:
    token = token_for(learners, LEARNER)
    r = browser_client.get("/ui/signin", params={"token": token})
    assert r.status_code == 303
    assert r.headers["location"] == "/ui/welcome"  # no token in the next address
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("twin_ui_session=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/ui" in cookie
    welcome = browser_client.get("/ui/welcome")
    assert '<meta http-equiv="refresh" content="0;url=/ui">' in welcome.text
    assert token not in welcome.text
    home = browser_client.get("/ui")
    assert home.status_code == 303 and home.headers["location"] == f"/ui/learners/{LEARNER}"


def test_every_learner_page_renders_escaped_with_the_security_headers(
    browser_client: TestClient, learners: Database
) -> None:
    sign_in(browser_client, learners)
    for page in LEARNER_PAGES:
        r = browser_client.get(f"/ui/learners/{LEARNER}{page}")
        assert r.status_code == 200, (page, r.text[:300])
        assert r.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert "script-src 'self'" in CONTENT_SECURITY_POLICY
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert r.headers["cache-control"] == "no-store"
        # The learner's name is text, never markup; no inline script anywhere.
        assert "<script>window.__pwned" not in r.text
        assert (
            "&lt;script&gt;window.__pwned=1&lt;/script&gt;Ada &lt;b&gt;Lovelace&lt;/b&gt;" in r.text
        )
        assert INLINE_SCRIPT_RE.search(r.text) is None, page
    overview = browser_client.get(f"/ui/learners/{LEARNER}").text
    assert "No load reading yet" in overview  # the empty state, not an error


def test_a_learner_sees_neither_another_learner_nor_operator_pages(
    browser_client: TestClient, learners: Database
) -> None:
    sign_in(browser_client, learners)
    csrf = csrf_of(browser_client, f"/ui/learners/{LEARNER}/privacy")
    for path in (
        f"/ui/learners/{OTHER}",
        f"/ui/learners/{OTHER}/privacy",
        "/ui/operator/high-risk",
    ):
        r = browser_client.get(path)
        assert r.status_code == 403, path
        assert "text/html" in r.headers["content-type"]
    # A valid token of this session does not open another learner's forms either.
    r = browser_client.post(
        f"/ui/learners/{OTHER}/privacy",
        data={"csrf": csrf, "setting": "behavioralAnalysisEnabled", "value": "off"},
    )
    assert r.status_code == 403
    with learners.session() as s:
        assert users_service.get_user(s, OTHER).behavioralAnalysisEnabled is True


def test_forms_without_this_sessions_csrf_token_change_nothing(
    browser_client: TestClient, learners: Database
) -> None:
    sign_in(browser_client, learners, OTHER)
    foreign = csrf_of(browser_client, f"/ui/learners/{OTHER}/privacy")  # bob's session
    browser_client.cookies.clear()
    sign_in(browser_client, learners)
    for csrf in ("", "forged", foreign):
        r = browser_client.post(
            f"/ui/learners/{LEARNER}/privacy",
            data={"csrf": csrf, "setting": "behavioralAnalysisEnabled", "value": "off"},
        )
        assert r.status_code == 403, csrf
        assert "This form has expired" in r.text
    with learners.session() as s:
        assert users_service.get_user(s, LEARNER).behavioralAnalysisEnabled is True


def test_expired_forged_and_missing_sessions_go_to_a_clear_sign_in_page(
    browser_client: TestClient, learners: Database
) -> None:
    expired = token_for(learners, LEARNER, ttl=60, issued_ago=timedelta(hours=1))
    cases = {
        expired: ("expired", "Your session has ended"),
        expired[:-3] + "abc": ("invalid", "is not valid"),
        "tws_not-a-session.xyz": ("invalid", "is not valid"),
    }
    for cookie, (reason, message) in cases.items():
        browser_client.cookies.clear()
        browser_client.cookies.set("twin_ui_session", cookie, path="/ui")
        r = browser_client.get(f"/ui/learners/{LEARNER}/health")
        assert r.status_code == 303, cookie
        assert r.headers["location"] == f"/ui/signin?reason={reason}"
        assert 'twin_ui_session=""' in r.headers["set-cookie"]  # the stale cookie is dropped
        assert message in browser_client.get(r.headers["location"]).text
    browser_client.cookies.clear()
    r = browser_client.get(f"/ui/learners/{LEARNER}")
    assert r.headers["location"] == "/ui/signin?reason=required"
    # A bad or expired link says so on the sign-in page itself.
    for token in ("twl_garbage", expired, "twk_a-service-key"):
        page = browser_client.get("/ui/signin", params={"token": token})
        assert page.status_code == 401
        assert (
            "set-cookie" not in page.headers or "twin_ui_session=" not in page.headers["set-cookie"]
        )


def test_operator_sign_in_pages_and_revocation(
    browser_client: TestClient, learners: Database
) -> None:
    with learners.session() as s:
        _row, key = auth.create_api_key(s, "ops")
    csrf = csrf_of(browser_client, "/ui/signin")
    wrong = browser_client.post("/ui/signin", data={"key": "twk_wrong", "csrf": csrf})
    assert wrong.status_code == 401 and "not valid" in wrong.text
    no_csrf = browser_client.post("/ui/signin", data={"key": key, "csrf": ""})
    assert no_csrf.status_code == 403
    r = browser_client.post("/ui/signin", data={"key": key, "csrf": csrf})
    assert r.status_code == 303 and r.headers["location"] == "/ui/operator/high-risk"
    assert key not in r.headers["set-cookie"]  # the session holds the key's digest, not the key
    for page in OPERATOR_PAGES:
        assert browser_client.get(f"/ui/operator{page}").status_code == 200, page
    for page in LEARNER_PAGES:  # an operator may open every learner's pages
        assert browser_client.get(f"/ui/learners/{LEARNER}{page}").status_code == 200, page
    high_risk = browser_client.get("/ui/operator/high-risk", params={"min": 0.9}).text
    assert "No open prediction at or above this probability" in high_risk
    with learners.session() as s:
        auth.revoke_api_key(s, "ops", utcnow())
    browser_client.app.state.key_cache = auth.KeyCache()  # type: ignore[attr-defined]
    r = browser_client.get("/ui/operator/models")
    assert r.status_code == 303 and r.headers["location"] == "/ui/signin?reason=revoked"


def test_sign_out_forgets_the_session(browser_client: TestClient, learners: Database) -> None:
    sign_in(browser_client, learners)
    csrf = csrf_of(browser_client, f"/ui/learners/{LEARNER}")
    r = browser_client.post("/ui/signout", data={"csrf": csrf})
    assert r.status_code == 303 and r.headers["location"] == "/ui/signin?reason=signed-out"
    assert browser_client.get(f"/ui/learners/{LEARNER}").status_code == 303


def test_privacy_switch_off_deletes_derived_data_at_once(
    browser_client: TestClient, learners: Database
) -> None:
    with learners.session() as s:
        learner = analysis_learner(s, LEARNER)
        data = cognitive_service.ExplicitLoadData(
            latencies_ms=(900.0, 1200.0, 1500.0, 2000.0),
            correct=(True, False, True, False),
            pause_count=0,
            pause_seconds=0.0,
            performance_scores=(),
            duration_minutes=30.0,
            active_minutes=None,
            session_id=None,
            baseline_latency_ms=1000.0,
            optimal_session_minutes=None,
        )
        now = utcnow()
        cognitive_service.calculate_load(s, learner, data, timestamp=now, now=now, dry_run=False)
    sign_in(browser_client, learners)
    page = browser_client.get(f"/ui/learners/{LEARNER}/privacy").text
    assert "cognitive load metrics" in page
    csrf = CSRF_RE.search(page).group(1)  # type: ignore[union-attr]
    r = browser_client.post(
        f"/ui/learners/{LEARNER}/privacy",
        data={"csrf": csrf, "setting": "behavioralAnalysisEnabled", "value": "off"},
    )
    assert r.status_code == 303
    assert r.headers["location"] == f"/ui/learners/{LEARNER}/privacy?done=analysis-off"
    with learners.session() as s:
        assert sum(users_service.derived_data_counts(s, LEARNER).values()) == 0
        assert users_service.get_user(s, LEARNER).behavioralAnalysisEnabled is False
    after = browser_client.get(r.headers["location"]).text
    assert "Behavioural analysis is off. Everything the engine derived" in after
    assert "Nothing: no pattern, prediction" in after
    health = browser_client.get(f"/ui/learners/{LEARNER}/health").text
    assert "Behavioural analysis is off" in health


def test_export_and_erase_with_confirmation(browser_client: TestClient, learners: Database) -> None:
    sign_in(browser_client, learners)
    export = browser_client.get(f"/ui/learners/{LEARNER}/export")
    assert export.status_code == 200
    assert export.headers["content-disposition"] == 'attachment; filename="twin-export.json"'
    assert json.loads(export.text)["userId"] == LEARNER
    csrf = csrf_of(browser_client, f"/ui/learners/{LEARNER}/privacy")
    wrong = browser_client.post(
        f"/ui/learners/{LEARNER}/erase", data={"csrf": csrf, "confirm": "ad"}
    )
    assert wrong.status_code == 422 and "Nothing was erased" in wrong.text
    r = browser_client.post(
        f"/ui/learners/{LEARNER}/erase", data={"csrf": csrf, "confirm": LEARNER}
    )
    assert r.status_code == 303 and r.headers["location"] == "/ui/erased"
    assert 'twin_ui_session=""' in r.headers["set-cookie"]  # signed out at once
    with learners.session() as s:
        assert (
            s.execute(sa.text("SELECT count(*) FROM users WHERE id = :u"), {"u": LEARNER}).scalar()
            == 0
        )
    page = browser_client.get("/ui/erased")
    assert page.status_code == 200 and "has been erased" in page.text


def test_an_erased_learner_still_holding_a_session_is_told_and_signed_out(
    browser_client: TestClient, learners: Database
) -> None:
    """Erased elsewhere (the API, another browser) while this browser's token is still valid."""
    sign_in(browser_client, learners)
    csrf = csrf_of(browser_client, f"/ui/learners/{LEARNER}/privacy")  # a page left open
    held = browser_client.cookies.get("twin_ui_session")
    assert held is not None
    with learners.session() as s:
        users_service.erase_user(s, LEARNER)
    for path in (f"/ui/learners/{LEARNER}/health", f"/ui/learners/{LEARNER}", "/ui"):
        browser_client.cookies.set("twin_ui_session", held, path="/ui")  # still held elsewhere
        r = browser_client.get(path)
        assert r.status_code == 303 and r.headers["location"] == "/ui/erased", path
        assert 'twin_ui_session=""' in r.headers["set-cookie"], path  # the session is dropped
    page = browser_client.get("/ui/erased")
    assert page.status_code == 200
    assert "You are signed out" in page.text and "has been erased" in page.text
    # A form posted from a page opened before the erasure says the same, not 404.
    browser_client.cookies.set("twin_ui_session", held, path="/ui")
    r = browser_client.post(
        f"/ui/learners/{LEARNER}/privacy",
        data={"csrf": csrf, "setting": "shareAnonymizedPatterns", "value": "on"},
    )
    assert r.status_code == 303 and r.headers["location"] == "/ui/erased"
    # A learner who is still there and asks for something that is not gets a plain 404.
    browser_client.cookies.clear()
    sign_in(browser_client, learners, OTHER)
    csrf = csrf_of(browser_client, f"/ui/learners/{OTHER}/struggles")
    r = browser_client.post(
        f"/ui/learners/{OTHER}/predictions/no-such-prediction/feedback",
        data={"csrf": csrf, "actual": "yes"},
    )
    assert r.status_code == 404 and "Not found" in r.text


def operator_client(client: TestClient, db: Database) -> TestClient:
    with db.session() as s:
        _row, key = auth.create_api_key(s, f"ops-{len(client.cookies)}-{utcnow():%H%M%S%f}")
    csrf = csrf_of(client, "/ui/signin")
    r = client.post("/ui/signin", data={"key": key, "csrf": csrf})
    assert r.status_code == 303
    return client


def test_operator_finds_a_learner_by_id_or_name_a_page_at_a_time(
    browser_client: TestClient, learners: Database
) -> None:
    with learners.session() as s:
        for i in range(30):
            users_service.upsert_user(s, f"cohort-{i:02d}", {"name": f"Member {i} of 50%_club"})
        users_service.upsert_user(s, "zed", {"name": "Ann Zedd"})
    operator_client(browser_client, learners)
    everyone = browser_client.get("/ui/operator/learners")
    assert everyone.status_code == 200
    # 33 learners by id, 25 a page: ada, bob, cohort-00 … cohort-22 on the first page.
    assert everyone.text.count("<tr>") == 1 + 25
    assert "cohort-22" in everyone.text and "cohort-23" not in everyone.text
    assert "&lt;script&gt;window.__pwned" in everyone.text  # names are text, not markup
    nxt = re.search(r'href="(/ui/operator/learners\?[^"]*cursor=[^"]+)" rel="next"', everyone.text)
    assert nxt is not None
    second = browser_client.get(nxt.group(1).replace("&amp;", "&")).text
    assert "cohort-23" in second and "zed" in second and 'rel="next"' not in second
    # By part of a name, any case: "ZEDD" finds Ann Zedd only.
    by_name = browser_client.get("/ui/operator/learners", params={"q": "ZEDD"}).text
    assert "Ann Zedd" in by_name and by_name.count("<tr>") == 1 + 1
    # By exact id: the learner is offered first even when others contain the same text.
    exact = browser_client.get("/ui/operator/learners", params={"q": "cohort-1"}).text
    assert "Learner with exactly this id" not in exact  # there is no learner "cohort-1"
    assert exact.count("<tr>") == 1 + 10  # cohort-10 … cohort-19
    bob = browser_client.get("/ui/operator/learners", params={"q": "bob"}).text
    assert 'Learner with exactly this id: <a href="/ui/learners/bob">Bob</a>' in bob
    # % and _ are searched as themselves, not as wildcards: "0%_" is in every cohort name.
    literal = browser_client.get("/ui/operator/learners", params={"q": "50%_c"}).text
    assert literal.count("<tr>") == 1 + 25 and "Ann Zedd" not in literal
    assert "Ann Zedd" not in browser_client.get("/ui/operator/learners", params={"q": "A_n"}).text
    none = browser_client.get("/ui/operator/learners", params={"q": "nobody-like-this"}).text
    assert "No learner whose id or name contains “nobody-like-this”" in none
    # Learners cannot list learners.
    browser_client.cookies.clear()
    sign_in(browser_client, learners)
    assert browser_client.get("/ui/operator/learners").status_code == 403


def test_plotly_is_loaded_by_chart_pages_only_and_kept_compiled_by_the_others(
    browser_client: TestClient, learners: Database
) -> None:
    script = f'<script src="{plotly_url()}" defer></script>'
    warm = f'<script src="{static_url("warm.js")}" data-plotly="{plotly_url()}" defer></script>'
    signin = browser_client.get("/ui/signin").text
    assert script not in signin and warm not in signin  # signed out: neither
    sign_in(browser_client, learners)
    overview = browser_client.get(f"/ui/learners/{LEARNER}").text
    assert script not in overview and warm in overview
    health = browser_client.get(f"/ui/learners/{LEARNER}/health").text
    assert script in health and warm not in health
    sw = browser_client.get("/ui/sw.js")
    assert sw.status_code == 200 and sw.headers["content-type"].startswith("text/javascript")
    assert sw.headers["cache-control"] == "no-cache"  # checked for updates, never stale
    assert "caches.open" in sw.text and "respondWith" in sw.text


def test_static_files_plotly_from_the_installed_package_and_html_errors(
    browser_client: TestClient, learners: Database
) -> None:
    js = browser_client.get(plotly_url(), headers={"accept-encoding": "identity"})
    assert js.status_code == 200
    assert js.content == plotly_path().read_bytes()
    assert "immutable" in js.headers["cache-control"]
    gz = browser_client.get(plotly_url(), headers={"accept-encoding": "gzip"})
    assert gz.headers["content-encoding"] == "gzip" and gz.content == js.content
    assert browser_client.get("/ui/static/x/../../etc/passwd").status_code == 404
    missing = browser_client.get("/ui/no/such/page")
    assert missing.status_code == 404 and "text/html" in missing.headers["content-type"]
    paths = browser_client.get("/openapi.json").json()["paths"]
    assert not [p for p in paths if p.startswith("/ui")]


def test_the_other_two_switches(browser_client: TestClient, learners: Database) -> None:
    sign_in(browser_client, learners)
    for setting, value, done in (
        ("shareAnonymizedPatterns", "on", "share-on"),
        ("learningStyleProfilingEnabled", "off", "style-off"),
        ("learningStyleProfilingEnabled", "on", "style-on"),
    ):
        csrf = csrf_of(browser_client, f"/ui/learners/{LEARNER}/privacy")
        r = browser_client.post(
            f"/ui/learners/{LEARNER}/privacy",
            data={"csrf": csrf, "setting": setting, "value": value},
        )
        assert r.headers["location"].endswith(f"?done={done}"), setting
        with learners.session() as s:
            assert getattr(users_service.get_user(s, LEARNER), setting) is (value == "on")
    csrf = csrf_of(browser_client, f"/ui/learners/{LEARNER}/privacy")
    bad = browser_client.post(
        f"/ui/learners/{LEARNER}/privacy", data={"csrf": csrf, "setting": "email", "value": "off"}
    )
    assert bad.status_code == 422 and "not one of the three privacy switches" in bad.text


def test_operator_high_risk_pages_through_every_row(db: Database) -> None:
    from tests.services.struggle.support import T, make_struggle_learner
    from twin.db.models import StrugglePrediction, User
    from twin.enums import PredictionStatus

    with db.session() as s:
        make_struggle_learner(s, "risky")
        s.get(User, "risky").name = XSS_NAME  # type: ignore[union-attr]
        for i in range(30):
            s.add(
                StrugglePrediction(
                    id=f"hr-{i:02d}",
                    userId="risky",
                    learningObjectiveId="risky-oT",
                    predictedStruggleProbability=0.7 + i / 100,
                    predictionConfidence=0.8,
                    predictionStatus=PredictionStatus.PENDING,
                    featureVector={},
                    strugglingFactors=[],
                    predictionDate=T + timedelta(hours=i),
                    predictedAt=T + timedelta(hours=i),
                )
            )
        _row, key = auth.create_api_key(s, "ops")
    with TestClient(create_app(database=db), follow_redirects=False) as client:
        csrf = csrf_of(client, "/ui/signin")
        assert client.post("/ui/signin", data={"key": key, "csrf": csrf}).status_code == 303
        first = client.get("/ui/operator/high-risk").text
        rows = re.findall(r'<a href="/ui/learners/risky/struggles">([^<]*)</a>', first)
        assert (
            len(rows) == 25
            and rows[0]
            == "&lt;script&gt;window.__pwned=1&lt;/script&gt;Ada &lt;b&gt;Lovelace&lt;/b&gt;"
        )
        assert "99%" in first  # the newest (hr-29, p = 0.99) comes first
        after = re.search(
            r'href="(/ui/operator/high-risk\?min=0.7&amp;cursor=[^"]+)" rel="next"', first
        )
        assert after is not None
        second = client.get(after.group(1).replace("&amp;", "&")).text
        assert len(re.findall(r"/ui/learners/risky/struggles", second)) == 5
        assert 'rel="next"' not in second and "First page" in second
        assert (
            client.get("/ui/operator/high-risk", params={"cursor": "garbage!"}).status_code == 422
        )


def test_schedule_forms_find_plan_cancel_upload_subscribe_and_remove(
    browser_client: TestClient, learners: Database
) -> None:
    """Every schedule action through the page, checked in the database and on the page."""
    from benchmarks.dashboard_speed import busy_calendar

    base = f"/ui/learners/{LEARNER}"
    sign_in(browser_client, learners)
    empty = browser_client.get(f"{base}/schedule").text
    assert "No open recommendation right now." in empty and "No calendar is connected" in empty
    assert "Nothing to show yet" in empty and "data-figure" not in empty
    # No accepted slot and no session: adherence is 0 of 0, the comparison says what it lacks.
    assert f"{base}/schedule/effectiveness" in empty
    helped = browser_client.get(f"{base}/schedule/effectiveness").text
    assert "0 accepted slots; 0 sessions in all." in helped
    assert "Session score: not enough sessions to compare yet" in helped
    csrf = CSRF_RE.search(empty).group(1)  # type: ignore[union-attr]

    # A calendar file: every day 12–14 busy, 17–19 tentative (Europe/Berlin, the learner's zone).
    upload = browser_client.post(
        f"{base}/calendar/upload",
        data={"csrf": csrf},
        files={"file": ("week.ics", busy_calendar(utcnow(), "Europe/Berlin"), "text/calendar")},
    )
    assert upload.status_code == 303, upload.text[:500]
    assert upload.headers["location"] == f"{base}/schedule?done=calendar-connected"
    with learners.session() as s:
        blocks = s.execute(
            sa.text('SELECT count(*) FROM calendar_busy_blocks WHERE "userId" = :u'),
            {"u": LEARNER},
        ).scalar()
    assert blocks and blocks >= 14  # two a day over the next 7 days at least
    page = browser_client.get(upload.headers["location"]).text
    assert "uploaded file" in page and "Your calendar is connected" in page
    assert "busy (tentative)" in page  # the week chart's table lists the blocks

    found = browser_client.post(f"{base}/schedule/recommend", data={"csrf": csrf})
    assert found.headers["location"] == f"{base}/schedule?done=recommended"
    page = browser_client.get(found.headers["location"]).text
    accept = re.search(rf'action="{base}/schedule/slots/([^/"]+)/accept"', page)
    assert accept is not None, "no slot offered"
    with learners.session() as s:
        start = s.execute(
            sa.text(
                "SELECT \"recommendedSchedule\"->>'start' FROM study_schedule_recommendations "
                "WHERE id = :i"
            ),
            {"i": accept.group(1)},
        ).scalar()
    local = datetime.fromisoformat(str(start)).astimezone(ZoneInfo("Europe/Berlin"))
    assert not (12 <= local.hour < 14), "a slot was offered in busy time"

    r = browser_client.post(f"{base}/schedule/slots/{accept.group(1)}/accept", data={"csrf": csrf})
    assert r.headers["location"] == f"{base}/schedule?done=slot-accepted"
    with learners.session() as s:
        plan_id, status = s.execute(
            sa.text(
                'SELECT "planId", status FROM planned_sessions WHERE "userId" = :u '
                'AND "slotId" = :s'
            ),
            {"u": LEARNER, "s": accept.group(1)},
        ).one()
    assert status == "PLANNED"
    page = browser_client.get(r.headers["location"]).text
    assert f"{base}/schedule/plans/{plan_id}/cancel" in page and "What you will study" in page

    r = browser_client.post(f"{base}/schedule/plans/{plan_id}/cancel", data={"csrf": csrf})
    assert r.headers["location"] == f"{base}/schedule?done=plan-cancelled"
    with learners.session() as s:
        status = s.execute(
            sa.text('SELECT status FROM planned_sessions WHERE "planId" = :p'), {"p": plan_id}
        ).scalar()
    assert status == "CANCELLED"

    feed = browser_client.post(f"{base}/schedule/feed", data={"csrf": csrf})
    assert feed.status_code == 200
    url = re.search(r'<code class="secret" id="feed-url">([^<]+)</code>', feed.text)
    assert url is not None and f"/v1/feeds/{LEARNER}/" in url.group(1)
    ics = browser_client.get(urlsplit(url.group(1)).path)
    assert ics.status_code == 200 and ics.text.startswith("BEGIN:VCALENDAR")

    # A loopback address is refused before anything is stored (the address rule).
    refused = browser_client.post(
        f"{base}/calendar", data={"csrf": csrf, "kind": "ics_url", "url": "http://127.0.0.1/x.ics"}
    )
    assert refused.status_code == 422 and "Check what you entered" in refused.text
    with learners.session() as s:
        kind = s.execute(
            sa.text('SELECT "calendarProvider" FROM calendar_integrations WHERE "userId" = :u'),
            {"u": LEARNER},
        ).scalar()
    assert kind == "ics_upload"  # the uploaded calendar is still the one

    gone = browser_client.post(f"{base}/calendar/disconnect", data={"csrf": csrf})
    assert gone.headers["location"] == f"{base}/schedule?done=calendar-removed"
    with learners.session() as s:
        assert not s.execute(
            sa.text('SELECT count(*) FROM calendar_busy_blocks WHERE "userId" = :u'),
            {"u": LEARNER},
        ).scalar()
    assert "No calendar is connected" in browser_client.get(gone.headers["location"]).text

    # Another learner's schedule cannot be changed, and a form without the token changes nothing.
    assert (
        browser_client.post(
            f"/ui/learners/{OTHER}/schedule/recommend", data={"csrf": csrf}
        ).status_code
        == 403
    )
    assert browser_client.post(f"{base}/calendar/disconnect", data={"csrf": "x"}).status_code == 403


def test_experiment_pages_are_for_operators_and_an_unknown_one_is_a_404(
    browser_client: TestClient, learners: Database
) -> None:
    sign_in(browser_client, learners)
    csrf = csrf_of(browser_client, f"/ui/learners/{LEARNER}")
    assert browser_client.get("/ui/operator/experiments").status_code == 403
    assert browser_client.get("/ui/operator/experiments/x1").status_code == 403
    stop = browser_client.post("/ui/operator/experiments/x1/stop", data={"csrf": csrf})
    assert stop.status_code == 403  # a learner session cannot stop an experiment
    with learners.session() as s:
        _row, key = auth.create_api_key(s, "ops-exp")
    operator = TestClient(browser_client.app, follow_redirects=False)
    signin_csrf = csrf_of(operator, "/ui/signin")
    operator.post("/ui/signin", data={"key": key, "csrf": signin_csrf})
    listed = operator.get("/ui/operator/experiments")
    assert listed.status_code == 200 and "No experiment has been defined yet" in listed.text
    missing = operator.get("/ui/operator/experiments/nope")
    assert missing.status_code == 404 and "nope" in missing.text


def test_insights_page_empty_state_and_a_bad_goal_names_its_field(
    browser_client: TestClient, learners: Database
) -> None:
    sign_in(browser_client, learners)
    page = browser_client.get(f"/ui/learners/{LEARNER}/insights").text
    assert "No open recommendation" in page and "No goal yet." in page
    assert "No notification." in page
    csrf = CSRF_RE.search(page).group(1)  # type: ignore[union-attr]
    bad = browser_client.post(
        f"/ui/learners/{LEARNER}/goals",
        data={"csrf": csrf, "goal_type": "SESSION_DURATION", "target_value": "lots"},
    )
    assert bad.status_code == 422 and "target_value" in bad.text
    unknown = browser_client.post(
        f"/ui/learners/{LEARNER}/goals", data={"csrf": csrf, "goal_type": "CUSTOM"}
    )
    assert unknown.status_code == 422 and "goal_type" in unknown.text
    with learners.session() as s:
        goals = s.execute(
            sa.text('SELECT count(*) FROM behavioral_goals WHERE "userId" = :u'), {"u": LEARNER}
        ).scalar()
    assert goals == 0  # nothing written


def test_personalization_page_shows_decisions_and_changes_the_level(
    browser_client: TestClient, learners: Database
) -> None:
    """The page shows each context's config in use and why; the level form goes through."""
    from twin.enums import PersonalizationContext
    from twin.services.personalization.decisions import apply_personalization

    base = f"/ui/learners/{LEARNER}"
    sign_in(browser_client, learners)
    empty = browser_client.get(f"{base}/personalization").text
    assert "Your personalization level: medium" in empty
    assert "Nothing personalized here yet" in empty and "Not enough sessions yet" in empty
    with learners.session() as s:
        applied = apply_personalization(
            s, LEARNER, PersonalizationContext.SESSION, {"durationMinutes": 50}, utcnow()
        )
    page = browser_client.get(f"{base}/personalization").text
    assert f"the <strong>{applied.strategy.replace('_', ' ').lower()}</strong> strategy" in page  # type: ignore[union-attr]
    assert "Settings in use for session" in page and "break every minutes" in page
    assert "Strategies tried for session" in page and "25%" in page  # four arms, none tried
    csrf = CSRF_RE.search(page).group(1)  # type: ignore[union-attr]
    bad = browser_client.post(f"{base}/personalization/level", data={"csrf": csrf, "level": "MAX"})
    assert bad.status_code == 422
    changed = browser_client.post(
        f"{base}/personalization/level", data={"csrf": csrf, "level": "LOW"}
    )
    assert changed.status_code == 303
    assert changed.headers["location"] == f"{base}/personalization?done=level-changed"
    with learners.session() as s:
        level = s.execute(
            sa.text(
                'SELECT "personalizationLevel"::text FROM personalization_preferences '
                'WHERE "userId" = :u'
            ),
            {"u": LEARNER},
        ).scalar()
    assert level == "LOW"
    after = browser_client.get(changed.headers["location"]).text
    assert "Your personalization level: low" in after and "level is changed" in after


def test_goal_rename_and_abandon_show_their_errors_on_the_form(
    browser_client: TestClient, learners: Database
) -> None:
    base = f"/ui/learners/{LEARNER}"
    sign_in(browser_client, learners)
    csrf = csrf_of(browser_client, f"{base}/insights")
    deadline = (utcnow() + timedelta(days=30)).date().isoformat()
    made = browser_client.post(
        f"{base}/goals",
        data={
            "csrf": csrf,
            "goal_type": "SESSION_DURATION",
            "target_value": "0.8",
            "deadline": deadline,
            "title": "Longer sessions",
        },
    )
    assert made.status_code == 303, made.text.split("<main", 1)[-1][:800]

    def goal() -> tuple[str, str, str]:
        with learners.session() as s:
            row = s.execute(
                sa.text('SELECT id, title, status::text FROM behavioral_goals WHERE "userId" = :u'),
                {"u": LEARNER},
            ).one()
        return row[0], row[1], row[2]

    goal_id, _title, _status = goal()
    blank = browser_client.post(f"{base}/goals/{goal_id}/edit", data={"csrf": csrf, "title": "  "})
    assert blank.status_code == 422
    # The page again, the message next to the goal's form, the field marked invalid.
    assert 'class="form-error" role="alert"' in blank.text and "title" in blank.text
    assert 'aria-invalid="true"' in blank.text and "Your goals" in blank.text
    assert goal() == (goal_id, "Longer sessions", "ACTIVE")  # nothing written
    renamed = browser_client.post(
        f"{base}/goals/{goal_id}/edit", data={"csrf": csrf, "title": "Focus <b>longer</b>"}
    )
    assert renamed.headers["location"] == f"{base}/insights?done=goal-renamed"
    assert goal() == (goal_id, "Focus <b>longer</b>", "ACTIVE")
    page = browser_client.get(renamed.headers["location"]).text
    assert "Focus &lt;b&gt;longer&lt;/b&gt;" in page and "title is changed" in page
    dropped = browser_client.post(f"{base}/goals/{goal_id}/abandon", data={"csrf": csrf})
    assert dropped.headers["location"] == f"{base}/insights?done=goal-abandoned"
    assert goal()[2] == "ABANDONED"
    again = browser_client.post(f"{base}/goals/{goal_id}/abandon", data={"csrf": csrf})
    assert again.status_code == 409 and "only an ACTIVE goal can be abandoned" in again.text
    forged = browser_client.post(f"{base}/goals/{goal_id}/edit", data={"title": "x"})
    assert forged.status_code == 403 and goal()[1] == "Focus <b>longer</b>"


def test_study_windows_and_feed_link_revocation(
    browser_client: TestClient, learners: Database
) -> None:
    base = f"/ui/learners/{LEARNER}"
    sign_in(browser_client, learners)
    page = browser_client.get(f"{base}/schedule/settings")
    assert page.status_code == 200 and "No subscription link yet" in page.text
    csrf = CSRF_RE.search(page.text).group(1)  # type: ignore[union-attr]

    def windows() -> list[dict[str, object]]:
        with learners.session() as s:
            found = s.execute(
                sa.text('SELECT windows FROM schedule_preferences WHERE "userId" = :u'),
                {"u": LEARNER},
            ).scalar()
        return list(found or [])

    rows = {
        "csrf": csrf,
        "kind": ["PREFER", "AVOID", ""],
        "start": ["08:00", "22:00", ""],
        "end": ["10:30", "00:00", ""],
        "days": ["weekdays", "all", "all"],
        "label": ["mornings", "late", ""],
    }
    saved = browser_client.post(f"{base}/schedule/preferences", data=rows)
    assert saved.headers["location"] == f"{base}/schedule/settings?done=preferences-saved"
    stored = [(w["kind"], w["startMinute"], w["endMinute"], w["weekdays"]) for w in windows()]
    # 08:00 = minute 480, 10:30 = 630; an end of 00:00 is the day's end, minute 1440.
    assert stored == [("PREFER", 480, 630, [0, 1, 2, 3, 4]), ("AVOID", 1320, 1440, list(range(7)))]
    shown = browser_client.get(saved.headers["location"]).text
    assert 'value="mornings"' in shown and "study windows are saved" in shown
    backwards = {**rows, "start": ["10:00", "25:00", ""], "end": ["08:00", "23:00", ""]}
    bad = browser_client.post(f"{base}/schedule/preferences", data=backwards)
    assert bad.status_code == 422 and 'class="form-error" role="alert"' in bad.text
    assert "window 2: start: give a time HH:MM" in bad.text
    assert 'value="25:00"' in bad.text  # what was typed stays on the form
    bad = browser_client.post(
        f"{base}/schedule/preferences", data={**rows, "start": ["11:00", "22:00", ""]}
    )
    assert bad.status_code == 422 and "window 1" in bad.text and "startMinute" in bad.text
    assert len(windows()) == 2  # nothing written

    browser_client.post(f"{base}/schedule/feed", data={"csrf": csrf})
    listed = browser_client.get(f"{base}/schedule/settings").text
    token_id = re.search(r'/schedule/feed-tokens/([^/"]+)/revoke', listed).group(1)  # type: ignore[union-attr]
    revoked = browser_client.post(
        f"{base}/schedule/feed-tokens/{token_id}/revoke", data={"csrf": csrf}
    )
    assert revoked.headers["location"] == f"{base}/schedule/settings?done=feed-revoked"
    with learners.session() as s:
        at = s.execute(
            sa.text('SELECT "revokedAt" FROM calendar_feed_tokens WHERE id = :t'), {"t": token_id}
        ).scalar()
    assert at is not None
    after = browser_client.get(revoked.headers["location"]).text
    assert "/revoke" not in after and "revoked 20" in after
    other = browser_client.post(
        f"/ui/learners/{OTHER}/schedule/feed-tokens/{token_id}/revoke", data={"csrf": csrf}
    )
    assert other.status_code == 403


def test_operator_defines_an_experiment_with_errors_on_the_form(
    browser_client: TestClient, learners: Database
) -> None:
    operator = operator_client(browser_client, learners)
    csrf = csrf_of(operator, "/ui/operator/experiments")
    end = (utcnow() + timedelta(days=28)).date().isoformat()
    entered = {
        "csrf": csrf,
        "name": "Shorter missions <i>",
        "description": "Do shorter missions keep performance?",
        "context": "MISSION",
        "primary_metric": "performance",
        "control_name": "Control",
        "control_config": '{"durationFactor": 1.0}',
        "treatment_name": "Shorter",
        "treatment_config": '{"durationFactor": 0.8',
        "treatment_share": "50",
        "end_date": end,
        "min_participants": "20",
        "min_days": "14",
        "method": "sequential",
    }

    def experiments() -> list[tuple[str, str]]:
        with learners.session() as s:
            return [
                (r[0], r[1])
                for r in s.execute(
                    sa.text(
                        'SELECT "experimentName", status::text FROM personalization_experiments'
                    )
                )
            ]

    bad = operator.post("/ui/operator/experiments", data=entered)
    assert bad.status_code == 422 and "treatment_config: not JSON" in bad.text
    assert 'class="form-error" role="alert"' in bad.text
    assert 'value="Shorter missions &lt;i&gt;"' in bad.text  # what was typed stays, escaped
    assert experiments() == []
    made = operator.post(
        "/ui/operator/experiments", data={**entered, "treatment_config": '{"durationFactor": 0.8}'}
    )
    assert made.status_code == 303, made.text.split("<main", 1)[-1][:800]
    assert made.headers["location"].endswith("?done=experiment-created")
    assert [name for name, _status in experiments()] == ["Shorter missions <i>"]
    page = operator.get(made.headers["location"]).text
    assert "The experiment is defined" in page
    overlap = operator.post(
        "/ui/operator/experiments",
        data={**entered, "name": "Again", "treatment_config": '{"durationFactor": 0.7}'},
    )
    assert overlap.status_code == 409 and 'class="form-error"' in overlap.text
    assert len(experiments()) == 1
    sign_in(browser_client, learners)
    learner_csrf = csrf_of(browser_client, f"/ui/learners/{LEARNER}")
    refused = browser_client.post(
        "/ui/operator/experiments", data={**entered, "csrf": learner_csrf}
    )
    assert refused.status_code == 403 and len(experiments()) == 1


def test_cohort_page_shows_sharing_learners_only_above_the_minimum(
    browser_client: TestClient, learners: Database
) -> None:
    from tests.services.test_cohorts import OUTLIER, seed_cohort

    operator = operator_client(browser_client, learners)
    seed_cohort(learners, sharing=9, not_sharing=3)
    few = operator.get("/ui/operator/cohorts").text
    assert "<strong>9</strong> learners who chose to share" in few
    assert few.count("Not shown: too few sharing learners") == 5 and "data-figure" not in few
    seed_cohort(learners, sharing=3, not_sharing=0, seed=8, prefix="more")  # 12 sharing now
    page = operator.get("/ui/operator/cohorts").text
    assert "<strong>12</strong> learners who chose to share" in page
    assert page.count("data-figure=") == 5 and "Not shown" not in page
    assert "median" in page and "learners per range" in page  # each chart's text alternative
    assert "cohort-0" not in page and f"{OUTLIER:.0f}" not in page  # no id, no private value
