"""The package's metadata in its current form: an SPDX license expression (PEP 639).

The older table form (``license = {text = "MIT"}``) and ``License ::`` classifiers make
setuptools ≥ 77 warn on every install; the expression is written to the installed
metadata as ``License-Expression`` (metadata 2.4).
"""

from __future__ import annotations

import importlib.metadata
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_license_is_an_spdx_expression_without_classifiers() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert isinstance(project["license"], str) and project["license"] == "MIT"
    assert not any(c.startswith("License ::") for c in project.get("classifiers", []))
    metadata = importlib.metadata.metadata(project["name"])
    assert metadata["License-Expression"] == project["license"]
    assert metadata.get("License") is None
