"""Layering rules of DESIGN.md, checked: a pure analysis core, one-way data flow, a layout
that repeats for every capability, and modules small enough to read."""

from __future__ import annotations

import ast
import functools
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


@functools.cache  # parsed once per run: three tests walk the same modules
def _imports_of(path: Path) -> frozenset[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return frozenset(names)


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


# --- layers over the services: the dashboard ------------------------------------------------

OVER_THE_SERVICES = {
    # The dashboard (issue 20): server-rendered pages at /ui. It is not a capability (it
    # computes and stores nothing of its own) but a presentation layer beside the API: its
    # pages read and write through the same services the routers call, from ui/data/.
    "ui": "the dashboard: pages over the services (ui/data/ calls them)",
}
"""Top-level packages that present what the capabilities compute; none is a capability."""

PACKAGES = {
    "analysis": "layer",
    "services": "layer",
    "api": "layer",
    "jobs": "layer",
    "cli": "layer",
    "db": "infrastructure",
    "ingest": "infrastructure",
    "simulate": "infrastructure",
    **dict.fromkeys(OVER_THE_SERVICES, "over the services"),
}
"""Every package directly under src/twin and what it is (ARCHITECTURE.md, "The tree")."""

MAY_IMPORT_THE_DASHBOARD = {
    "api/app.py": "mounts the pages on the app",
    "cli/dashboard.py": "`twin dashboard-link` prints a sign-in link",
}
"""The only modules outside twin.ui that import it: nothing computes or stores through it."""


def test_every_top_level_package_is_a_known_layer() -> None:
    """A new package under src/twin is a layer, infrastructure or a layer over the services."""
    packages = sorted(p.parent.name for p in SRC.glob("*/__init__.py"))
    assert [p for p in packages if p not in PACKAGES] == []
    assert sorted(PACKAGES) == packages, "a package in PACKAGES no longer exists"


def test_dashboard_reads_and_writes_only_through_the_services() -> None:
    """twin.ui has no SQL of its own (no database driver or SQLAlchemy), calls the engine's
    services from ui/data/ only, and nothing below it imports it (the app mounts it; one
    command prints its link)."""
    problems = []
    for package in OVER_THE_SERVICES:
        for path in (SRC / package).rglob("*.py"):
            for name in _imports_of(path):
                if name.startswith(("sqlalchemy", "psycopg", "twin.db.models", "twin.jobs")):
                    problems.append(f"{path.relative_to(SRC)} imports {name}")
                if name.startswith("twin.services") and path.parent.name != "data":
                    problems.append(f"{path.relative_to(SRC)} calls a service outside ui/data/")
            text = path.read_text()
            if any(sql in text for sql in ("SELECT ", "INSERT ", "UPDATE ", "DELETE FROM")):
                problems.append(f"{path.relative_to(SRC)} holds SQL")
    for path in SRC.rglob("*.py"):
        where = str(path.relative_to(SRC))
        if where.split("/")[0] in OVER_THE_SERVICES or where in MAY_IMPORT_THE_DASHBOARD:
            continue
        problems += [
            f"{where} imports {n}"
            for n in _imports_of(path)
            if any(n == f"twin.{p}" or n.startswith(f"twin.{p}.") for p in OVER_THE_SERVICES)
        ]
    assert problems == []


# --- the layout: every capability in every layer where that layer applies -------------------

CAPABILITIES = (
    "ingest",
    "learners",
    "patterns",
    "recall",
    "cognitive",
    "struggle",
    "orchestration",
    "personalization",
    "experiments",
    "insights",
)
"""The engine's capabilities. A new one is added here, with a line in NOT_APPLICABLE for
each layer it has no use for (orchestration, personalization, experiments and insights
are on their way)."""

LAYERS = {
    "analysis": "analysis/{cap}/",
    "services": "services/{cap}.py or services/{cap}/",
    "api": "api/routers/{cap}.py",
    "schemas": "api/schemas/{cap}.py",
    "jobs": "jobs/{cap}.py",
    "cli": "cli/{cap}.py",
}
"""Where each layer keeps a capability's code (relative to src/twin)."""

NOT_APPLICABLE: dict[tuple[str, str], str] = {
    # Ingestion validates and bulk-loads what the platform sends (twin/ingest/); it
    # derives nothing about the learner, so there is no analysis of its own.
    ("ingest", "analysis"): "nothing is computed: twin/ingest/ validates and loads",
    # Ingestion is request-driven; the work it triggers (session loads) runs in the
    # request, after the commit, through the cognitive service.
    ("ingest", "jobs"): "no scheduled work: ingestion runs per request",
    # A learner's settings, privacy switches, export and erasure are stored, not analysed.
    ("learners", "analysis"): "nothing is computed about a learner's settings",
    ("learners", "jobs"): "no scheduled work: every change is a request",
    # The recall model is refitted by the pattern analysis (request and weekly job), which
    # calls services/recall.py; a second schedule would fit it twice.
    ("recall", "jobs"): "refitted inside the pattern analysis job (services/recall.py)",
    # `twin analyze` prints the learner's recall model; there is no recall command.
    ("recall", "cli"): "shown by `twin analyze` (cli/patterns.py)",
}
"""(capability, layer) pairs that do not apply, each with the reason."""

BEING_BUILT: dict[tuple[str, str], str] = {
    # ENGINE 5.3, 5.5 and 5.6 arrive pure core first (issues 16-19); their services, routes,
    # jobs and commands follow, and each entry goes when its file lands.
}
"""Layers of the capabilities under construction; an entry must go once its file lands."""


def _present(layer: str, cap: str) -> bool:
    if layer == "analysis":
        return (SRC / "analysis" / cap / "__init__.py").is_file()
    if layer == "services":
        return (SRC / "services" / f"{cap}.py").is_file() or (
            SRC / "services" / cap / "__init__.py"
        ).is_file()
    if layer == "api":
        return (SRC / "api" / "routers" / f"{cap}.py").is_file()
    if layer == "schemas":
        return (SRC / "api" / "schemas" / f"{cap}.py").is_file()
    return (SRC / layer / f"{cap}.py").is_file()


def test_every_capability_has_its_files_in_every_layer_that_applies() -> None:
    """analysis/<cap>/, services/<cap>, api/routers/<cap>.py, api/schemas/<cap>.py, jobs/, cli/."""
    missing = [
        f"{cap}: {LAYERS[layer].format(cap=cap)}"
        for cap in CAPABILITIES
        for layer in LAYERS
        if (cap, layer) not in NOT_APPLICABLE
        and (cap, layer) not in BEING_BUILT
        and not _present(layer, cap)
    ]
    assert missing == [], "missing (or add a reason to NOT_APPLICABLE): " + ", ".join(missing)


def test_layers_that_do_not_apply_are_really_absent() -> None:
    """A layer marked not applicable (or being built) has no file: the table says what exists."""
    stale = [
        f"{cap}/{layer}"
        for (cap, layer) in {**NOT_APPLICABLE, **BEING_BUILT}
        if _present(layer, cap)
    ]
    assert stale == [], "remove from NOT_APPLICABLE / BEING_BUILT: " + ", ".join(stale)
    for cap, layer in {**NOT_APPLICABLE, **BEING_BUILT}:
        assert cap in CAPABILITIES and layer in LAYERS, (cap, layer)


def test_every_analysis_package_is_a_known_capability() -> None:
    """A new analysis/<cap>/ joins CAPABILITIES (and so the layout check) when it arrives."""
    packages = sorted(
        p.parent.name for p in (SRC / "analysis").glob("*/__init__.py") if p.parent.is_dir()
    )
    unknown = [p for p in packages if p not in CAPABILITIES]
    assert unknown == [], f"add to CAPABILITIES in {Path(__file__).name}: {unknown}"


# --- module size ------------------------------------------------------------------------------

MAX_MODULE_LINES = 800
"""A module longer than this is split, or says why not in a comment starting ``# size:``."""
SIZE_REASON = "# size:"


def test_no_module_is_too_long_to_read_without_a_reason() -> None:
    """No module of src/twin over 800 lines (migrations aside) unless it says why."""
    too_long = []
    for path in sorted(SRC.rglob("*.py")):
        if "migrations" in path.relative_to(SRC).parts:
            continue
        text = path.read_text()
        lines = text.count("\n")
        if lines > MAX_MODULE_LINES and SIZE_REASON not in text:
            too_long.append(f"{path.relative_to(SRC)} ({lines} lines)")
    assert too_long == [], "split, or add a '# size: <why>' comment: " + ", ".join(too_long)


def test_routers_hold_no_models() -> None:
    """Request and answer models live in api/schemas/<cap>.py; a router only routes."""
    found = []
    for path in sorted((SRC / "api" / "routers").glob("*.py")):
        tree = ast.parse(path.read_text())
        found += [f"{path.name}: {n.name}" for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]
    assert found == [], "move to api/schemas/: " + ", ".join(found)
