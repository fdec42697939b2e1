"""The answer base: a frozen dataclass becomes camelCase JSON without a dict in between."""

from __future__ import annotations

from dataclasses import dataclass

from twin.api.schemas.base import Answer


@dataclass(frozen=True)
class _Inner:
    half_life_days: float


@dataclass(frozen=True)
class _Outer:
    risk_score: float
    curve: _Inner
    labels: tuple[str, ...]


class _InnerOut(Answer):
    half_life_days: float


class _OuterOut(Answer):
    risk_score: float
    curve: _InnerOut
    labels: list[str]


def test_value_object_to_camel_case_json() -> None:
    """Nested dataclasses are read by attribute; keys come out in camelCase."""
    out = _OuterOut.model_validate(_Outer(0.25, _Inner(6.9), ("a", "b")))
    assert out.model_dump(mode="json") == {
        "riskScore": 0.25,
        "curve": {"halfLifeDays": 6.9},
        "labels": ["a", "b"],
    }
    schema = _OuterOut.model_json_schema(by_alias=True)
    assert set(schema["properties"]) == {"riskScore", "curve", "labels"}
