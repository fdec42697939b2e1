"""Struggle prediction jobs (ENGINE.md 5.2) — being built."""

from __future__ import annotations

from procrastinate import Blueprint


def register_tasks(blueprint: Blueprint) -> None:
    """Add this module's on-demand tasks to ``blueprint`` (none yet)."""
