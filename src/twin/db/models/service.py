"""The service's own tables (0004): API keys, engine secrets, simulator ground truth."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Mapped, mapped_column

from twin.db.base import Base, created_column, index, pk_column, unique


class ApiKey(Base):
    """A service API key; only its SHA-256 hash is stored."""

    __tablename__ = "api_keys"
    __table_args__ = (unique("api_keys", "name"), unique("api_keys", "keyHash"))

    id: Mapped[str] = pk_column()
    name: Mapped[str]
    keyHash: Mapped[str]
    keyPrefix: Mapped[str]
    createdAt: Mapped[datetime] = created_column()
    lastUsedAt: Mapped[datetime | None]
    revokedAt: Mapped[datetime | None]


class EngineSecret(Base):
    """A named secret generated once and shared by every API process (e.g. the token key)."""

    __tablename__ = "engine_secrets"

    id: Mapped[str] = mapped_column(primary_key=True)
    value: Mapped[str]
    createdAt: Mapped[datetime] = created_column()


class SimulationTruth(Base):
    """Hidden traits of a simulated learner; read by benchmarks and tests, never by an analysis."""

    __tablename__ = "simulation_truth"
    __table_args__ = (unique("simulation_truth", "userId"), index("simulation_truth", "seed"))

    id: Mapped[str] = pk_column()
    userId: Mapped[str]
    seed: Mapped[int]
    traits: Mapped[dict[str, Any]]
    createdAt: Mapped[datetime] = created_column()
