"""Every documented `twin` command is registered and answers --help."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from twin.cli import app

runner = CliRunner()

COMMANDS = [
    ["demo"],
    ["serve"],
    ["worker"],
    ["simulate"],
    ["analyze"],
    ["health"],
    ["predict"],
    ["dashboard-link"],
    ["model", "train"],
    ["model", "list"],
    ["bench"],
    ["import", "revlog"],
    ["keys", "create"],
    ["keys", "list"],
    ["keys", "revoke"],
    ["learners", "list"],
    ["db", "upgrade"],
    ["db", "downgrade"],
    ["db", "current"],
    ["db", "history"],
    ["db", "verify"],
    ["db", "status"],
    ["db", "stop"],
    ["db", "reset"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_command_is_registered(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
