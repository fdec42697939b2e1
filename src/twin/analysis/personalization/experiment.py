"""An A/B experiment's variant in place of the bandit: what a variant config may say.

When a learner takes part in a running experiment of a context (issue 18's
``active_variant``), the experiment decides that context's personalization and the bandit
stands aside: no arm is drawn (the service logs the decision with the variant's assignment
probability as its propensity). A variant's ``config`` is a JSON object; this module reads
the keys it knows:

- ``strategy``: the arm whose weights shape the parameters (default BALANCED, the middle
  arm, so that a config that sets only parameters compares them on neutral ground);
- ``level``: the personalization level of the variant — never more than the learner's own
  (their preferences always hold: a learner at LOW stays at LOW);
- ``params``: client params the variant fixes (they replace the request's of the same
  name, and are validated like them);
- ``durationFactor`` (0.25–2): multiplies the starting session length of MISSION and
  SESSION (the request's ``durationMinutes``, else the engine default 45 ± complexity),
  rounded to 5 minutes and kept in 15–120.

Other keys are reported as not understood. A config that cannot be used (an unknown arm
or level, a bad param or factor) gives the engine defaults, and the answer says why: the
learner's request never fails for an operator's mistake. The safety overrides apply as
always.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from twin.analysis.personalization.apply import apply
from twin.analysis.personalization.common import InvalidParameter
from twin.analysis.personalization.evidence import Evidence
from twin.analysis.personalization.params import (
    MissionParams,
    Params,
    Personalized,
    SessionParams,
    check_params,
)
from twin.analysis.personalization.preferences import (
    LEVEL_RANK,
    Preferences,
    personalization_scope,
)
from twin.analysis.personalization.shaping import (
    COMPLEXITY_OFFSET_MINUTES,
    DEFAULT_DURATION_MINUTES,
    clamp_duration,
)
from twin.analysis.personalization.strategy import StrategyArm
from twin.enums import PersonalizationContext, PersonalizationLevel

DEFAULT_VARIANT_ARM = StrategyArm.BALANCED
MIN_DURATION_FACTOR = 0.25
MAX_DURATION_FACTOR = 2.0
KNOWN_KEYS = ("strategy", "level", "params", "durationFactor")


@dataclass(frozen=True)
class VariantConfig:
    """What a variant's config says, as far as personalization understands it."""

    strategy: StrategyArm = DEFAULT_VARIANT_ARM
    level: PersonalizationLevel | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    duration_factor: float | None = None
    ignored: tuple[str, ...] = ()
    problem: str | None = None
    """Why the config cannot be used (None: it can)."""


def read_variant_config(raw: Mapping[str, Any]) -> VariantConfig:
    """The known keys of a variant config; ``problem`` says what makes it unusable."""
    ignored = tuple(sorted(k for k in raw if k not in KNOWN_KEYS))
    try:
        strategy = DEFAULT_VARIANT_ARM
        if raw.get("strategy") is not None:
            strategy = StrategyArm(str(raw["strategy"]))
        level = None
        if raw.get("level") is not None:
            level = PersonalizationLevel(str(raw["level"]))
        params = raw.get("params") or {}
        if not isinstance(params, Mapping):
            raise ValueError("params must be a JSON object")
        factor = raw.get("durationFactor")
        if factor is not None:
            if isinstance(factor, bool) or not isinstance(factor, int | float):
                raise ValueError("durationFactor must be a number")
            if not (math.isfinite(factor) and MIN_DURATION_FACTOR <= factor <= MAX_DURATION_FACTOR):
                raise ValueError(
                    f"durationFactor must be in [{MIN_DURATION_FACTOR:g}, {MAX_DURATION_FACTOR:g}]"
                )
            factor = float(factor)
    except ValueError as exc:
        return VariantConfig(ignored=ignored, problem=str(exc))
    return VariantConfig(strategy, level, dict(params), factor, ignored)


def _scaled(params: Params, factor: float) -> Params:
    """MISSION / SESSION params with the starting duration multiplied by ``factor``."""
    if not isinstance(params, MissionParams | SessionParams):
        return params
    start = params.duration_minutes
    if start is None:
        start = DEFAULT_DURATION_MINUTES + COMPLEXITY_OFFSET_MINUTES[params.complexity]
    return replace(params, duration_minutes=clamp_duration(start * factor))


def apply_variant(
    context: PersonalizationContext,
    preferences: Preferences,
    now: datetime,
    evidence: Evidence,
    config: VariantConfig,
    reason: str,
    params: Mapping[str, Any] | None = None,
) -> Personalized[Any]:
    """The parameters of ``context`` under an experiment's variant (``reason`` says which)."""
    client = dict(params or {})
    check_params(context, client)  # the request's own params are the caller's to get right
    notes = [reason]
    if config.ignored:
        notes.append("variant config keys not understood: " + ", ".join(config.ignored))
    prefs = preferences
    if config.level is not None and LEVEL_RANK[config.level] < LEVEL_RANK[preferences.level]:
        prefs = replace(preferences, level=config.level)
        notes.append(f"the variant sets level {config.level.value}")
    elif config.level is not None and config.level is not preferences.level:
        notes.append(
            f"the variant asks for level {config.level.value}; the learner's "
            f"{preferences.level.value} is kept (never more than the learner chose)"
        )
    problem = config.problem
    merged: Params | None = None
    if problem is None:
        try:
            merged = check_params(context, {**client, **config.params})
        except InvalidParameter as exc:
            problem = f"params.{exc.field}: {exc.reason}"
    if problem is not None or merged is None:
        off = replace(prefs, level=PersonalizationLevel.NONE)
        result = apply(
            context,
            evidence,
            config.strategy,
            personalization_scope(off, context, now),
            client,
        )
        notes.append(f"the variant config cannot be used ({problem}): engine defaults")
        return replace(result, reasons=(*notes, *result.reasons))
    if config.duration_factor is not None:
        merged = _scaled(merged, config.duration_factor)
        notes.append(f"the variant scales the starting duration by {config.duration_factor:g}")
    result = apply(
        context, evidence, config.strategy, personalization_scope(prefs, context, now), merged
    )
    return replace(result, reasons=(*notes, *result.reasons))
