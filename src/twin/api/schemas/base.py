"""Base classes and shared field types of the API's models."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict
from pydantic.alias_generators import to_camel

from twin.analysis.common import ROUNDING_DIGITS, InsufficientData, rounded


class Answer(BaseModel):
    """Base of every response model: built from a value object, written in camelCase.

    Fields are declared in snake_case, as the value objects name them; JSON carries the
    camelCase alias (``risk_score`` → ``riskScore``). ``model_validate`` reads attributes,
    so a frozen dataclass (or a nested one) converts without an intermediate dict.
    """

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        from_attributes=True,
        serialize_by_alias=True,
    )


def round_to(digits: int = ROUNDING_DIGITS) -> AfterValidator:
    """A float field's rounding: ``Annotated[float, round_to(2)]`` keeps two decimals."""
    return AfterValidator(partial(rounded, digits=digits))


Rounded = Annotated[float, round_to()]
"""A float rounded to :data:`~twin.analysis.common.ROUNDING_DIGITS` decimals."""


def _insufficient(value: Any) -> Any:
    return value.to_json() if isinstance(value, InsufficientData) else value


Insufficient = Annotated[dict[str, dict[str, int]], BeforeValidator(_insufficient)]
"""An unmet minimum: ``{"sessions": {"have": 12, "need": 30}}`` (from ``InsufficientData``)."""
