"""Importer for flashcard review logs in the ``revlog`` CSV format.

Columns: ``card_id`` (the card's own id, e.g. its creation time in ms),
``review_rating`` (1 = Again … 4 = Easy), ``review_time`` (ISO 8601; a time
without offset is UTC, as the format specifies), ``review_duration`` (ms spent).

One import writes, in one transaction, for learner ``U`` (created with the given
time zone when absent; an existing learner keeps theirs):

- the course ``U:revlog``; one card per ``card_id``, id ``U:<card_id>``;
- one review per row, id ``U:<card_id>:<review time in epoch ms>``;
- study sessions: reviews sorted by time, a new session starts when more than
  30 minutes pass between the end of a review (time + duration) and the next
  review; start = first review, end = the latest review end; id
  ``U:session:<start in epoch ms>``;
- events: ``SESSION_STARTED`` / ``SESSION_ENDED`` (``<session id>:started`` /
  ``:ended``; the end carries the session's share of GOOD/EASY answers as
  ``sessionPerformanceScore``) and one ``CARD_REVIEWED`` per review
  (``<review id>:reviewed``), local hour and weekday in the learner's time zone;
- every card's memory state, replayed from its reviews.

Every id is derived from the data, so importing the same file again changes
nothing. Pure parsing and planning are separate from the database writes.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from twin.db.engine import Database
from twin.enums import CardType, EventType
from twin.errors import ValidationFailed
from twin.ingest.batch import (
    PgConnection,
    guard_unwritten,
    learner_timezone,
    lock_cards,
    recompute_cards,
    rows_to_columns,
    transaction,
    upsert_columns,
    write_table,
)
from twin.ingest.schemas import (
    MAX_TIME_SPENT_MS,
    RATING_BY_NUMBER,
    EventRecord,
    id_problem,
    parse_rfc3339,
)
from twin.ingest.tables import CARDS, COURSES, EVENTS, REVIEWS, SESSIONS, TableSpec
from twin.ingest.validation import event_columns, load_zone

REVLOG_COLUMNS = ("card_id", "review_rating", "review_time", "review_duration")
HEADER_LINE = 1
SESSION_GAP_MINUTES = 30
SESSION_GAP = timedelta(minutes=SESSION_GAP_MINUTES)
CARD_ID_PATTERN = re.compile(r"[A-Za-z0-9_.\-]{1,100}")
_DIGITS = re.compile(r"[0-9]{1,12}")
COURSE_NAME = "Imported review log"
CONTENT_TYPE = "flashcard"
EVENT_SOURCE = "revlog"
SUCCESS_RATINGS = frozenset({3, 4})
PERCENT = 100
WRITE_CHUNK_ROWS = 5000
MEMORY_CHUNK_CARDS = 200
EPOCH = datetime(1970, 1, 1)
ONE_MS = timedelta(milliseconds=1)

STAGE_READ = "reading rows"
STAGE_WRITE = "writing rows"
STAGE_MEMORY = "card memory"

ProgressCallback = Callable[[str, int, int], None]
"""Called as ``progress(stage, done, total)`` while an import runs."""


@dataclass(frozen=True)
class RowProblem:
    """Why one line of the file was rejected."""

    line: int
    field: str
    reason: str

    def as_detail(self) -> dict[str, Any]:
        """The ``ValidationFailed`` detail entry: ``{line, field, reason}``."""
        return {"line": self.line, "field": self.field, "reason": self.reason}

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.reason}"


@dataclass(frozen=True)
class RevlogRow:
    """One valid review of the log."""

    line: int
    card_id: str
    rating: int
    reviewed_at: datetime
    duration_ms: int


@dataclass(frozen=True)
class ImportResult:
    """What an import wrote (counts are of rows in the file, written or already there)."""

    user_id: str
    course_id: str
    rows: int
    reviews: int
    cards: int
    sessions: int
    events: int
    skipped: tuple[RowProblem, ...] = field(default=())

    @property
    def skipped_lines(self) -> int:
        """How many lines were skipped as malformed (``skip_bad``)."""
        return len({p.line for p in self.skipped})

    def __str__(self) -> str:
        text = (
            f"{self.reviews:,} reviews, {self.cards:,} cards, {self.sessions:,} sessions, "
            f"{self.events:,} events"
        )
        if self.skipped:
            text += f", {self.skipped_lines:,} bad lines skipped"
        return text


def _as_int(text: str, default: int) -> int:
    digits = text.strip()
    return int(digits) if _DIGITS.fullmatch(digits) else default


def _field_problems(line: int, values: dict[str, str]) -> tuple[RevlogRow | None, list[RowProblem]]:
    problems: list[RowProblem] = []
    card_id = values["card_id"].strip()
    if not CARD_ID_PATTERN.fullmatch(card_id):
        problems.append(
            RowProblem(line, "card_id", "must be 1–100 letters, digits, '.', '_' or '-'")
        )
    rating = _as_int(values["review_rating"], default=0)
    if rating not in RATING_BY_NUMBER:
        problems.append(
            RowProblem(line, "review_rating", f"must be 1–4 (got {values['review_rating']!r})")
        )
    reviewed_at = EPOCH
    try:
        reviewed_at = parse_rfc3339(
            values["review_time"].strip(), naive_is_utc=True, space_separator=True
        )
    except ValueError as exc:
        problems.append(RowProblem(line, "review_time", str(exc)))
    duration = _as_int(values["review_duration"], default=-1)
    if not 0 <= duration <= MAX_TIME_SPENT_MS:
        problems.append(
            RowProblem(
                line,
                "review_duration",
                f"must be whole milliseconds 0–{MAX_TIME_SPENT_MS} "
                f"(got {values['review_duration']!r})",
            )
        )
    if problems:
        return None, problems
    return RevlogRow(line, card_id, rating, reviewed_at, duration), []


def parse_revlog(lines: Iterable[str]) -> tuple[list[RevlogRow], list[RowProblem]]:
    """The valid rows of a revlog CSV and a problem for every bad field (line 1 = header)."""
    reader = csv.reader(lines)
    header = next(reader, None)
    if header is None:
        return [], [RowProblem(HEADER_LINE, "header", "the file is empty")]
    names = [h.strip() for h in header]
    missing = [c for c in REVLOG_COLUMNS if c not in names]
    if missing:
        return [], [
            RowProblem(
                HEADER_LINE,
                "header",
                f"missing column(s) {', '.join(missing)}; expected {','.join(REVLOG_COLUMNS)}",
            )
        ]
    positions = {c: names.index(c) for c in REVLOG_COLUMNS}
    rows: list[RevlogRow] = []
    problems: list[RowProblem] = []
    first_line_of: dict[tuple[str, datetime], int] = {}
    for record in reader:
        line = reader.line_num
        if not record or all(not cell.strip() for cell in record):
            continue
        if len(record) != len(names):
            problems.append(
                RowProblem(line, "row", f"expected {len(names)} fields, got {len(record)}")
            )
            continue
        row, row_problems = _field_problems(line, {c: record[i] for c, i in positions.items()})
        if row is None:
            problems.extend(row_problems)
            continue
        key = (row.card_id, row.reviewed_at)
        if key in first_line_of:
            problems.append(
                RowProblem(
                    line,
                    "review_time",
                    f"duplicate review of card {row.card_id} (same time as line {first_line_of[key]})",
                )
            )
            continue
        first_line_of[key] = line
        rows.append(row)
    return rows, problems


def _epoch_ms(value: datetime) -> int:
    return (value - EPOCH) // ONE_MS


@dataclass(frozen=True)
class RevlogPlan:
    """Every row an import writes, derived from the valid rows (pure)."""

    course: dict[str, Any]
    cards: list[dict[str, Any]]
    sessions: list[dict[str, Any]]
    reviews: list[dict[str, Any]]
    events: list[EventRecord]


def course_id_for(user_id: str) -> str:
    """The id of the course a learner's review log is imported into."""
    return f"{user_id}:revlog"


def card_id_for(user_id: str, card_id: str) -> str:
    """The engine's id of a card of the log."""
    return f"{user_id}:{card_id}"


def _event(
    event_id: str,
    event_type: EventType,
    at: datetime,
    data: dict[str, Any],
    performance: int | None = None,
) -> EventRecord:
    # Built from already-validated values: skip re-validation.
    return EventRecord.model_construct(
        id=event_id,
        eventType=event_type,
        eventData={**data, "source": EVENT_SOURCE},
        timestamp=at,
        contentType=CONTENT_TYPE,
        sessionPerformanceScore=performance,
    )


def _split_sessions(rows: Sequence[RevlogRow]) -> list[list[RevlogRow]]:
    sessions: list[list[RevlogRow]] = []
    previous_end: datetime | None = None
    for row in rows:
        if previous_end is None or row.reviewed_at - previous_end > SESSION_GAP:
            sessions.append([])
        sessions[-1].append(row)
        previous_end = row.reviewed_at + row.duration_ms * ONE_MS
    return sessions


def plan_import(user_id: str, rows: Sequence[RevlogRow]) -> RevlogPlan:
    """The course, cards, sessions, reviews and events for ``rows`` of learner ``user_id``."""
    ordered = sorted(rows, key=lambda r: (r.reviewed_at, r.card_id))
    course_id = course_id_for(user_id)
    first_review: dict[str, RevlogRow] = {}
    for row in ordered:
        first_review.setdefault(row.card_id, row)
    cards = [
        {
            "id": card_id_for(user_id, card_id),
            "courseId": course_id,
            "lectureId": None,
            "objectiveId": None,
            "cardType": CardType.BASIC.value,
        }
        for card_id in first_review
    ]
    sessions: list[dict[str, Any]] = []
    reviews: list[dict[str, Any]] = []
    events: list[EventRecord] = []
    for group in _split_sessions(ordered):
        started = group[0].reviewed_at
        ended = max(r.reviewed_at + r.duration_ms * ONE_MS for r in group)
        session_id = f"{user_id}:session:{_epoch_ms(started)}"
        new_cards = sum(1 for r in group if first_review[r.card_id] is r)
        successes = sum(1 for r in group if r.rating in SUCCESS_RATINGS)
        duration_ms = _epoch_ms(ended) - _epoch_ms(started)
        sessions.append(
            {
                "id": session_id,
                "missionId": None,
                "startedAt": started,
                "completedAt": ended,
                "durationMs": duration_ms,
                "reviewsCompleted": len(group),
                "newCardsStudied": new_cards,
                "sessionNotes": None,
                "objectiveCompletions": None,
            }
        )
        events.append(
            _event(
                f"{session_id}:started",
                EventType.SESSION_STARTED,
                started,
                {"sessionId": session_id},
            )
        )
        for r in group:
            card = card_id_for(user_id, r.card_id)
            review_id = f"{card}:{_epoch_ms(r.reviewed_at)}"
            rating = RATING_BY_NUMBER[r.rating].value
            reviews.append(
                {
                    "id": review_id,
                    "cardId": card,
                    "sessionId": session_id,
                    "rating": rating,
                    "timeSpentMs": r.duration_ms,
                    "reviewedAt": r.reviewed_at,
                }
            )
            events.append(
                _event(
                    f"{review_id}:reviewed",
                    EventType.CARD_REVIEWED,
                    r.reviewed_at,
                    {
                        "cardId": card,
                        "reviewId": review_id,
                        "sessionId": session_id,
                        "rating": rating,
                        "timeSpentMs": r.duration_ms,
                    },
                )
            )
        events.append(
            _event(
                f"{session_id}:ended",
                EventType.SESSION_ENDED,
                ended,
                {
                    "sessionId": session_id,
                    "durationMs": duration_ms,
                    "reviewsCompleted": len(group),
                    "newCardsStudied": new_cards,
                },
                performance=round(PERCENT * successes / len(group)),
            )
        )
    course = {"id": course_id, "name": COURSE_NAME, "code": None}
    return RevlogPlan(course, cards, sessions, reviews, events)


def read_text(source: str | Path | IO[str] | IO[bytes]) -> tuple[str, str]:
    """The file's text and a name for messages (paths, text or binary file objects)."""
    if isinstance(source, str | Path):
        path = Path(source)
        try:
            data: str | bytes = path.read_bytes()
        except OSError as exc:
            raise _file_problem(f"cannot read {path}: {exc.strerror}") from None
        name = str(path)
    else:
        data = source.read()
        name = str(getattr(source, "name", "upload"))
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise _file_problem(
                f"{name} is not UTF-8 text ({exc.reason} at byte {exc.start})"
            ) from None
    return data.removeprefix("\ufeff"), name


def _file_problem(reason: str) -> ValidationFailed:
    return ValidationFailed(reason, details=[{"line": None, "field": "file", "reason": reason}])


def _check_arguments(user_id: str, timezone: str) -> None:
    problems = []
    id_reason = id_problem(user_id)
    if id_reason is not None:
        problems.append({"line": None, "field": "user", "reason": id_reason})
    try:
        load_zone(timezone)
    except ValueError as exc:
        problems.append({"line": None, "field": "timezone", "reason": str(exc)})
    if problems:
        raise ValidationFailed("invalid import arguments", details=problems)


def _ensure_learner(conn: PgConnection, user_id: str, timezone: str) -> str:
    conn.execute(
        'INSERT INTO users (id, timezone, "updatedAt") '
        "VALUES (%s, %s, (now() AT TIME ZONE 'UTC')::timestamp(3)) ON CONFLICT (id) DO NOTHING",
        (user_id, timezone),
    )
    return learner_timezone(conn, user_id)


class _Writer:
    """Chunked writes with progress over every row of a plan."""

    def __init__(
        self, conn: PgConnection, user_id: str, total: int, progress: ProgressCallback | None
    ):
        self.conn, self.user_id, self.total, self.progress = conn, user_id, total, progress
        self.done = 0

    def _advance(self, rows: int) -> None:
        self.done += rows
        if self.progress is not None:
            self.progress(STAGE_WRITE, self.done, self.total)

    def rows(self, spec: TableSpec, rows: Sequence[dict[str, Any]]) -> None:
        for start in range(0, len(rows), WRITE_CHUNK_ROWS):
            chunk = rows[start : start + WRITE_CHUNK_ROWS]
            write_table(self.conn, spec, self.user_id, chunk, "revlog")
            self._advance(len(chunk))

    def columns(self, spec: TableSpec, columns: dict[str, list[Any]]) -> None:
        count = len(columns["id"])
        for start in range(0, count, WRITE_CHUNK_ROWS):
            chunk = {
                name: values[start : start + WRITE_CHUNK_ROWS] for name, values in columns.items()
            }
            written = upsert_columns(self.conn, spec, self.user_id, chunk)
            guard_unwritten(self.conn, spec, self.user_id, chunk["id"], written, "revlog")
            self._advance(len(chunk["id"]))


def write_plan(
    conn: PgConnection, user_id: str, plan: RevlogPlan, progress: ProgressCallback | None = None
) -> None:
    """Write a planned import into the learner's data and replay the cards' memory state."""
    zone = load_zone(learner_timezone(conn, user_id))
    event_cols, problems = event_columns(list(enumerate(plan.events)), zone)
    if problems:  # cannot happen for planned events; refuse rather than write half
        raise ValidationFailed(
            "internal error: planned events are invalid", details=[p.as_detail() for p in problems]
        )
    total = 1 + len(plan.cards) + len(plan.sessions) + len(plan.reviews) + len(plan.events)
    writer = _Writer(conn, user_id, total, progress)
    writer.rows(COURSES, [plan.course])
    card_ids = [c["id"] for c in plan.cards]
    writer.rows(CARDS, plan.cards)
    lock_cards(conn, card_ids)
    writer.rows(SESSIONS, plan.sessions)
    writer.columns(REVIEWS, rows_to_columns(REVIEWS, plan.reviews))
    writer.columns(EVENTS, event_cols)
    for start in range(0, len(card_ids), MEMORY_CHUNK_CARDS):
        recompute_cards(conn, card_ids[start : start + MEMORY_CHUNK_CARDS])
        if progress is not None:
            progress(STAGE_MEMORY, min(start + MEMORY_CHUNK_CARDS, len(card_ids)), len(card_ids))


def import_revlog(
    db: Database,
    path_or_file: str | Path | IO[str] | IO[bytes],
    user_id: str,
    timezone: str = "UTC",
    skip_bad: bool = False,
    progress: ProgressCallback | None = None,
) -> ImportResult:
    """Import a revlog CSV for ``user_id``: all or nothing, or skipping bad lines when asked."""
    _check_arguments(user_id, timezone)
    text, name = read_text(path_or_file)
    rows, problems = parse_revlog(io.StringIO(text, newline=""))
    line_count = len(rows) + len({p.line for p in problems if p.line != HEADER_LINE})
    if progress is not None:
        progress(STAGE_READ, line_count, line_count)
    header_broken = any(p.line == HEADER_LINE for p in problems)
    if problems and (not skip_bad or header_broken):
        bad = len({p.line for p in problems})
        raise ValidationFailed(
            f"{name}: {bad} bad line(s); nothing was imported"
            + ("" if header_broken else " (use skip_bad to import the good lines)"),
            details=[p.as_detail() for p in problems],
        )
    if not rows and not problems:
        raise _file_problem(f"{name} has no review rows")
    plan = plan_import(user_id, rows)
    if rows:
        with transaction(db) as conn:
            _ensure_learner(conn, user_id, timezone)
            write_plan(conn, user_id, plan, progress)
    return ImportResult(
        user_id=user_id,
        course_id=course_id_for(user_id),
        rows=line_count,
        reviews=len(plan.reviews),
        cards=len(plan.cards),
        sessions=len(plan.sessions),
        events=len(plan.events),
        skipped=tuple(problems),
    )
