"""Layering rules of DESIGN.md, checked: a pure analysis core, one-way data flow."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import twin

SRC = Path(twin.__file__).resolve().parent
FORBIDDEN_IN_ANALYSIS = (
    "sqlalchemy",
    "fastapi",
    "psycopg",
    "procrastinate",
    "starlette",
    "twin.db",
)


def _modules(package: str) -> list[str]:
    path = SRC / package.removeprefix("twin.").replace(".", "/")
    return (
        [package]
        + [f"{package}.{m.name}" for m in pkgutil.walk_packages([str(path)]) if not m.ispkg]
        + [f"{package}.{m.name}" for m in pkgutil.walk_packages([str(path)]) if m.ispkg]
    )


def test_analysis_imports_nothing_from_io_layers() -> None:
    """Importing every twin.analysis module loads no database, web or queue library."""
    code = (
        "import importlib, sys\n"
        f"for m in {_modules('twin.analysis')!r}: importlib.import_module(m)\n"
        f"bad = sorted(n for n in sys.modules if n.split('.')[0] in {FORBIDDEN_IN_ANALYSIS!r} "
        f"or any(n.startswith(p) for p in {FORBIDDEN_IN_ANALYSIS!r} if '.' in p))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"twin.analysis pulled in: {out.stdout.strip()}"


def _imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_data_flows_one_way() -> None:
    """An analysis never imports a service; a service never imports the API."""
    rules = {
        "analysis": ("twin.services", "twin.api", "twin.db", "twin.jobs"),
        "services": ("twin.api",),
    }
    problems = []
    for layer, banned in rules.items():
        for path in (SRC / layer).rglob("*.py"):
            for name in _imports_of(path):
                if name.startswith(banned):
                    problems.append(f"{path.relative_to(SRC)} imports {name}")
    assert problems == []


def test_dashboard_reads_and_writes_only_through_the_services() -> None:
    """twin.ui has no SQL of its own (no database driver or SQLAlchemy), calls the engine from
    ui/data.py only, and nothing below it imports it (the app only mounts it)."""
    problems = []
    for path in (SRC / "ui").rglob("*.py"):
        for name in _imports_of(path):
            if name.startswith(("sqlalchemy", "psycopg", "twin.db.models", "twin.jobs")):
                problems.append(f"{path.relative_to(SRC)} imports {name}")
            if name.startswith("twin.services") and path.name != "data.py":
                problems.append(f"{path.relative_to(SRC)} calls a service outside ui/data.py")
        if "SELECT " in path.read_text():
            problems.append(f"{path.relative_to(SRC)} holds SQL")
    for layer in ("analysis", "services", "db", "jobs", "ingest", "simulate"):
        for path in (SRC / layer).rglob("*.py"):
            problems += [
                f"{path.relative_to(SRC)} imports {n}"
                for n in _imports_of(path)
                if n.startswith("twin.ui")
            ]
    for path in (SRC / "api").rglob("*.py"):
        if path.name != "app.py":
            problems += [
                f"{path.relative_to(SRC)} imports {n}"
                for n in _imports_of(path)
                if n.startswith("twin.ui")
            ]
    assert problems == []
