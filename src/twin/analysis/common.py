"""Vocabulary shared by every analysis: the insufficient-data answer."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InsufficientData:
    """A minimum that is not met yet, and how far along the learner (or the model) is."""

    requirement: str
    have: int
    need: int

    def to_json(self) -> dict[str, dict[str, int]]:
        """``{"sessions": {"have": 12, "need": 30}}``."""
        return {self.requirement: {"have": self.have, "need": self.need}}
