"""``twin model …``: train, list and inspect struggle-prediction models — being built."""

from __future__ import annotations

import typer

model_app = typer.Typer(help="Struggle-prediction models: train, list.", no_args_is_help=True)


@model_app.command("list")
def list_command() -> None:
    """List the registered model versions."""
    raise typer.Exit(code=2)
