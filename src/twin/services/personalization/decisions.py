"""``POST …/personalization:apply``: the parameters to use for one context, and the log of why.

Load → analysis → write: the learner (404 / 403 without consent), their preferences, the
evidence (:mod:`.evidence`); when the context may be personalized, a running A/B experiment
of the context comes first (issue 18's ``active_variant``, which assigns the learner on
first use): its variant's config shapes the answer (:mod:`twin.analysis.personalization.
experiment`) and the bandit stands aside — no arm drawn; the decision is logged with mode
``experiment`` and the variant's assignment probability as its propensity (its arm's
statistics do not move). Otherwise the
context's four arms (created on first use), the pooled
prior, the reward scale; then :func:`twin.analysis.personalization.personalize.personalize`
(scope, Thompson decision with the exploration floor, the context's ``apply_*``); then one
``personalization_decisions`` row with the chosen arm's propensity (only when the bandit
chose: level NONE, a pause or a context switched off answer the engine defaults and log
nothing). Client params are checked before anything is read or written, so bad input
writes nothing.

**Arms.** ``timesSelected`` counts the arm's *rewarded* decisions (the Beta posterior is
``Beta(α₀ + c·totalReward, β₀ + c·(timesSelected − totalReward))``: a pending decision
counted as selected would weigh as a failure until its outcome arrives);
``confidenceScore`` is the posterior probability that the arm is the best.

**Pooled prior.** Per arm, from the same context's arms of every other learner who shares
anonymised patterns (``users.shareAnonymizedPatterns``) and has behavioural analysis on,
with at least 3 rewarded decisions (:func:`pooled_priors`; each peer's reward scale is
taken as 1, which over-states their noise: the prior's strength then sits at its cap of
5 pseudo-trials). A learner who does not share is never anyone's peer.

**Reward scale** ``c``: from the learner's last 50 rewards in the context
(:func:`reward_scale`).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from twin.analysis.common import aware_utc, storage_time
from twin.analysis.personalization.bandit import (
    MIN_PEER_PULLS,
    BetaPrior,
    PeerArm,
    arm_confidences,
    initial_stats,
    pooled_priors,
    reward_scale,
)
from twin.analysis.personalization.common import InvalidParameter
from twin.analysis.personalization.experiment import apply_variant, read_variant_config
from twin.analysis.personalization.params import Personalized, check_params
from twin.analysis.personalization.personalize import PersonalizationAnswer, personalize
from twin.analysis.personalization.preferences import personalization_scope
from twin.analysis.personalization.strategy import StrategyArm
from twin.db.models import PersonalizationDecision
from twin.enums import PersonalizationContext
from twin.learners import LearnerLock, analysis_learner, lock_learner
from twin.services.experiments.assignment import (
    ActiveVariant,
    active_variant,
    running_experiment,
)
from twin.services.personalization.common import (
    ensure_arms,
    ensure_preferences_row,
    invalid,
    preferences_of,
    stats_of,
)
from twin.services.personalization.evidence import load_evidence

EXPERIMENT_MODE = "experiment"
"""The ``mode`` of a decision an A/B experiment's variant took (the bandit's: thompson, fixed)."""

RECENT_REWARDS = 50
"""Rewards the reward scale is estimated from (the learner's latest, in the context)."""

_BANDIT_SQL = sa.text(
    """
    SELECT
      (SELECT coalesce(json_agg(json_build_array(c."strategyVariant", c."timesSelected",
                                                 c."totalReward")), '[]')
       FROM personalization_configs c JOIN users u ON u.id = c."userId"
       WHERE c.context = CAST(:context AS "PersonalizationContext") AND c."userId" <> :u
         AND u."shareAnonymizedPatterns" AND u."behavioralAnalysisEnabled"
         AND c."isActive" AND c."timesSelected" >= :min_pulls) AS peers,
      (SELECT coalesce(json_agg(r.reward), '[]')
       FROM (SELECT reward FROM personalization_decisions
             WHERE "userId" = :u AND context = CAST(:context AS text) AND reward IS NOT NULL
             ORDER BY "rewardedAt" DESC, id DESC LIMIT :n) r) AS rewards
    """
)
"""The bandit's inputs beyond the learner's arms, in one round trip: the peers' arms of the
context (pooled prior) and the learner's latest rewards there (reward scale)."""


@dataclass(frozen=True)
class DecisionInfo:
    """How the bandit chose: the arm's probability, every arm's, and the mode."""

    propensity: float
    mode: str
    probabilities: dict[str, float]
    reward_scale: float
    priors: dict[str, str]
    """Per arm, where its prior came from (uniform, or pooled from how many learners)."""


@dataclass(frozen=True)
class Applied:
    """The answer of ``personalization:apply``."""

    decision_id: str | None
    """The logged decision (feedback and outcomes refer to it); None: nothing was decided."""
    context: str
    strategy: str | None
    personalized: bool
    scope: dict[str, Any]
    parameters: dict[str, Any]
    defaults: dict[str, Any]
    evidence: list[dict[str, Any]]
    overrides: list[str]
    reasons: list[str]
    decision: DecisionInfo | None
    experiment: dict[str, Any] | None = None


def bandit_inputs(
    session: Session, user_id: str, context: PersonalizationContext
) -> tuple[dict[StrategyArm, BetaPrior], float]:
    """Per-arm pooled priors (uniform when too few peers) and the learner's reward scale ``c``."""
    row = session.execute(
        _BANDIT_SQL,
        {
            "context": context.value,
            "u": user_id,
            "min_pulls": MIN_PEER_PULLS,
            "n": RECENT_REWARDS,
        },
    ).one()
    peers, rewards = (json.loads(v) if isinstance(v, str) else v for v in (row.peers, row.rewards))
    by_arm: dict[StrategyArm, list[PeerArm]] = defaultdict(list)
    for arm, n, total in peers:
        if arm in StrategyArm.__members__ and n > 0:
            by_arm[StrategyArm(arm)].append(PeerArm(int(n), min(float(total), float(n))))
    return pooled_priors(by_arm), reward_scale([float(r) for r in rewards]).scale


def _applied(
    answer: PersonalizationAnswer,
    decision_id: str | None,
    experiment: dict[str, Any] | None = None,
    info: DecisionInfo | None = None,
) -> Applied:
    body = answer.result.to_json()
    d = answer.decision
    if d is not None:
        info = DecisionInfo(
            propensity=d.propensity,
            mode=d.mode,
            probabilities={a.value: p for a, p in d.probabilities},
            reward_scale=d.scale,
            priors={a.value: pr.note for a, pr in d.priors},
        )
    return Applied(
        decision_id=decision_id,
        context=body["context"],
        strategy=body["strategy"],
        personalized=body["personalized"],
        scope=body["scope"],
        parameters=body["parameters"],
        defaults=body["defaults"],
        evidence=body["evidence"],
        overrides=body["overrides"],
        reasons=body["reasons"],
        decision=info,
        experiment=experiment,
    )


def _log_experiment_decision(
    session: Session,
    user_id: str,
    context: PersonalizationContext,
    params: Mapping[str, Any] | None,
    now: datetime,
    result: Personalized[Any],
    variant: ActiveVariant,
    experiment: dict[str, Any],
) -> tuple[PersonalizationDecision, DecisionInfo] | None:
    """Log the decision an experiment's variant took (None when it personalized nothing).

    Its propensity is the variant's assignment probability (its weight's share): what the
    hash gave this learner's variant, so the log stays usable off-line. ``probabilities``
    are per arm (the shares of the variants using each arm); ``configId`` stays empty — a
    variant also sets the level, params and length, so its outcome is not a pull of the
    bandit's arm and never moves it.
    """
    if result.arm is None:
        return None
    running = running_experiment(session, context, now)
    if running is None or running.id != variant.experiment_id:
        return None
    total = sum(v.weight for v in running.variants)
    shares = {v.id: (v.weight / total if total > 0 else 0.0) for v in running.variants}
    propensity = shares.get(variant.variant_id, 0.0)
    if not 0.0 < propensity <= 1.0:
        return None
    by_arm: dict[str, float] = defaultdict(float)
    for v in running.variants:
        by_arm[read_variant_config(v.config).strategy.value] += shares[v.id]
    probabilities = {a: round(p, 6) for a, p in sorted(by_arm.items())}
    decision = PersonalizationDecision(
        userId=user_id,
        context=context.value,
        strategyVariant=result.arm.value,
        configId=None,
        propensity=propensity,
        probabilities=probabilities,
        mode=EXPERIMENT_MODE,
        personalizationLevel=result.scope.effective_level.value,
        rewardScale=1.0,
        priors={},
        params=dict(params or {}),
        parameters=result.parameters.to_json(),
        explanation={
            "reasons": list(result.reasons),
            "overrides": list(result.overrides),
            "evidence": [e.to_json() for e in result.evidence],
            "experiment": {
                **{k: experiment[k] for k in ("experimentId", "variantId", "isControl")},
                "variantShares": {k: round(p, 6) for k, p in shares.items()},
            },
        },
        decidedAt=storage_time(now),
        signals=[],
    )
    session.add(decision)
    session.flush()
    info = DecisionInfo(
        propensity=propensity,
        mode=EXPERIMENT_MODE,
        probabilities=probabilities,
        reward_scale=1.0,
        priors={},
    )
    return decision, info


def apply_personalization(
    session: Session,
    user_id: str,
    context: PersonalizationContext,
    params: Mapping[str, Any] | None,
    now: datetime,
    rng: np.random.Generator | None = None,
) -> Applied:
    """The personalized parameters of ``context`` for the learner at ``now``; the decision logged."""
    learner = analysis_learner(session, user_id)
    try:
        check_params(context, params)
    except InvalidParameter as exc:
        raise invalid(exc) from None
    lock_learner(session, LearnerLock.PERSONALIZATION, user_id)
    prefs_row = ensure_preferences_row(session, user_id, now)
    preferences = preferences_of(prefs_row)
    evidence = load_evidence(
        session,
        user_id,
        now,
        timezone=learner.timezone,
        content_allowed=learner.style_profiling_enabled,
    )
    scope = personalization_scope(preferences, context, aware_utc(now))
    if scope.personalized:
        # a running experiment of the context decides first; the bandit stands aside
        variant = active_variant(session, user_id, context, now)
        if variant is not None:
            result = apply_variant(
                context,
                preferences,
                aware_utc(now),
                evidence,
                read_variant_config(variant.config),
                variant.reason,
                params,
            )
            experiment = {
                "experimentId": variant.experiment_id,
                "experimentName": variant.experiment_name,
                "variantId": variant.variant_id,
                "variantName": variant.variant_name,
                "isControl": variant.is_control,
                "newlyAssigned": variant.newly_assigned,
                "config": dict(variant.config),
                "reason": variant.reason,
            }
            logged = _log_experiment_decision(
                session, user_id, context, params, now, result, variant, experiment
            )
            return _applied(
                PersonalizationAnswer(None, result),
                None if logged is None else logged[0].id,
                experiment,
                None if logged is None else logged[1],
            )
    # arms are created for a context only once the bandit has something to decide there
    rows = ensure_arms(session, user_id, context, prefs_row, now) if scope.personalized else []
    stats = stats_of(rows) if rows else initial_stats()
    priors, scale = bandit_inputs(session, user_id, context)
    answer = personalize(
        context,
        preferences,
        aware_utc(now),
        evidence,
        stats,
        rng if rng is not None else np.random.default_rng(),
        params=params,
        priors=priors,
        scale=scale,
    )
    if answer.decision is None:
        return _applied(answer, None)
    d = answer.decision
    by_arm = {r.strategyVariant: r for r in rows}
    if d.mode == "fixed" or not d.probabilities:
        confidences = arm_confidences(stats, priors, scale)
    else:
        # the decision's probabilities are (1 − ε)·P(best) + ε/K: P(best) without a second
        # integration (it is the request's largest cost)
        k = len(d.probabilities)
        confidences = {
            a: max(0.0, (p - d.exploration / k) / (1.0 - d.exploration)) for a, p in d.probabilities
        }
    for arm, confidence in confidences.items():
        by_arm[arm.value].confidenceScore = round(confidence, 6)
    chosen = by_arm[d.arm.value]
    decision = PersonalizationDecision(
        userId=user_id,
        context=context.value,
        strategyVariant=d.arm.value,
        configId=chosen.id,
        propensity=d.propensity,
        probabilities={a.value: p for a, p in d.probabilities},
        mode=d.mode,
        personalizationLevel=answer.result.scope.effective_level.value,
        rewardScale=d.scale,
        priors={a.value: pr.to_json() for a, pr in d.priors},
        params=dict(params or {}),
        parameters=answer.result.parameters.to_json(),
        explanation={
            "reasons": list(answer.result.reasons),
            "overrides": list(answer.result.overrides),
            "evidence": [e.to_json() for e in answer.result.evidence],
        },
        decidedAt=storage_time(now),
        signals=[],
    )
    session.add(decision)
    session.flush()
    return _applied(answer, decision.id)
