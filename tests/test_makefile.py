"""The README's make targets reach the commands with their options (dry runs, nothing executed)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def dry_run(*args: str) -> list[str]:
    """The commands ``make -n ARGS`` would run, one a line."""
    done = subprocess.run(
        ["make", "-n", "--no-print-directory", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return done.stdout.splitlines()


def test_demo_takes_port_and_host() -> None:
    assert dry_run("demo")[-1] == ".venv/bin/twin demo --host 127.0.0.1 --port 8000"
    assert dry_run("demo", "PORT=8001", "HOST=0.0.0.0")[-1] == (
        ".venv/bin/twin demo --host 0.0.0.0 --port 8001"
    )


def test_reset_deletes_through_the_command_that_asks_first() -> None:
    assert dry_run("reset")[-1] == ".venv/bin/twin db reset"


def test_fast_tier_runs_without_the_database_and_keeps_bytecode() -> None:
    assert dry_run("test-fast")[-1] == (
        'PYTHONDONTWRITEBYTECODE= .venv/bin/python -m pytest -m "not db" -q'
    )
