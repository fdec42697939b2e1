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


def test_rounding_and_insufficient_data() -> None:
    """round_to keeps the digits asked for; InsufficientData is written {requirement: {have, need}}."""
    from typing import Annotated

    from twin.analysis.common import InsufficientData
    from twin.api.schemas.base import Insufficient, round_to

    class _Out(Answer):
        score: Annotated[float, round_to(2)]
        insufficient: Insufficient | None

    out = _Out.model_validate({"score": 12.3456, "insufficient": InsufficientData("days", 4, 7)})
    assert out.model_dump(mode="json") == {
        "score": 12.35,  # 12.3456 to two decimals
        "insufficient": {"days": {"have": 4, "need": 7}},
    }
