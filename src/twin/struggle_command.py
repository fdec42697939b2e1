"""``twin predict USER``: a learner's upcoming struggle risks with their reasons — being built."""

from __future__ import annotations

from typing import Annotated

import typer


def predict_command(
    user_id: Annotated[str, typer.Argument(help="The learner's id.")],
) -> None:
    """Predict and print the learner's upcoming struggles."""
    raise typer.Exit(code=2)
