"""The review-log importer: parsing, sessions, all-or-nothing, skip_bad, the real log, the CLI."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from tests.analysis.recall import fsrs_reference
from tests.ingest.factory import fetch, row_counts, snapshot
from twin.cli.ingest import import_revlog_command
from twin.db.engine import Database
from twin.db.models import User
from twin.errors import ValidationFailed
from twin.ingest.revlog import (
    SESSION_GAP_MINUTES,
    RevlogRow,
    import_revlog,
    parse_revlog,
    plan_import,
)

SHARED_DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
REAL_LOG = SHARED_DATA / "revlog_single_learner.csv"
REAL_REVIEWS = 12_580
REAL_CARDS = 1_205
REAL_SESSIONS = 64  # 30-minute gaps between the end of a review and the next review
REAL_EVENTS = REAL_REVIEWS + 2 * REAL_SESSIONS

HEADER = "card_id,review_rating,review_time,review_duration\n"
GOOD_CSV = HEADER + (
    "100,3,2024-05-01T08:00:00+00:00,5000\n"
    "200,1,2024-05-01T08:01:00Z,7000\n"
    "100,3,2024-05-01T08:20:00Z,4000\n"  # 19 min after the previous end: same session
    "200,3,2024-05-01T09:00:01.500Z,3000\n"  # > 30 min later: new session
    "100,4,2024-05-03T20:00:00,2000\n"  # no offset: UTC by the format's definition
)
BAD_CSV = HEADER + (
    "100,3,2024-05-01T08:00:00Z,5000\n"
    "200,7,2024-05-01T08:01:00Z,7000\n"  # line 3: rating
    "300,3,yesterday,-4\n"  # line 4: time and duration
    "\n"
    "400,3,2024-05-01T08:03:00Z\n"  # line 6: a field short
    "1 00,2,2024-05-01T08:04:00Z,100\n"  # line 7: card id
    "100,3,2024-05-01T08:00:00Z,5000\n"  # line 8: duplicate of line 2
    "500,2,2024-05-01T08:05:00Z,86400001\n"  # line 9: duration over a day
)

_MINUTE = timedelta(minutes=1)


def test_parse_reports_every_bad_field_with_its_line() -> None:
    rows, problems = parse_revlog(io.StringIO(BAD_CSV, newline=""))
    assert [r.line for r in rows] == [2]
    assert [(p.line, p.field) for p in problems] == [
        (3, "review_rating"),
        (4, "review_time"),
        (4, "review_duration"),
        (6, "row"),
        (7, "card_id"),
        (8, "review_time"),
        (9, "review_duration"),
    ]
    assert "line 2" in problems[5].reason


@pytest.mark.parametrize(
    ("text", "reason"),
    [("", "empty"), ("card,rating\n1,3\n", "missing column(s) card_id, review_rating")],
)
def test_parse_header_problems(text: str, reason: str) -> None:
    rows, problems = parse_revlog(io.StringIO(text))
    assert rows == [] and problems[0].line == 1 and reason in problems[0].reason


def test_sessions_split_after_thirty_idle_minutes() -> None:
    def row(minute: int, duration_ms: int, card: str = "c") -> RevlogRow:
        return RevlogRow(
            minute,
            card + str(minute),
            3,
            datetime(2024, 1, 1, 8, 0) + minute * _MINUTE,
            duration_ms,
        )

    gap = SESSION_GAP_MINUTES
    rows = [row(0, 60_000), row(1 + gap, 0), row(2 + 2 * gap, 1), row(200, 0)]
    plan = plan_import("u", rows)
    # 0→31: 30 idle minutes after the first review ended (not more): same session.
    # 31→62: exactly 31 idle minutes: new session. 62→200: new session.
    assert [s["reviewsCompleted"] for s in plan.sessions] == [2, 1, 1]
    first = plan.sessions[0]
    assert first["completedAt"] == datetime(2024, 1, 1, 8, 1 + gap)
    assert first["durationMs"] == (1 + gap) * 60_000
    assert [e.eventType.value for e in plan.events[:4]] == [
        "SESSION_STARTED",
        "CARD_REVIEWED",
        "CARD_REVIEWED",
        "SESSION_ENDED",
    ]


def test_plan_ids_are_derived_from_the_data() -> None:
    rows, _ = parse_revlog(io.StringIO(GOOD_CSV, newline=""))
    plan = plan_import("josh", rows)
    assert [c["id"] for c in plan.cards] == ["josh:100", "josh:200"]
    assert plan.reviews[0]["id"] == "josh:100:1714550400000"
    assert plan.sessions[0]["id"] == "josh:session:1714550400000"
    assert plan.course["id"] == "josh:revlog"
    assert [s["newCardsStudied"] for s in plan.sessions] == [2, 0, 0]
    assert plan_import("josh", list(reversed(rows))) == plan


@pytest.mark.db
def test_import_small_log(db: Database) -> None:
    result = import_revlog(db, io.BytesIO(GOOD_CSV.encode()), "josh", timezone="Europe/Berlin")
    assert (result.reviews, result.cards, result.sessions, result.events) == (5, 2, 3, 11)
    assert fetch(db, "SELECT timezone FROM users WHERE id = 'josh'") == [("Europe/Berlin",)]
    assert fetch(
        db, 'SELECT "timeOfDay", "dayOfWeek" FROM behavioral_events ORDER BY timestamp LIMIT 1'
    ) == [
        (10, 2)  # 08:00 UTC on Wednesday 1 May 2024 is 10:00 in Berlin
    ]
    [(count, lapses)] = fetch(
        db, 'SELECT "reviewCount", "lapseCount" FROM cards WHERE id = \'josh:200\''
    )
    assert (count, lapses) == (2, 0)
    sessions = fetch(db, 'SELECT "reviewsCompleted" FROM study_sessions ORDER BY "startedAt"')
    assert sessions == [(3,), (1,), (1,)]
    before = snapshot(db)
    again = import_revlog(db, io.StringIO(GOOD_CSV), "josh")
    assert again == result
    assert snapshot(db) == before


@pytest.mark.db
def test_existing_learner_keeps_their_time_zone(db: Database) -> None:
    with db.session() as session:
        session.add(User(id="kim", timezone="America/New_York"))
    import_revlog(db, io.StringIO(GOOD_CSV), "kim", timezone="Asia/Tokyo")
    assert fetch(db, "SELECT timezone FROM users WHERE id = 'kim'") == [("America/New_York",)]


@pytest.mark.db
def test_malformed_rows_reject_the_file_and_write_nothing(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(BAD_CSV)
    before = row_counts(db)
    with pytest.raises(ValidationFailed) as info:
        import_revlog(db, path, "josh")
    assert [(d["line"], d["field"]) for d in info.value.details] == [
        (3, "review_rating"),
        (4, "review_time"),
        (4, "review_duration"),
        (6, "row"),
        (7, "card_id"),
        (8, "review_time"),
        (9, "review_duration"),
    ]
    assert "6 bad line(s)" in info.value.message
    assert row_counts(db) == before


@pytest.mark.db
def test_skip_bad_imports_the_good_rows_and_reports_the_rest(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(BAD_CSV)
    result = import_revlog(db, path, "josh", skip_bad=True)
    assert (result.reviews, result.cards, result.sessions) == (1, 1, 1)
    assert result.skipped_lines == 6
    assert [p.line for p in result.skipped] == [3, 4, 4, 6, 7, 8, 9]
    assert row_counts(db)["reviews"] == 1


@pytest.mark.db
@pytest.mark.parametrize(
    ("user", "timezone", "field"), [("josh", "Mars/Olympus", "timezone"), ("", "UTC", "user")]
)
def test_bad_arguments(db: Database, user: str, timezone: str, field: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        import_revlog(db, io.StringIO(GOOD_CSV), user, timezone=timezone)
    assert info.value.details[0]["field"] == field


@pytest.mark.db
def test_undecodable_and_empty_files(db: Database) -> None:
    with pytest.raises(ValidationFailed) as info:
        import_revlog(db, io.BytesIO(b"\xff\xfe\x00garbage"), "josh")
    assert info.value.details[0]["field"] == "file"
    with pytest.raises(ValidationFailed) as info:
        import_revlog(db, io.StringIO(HEADER), "josh")
    assert "no review rows" in info.value.message


@pytest.mark.db
@pytest.mark.slow
def test_real_log_imports_exactly_and_reimport_changes_nothing(db: Database) -> None:
    if not REAL_LOG.exists():
        pytest.skip(f"the real review log is not beside the repository: {REAL_LOG.resolve()}")
    stages: set[str] = set()
    result = import_revlog(db, REAL_LOG, "josh", progress=lambda stage, _d, _t: stages.add(stage))
    assert (result.reviews, result.cards, result.sessions, result.events) == (
        REAL_REVIEWS,
        REAL_CARDS,
        REAL_SESSIONS,
        REAL_EVENTS,
    )
    assert result.skipped == ()
    counts = row_counts(db)
    assert (counts["reviews"], counts["cards"], counts["study_sessions"]) == (
        REAL_REVIEWS,
        REAL_CARDS,
        REAL_SESSIONS,
    )
    assert counts["behavioral_events"] == REAL_EVENTS
    assert stages == {"reading rows", "writing rows", "card memory"}
    assert fetch(db, 'SELECT sum("reviewsCompleted") FROM study_sessions') == [(REAL_REVIEWS,)]
    assert fetch(db, 'SELECT count(*) FROM reviews WHERE "sessionId" IS NULL') == [(0,)]
    # One card checked against an independent replay of its reviews.
    [(card,)] = fetch(db, 'SELECT id FROM cards ORDER BY "reviewCount" DESC, id LIMIT 1')
    history = fetch(
        db, 'SELECT "reviewedAt", rating::text FROM reviews WHERE "cardId" = :c', c=card
    )
    expected = fsrs_reference.replay(history)
    assert expected is not None
    [(stability, difficulty, count)] = fetch(
        db, 'SELECT stability, difficulty, "reviewCount" FROM cards WHERE id = :c', c=card
    )
    assert (stability, difficulty, count) == (
        pytest.approx(expected.stability),
        pytest.approx(expected.difficulty),
        len(history),
    )
    before = snapshot(db)
    assert import_revlog(db, REAL_LOG, "josh") == result
    assert snapshot(db) == before


def _cli() -> typer.Typer:
    app = typer.Typer()
    app.command("revlog")(import_revlog_command)
    app.command("noop")(lambda: None)  # keep "revlog" a subcommand, as under `twin import`
    return app


@pytest.mark.db
def test_cli_imports_and_prints_counts(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text(GOOD_CSV)
    runner = CliRunner()
    env = {"TWIN_DATABASE_URL": db.url}
    result = runner.invoke(
        _cli(), ["revlog", str(path), "--user", "josh", "--timezone", "Asia/Tokyo"], env=env
    )
    assert result.exit_code == 0, result.output
    assert "reviews" in result.output and "sessions" in result.output
    assert fetch(db, "SELECT timezone FROM users WHERE id = 'josh'") == [("Asia/Tokyo",)]


@pytest.mark.db
def test_cli_reports_bad_lines_and_fails(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(BAD_CSV)
    runner = CliRunner()
    env = {"TWIN_DATABASE_URL": db.url}
    result = runner.invoke(_cli(), ["revlog", str(path), "--user", "josh"], env=env)
    assert result.exit_code == 1
    assert "line 3: review_rating" in result.output
    assert row_counts(db)["reviews"] == 0
    result = runner.invoke(_cli(), ["revlog", str(path), "--user", "josh", "--skip-bad"], env=env)
    assert result.exit_code == 0, result.output
    assert "line 9: review_duration" in result.output
    assert row_counts(db)["reviews"] == 1
