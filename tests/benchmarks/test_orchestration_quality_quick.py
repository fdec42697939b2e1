"""The orchestration benchmark end to end at a tiny scale: both worlds, following, the effectiveness
measurement, and the speed runs through a real ``twin serve`` on a free port."""

from __future__ import annotations

import socket

import pytest

from benchmarks.orchestration_quality import Options, report_table, run
from twin.db.engine import Database

pytestmark = pytest.mark.db  # every test here uses PostgreSQL


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.db
@pytest.mark.slow
def test_quick_orchestration_benchmark(db: Database) -> None:
    options = Options(
        learners=4,
        history_weeks=3,
        follow_weeks=1,
        requests=3,
        port=_free_port(),
        database_url=db.url,
    )
    result = run(options)
    for world in ("matters", "flat"):
        checks = result["worlds"][world]["checks"]
        assert checks["slots"] > 0 and checks["plans"] > 0
        assert checks["slotOverlaps"] == 0 and checks["planOverlaps"] == 0
        effect = result["worlds"][world]["effectiveness"]
        # Every follower (seed 16: 4 and 2 of the 4) is measured or answered "insufficient
        # data" — none is lost between following and the effectiveness service.
        assert effect["followers"] == result["worlds"][world]["followers"] >= 1
        assert effect["measured"] + effect["insufficientData"] == effect["followers"]
        # Followers start sessions at their accepted slots on 85% of slot days, so the
        # service must see some adherence (0.6 and 0.4 in this run).
        assert effect["meanAdherence"] is not None and 0 < effect["meanAdherence"] <= 1
        # Each learner gets one checked plan at the start; followers' accepted slots add more.
        assert checks["plans"] > result["worlds"][world]["learners"]
    speed = result["speed"]
    assert speed["feedEvents"] > 2000 and speed["busyBlocks"] > 0
    assert speed["slots7Days"]["n"] == 3 and speed["sessionPlan"]["n"] == 3
    assert report_table(result).row_count == 11
    assert speed["inProcess"]["slots7Days"]["n"] == 3
    # Round trips per call (BEGIN/COMMIT aside): slots = learner+lock, context (with the
    # stored slots), session facts; a plan = learner+lock, context with content, one write;
    # a cancel = learner+lock, the plan, the update (11, 19 and 4 before the cut).
    assert speed["inProcess"]["statements"] == {"slots7Days": 3, "sessionPlan": 3, "cancelPlan": 3}
