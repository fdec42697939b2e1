"""How fast `twin --help` answers, against a bare Typer app on the same machine.

    python -m benchmarks.cli_startup [--runs 15]

`twin --help` builds every command, so every ``twin.cli`` module is imported; the heavy
libraries (SQLAlchemy, numpy, scipy, scikit-learn, FastAPI, procrastinate) and the
services must only be imported inside the commands that use them. Runs, alternating,
``twin --help`` and ``--help`` of a two-command Typer app (the floor: Python, Typer and
Rich's help rendering, nothing of ours) in fresh processes, and ``import twin.cli``
alone; prints medians and minimums, the ratio to the floor, and which heavy modules
``import twin.cli`` loads (none is the goal). Target: ``twin --help`` median under 1 s.
Writes ``benchmarks/results/cli_startup.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 1.0
DEFAULT_RUNS = 15
HEAVY_MODULES = (
    "sqlalchemy",
    "numpy",
    "scipy",
    "sklearn",
    "fastapi",
    "pydantic",
    "procrastinate",
    "psycopg",
    "uvicorn",
    "alembic",
    "fsrs",
    "twin.services",
    "twin.db.engine",
    "twin.api",
    "twin.jobs",
    "twin.ingest",
)
"""Modules `import twin.cli` must not load (prefixes)."""

FLOOR_APP = """
import typer
app = typer.Typer()
@app.command()
def first(x: int = 1) -> None: ...
@app.command()
def second(x: int = 1) -> None: ...
app()
"""
MODULES_PROBE = "import sys, json, twin.cli; print(json.dumps(sorted(sys.modules)))"
IMPORT_PROBE = (
    "import time; t = time.perf_counter(); import twin.cli; print(time.perf_counter() - t)"
)


def _seconds(command: list[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {done.stderr[-2000:]}")
    return elapsed


def heavy_modules_loaded() -> list[str]:
    """The heavy modules ``import twin.cli`` loads, in a fresh interpreter."""
    out = subprocess.run(
        [sys.executable, "-c", MODULES_PROBE],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    ).stdout
    loaded = json.loads(out)
    return sorted(m for m in loaded if any(m == h or m.startswith(h + ".") for h in HEAVY_MODULES))


def measure(runs: int = DEFAULT_RUNS) -> dict[str, Any]:
    """Run the measurement and return its figures."""
    with tempfile.TemporaryDirectory(prefix="twin-cli-startup-") as tmp:
        floor_app = Path(tmp) / "floor_app.py"
        floor_app.write_text(FLOOR_APP)
        help_cmd = [sys.executable, "-m", "twin.cli", "--help"]
        floor_cmd = [sys.executable, str(floor_app), "--help"]
        import_cmd = [sys.executable, "-c", IMPORT_PROBE]
        twin_s: list[float] = []
        floor_s: list[float] = []
        import_s: list[float] = []
        for _ in range(runs):
            twin_s.append(_seconds(help_cmd))
            floor_s.append(_seconds(floor_cmd))
            probe = subprocess.run(import_cmd, capture_output=True, text=True, cwd=ROOT, check=True)
            import_s.append(float(probe.stdout.strip()))
    median = statistics.median(twin_s)
    floor = statistics.median(floor_s)
    return {
        "runs": runs,
        "twinHelpSeconds": {"median": median, "min": min(twin_s)},
        "floorHelpSeconds": {"median": floor, "min": min(floor_s)},
        "importTwinCliSeconds": {"median": statistics.median(import_s), "min": min(import_s)},
        "ratioToFloor": median / floor if floor > 0 else None,
        "heavyModulesLoaded": heavy_modules_loaded(),
        "targetSeconds": TARGET_SECONDS,
        "meetsTarget": median < TARGET_SECONDS,
        "loadAverage": list(os.getloadavg()),
        "cpus": os.cpu_count(),
    }


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark, print a table and write the JSON result."""
    from rich.console import Console
    from rich.table import Table

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=DEFAULT_RUNS)
    args = parser.parse_args(argv)
    result = measure(args.runs)
    table = Table("what", "median s", "min s", title=f"twin --help ({args.runs} runs each)")
    for label, key in (
        ("twin --help", "twinHelpSeconds"),
        ("bare Typer app --help (floor)", "floorHelpSeconds"),
        ("import twin.cli (in process)", "importTwinCliSeconds"),
    ):
        table.add_row(label, f"{result[key]['median']:.3f}", f"{result[key]['min']:.3f}")
    console = Console()
    console.print(table)
    console.print(
        f"ratio to the floor {result['ratioToFloor']:.2f}; heavy modules loaded by "
        f"`import twin.cli`: {', '.join(result['heavyModulesLoaded']) or 'none'}; "
        f"load average {result['loadAverage'][0]:.1f} on {result['cpus']} CPUs"
    )
    verdict = "meets" if result["meetsTarget"] else "MISSES"
    console.print(f"target: median under {TARGET_SECONDS:.0f} s — {verdict}")
    sys.path.insert(0, str(ROOT))
    from benchmarks.ingest_support import write_result

    console.print(f"results: {write_result('cli_startup', result)}")


if __name__ == "__main__":
    main()
