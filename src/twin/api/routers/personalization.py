"""Adaptive personalization (ENGINE.md 5.5, issue 17) under ``/v1/users/{userId}/``.

``GET …/personalization`` (overview), ``GET/PATCH …/personalization/preferences``,
``POST …/personalization:reset``, ``POST …/personalization:apply``,
``POST …/personalization/outcomes``, ``POST …/personalization/feedback``,
``POST …/personalization/signals``, ``GET …/personalization/arms``,
``GET …/personalization/decisions``, ``GET …/personalization/effectiveness``; for
operators (service key) ``GET /v1/personalization/evaluation`` — the off-policy value of
another policy from the decision log.

Routes that analyse or decide answer 403 when the learner's behavioural analysis is off;
preferences are the learner's settings and need no consent.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from twin.analysis.common import InsufficientData
from twin.api.deps import AsOf, DbSession, Now, ServicePrincipal
from twin.api.guard import GuardedRoute
from twin.api.schemas.personalization import (
    EvaluationPolicy,
    PersonalizationApplyIn,
    PersonalizationApplyOut,
    PersonalizationArmsOut,
    PersonalizationDecisionsOut,
    PersonalizationEffectivenessOut,
    PersonalizationEvaluationOut,
    PersonalizationFeedbackIn,
    PersonalizationOutcomeIn,
    PersonalizationOutcomeOut,
    PersonalizationOverviewOut,
    PersonalizationPreferencesOut,
    PersonalizationPreferencesPatch,
    PersonalizationResetOut,
    PersonalizationRewardOut,
    PersonalizationSignalIn,
)
from twin.api.types import Id, QueryTimestamp, UserId
from twin.enums import PersonalizationContext
from twin.services.personalization import (
    decisions,
    effectiveness,
    offpolicy,
    outcomes,
    overview,
    preferences,
)

router = APIRouter(tags=["personalization"], route_class=GuardedRoute)

ANALYSIS_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "The learner's behavioural analysis is off"},
    404: {"description": "No such learner"},
}
DECISION_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "The learner's behavioural analysis is off"},
    404: {"description": "No such learner, or no such decision of this learner (decisionId)"},
    409: {"description": "Already recorded for this decision (details.field names it)"},
}


@router.get(
    "/users/{userId}/personalization",
    response_model=PersonalizationOverviewOut,
    responses=ANALYSIS_ERRORS,
)
def get_overview(userId: UserId, session: DbSession, now: AsOf) -> PersonalizationOverviewOut:
    """Level, each context's arms and latest decision (its parameters and why), effectiveness.

    With ``asOf``: the decisions up to then and the effectiveness of the 28 days before it
    (the arms are their current statistics: they keep no history).
    """
    return PersonalizationOverviewOut.model_validate(overview.overview(session, userId, now))


@router.get(
    "/users/{userId}/personalization/preferences",
    response_model=PersonalizationPreferencesOut,
    responses={404: {"description": "No such learner"}},
)
def get_preferences(userId: UserId, session: DbSession, now: Now) -> PersonalizationPreferencesOut:
    """The learner's level, toggles, disabled features, auto-adapt and pause (defaults if unset)."""
    return PersonalizationPreferencesOut.model_validate(
        preferences.preferences_view(session, userId, now)
    )


@router.patch(
    "/users/{userId}/personalization/preferences",
    response_model=PersonalizationPreferencesOut,
    responses={404: {"description": "No such learner"}},
)
def patch_preferences(
    userId: UserId, body: PersonalizationPreferencesPatch, session: DbSession, now: Now
) -> PersonalizationPreferencesOut:
    """Change only the fields given; ``pausedUntil: null`` ends a pause."""
    change = preferences.PreferencesChange(
        level=body.personalizationLevel,
        mission_enabled=body.missionPersonalizationEnabled,
        content_enabled=body.contentPersonalizationEnabled,
        assessment_enabled=body.assessmentPersonalizationEnabled,
        session_enabled=body.sessionPersonalizationEnabled,
        disabled_features=None
        if body.disabledFeatures is None
        else tuple(f.value for f in body.disabledFeatures),
        auto_adapt=body.autoAdaptEnabled,
        paused_until=body.pausedUntil,
        clear_pause="pausedUntil" in body.model_fields_set and body.pausedUntil is None,
    )
    view = preferences.update_preferences(session, userId, change, now)
    return PersonalizationPreferencesOut.model_validate(view)


@router.post(
    "/users/{userId}/personalization:reset",
    response_model=PersonalizationResetOut,
    responses={404: {"description": "No such learner"}},
)
def reset(userId: UserId, session: DbSession, now: Now) -> PersonalizationResetOut:
    """Every switch back to its default (``lastResetAt``) and the learner's arms cleared."""
    return PersonalizationResetOut.model_validate(
        preferences.reset_preferences(session, userId, now)
    )


@router.post(
    "/users/{userId}/personalization:apply",
    response_model=PersonalizationApplyOut,
    responses=ANALYSIS_ERRORS,
)
def apply(
    userId: UserId, body: PersonalizationApplyIn, session: DbSession, now: Now
) -> PersonalizationApplyOut:
    """The parameters to use for a context, with the evidence, the arm and the decision id."""
    result = decisions.apply_personalization(session, userId, body.context, body.params, now)
    return PersonalizationApplyOut.model_validate(result)


@router.post(
    "/users/{userId}/personalization/outcomes",
    response_model=PersonalizationOutcomeOut,
    status_code=201,
    responses=DECISION_ERRORS,
)
def record_outcome(
    userId: UserId, body: PersonalizationOutcomeIn, session: DbSession, now: Now
) -> PersonalizationOutcomeOut:
    """Store what a personalized session or mission produced; its decision's reward follows."""
    recorded = outcomes.record_outcome(
        session,
        userId,
        outcomes.OutcomeIn(
            context=body.context,
            decision_id=body.decisionId,
            retention=body.retention,
            performance=body.performance,
            completion=body.completion,
            engagement=body.engagement,
            duration_minutes=body.durationMinutes,
            content_type=body.contentType,
            difficulty_level=body.difficultyLevel,
            signals=tuple(dict.fromkeys(body.signals)),
        ),
        now,
    )
    return PersonalizationOutcomeOut.model_validate(recorded)


@router.post(
    "/users/{userId}/personalization/feedback",
    response_model=PersonalizationRewardOut,
    responses=DECISION_ERRORS,
)
def feedback(
    userId: UserId, body: PersonalizationFeedbackIn, session: DbSession, now: Now
) -> PersonalizationRewardOut:
    """Helpful and/or too easy / just right / too hard on a decision (the latest by default)."""
    view = outcomes.record_feedback(
        session, userId, body.decisionId, body.helpful, body.difficulty, body.comment, now
    )
    return PersonalizationRewardOut.model_validate(view)


@router.post(
    "/users/{userId}/personalization/signals",
    response_model=PersonalizationRewardOut,
    responses=DECISION_ERRORS,
)
def signal(
    userId: UserId, body: PersonalizationSignalIn, session: DbSession, now: Now
) -> PersonalizationRewardOut:
    """An implicit signal (mission skipped, recommendation dismissed, settings changed back)."""
    view = outcomes.record_signal(session, userId, body.decisionId, body.signal, now)
    return PersonalizationRewardOut.model_validate(view)


@router.get(
    "/users/{userId}/personalization/arms",
    response_model=PersonalizationArmsOut,
    responses=ANALYSIS_ERRORS,
)
def arms(
    userId: UserId, session: DbSession, context: PersonalizationContext | None = None
) -> PersonalizationArmsOut:
    """The learner's strategy arms with their rewards and the chance each is the best."""
    return PersonalizationArmsOut.model_validate(
        {"arms": overview.learner_arms(session, userId, context)}
    )


@router.get(
    "/users/{userId}/personalization/decisions",
    response_model=PersonalizationDecisionsOut,
    responses=ANALYSIS_ERRORS,
)
def decision_log(
    userId: UserId,
    session: DbSession,
    now: AsOf,
    context: PersonalizationContext | None = None,
    limit: Annotated[int, Query(ge=1, le=overview.MAX_DECISIONS)] = 50,
) -> PersonalizationDecisionsOut:
    """The decision log, newest first: arm, propensity, level, parameters, reward, feedback.

    With ``asOf``: the decisions taken up to then.
    """
    rows = overview.decisions(session, userId, context, limit, until=now)
    return PersonalizationDecisionsOut.model_validate({"decisions": rows})


@router.get(
    "/users/{userId}/personalization/effectiveness",
    response_model=PersonalizationEffectivenessOut,
    responses={
        **ANALYSIS_ERRORS,
        422: {"description": "from not before to, or a window over 366 days"},
    },
)
def get_effectiveness(
    userId: UserId,
    session: DbSession,
    now: AsOf,
    from_: Annotated[QueryTimestamp | None, Query(alias="from", description="RFC 3339")] = None,
    to: Annotated[
        QueryTimestamp | None, Query(description="RFC 3339 (default: asOf, else now)")
    ] = None,
    context: PersonalizationContext | None = None,
) -> PersonalizationEffectivenessOut:
    """Improvement vs the window before, level–outcome r with p and 95% interval, composite."""
    view = effectiveness.learner_effectiveness(session, userId, now, from_, to, context)
    return PersonalizationEffectivenessOut.model_validate(view)


@router.get(
    "/personalization/evaluation",
    response_model=PersonalizationEvaluationOut,
    responses={403: {"description": "Needs a service key"}},
)
def evaluation(
    _: ServicePrincipal,
    session: DbSession,
    context: PersonalizationContext,
    policy: EvaluationPolicy,
    userId: Annotated[Id | None, Query()] = None,
) -> PersonalizationEvaluationOut:
    """IPS and doubly-robust value of a policy (an arm's name or UNIFORM) from the decision log."""
    result = offpolicy.evaluate_logged(session, context, policy, userId)
    base: dict[str, Any] = {"context": context.value, "policy": policy}
    if isinstance(result, InsufficientData):
        return PersonalizationEvaluationOut.model_validate(
            {
                **base,
                "ips": None,
                "dr": None,
                "logged_value": None,
                "effective_sample_size": None,
                "max_weight": None,
                "decisions": None,
                "insufficient": result,
            }
        )
    return PersonalizationEvaluationOut.model_validate(
        {
            **base,
            "ips": result.ips,
            "dr": result.dr,
            "logged_value": result.logged_value,
            "effective_sample_size": result.effective_sample_size,
            "max_weight": result.max_weight,
            "decisions": result.decisions,
            "insufficient": None,
        }
    )
