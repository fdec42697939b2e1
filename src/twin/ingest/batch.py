"""Batch ingestion of a learner's records: all-or-nothing, idempotent, learner-scoped.

``ingest_batch`` validates every record (pure, :mod:`twin.ingest.validation`),
then in one transaction checks what needs the database — the learner exists,
no id belongs to another learner, every referenced id is this learner's — and
only when *nothing* is wrong writes the batch with one set-based upsert
(:mod:`twin.ingest.tables`). Reviews then update their cards' memory state by
replaying each touched card's reviews (:mod:`twin.ingest.cardstate`).

Events are the hot path: no per-record database round trip before the write;
the single upsert's ``RETURNING`` tells which ids may belong to someone else,
and only those are looked up.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import psycopg

from twin.analysis.common import storage_time
from twin.db.engine import Database
from twin.errors import NotFound, TwinError, ValidationFailed
from twin.ingest.cardstate import ReviewInput, replay_card
from twin.ingest.schemas import (
    MAX_BATCH_RECORDS,
    RECORD_MODELS,
    EventRecord,
    ObjectiveRecord,
    RecordModel,
)
from twin.ingest.tables import (
    EVENTS,
    PREREQUISITES_DELETE_SQL,
    PREREQUISITES_UPSERT_SQL,
    SPECS_BY_TABLE,
    TABLE_SPECS,
    TableSpec,
)
from twin.ingest.validation import (
    THING_TABLES,
    Problem,
    event_columns,
    load_zone,
    record_row,
    references,
    sort_problems,
    validate_records,
)

FOREIGN_ID_REASON = "belongs to another learner"
BATCH_FIELD = "records"

PgConnection = psycopg.Connection[Any]


@dataclass(frozen=True)
class BatchResult:
    """What was ingested: the kind, how many records, their ids in the order sent.

    The same batch sent twice gives the same result (nothing says "created").
    """

    kind: str
    received: int
    ids: list[str]


@contextmanager
def transaction(db: Database) -> Iterator[PgConnection]:
    """The psycopg connection of one transaction (committed on success, rolled back on error)."""
    with db.engine.begin() as connection:
        yield cast(PgConnection, connection.connection.driver_connection)


def learner_timezone(conn: PgConnection, user_id: str, *, for_write: bool = True) -> str:
    """The learner's IANA time zone; NotFound when there is no such learner.

    For writes, takes a key-share lock on the learner's row, so an erasure that
    locks the row first cannot interleave with the batch.
    """
    lock = " FOR KEY SHARE" if for_write else ""
    row = conn.execute(f"SELECT timezone FROM users WHERE id = %s{lock}", (user_id,)).fetchone()
    if row is None:
        raise NotFound(
            f"learner {user_id!r} does not exist; create it first (PUT /v1/users/{user_id})",
            details={"userId": user_id},
        )
    return str(row[0])


def rejected(problems: Sequence[Problem], received: int, kind: str) -> ValidationFailed:
    """The all-or-nothing refusal listing every problem."""
    ordered = sort_problems(problems)
    bad = len({p.index for p in ordered})
    return ValidationFailed(
        f"{bad} of {received} {kind} records rejected; nothing was written",
        details=[p.as_detail() for p in ordered],
    )


def _batch_problem(reason: str) -> ValidationFailed:
    return ValidationFailed(
        f"invalid batch: {reason}",
        details=[{"index": None, "field": BATCH_FIELD, "reason": reason}],
    )


def check_batch_shape(records: object) -> Sequence[object]:
    """The records as a list, or ValidationFailed when not a list or too long."""
    if not isinstance(records, list):
        raise _batch_problem("must be a list of records")
    if len(records) > MAX_BATCH_RECORDS:
        raise _batch_problem(
            f"at most {MAX_BATCH_RECORDS} records per batch (got {len(records)}); split it"
        )
    return records


def owners(conn: PgConnection, spec: TableSpec, ids: Sequence[str]) -> dict[str, str]:
    """The learner owning each of ``ids`` that exists in ``spec``'s table."""
    if not ids:
        return {}
    rows = conn.execute(spec.owner_sql(), {"ids": list(ids)}).fetchall()
    return {str(r[0]): str(r[1]) for r in rows}


def foreign_id_problems(
    conn: PgConnection,
    spec: TableSpec,
    user_id: str,
    indexed_ids: Sequence[tuple[int, str]],
) -> list[Problem]:
    """A problem for every id that already belongs to another learner."""
    found = owners(conn, spec, [record_id for _, record_id in indexed_ids])
    return [
        Problem(index, "id", FOREIGN_ID_REASON)
        for index, record_id in indexed_ids
        if found.get(record_id, user_id) != user_id
    ]


def reference_problems(
    conn: PgConnection,
    user_id: str,
    records: Sequence[tuple[int, RecordModel]],
    batch_objective_ids: frozenset[str] = frozenset(),
) -> list[Problem]:
    """A problem for every reference to an unknown id or another learner's record."""
    refs = [(index, ref) for index, record in records for ref in references(record)]
    wanted: dict[str, set[str]] = defaultdict(set)
    for _, ref in refs:
        if not (ref.thing == "objective" and ref.target_id in batch_objective_ids):
            wanted[ref.thing].add(ref.target_id)
    found = {
        thing: owners(conn, SPECS_BY_TABLE[THING_TABLES[thing]], sorted(ids))
        for thing, ids in wanted.items()
    }
    problems: list[Problem] = []
    for index, ref in refs:
        if ref.target_id not in wanted[ref.thing]:
            continue
        owner = found[ref.thing].get(ref.target_id)
        if owner is None:
            problems.append(Problem(index, ref.field, f"unknown {ref.thing} id"))
        elif owner != user_id:
            problems.append(Problem(index, ref.field, f"{ref.thing} id {FOREIGN_ID_REASON}"))
    return problems


def upsert_columns(
    conn: PgConnection,
    spec: TableSpec,
    user_id: str,
    columns: Mapping[str, Sequence[Any]],
) -> set[str]:
    """Upsert rows given column-wise (``id`` plus every data column); return the ids written."""
    if not columns["id"]:
        return set()
    params: dict[str, Any] = {name: list(columns[name]) for name in ("id", *spec.column_names)}
    params["user_id"] = user_id
    rows = conn.execute(spec.upsert_sql(), params).fetchall()
    return {str(r[0]) for r in rows}


def rows_to_columns(spec: TableSpec, rows: Sequence[Mapping[str, Any]]) -> dict[str, list[Any]]:
    """Row dicts to column lists for :func:`upsert_columns`."""
    return {name: [row[name] for row in rows] for name in ("id", *spec.column_names)}


def guard_unwritten(
    conn: PgConnection,
    spec: TableSpec,
    user_id: str,
    ids: Sequence[str],
    written: set[str],
    kind: str,
) -> None:
    """Reject the batch (rolling it back) if an id that was not written is another learner's."""
    unwritten = [
        (index, record_id) for index, record_id in enumerate(ids) if record_id not in written
    ]
    if not unwritten:
        return
    problems = foreign_id_problems(conn, spec, user_id, unwritten)
    if problems:
        raise rejected(problems, len(ids), kind)


def write_table(
    conn: PgConnection,
    spec: TableSpec,
    user_id: str,
    rows: Sequence[Mapping[str, Any]],
    kind: str,
) -> None:
    """Upsert ``rows`` into ``spec``'s table, refusing ids of another learner."""
    columns = rows_to_columns(spec, rows)
    written = upsert_columns(conn, spec, user_id, columns)
    guard_unwritten(conn, spec, user_id, columns["id"], written, kind)


def replace_prerequisites(conn: PgConnection, objectives: Sequence[ObjectiveRecord]) -> None:
    """Make each objective's stored prerequisites exactly the ones it was sent with."""
    params = {
        "objective_ids": [o.id for o in objectives],
        "objective_id": [o.id for o in objectives for _ in o.prerequisites],
        "prerequisite_id": [link.prerequisiteId for o in objectives for link in o.prerequisites],
        "strength": [link.strength for o in objectives for link in o.prerequisites],
    }
    conn.execute(PREREQUISITES_DELETE_SQL, params)
    if params["objective_id"]:
        conn.execute(PREREQUISITES_UPSERT_SQL, params)


def _ms(value: datetime | None) -> datetime | None:
    return None if value is None else storage_time(value)


_REVIEWS_OF_CARDS_SQL = (
    'SELECT "cardId", id, "reviewedAt", rating::text FROM reviews '
    'WHERE "cardId" = ANY(%(card_ids)b::text[]) ORDER BY "cardId", "reviewedAt", id'
)
_UPDATE_REVIEW_MEMORY_SQL = (
    'UPDATE reviews AS r SET "difficultyBefore" = v.db, "difficultyAfter" = v.da, '
    '"stabilityBefore" = v.sb, "stabilityAfter" = v.sa '
    "FROM unnest(%(id)b::text[], %(db)b::float8[], %(da)b::float8[], %(sb)b::float8[], "
    "%(sa)b::float8[]) AS v(id, db, da, sb, sa) "
    'WHERE r.id = v.id AND ROW(r."difficultyBefore", r."difficultyAfter", r."stabilityBefore", '
    'r."stabilityAfter") IS DISTINCT FROM ROW(v.db, v.da, v.sb, v.sa)'
)
_UPDATE_CARD_MEMORY_SQL = (
    "UPDATE cards AS c SET stability = v.s, difficulty = v.d, retrievability = v.r, "
    '"lastReviewedAt" = v.last, "nextReviewAt" = v.next, "reviewCount" = v.n, '
    '"lapseCount" = v.lapses '
    "FROM unnest(%(id)b::text[], %(s)b::float8[], %(d)b::float8[], %(r)b::float8[], "
    "%(last)b::timestamp[], %(next)b::timestamp[], %(n)b::int8[], %(lapses)b::int8[]) "
    "AS v(id, s, d, r, last, next, n, lapses) "
    'WHERE c.id = v.id AND ROW(c.stability, c.difficulty, c.retrievability, c."lastReviewedAt", '
    'c."nextReviewAt", c."reviewCount", c."lapseCount") IS DISTINCT FROM '
    "ROW(v.s, v.d, v.r, v.last, v.next, v.n::int4, v.lapses::int4)"
)


def lock_cards(conn: PgConnection, card_ids: Sequence[str]) -> None:
    """Lock the cards whose reviews are about to change (in id order: no deadlocks)."""
    conn.execute(
        "SELECT id FROM cards WHERE id = ANY(%(ids)b::text[]) ORDER BY id FOR UPDATE",
        {"ids": sorted(card_ids)},
    )


def recompute_cards(conn: PgConnection, card_ids: Sequence[str]) -> int:
    """Replay every review of ``card_ids`` and store card and review memory state; return cards."""
    if not card_ids:
        return 0
    by_card: dict[str, list[ReviewInput]] = {card_id: [] for card_id in card_ids}
    for card_id, review_id, reviewed_at, rating in conn.execute(
        _REVIEWS_OF_CARDS_SQL, {"card_ids": list(card_ids)}
    ):
        by_card[card_id].append(ReviewInput(review_id, reviewed_at, rating))
    review_cols: dict[str, list[Any]] = {k: [] for k in ("id", "db", "da", "sb", "sa")}
    card_cols: dict[str, list[Any]] = {
        k: [] for k in ("id", "s", "d", "r", "last", "next", "n", "lapses")
    }
    for card_id, reviews in by_card.items():
        card, per_review = replay_card(reviews)
        for item in per_review:
            review_cols["id"].append(item.review_id)
            review_cols["db"].append(item.difficulty_before)
            review_cols["da"].append(item.difficulty_after)
            review_cols["sb"].append(item.stability_before)
            review_cols["sa"].append(item.stability_after)
        card_cols["id"].append(card_id)
        card_cols["s"].append(card.stability)
        card_cols["d"].append(card.difficulty)
        card_cols["r"].append(card.retrievability)
        card_cols["last"].append(_ms(card.last_reviewed_at))
        card_cols["next"].append(_ms(card.next_review_at))
        card_cols["n"].append(card.review_count)
        card_cols["lapses"].append(card.lapse_count)
    if review_cols["id"]:
        conn.execute(_UPDATE_REVIEW_MEMORY_SQL, review_cols)
    conn.execute(_UPDATE_CARD_MEMORY_SQL, card_cols)
    return len(by_card)


def _previous_cards(conn: PgConnection, user_id: str, review_ids: Sequence[str]) -> set[str]:
    rows = conn.execute(
        'SELECT DISTINCT "cardId" FROM reviews WHERE id = ANY(%(ids)b::text[]) '
        'AND "userId" = %(user_id)s',
        {"ids": list(review_ids), "user_id": user_id},
    ).fetchall()
    return {str(r[0]) for r in rows}


def write_reviews(
    conn: PgConnection, user_id: str, rows: Sequence[Mapping[str, Any]], kind: str
) -> None:
    """Upsert reviews and bring every touched card's memory state up to date."""
    spec = TABLE_SPECS["reviews"]
    ids = [row["id"] for row in rows]
    touched = {row["cardId"] for row in rows} | _previous_cards(conn, user_id, ids)
    lock_cards(conn, sorted(touched))
    write_table(conn, spec, user_id, rows, kind)
    recompute_cards(conn, sorted(touched))


def _ingest_events(
    conn: PgConnection,
    user_id: str,
    zone_name: str,
    models: Sequence[EventRecord | None],
    problems: list[Problem],
) -> None:
    try:
        zone = load_zone(zone_name)
    except ValueError as exc:
        raise TwinError(f"learner {user_id!r} has an invalid time zone: {exc}") from None
    valid = [(index, m) for index, m in enumerate(models) if m is not None]
    columns, json_problems = event_columns(valid, zone)
    problems = problems + json_problems
    if problems:
        # Report every bad record at once, foreign ids included (this is the slow path).
        problems += foreign_id_problems(conn, EVENTS, user_id, [(i, m.id) for i, m in valid])
        raise rejected(problems, len(models), "events")
    written = upsert_columns(conn, EVENTS, user_id, columns)
    guard_unwritten(conn, EVENTS, user_id, columns["id"], written, "events")


def ingest_batch(
    db: Database, user_id: str, kind: str, records: list[dict[str, Any]]
) -> BatchResult:
    """Validate and upsert one batch of ``kind`` records of a learner, all or nothing."""
    if kind not in RECORD_MODELS:
        raise ValidationFailed(
            f"unknown kind {kind!r}",
            details=[
                {
                    "index": None,
                    "field": "kind",
                    "reason": f"must be one of {sorted(RECORD_MODELS)}",
                }
            ],
        )
    batch = check_batch_shape(records)
    models, problems = validate_records(RECORD_MODELS[kind], batch)
    spec = TABLE_SPECS[kind]
    with transaction(db) as conn:
        zone_name = learner_timezone(conn, user_id)
        if kind == "events":
            _ingest_events(
                conn, user_id, zone_name, cast(list[EventRecord | None], models), problems
            )
        else:
            _ingest_rows(conn, user_id, kind, spec, models, problems)
    # Every model is valid here: any problem raised above and rolled back.
    ids = [cast(RecordModel, m).id for m in models]
    return BatchResult(kind=kind, received=len(batch), ids=ids)


def _ingest_rows(
    conn: PgConnection,
    user_id: str,
    kind: str,
    spec: TableSpec,
    models: Sequence[RecordModel | None],
    problems: list[Problem],
) -> None:
    valid = [(index, m) for index, m in enumerate(models) if m is not None]
    batch_objectives = (
        frozenset(m.id for _, m in valid) if kind == "objectives" else frozenset[str]()
    )
    problems = [
        *problems,
        *foreign_id_problems(conn, spec, user_id, [(i, m.id) for i, m in valid]),
        *reference_problems(conn, user_id, valid, batch_objectives),
    ]
    if problems:
        raise rejected(problems, len(models), kind)
    records = [m for _, m in valid]
    rows = [record_row(m) for m in records]
    if kind == "reviews":
        write_reviews(conn, user_id, rows, kind)
        return
    write_table(conn, spec, user_id, rows, kind)
    if kind == "objectives":
        replace_prerequisites(conn, cast(list[ObjectiveRecord], records))
