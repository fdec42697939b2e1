"""What the contract fuzz's configuration selects, checked without running it.

A ``[[operations]]`` block of ``fuzz/schemathesis.toml`` selects the union of what its
``include-*`` keys match, and a check named on Schemathesis' command line overrides a
block's ``enabled = false``; both once made the configuration say something else than it
meant. These tests pin what each exception applies to.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from schemathesis.config import SchemathesisConfig

CONFIG = Path(__file__).resolve().parent / "fuzz" / "schemathesis.toml"

# Reads after a DELETE that clears or cancels, which answer 200 by contract.
USE_AFTER_FREE_OFF = {
    "GET /v1/users/{userId}/patterns",
    "GET /v1/users/{userId}/patterns/evolution",
    "GET /v1/users/{userId}/insights",
    "GET /v1/users/{userId}/calendar/busy",
    "GET /v1/users/{userId}/session-plans/{planId}",
}


@pytest.fixture(scope="module")
def operations(offline_app: FastAPI) -> dict[str, object]:
    config = SchemathesisConfig.from_path(str(CONFIG))
    schema = schemathesis.openapi.from_dict(offline_app.openapi(), config=config)
    ops = [result.ok() for result in schema.get_all_operations()]
    return {f"{op.method.upper()} {op.path}": (schema, op) for op in ops}


def _checks(operations: dict[str, object], label: str, phase: str | None = None) -> object:
    schema, op = operations[label]  # type: ignore[misc]
    return schema.config.checks_config_for(operation=op, phase=phase)


def test_use_after_free_is_off_only_for_reads_of_cleared_collections(
    operations: dict[str, object],
) -> None:
    off = {
        label
        for label in operations
        if not _checks(operations, label, "stateful").use_after_free.enabled  # type: ignore[attr-defined]
    }
    assert off == USE_AFTER_FREE_OFF
    # the erasure's reads keep it: a learner erased must answer 404
    assert _checks(operations, "GET /v1/users/{userId}", "stateful").use_after_free.enabled  # type: ignore[attr-defined]


def test_every_other_check_runs_everywhere(operations: dict[str, object]) -> None:
    for label in operations:
        checks = _checks(operations, label)
        for name in (
            "not_a_server_error",
            "status_code_conformance",
            "response_schema_conformance",
            "negative_data_rejection",
            "positive_data_acceptance",
            "ensure_resource_availability",
            "ignored_auth",
            "unsupported_method",
            "missing_required_header",
        ):
            assert checks.get_by_name(name=name).enabled, (label, name)  # type: ignore[attr-defined]


def test_422_counts_as_accepting_valid_data_only_where_json_schema_cannot_state_the_rule(
    operations: dict[str, object],
) -> None:
    relaxed = {
        label
        for label in operations
        if "422"
        in [str(s) for s in _checks(operations, label).positive_data_acceptance.expected_statuses]  # type: ignore[attr-defined]
    }
    assert "POST /v1/experiments" in relaxed
    assert "POST /v1/users/{userId}/goals" in relaxed
    # the POST and GET routes without such a rule are held to the schema
    for label in (
        "POST /v1/tokens",
        "POST /v1/users/{userId}/patterns:analyze",
        "POST /v1/users/{userId}/predictions:generate",
        "GET /v1/users/{userId}/patterns",
        "PUT /v1/users/{userId}",
    ):
        assert label in operations and label not in relaxed, label
