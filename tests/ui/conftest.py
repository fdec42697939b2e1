"""Dashboard test fixtures: a seeded learner, the app on loopback, Debian's Chromium.

Browser tests drive ``/usr/bin/chromium`` through Playwright (never a downloaded browser)
and are skipped, with a message, only when that binary is missing. Screenshots of every
page at 375 and 1440 px go to ``.test-artifacts/ui-screenshots/`` at the repository root,
kept after the run (gitignored); the path is printed at the end of the run.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from benchmarks.dashboard_speed import CHROMIUM, CHROMIUM_ARGS
from twin.db.engine import Database, create_db_engine

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / ".test-artifacts" / "ui-screenshots"
XSS_NAME = "<script>window.__pwned=1</script>Ada <b>Lovelace</b>"
_used_screenshots: list[Path] = []


def screenshot_path(name: str) -> Path:
    """Where a screenshot of this run goes (the folder is kept and printed at the end)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    _used_screenshots.append(path)
    return path


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say where the dashboard screenshots are."""
    if _used_screenshots:
        terminalreporter.write_line(
            f"dashboard screenshots ({len(_used_screenshots)}): {SCREENSHOTS}"
        )


def require_chromium() -> None:
    """Skip (clearly) when Debian's Chromium is not installed."""
    if not CHROMIUM.exists():
        pytest.skip(
            f"{CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium; "
            "`make install` does it as root) to run the browser tests"
        )


@pytest.fixture(scope="module")
def module_db(pg_server: Any, template_db: str) -> Iterator[Database]:
    """A migrated database shared by one test module (cloned from the session's template)."""
    name = pg_server.create_database(template=template_db)
    database = Database(engine=create_db_engine(pg_server.url_for(name)))
    yield database
    database.close()
    pg_server.drop_database(name)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Headless Debian Chromium driven by Playwright (skipped when it is not installed)."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()
