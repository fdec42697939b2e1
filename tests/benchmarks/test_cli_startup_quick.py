"""`twin --help` stays fast: the benchmark's one-run smoke test and its module guard."""

from __future__ import annotations

from benchmarks.cli_startup import HEAVY_MODULES, heavy_modules_loaded, measure

SMOKE_LIMIT_SECONDS = 10.0
"""Far above the 1 s target: this machine is shared, and the module guard is the real check."""


def test_importing_the_cli_loads_no_heavy_library() -> None:
    # `twin --help` imports every twin.cli module: each must import SQLAlchemy, numpy,
    # the services … only inside its commands.
    assert heavy_modules_loaded() == []
    assert "sqlalchemy" in HEAVY_MODULES and "twin.services" in HEAVY_MODULES


def test_benchmark_runs_once_and_reports() -> None:
    result = measure(runs=1)
    assert result["heavyModulesLoaded"] == []
    assert 0 < result["twinHelpSeconds"]["median"] < SMOKE_LIMIT_SECONDS
    assert result["floorHelpSeconds"]["median"] > 0
    assert result["ratioToFloor"] is not None
