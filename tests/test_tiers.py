"""The fast tier skips importing a module only when the module marks all its tests db."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

from tests.conftest import pytest_ignore_collect

MARKED = "import pytest\n\npytestmark = pytest.mark.db  # every test here uses PostgreSQL\n"
SOME = "import pytest\n\n\n@pytest.mark.db\ndef test_a(db):\n    pass\n"
INDENTED = "import pytest\n\n\nclass TestX:\n    pytestmark = pytest.mark.db\n"


def _config(markexpr: str) -> Any:
    return SimpleNamespace(getoption=lambda name: markexpr if name == "markexpr" else None)


def test_only_whole_db_modules_are_left_out_of_not_db(tmp_path: Path) -> None:
    paths = {}
    for name, text in (("marked", MARKED), ("some", SOME), ("indented", INDENTED)):
        paths[name] = tmp_path / f"test_{name}.py"
        paths[name].write_text(text)
    helper = tmp_path / "support.py"
    helper.write_text(MARKED)
    assert pytest_ignore_collect(paths["marked"], _config("not db")) is True
    assert pytest_ignore_collect(paths["marked"], _config(" not db ")) is True
    assert pytest_ignore_collect(paths["some"], _config("not db")) is None
    assert pytest_ignore_collect(paths["indented"], _config("not db")) is None
    assert pytest_ignore_collect(helper, _config("not db")) is None
    for other in ("", "db", "not db or slow", "not slow"):
        assert pytest_ignore_collect(paths["marked"], _config(other)) is None
