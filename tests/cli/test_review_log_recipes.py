"""The README's recipes for a review log of one's own produce files the importer accepts.

The Anki query and the FSRS conversion are read from README.md itself, so the README
cannot drift from what works.
"""

from __future__ import annotations

import io
import re
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from twin.analysis.common import aware_utc
from twin.ingest.revlog import parse_revlog

README = Path(__file__).resolve().parents[2] / "README.md"
# Made-up values: two reviews of card 1 and one of card 2; a rescheduling (ease 0) that is not a review.
ANKI_REVLOG = [
    # id (epoch ms), cid, usn, ease, ivl, lastIvl, factor, time (ms), type
    (1700000000250, 1700000000001, -1, 1, 0, 0, 0, 20000, 0),
    (1700000060500, 1700000000001, -1, 3, 1, 0, 2500, 8000, 0),
    (1700000150000, 1700000000002, -1, 4, 4, 0, 2500, 3000, 1),
    (1700000250000, 1700000000002, -1, 0, 10, 4, 2500, 0, 4),
]


def _readme() -> str:
    return README.read_text(encoding="utf-8")


def test_the_anki_query_gives_an_importable_log() -> None:
    match = re.search(
        r'sqlite3 -header -csv collection\.anki2 \\\n\s+"(SELECT.+?)"', _readme(), re.S
    )
    assert match is not None, "the Anki recipe is in the README"
    conn = sqlite3.connect(":memory:")
    conn.execute(
        "CREATE TABLE revlog (id INTEGER PRIMARY KEY, cid INTEGER, usn INTEGER, ease INTEGER,"
        " ivl INTEGER, lastIvl INTEGER, factor INTEGER, time INTEGER, type INTEGER)"
    )
    conn.executemany("INSERT INTO revlog VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", ANKI_REVLOG)
    cursor = conn.execute(match[1])
    header = [c[0] for c in cursor.description]
    text = ",".join(header) + "\n" + "".join(",".join(map(str, r)) + "\n" for r in cursor)
    rows, problems = parse_revlog(io.StringIO(text, newline=""))
    assert problems == []
    assert [(r.card_id, r.rating, r.duration_ms) for r in rows] == [
        ("1700000000001", 1, 20000),
        ("1700000000001", 3, 8000),
        ("1700000000002", 4, 3000),
    ]
    # 1700000000250 ms after the epoch is 2023-11-14 22:13:20.250 UTC
    assert aware_utc(rows[0].reviewed_at) == datetime(2023, 11, 14, 22, 13, 20, 250000, tzinfo=UTC)


def test_the_fsrs_conversion_gives_an_importable_log() -> None:
    match = re.search(r"python3 -c '\n(.+?)\n' < revlog\.csv", _readme(), re.S)
    assert match is not None, "the FSRS recipe is in the README"
    fsrs = (
        "card_id,review_time,review_rating,review_state,review_duration\n"
        "1700000000001,1700000000250,3,2,20000\n"
        "1700000000002,1700000060500,1,1,8000\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", match[1]], input=fsrs, capture_output=True, text=True, check=True
    )
    rows, problems = parse_revlog(io.StringIO(done.stdout, newline=""))
    assert problems == []
    assert [(r.card_id, r.rating) for r in rows] == [("1700000000001", 3), ("1700000000002", 1)]
    # 1700000000250 ms after the epoch is 2023-11-14 22:13:20.250 UTC
    assert aware_utc(rows[0].reviewed_at) == datetime(2023, 11, 14, 22, 13, 20, 250000, tzinfo=UTC)
