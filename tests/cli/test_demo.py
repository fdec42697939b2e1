"""`twin demo` end to end on a fresh embedded server, and what it prints is what the API says.

The demo's world is now: its figures are computed as of the moment it starts, so the
API routes (and `twin health`) asked afterwards about the same learners answer the same
burnout level and score, latest load, pattern and insight counts, best study hours,
forgetting curve and prediction probabilities. This test runs the demo's set-up once
(the slowest test: db and slow tiers), parses its printout and asks the API.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.cli.test_messages import fits, single_word_runs
from twin.api.app import create_app
from twin.cli import app
from twin.cli.demo import REAL_LEARNER_ID, demo_banner, shared_data_file
from twin.clock import utcnow
from twin.config import load_settings
from twin.db.engine import Database, open_database
from twin.services import auth
from twin.services import learners as learners_service

pytestmark = pytest.mark.db  # every test here uses PostgreSQL

runner = CliRunner()
WIDE = 250  # no wrapping: one printed row per line
TWIN_ROW = re.compile(
    r"^│ (?P<user>\S+)\s+│\s+(?P<patterns>\d+) │\s+(?P<insights>\d+) │ (?P<hours>.+?)\s+│"
    r"\s+(?P<load>\S+) │ (?P<level>[A-Z]+) (?P<score>\d+)\s+│$"
)
RISKS_HEADING = re.compile(r"^struggle risks of (?P<user>\S+) · model (?P<model>\S+)")
RISK_ROW = re.compile(r"^\s*(?P<p>[01]\.\d\d) (?P<objective>.+?)\s*$")


def parse_twins(output: str) -> dict[str, dict[str, str]]:
    """The demo's twins table: learner → printed figures."""
    rows = {}
    for line in output.splitlines():
        match = TWIN_ROW.match(line.strip())
        if match:
            rows[match["user"]] = match.groupdict()
    return rows


def parse_risks(output: str) -> list[tuple[str, float, str]]:
    """The demo's printed predictions: (learner, probability, objective title)."""
    risks = []
    user = None
    for line in output.splitlines():
        heading = RISKS_HEADING.match(line.strip())
        if heading:
            user = heading["user"]
            continue
        row = RISK_ROW.match(line)
        if user is not None and row and not line.strip().startswith(("due ", "why")):
            risks.append((user, float(row["p"]), row["objective"]))
    return risks


def _curve(output: str) -> tuple[float, float] | None:
    match = re.search(r"R0 (\d\.\d\d), k (\d\.\d{3})/day", output)
    return None if match is None else (float(match[1]), float(match[2]))


def check_against_api(db: Database, output: str) -> None:
    """Every figure the demo printed is what the API answers now for the same learner."""
    twins = parse_twins(output)
    with db.engine.connect() as conn:
        learners = set(conn.execute(sa.text("SELECT id FROM users")).scalars())
    assert twins and set(twins) <= learners, twins
    with db.session() as session:
        _row, key = auth.create_api_key(session, "demo-agreement-test")
    headers = {"Authorization": f"Bearer {key}"}
    with TestClient(create_app(database=db)) as client:

        def get(path: str) -> dict:  # type: ignore[type-arg]
            answer = client.get(path, headers=headers)
            assert answer.status_code == 200, (path, answer.text)
            return answer.json()  # type: ignore[no-any-return]

        for user, row in twins.items():
            base = f"/v1/users/{user}"
            burnout = get(f"{base}/burnout-risk")
            assert (burnout["level"], round(burnout["riskScore"])) == (
                row["level"],
                int(row["score"]),
            ), user
            current = get(f"{base}/cognitive-load/current")["current"]
            printed_load = None if row["load"] == "—" else int(row["load"])
            assert (None if current is None else round(current["loadScore"])) == printed_load
            patterns = get(f"{base}/patterns?limit=100")["patterns"]
            assert len(patterns) == int(row["patterns"]), user
            assert len(get(f"{base}/insights")["insights"]) == int(row["insights"]), user
            profile = get(f"{base}/learning-profile")
            hours = [str(t.get("label", t.get("hour"))) for t in profile["preferredStudyTimes"]]
            assert (", ".join(hours[:2]) or "—") == row["hours"].strip(), user
            # The routes whose default window ends now see the demo's weeks (issue 15 found
            # an all-null heatmap, an empty load history and 0 sessions here).
            heatmap = get(f"{base}/study-time-heatmap")
            cells = [v for day in heatmap["meanPerformance"] for v in day if v is not None]
            assert heatmap["sessions"] > 0 and cells, user
            assert get(f"{base}/cognitive-load/history")["readings"] > 0, user
            assert get(f"{base}/stress-profile")["sessions"] > 0, user
            assert get(f"{base}/load-performance")["sessions"] > 0, user
        if REAL_LEARNER_ID in twins:
            curve = get(f"/v1/users/{REAL_LEARNER_ID}/learning-profile")[
                "personalizedForgettingCurve"
            ]
            printed = _curve(output)
            assert printed is not None
            assert printed == (round(curve["R0"], 2), round(curve["k"], 3))
        risks = parse_risks(output)
        at_risk = re.search(
            r"(\d+) at risk \(p > 0\.5\) for (\d+) learners", " ".join(output.split())
        )
        assert at_risk is not None
        assert bool(risks) == (int(at_risk[1]) > 0), risks
        for user, probability, objective in risks:
            listed = get(f"/v1/users/{user}/predictions?minProbability=0&limit=100")
            matching = [
                p
                for p in listed["predictions"]
                if p["objective"]["text"] in objective and p["status"] == "PENDING"
            ]
            assert matching, (user, objective)
            # printed with 2 decimals; the API rounds to 4
            assert abs(matching[0]["probability"] - probability) <= 0.005 + 1e-9, (user, objective)


@pytest.mark.db
@pytest.mark.slow
def test_demo_on_a_fresh_embedded_server_agrees_with_the_api(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir: Path = tmp_path_factory.mktemp("demo", numbered=True)
    monkeypatch.delenv("TWIN_DATABASE_URL", raising=False)
    monkeypatch.setenv("TWIN_DATA_DIR", str(data_dir))
    args = ["demo", "--no-serve", "--learners", "3", "--weeks", "3"]
    started = utcnow()
    result = runner.invoke(app, args, terminal_width=WIDE)
    assert result.exit_code == 0, result.output
    first = " ".join(result.output.split())  # the messages' wrapping undone
    assert "embedded PostgreSQL" in first
    # The verification is a one-sentence summary (the planner's sample on this first set-up).
    assert re.search(r"verify: \d+ checks, \d+ passed, 0 failed .* PASSED \(", first)
    assert "twin db verify" not in first  # no table without -v
    assert "simulated 3 learners × 3 weeks" in first
    # One learner's week: a simulated calendar uploaded, slots over it, one plan.
    assert "a learner's week" in first and "The week of" in first
    assert "busy blocks" in first and "Plan " in first
    assert "7. insights: recommendations, goals, score" in first
    assert "Behavioral score" in first and "Recommendations" in first
    assert "Goals" in first
    # The A/B experiment: a cohort assigned by the engine, measured, decided.
    assert "6. an A/B experiment" in first and "simulated learners" in first
    assert "verdict:" in first and "sample-ratio χ² p" in first
    # Personalization: one learner's arms and effectiveness after 8 adapted weeks.
    assert "8. personalization" in first and "strategy arms of" in first
    assert "UNIFORM on" in first
    has_log = shared_data_file("revlog_single_learner.csv") is not None
    if has_log:
        assert "12,580 reviews, 1,205 cards, 64 sessions" in first
    assert len(parse_twins(result.output)) == 3 + has_log

    settings = load_settings()
    db = open_database(settings)
    try:
        # The cohort's weeks and the real log end before the demo's now, and recently.
        with db.engine.connect() as conn:
            windows = conn.execute(
                sa.text(
                    "SELECT DISTINCT seed, traits->'window'->>'startDate', "
                    "(traits->'window'->>'weeks')::int FROM simulation_truth ORDER BY 1"
                )
            ).all()
            future = conn.execute(
                sa.text('SELECT count(*) FROM behavioral_events WHERE "timestamp" > :t'),
                {"t": started},
            ).scalar_one()
            real_last = conn.execute(
                sa.text('SELECT max("reviewedAt") FROM reviews WHERE "userId" = :u'),
                {"u": REAL_LEARNER_ID},
            ).scalar_one()
        assert future == 0
        # One window per cohort: the demo's (3 weeks here) and the experiment's (6 weeks);
        # both end within the last two days.
        assert [(seed, weeks) for seed, _start, weeks in windows] == [(42, 3), (1805, 6)]
        for _seed, start, weeks in windows:
            window_end = date.fromisoformat(start) + timedelta(weeks=weeks)
            ended = started - datetime.combine(window_end, time())
            assert timedelta(0) < ended < timedelta(days=2), windows
        if has_log:
            assert timedelta(0) < started - real_last < timedelta(days=1)
        check_against_api(db, result.output)
    finally:
        db.close()

    # `twin health` says what the demo said about the same learner.
    user, row = next(iter(parse_twins(result.output).items()))
    health = runner.invoke(app, ["health", user], terminal_width=WIDE)
    assert health.exit_code == 0, health.output
    assert f"burnout risk {row['score']}/100 {row['level']}" in health.output

    # The commands a newcomer tries next read at 80 columns: no line longer, no column
    # squeezed to one word per line.
    sim = next(u for u in parse_twins(result.output) if u != REAL_LEARNER_ID)
    for command in (
        ["analyze", user],
        ["analyze", sim],
        ["health", user],
        ["health", sim],
        ["predict", sim],
        ["schedule", sim],
        ["learners", "list", "--search", "sim42"],
        ["db", "verify"],
        ["model", "list"],
    ):
        narrow = runner.invoke(app, command, terminal_width=80)
        assert narrow.exit_code == 0, (command, narrow.output)
        assert fits(narrow.output) == [], command
        assert single_word_runs(narrow.output) == [], command

    # A second run today reuses the cohort, the log and the week of predictions.
    # This run is printed at 80 columns: every line fits, no column is squeezed to a
    # word per line, and the messages wrap between words (read back with it undone).
    again = runner.invoke(app, args, terminal_width=80)
    assert again.exit_code == 0, again.output
    assert fits(again.output) == [], fits(again.output)
    assert single_word_runs(again.output) == []
    said = " ".join(again.output.split())
    assert "3 learners × 3 weeks" in said and "already loaded" in said
    assert "the weekly predictions of the last weeks are already there" in said
    if has_log:
        assert "already imported" in said
    # … and shows the plan it accepted before instead of accepting another slot, the
    # experiment it defined, the goal it set.
    assert "the plan accepted by an earlier run is still ahead" in said
    assert re.search(r"experiment \S+ \(\S+ → \S+\) already there", said)
    assert re.search(
        r"set-up finished in [\d.]+ s \(database \d+ s, .* insights \d+ s, personalization \d+ s\)",
        said,
    )
    goal_set = "goal set from a suggestion" in first
    assert ("goal already set by an earlier run" in said) == goal_set
    db = open_database(load_settings())
    try:
        with db.engine.connect() as conn:
            plans = conn.execute(
                sa.text('SELECT "userId", count(*) FROM planned_sessions GROUP BY 1')
            ).all()
            goals = conn.execute(sa.text("SELECT count(*) FROM behavioral_goals")).scalar_one()
    finally:
        db.close()
    assert [count for _user, count in plans] == [1], plans
    assert goals == int(goal_set)
    status = runner.invoke(app, ["db", "status"])
    assert "stopped" in status.output  # the demo stopped the server it started


@pytest.mark.db
def test_the_demo_key_is_reused_by_name_and_revoked_when_the_demo_stops(
    db: Database, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import uvicorn

    import twin.jobs.worker
    from twin.cli.demo import DEMO_KEY_NAME, run_demo_server
    from twin.db.models import User

    class NoWorker:
        def stop(self) -> None:
            pass

    served: list[str] = []
    monkeypatch.setenv("TWIN_DATABASE_URL", db.url)
    monkeypatch.setattr(twin.jobs.worker, "start_worker_in_background", lambda url: NoWorker())

    # The server "runs" and stops at once (as after Ctrl-C); the key must work meanwhile.
    def serve(app: object, **kwargs: object) -> None:
        with db.session() as session:
            key = capsys.readouterr().out.split("revoked when the demo stops):\n")[1].split()[0]
            served.append(auth.authenticate_service_key(session, key).name)

    monkeypatch.setattr(uvicorn, "run", serve)
    with db.session() as session:
        session.add(User(id="someone", timezone="UTC"))
    for _ in range(2):
        run_demo_server("127.0.0.1", 8000)
    assert served == [DEMO_KEY_NAME, DEMO_KEY_NAME]
    with db.session() as session:
        keys = auth.list_api_keys(session)
    assert [(k.name, k.revokedAt is not None) for k in keys] == [(DEMO_KEY_NAME, True)]


BANNER_PORT = 8123  # only printed: nothing listens, the app is called in-process


def test_demo_banner_links_sign_in(db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    """The learner link signs the real learner in; the operator link opens the sign-in page,
    where the printed service key signs an operator in."""
    with db.session() as s:
        learners_service.upsert_user(s, "aaa-first-by-id", {"name": "Someone"})
        learners_service.upsert_user(s, REAL_LEARNER_ID, {"name": "The real log"})
    demo_banner(db, "127.0.0.1", BANNER_PORT)
    out = capsys.readouterr().out
    base = f"http://127.0.0.1:{BANNER_PORT}"
    links = re.findall(rf"^\s+({re.escape(base)}/ui/\S*)$", out, flags=re.MULTILINE)
    assert len(links) == 2, out
    learner_link, operator_link = links
    key = re.search(r"^\s+(twk_\S+)$", out, flags=re.MULTILINE)
    assert key is not None, out

    def path(url: str) -> str:
        parts = urlsplit(url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    with TestClient(create_app(database=db), follow_redirects=False) as browser:
        r = browser.get(path(learner_link))
        assert r.status_code == 303 and r.headers["location"] == "/ui/welcome"
        home = browser.get("/ui")  # where the welcome page moves on to
        assert home.headers["location"] == f"/ui/learners/{REAL_LEARNER_ID}"
        page = browser.get(home.headers["location"])
        assert page.status_code == 200 and "Hello, The real log" in page.text
    with TestClient(create_app(database=db), follow_redirects=False) as browser:
        assert path(operator_link) == "/ui/signin"
        signin = browser.get(path(operator_link))
        assert signin.status_code == 200 and "Sign in as operator" in signin.text
        csrf = re.search(r'name="csrf" value="([^"]+)"', signin.text)
        assert csrf is not None
        r = browser.post("/ui/signin", data={"key": key.group(1), "csrf": csrf.group(1)})
        assert r.status_code == 303 and r.headers["location"] == "/ui/operator/high-risk"
        assert browser.get("/ui/operator/high-risk").status_code == 200
