"""``twin bench NAME``: run a benchmark of the source checkout."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from twin.cli.common import fail

BENCH_CONTEXT = {"allow_extra_args": True, "ignore_unknown_options": True}
"""Options after NAME go to the benchmark itself."""


def bench(
    ctx: typer.Context,
    name: Annotated[
        str, typer.Argument(help="queries, api_events, recall_quality, simulate_load, …")
    ],
) -> None:
    """Run a benchmark of the source checkout (extra options go to it; try `twin bench queries --help`)."""
    import subprocess
    import sys

    import twin

    root = Path(twin.__file__).resolve().parents[2]
    module = root / "benchmarks" / f"{name}.py"
    if not module.is_file():
        available = sorted(
            p.stem for p in (root / "benchmarks").glob("*.py") if not p.stem.startswith("_")
        )
        raise fail(
            f"no benchmark {name!r} in {root / 'benchmarks'}"
            + (
                f"; available: {', '.join(available)}"
                if available
                else " (benchmarks ship with the source checkout)"
            )
        )
    raise typer.Exit(
        subprocess.call([sys.executable, "-m", f"benchmarks.{name}", *ctx.args], cwd=root)
    )
