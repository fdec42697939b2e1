"""The learners service's list: keyset pages by id, optionally narrowed by id or name."""

from __future__ import annotations

import pytest

from twin.db.engine import Database
from twin.services import learners as svc

pytestmark = pytest.mark.db  # every test here uses PostgreSQL

# Ids and names chosen to trip a naive ILIKE: wildcards, the escape character, case.
LEARNERS = {
    "a-1": "Ada Lovelace",
    "a_1": "Percent 100%",
    "ab1": None,
    "B-2": "bob",
    "back\\slash": "Back Slash",
    "c-3": "Ada's twin",
    "d-4": "under_score",
    "e-5": "Zoë",
}


@pytest.fixture
def people(db: Database) -> Database:
    with db.session() as s:
        for uid, name in LEARNERS.items():
            svc.upsert_user(s, uid, {} if name is None else {"name": name})
    return db


def expected(search: str | None) -> list[str]:
    """The same question asked in Python: id or name contains the text, case-insensitively."""
    needle = (search or "").lower()
    return sorted(
        uid
        for uid, name in LEARNERS.items()
        if needle in uid.lower() or needle in (name or "").lower()
    )


def all_pages(db: Database, search: str | None, limit: int) -> list[str]:
    seen: list[str] = []
    cursor = None
    with db.session() as s:
        while True:
            users, cursor = svc.list_users(s, limit, cursor, search=search)
            assert len(users) <= limit
            seen += [u.id for u in users]
            if cursor is None:
                return seen


@pytest.mark.parametrize(
    "search", [None, "a", "ADA", "_", "%", "a_1", "\\", "100%", "zoë", "nobody"]
)
def test_pages_cover_every_match_once_in_id_order(people: Database, search: str | None) -> None:
    # id order is the database's collation; these ids sort the same in C and en_US.
    got = all_pages(people, search, limit=3)
    assert sorted(got) == expected(search)
    assert len(got) == len(set(got))


def test_wildcards_are_literal(people: Database) -> None:
    # "_" alone would match every id as a LIKE wildcard; here only the ids/names holding one.
    assert sorted(all_pages(people, "_", limit=100)) == ["a_1", "d-4"]
    assert all_pages(people, "%", limit=100) == ["a_1"]
