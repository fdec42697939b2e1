"""The engine's exception hierarchy: one root, domain errors beneath it."""

from __future__ import annotations

from typing import Any


class TwinError(Exception):
    """Root of every error the engine raises on purpose."""

    code = "twin_error"
    http_status = 500

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class ConfigError(TwinError):
    """A setting is missing or wrong."""

    code = "config_error"


class DatabaseUnavailable(TwinError):
    """The database cannot be reached, started, or is unsuitable."""

    code = "database_unavailable"
    http_status = 503


class MigrationError(TwinError):
    """The database schema is not at the revision the engine needs."""

    code = "migration_error"
    http_status = 503


class NotFound(TwinError):
    """The requested record does not exist (for this learner)."""

    code = "not_found"
    http_status = 404


class ValidationFailed(TwinError):
    """Input was rejected; ``details`` lists each problem (index, field, reason)."""

    code = "validation_failed"
    http_status = 422


class Conflict(TwinError):
    """The request conflicts with the current state (e.g. already applied)."""

    code = "conflict"
    http_status = 409


class Forbidden(TwinError):
    """The caller may not do this (privacy setting or scope)."""

    code = "forbidden"
    http_status = 403


class Unauthorized(TwinError):
    """No valid credential was presented."""

    code = "unauthorized"
    http_status = 401
