"""How long `twin demo` takes until its API answers the first request.

    python -m benchmarks.demo_first_request [--port 8221] [--runs fresh,warm] [--baseline SRC]

Runs the installed ``twin demo`` (the checkout's ``.venv/bin/twin`` beside this file,
else ``twin`` on the PATH) with a new ``TWIN_DATA_DIR`` in a temporary directory,
polls ``GET /readyz`` every 0.1 s until it answers 200, and stops the demo with
SIGINT (as Ctrl-C does). ``fresh`` is the first run on an empty data directory (the
embedded server is initialised, the cohort simulated, the log imported); ``warm`` a
second run on the same directory (the data is reused). The figure is wall time from
starting the process to the first 200. Prints a table and writes
``benchmarks/results/demo_first_request.json``.

``--baseline SRC`` times another version too (its ``src`` directory, e.g. an earlier
commit unpacked with ``git archive COMMIT src | tar -x -C DIR``), alternating the two
run by run so both see the same machine load: baseline fresh, this fresh, baseline
warm, this warm (each version on its own data directory).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
POLL_SECONDS = 0.1
TIMEOUT_SECONDS = 1800.0
STOP_TIMEOUT_SECONDS = 120.0
DEFAULT_PORT = 8221
RUNS = ("fresh", "warm")
SETUP_LINE = re.compile(r"set-up finished in [\d.]+ s(?: \([^)]*\))?")


def twin_executable() -> str:
    """The checkout's ``twin`` (its .venv), else the one on the PATH."""
    local = ROOT / ".venv" / "bin" / "twin"
    return str(local) if local.exists() else shutil.which("twin") or "twin"


def ready(url: str) -> bool:
    """Whether ``url`` answers 200 now."""
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return bool(answer.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def time_demo(data_dir: Path, port: int, log: Path, src: Path | None = None) -> float:
    """Seconds from starting ``twin demo`` to its first 200 on /readyz; the demo is stopped after.

    ``src``: run the ``twin`` package found there instead of the installed one.
    """
    env = {**os.environ, "TWIN_DATA_DIR": str(data_dir)}
    env.pop("TWIN_DATABASE_URL", None)
    command = [twin_executable(), "demo", "--port", str(port)]
    if src is not None:
        env["PYTHONPATH"] = str(src)
        command = [sys.executable, "-m", "twin.cli", "demo", "--port", str(port)]
    url = f"http://127.0.0.1:{port}/readyz"
    if ready(url):
        raise SystemExit(f"something already answers on port {port}: choose another (--port)")
    started = time.perf_counter()
    with log.open("w") as out:
        process = subprocess.Popen(
            command,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        try:
            while not ready(url):
                if process.poll() is not None:
                    raise SystemExit(f"the demo exited with {process.returncode}; see {log}")
                if time.perf_counter() - started > TIMEOUT_SECONDS:
                    raise SystemExit(f"no answer within {TIMEOUT_SECONDS:.0f} s; see {log}")
                time.sleep(POLL_SECONDS)
            return time.perf_counter() - started
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
                try:
                    process.wait(STOP_TIMEOUT_SECONDS)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--runs", default=",".join(RUNS), help="fresh,warm (in this order)")
    parser.add_argument("--baseline", type=Path, default=None, help="src/ of a version to compare")
    args = parser.parse_args(argv)
    runs = [r for r in args.runs.split(",") if r]
    versions: dict[str, Path | None] = {"this checkout": None}
    if args.baseline is not None:
        versions = {"baseline": args.baseline.resolve(), **versions}
    console = Console()
    results: dict[str, dict[str, float]] = {name: {} for name in versions}
    setup_lines: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="twin-demo-bench-") as tmp:
        for run in runs:
            if run not in RUNS:
                raise SystemExit(f"unknown run {run!r}: choose from {', '.join(RUNS)}")
            for i, (name, src) in enumerate(versions.items()):
                data_dir = Path(tmp) / f"data-{i}"
                log = Path(tmp) / f"{i}-{run}.log"
                results[name][run] = time_demo(data_dir, args.port, log, src)
                console.print(f"{name}, {run}: {results[name][run]:.1f} s")
                # The line wraps at the console's width: read it with its wrapping undone.
                text = " ".join(log.read_text().split())
                found = SETUP_LINE.findall(text)
                setup_lines[f"{name}, {run}"] = found[-1] if found else "(no set-up line)"
    table = Table("version", *runs, title="twin demo: seconds to the first 200 on /readyz")
    for name, times in results.items():
        table.add_row(name, *(f"{times[r]:.1f}" for r in runs))
    console.print(table)
    for label, line in setup_lines.items():
        console.print(f"{label}: {line}", soft_wrap=True)
    sys.path.insert(0, str(ROOT))
    from benchmarks.ingest_support import write_result

    path = write_result(
        "demo_first_request",
        {
            "benchmark": "demo_first_request",
            "seconds": results,
            "setup": setup_lines,
            "machine": {"cpus": os.cpu_count(), "load": os.getloadavg()},
        },
    )
    console.print(f"results: {path}")


if __name__ == "__main__":
    main()
