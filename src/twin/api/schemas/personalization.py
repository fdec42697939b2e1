"""Requests and answers of adaptive personalization (ENGINE.md 5.5, issue 17).

Answers are built straight from :mod:`twin.services.personalization`'s value objects;
requests forbid unknown fields and never coerce a string into a number or a boolean. The
``params`` of ``personalization:apply`` are checked twice: here for their JSON shape
(whole numbers, strings, lists of strings), and by the analysis for their names and
ranges per context (a 422 naming the parameter).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict

from twin.analysis.personalization.preferences import PersonalizationFeature
from twin.analysis.personalization.reward import DifficultyFeedback, ImplicitSignal
from twin.api.openapi import NO_NUL_PATTERN
from twin.api.schemas.base import Answer, Insufficient, Rounded
from twin.api.types import Id, JsonBool, JsonFloat, QueryTimestamp, Timestamp, whole_number
from twin.enums import PersonalizationContext, PersonalizationLevel

MAX_PARAMS = 10
MAX_PARAM_ITEMS = 100
MAX_TEXT = 200
MAX_COMMENT = 2000

WholeNumber = Annotated[int, Strict(), BeforeValidator(whole_number)]
ParamText = Annotated[str, Field(min_length=1, max_length=MAX_TEXT, pattern=NO_NUL_PATTERN)]
ParamValue = (
    WholeNumber | ParamText | Annotated[list[ParamText], Field(max_length=MAX_PARAM_ITEMS)] | None
)


EvaluationPolicy = Literal[
    "PATTERN_HEAVY", "PREDICTION_HEAVY", "BALANCED", "CONSERVATIVE", "UNIFORM"
]
"""A candidate policy: always one arm, or uniformly random."""


# --- requests ------------------------------------------------------------------------------


class PersonalizationApplyIn(BaseModel):
    """``POST …/personalization:apply``: a context and the caller's parameters for it.

    MISSION params: durationMinutes (15–120), startHour (0–23), objectiveIds,
    maxObjectives (1–10), complexity (BASIC / INTERMEDIATE / ADVANCED); CONTENT:
    contentTypes, objectiveIds; ASSESSMENT: intervalDays (1–60), objectiveIds; SESSION:
    durationMinutes, complexity, objectiveIds.
    """

    model_config = ConfigDict(extra="forbid")

    context: PersonalizationContext
    params: (
        dict[Annotated[str, Field(max_length=40, pattern=NO_NUL_PATTERN)], ParamValue] | None
    ) = Field(default=None, max_length=MAX_PARAMS)


class PersonalizationPreferencesPatch(BaseModel):
    """``PATCH …/personalization/preferences``: only the fields given change.

    ``pausedUntil: null`` ends a pause.
    """

    model_config = ConfigDict(extra="forbid")

    personalizationLevel: PersonalizationLevel | None = None
    missionPersonalizationEnabled: JsonBool | None = None
    contentPersonalizationEnabled: JsonBool | None = None
    assessmentPersonalizationEnabled: JsonBool | None = None
    sessionPersonalizationEnabled: JsonBool | None = None
    disabledFeatures: list[PersonalizationFeature] | None = Field(
        default=None, max_length=len(PersonalizationFeature)
    )
    autoAdaptEnabled: JsonBool | None = None
    pausedUntil: QueryTimestamp | None = Field(default=None, description="RFC 3339 with an offset")


class PersonalizationOutcomeIn(BaseModel):
    """``POST …/personalization/outcomes``: what a personalized session or mission produced."""

    model_config = ConfigDict(extra="forbid")

    decisionId: Id | None = Field(default=None, description="the decision this outcome rewards")
    context: PersonalizationContext | None = Field(
        default=None, description="needed without a decisionId"
    )
    retention: Annotated[JsonFloat, Field(ge=0, le=1)] | None = None
    performance: Annotated[JsonFloat, Field(ge=0, le=100)] | None = None
    completion: Annotated[JsonFloat, Field(ge=0, le=1)] | None = None
    engagement: Annotated[JsonFloat, Field(ge=0, le=100)] | None = None
    durationMinutes: Annotated[WholeNumber, Field(ge=0, le=1440)] | None = None
    contentType: (
        Annotated[str, Field(min_length=1, max_length=50, pattern=NO_NUL_PATTERN)] | None
    ) = None
    difficultyLevel: (
        Annotated[str, Field(min_length=1, max_length=50, pattern=NO_NUL_PATTERN)] | None
    ) = None
    signals: list[ImplicitSignal] = Field(default_factory=list, max_length=len(ImplicitSignal))


class PersonalizationFeedbackIn(BaseModel):
    """``POST …/personalization/feedback``: helpful and/or difficulty on a decision (latest by default)."""

    model_config = ConfigDict(extra="forbid")

    decisionId: Id | None = None
    helpful: JsonBool | None = None
    difficulty: DifficultyFeedback | None = None
    comment: Annotated[str, Field(max_length=MAX_COMMENT, pattern=NO_NUL_PATTERN)] | None = None


class PersonalizationSignalIn(BaseModel):
    """``POST …/personalization/signals``: an implicit signal on a decision (latest by default)."""

    model_config = ConfigDict(extra="forbid")

    decisionId: Id | None = None
    signal: ImplicitSignal


# --- answers -------------------------------------------------------------------------------


class PersonalizationPreferencesOut(Answer):
    """The learner's switches and what they mean now."""

    user_id: str
    level: str
    level_meaning: str
    min_confidence: Rounded | None
    features: list[str]
    mission_enabled: bool
    content_enabled: bool
    assessment_enabled: bool
    session_enabled: bool
    disabled_features: list[str]
    auto_adapt: bool
    paused_until: Timestamp | None
    paused: bool
    last_reset_at: Timestamp | None
    stored: bool


class PersonalizationResetOut(Answer):
    """What a reset did."""

    preferences: PersonalizationPreferencesOut
    arms_cleared: int


class PersonalizationDecisionInfoOut(Answer):
    """How the bandit chose."""

    propensity: Rounded
    mode: str
    probabilities: dict[str, Rounded]
    reward_scale: Rounded
    priors: dict[str, str]


class PersonalizationApplyOut(Answer):
    """The parameters to use, the evidence and arm behind them, and the decision id."""

    decision_id: str | None
    context: str
    strategy: str | None
    personalized: bool
    scope: dict[str, Any]
    parameters: dict[str, Any]
    defaults: dict[str, Any]
    evidence: list[dict[str, Any]]
    overrides: list[str]
    reasons: list[str]
    decision: PersonalizationDecisionInfoOut | None
    experiment: dict[str, Any] | None


class PersonalizationRewardOut(Answer):
    """A decision's reward now, and its arm's statistics."""

    decision_id: str
    strategy: str
    context: str
    reward: Rounded | None
    detail: dict[str, Any] | None
    arm_times_selected: int | None
    arm_avg_reward: Rounded | None


class PersonalizationOutcomeOut(Answer):
    """What was stored, and the reward when the outcome named a decision."""

    outcome_id: str
    context: str
    personalization_applied: bool
    personalization_level: str
    reward: PersonalizationRewardOut | None


class PersonalizationArmOut(Answer):
    """One arm (``personalization_configs``)."""

    config_id: str
    context: str
    strategy: str
    times_selected: int
    total_reward: Rounded
    avg_reward: Rounded
    posterior_mean: Rounded
    confidence: Rounded
    is_active: bool
    effectiveness_score: Rounded | None


class PersonalizationArmsOut(Answer):
    """The learner's arms."""

    arms: list[PersonalizationArmOut]


class PersonalizationDecisionOut(Answer):
    """One logged decision."""

    decision_id: str
    context: str
    strategy: str
    propensity: Rounded
    mode: str
    level: str
    decided_at: Timestamp
    parameters: dict[str, Any]
    reasons: list[str]
    overrides: list[str]
    reward: Rounded | None
    feedback_helpful: bool | None
    feedback_difficulty: str | None
    signals: list[str]


class PersonalizationDecisionsOut(Answer):
    """The learner's latest decisions, newest first."""

    decisions: list[PersonalizationDecisionOut]


class PersonalizationEffectivenessOut(Answer):
    """Effectiveness over a window vs the window before, or the data still missing."""

    user_id: str
    context: str | None
    window_start: Timestamp
    window_end: Timestamp
    baseline_start: Timestamp
    result: dict[str, Any] | None
    insufficient: Insufficient | None


class PersonalizationContextOut(Answer):
    """One context: its switch, its arms, its latest decision."""

    context: str
    enabled: bool
    arms: list[PersonalizationArmOut]
    latest: PersonalizationDecisionOut | None


class PersonalizationOverviewOut(Answer):
    """The learner's personalization at a glance."""

    user_id: str
    preferences: PersonalizationPreferencesOut
    contexts: list[PersonalizationContextOut]
    decisions: int
    rewarded: int
    effectiveness: PersonalizationEffectivenessOut


class PersonalizationEstimateOut(Answer):
    """A policy value with its 95% interval."""

    method: str
    value: Rounded
    low: Rounded
    high: Rounded
    standard_error: Rounded
    n: int


class PersonalizationEvaluationOut(Answer):
    """Off-policy value of a candidate policy from the decision log (or the data missing)."""

    context: str
    policy: str
    ips: PersonalizationEstimateOut | None
    dr: PersonalizationEstimateOut | None
    logged_value: Rounded | None
    effective_sample_size: Rounded | None
    max_weight: Rounded | None
    decisions: int | None
    insufficient: Insufficient | None
