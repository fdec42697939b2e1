"""Base classes of the API's models."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


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
