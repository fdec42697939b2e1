"""The API's contract, fuzzed: Schemathesis against the live OpenAPI document.

An API process serves a database holding a small simulated cohort (whose learners the
fuzzer names half of the time, see ``fuzz/schemathesis.toml``) on a loopback port with a
service key;
``schemathesis run`` reads ``/openapi.json`` and runs every check on every operation
(examples, coverage, fuzzing and stateful phases; the checks are switched on in
``fuzz/schemathesis.toml``, whose exceptions ``test_fuzz_config.py`` pins), bounded by
examples per operation and a time budget. It must find no 5xx, no answer outside the documented status codes
and schemas, no schema-valid request refused (save the rules JSON Schema cannot state,
listed in ``fuzz/schemathesis.toml``) and no schema-invalid request accepted.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.api.live import LiveServer
from tests.services.patterns_support import cohort_db as db
from tests.services.patterns_support import cohort_module_db
from twin.db.engine import Database
from twin.services import auth

pytestmark = pytest.mark.db  # every test here uses PostgreSQL

__all__ = ["cohort_module_db", "db"]  # fixtures: the database holds a simulated cohort

FUZZ_DIR = Path(__file__).resolve().parent / "fuzz"
SEED = int(os.environ.get("TWIN_FUZZ_SEED", "12"))  # another seed explores other paths
MAX_EXAMPLES = 25  # per operation and phase
MAX_SECONDS = 150  # the whole run's budget
TIMEOUT_SECONDS = MAX_SECONDS + 120


def test_the_openapi_contract_holds_under_fuzzing(db: Database, tmp_path: Path) -> None:
    with db.session() as session:
        _row, key = auth.create_api_key(session, "contract-fuzz")
    env = {**os.environ, "SCHEMATHESIS_HOOKS": str(FUZZ_DIR / "hooks.py")}
    with LiveServer(db.url) as server:
        started = time.monotonic()
        run = subprocess.run(
            [
                str(Path(sys.executable).parent / "schemathesis"),
                "--config-file",
                str(FUZZ_DIR / "schemathesis.toml"),
                "--no-color",
                "run",
                f"{server.base_url}/openapi.json",
                "--header",
                f"Authorization: Bearer {key}",
                "--max-examples",
                str(MAX_EXAMPLES),
                "--max-time",
                str(MAX_SECONDS),
                "--seed",
                str(SEED),
                "--request-timeout",
                "30",
                "--report-dir",
                str(tmp_path),
            ],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
        )
        seconds = time.monotonic() - started
    warnings = run.stdout.find("= WARNINGS =")
    summary = run.stdout[warnings if warnings >= 0 else run.stdout.rfind("SUMMARY") :]
    cases = re.search(r"(\d+) generated", summary)
    print(
        f"\ncontract fuzz: {cases.group(1) if cases else '?'} test cases in {seconds:.0f} s "
        f"(seed {SEED}, ≤ {MAX_EXAMPLES} examples per operation)\n{summary}"
    )
    assert run.returncode == 0, run.stdout[-20_000:] + run.stderr[-5_000:]
    assert cases is not None and int(cases.group(1)) > 0
