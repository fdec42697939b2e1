"""Every call the dashboard makes into the engine: this package and nowhere else.

The pages read and write only through the services the API routers call (no SQL here or
anywhere in ``twin.ui``), and get back the API's own answer shapes (validated through the
API's answer models, camelCase) as plain dicts. When services move or answers change shape
this package is the one to re-point. Each function opens one transaction, committed before
the page is rendered, so a page never shows a write that could still fail.

This module: credentials, the learner header and the core learner pages (overview,
patterns, health, struggles, personalization, privacy) with their actions. By page family:
``data.schedule`` (schedule pages), ``data.insights`` (insights, progress, learn) and
``data.operator`` (operator pages).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from twin.analysis.cognitive.trend import Granularity
from twin.analysis.patterns.forgetting import BASELINE_DECAY_PER_DAY, BASELINE_R0
from twin.api.schemas.base import Answer
from twin.api.schemas.cognitive import BurnoutOut, CurrentLoadOut, LoadHistoryOut
from twin.api.schemas.insights import DashboardOut
from twin.api.schemas.patterns import SufficiencyOut
from twin.api.schemas.personalization import PersonalizationOverviewOut
from twin.api.schemas.struggle import (
    ApplyOut,
    InterventionOut,
    ModelPerformanceOut,
    PredictionDetailOut,
    PredictionStats,
)
from twin.config import load_settings
from twin.db.engine import Database
from twin.enums import BehavioralPatternType, FeedbackType, PersonalizationLevel
from twin.learners import Learner, analysis_learner, load_learner
from twin.services import auth as auth_service
from twin.services import cognitive as cognitive_service
from twin.services import learners as users_service
from twin.services import patterns as patterns_service
from twin.services import struggle as struggle_service
from twin.services.insights import dashboard as dashboard_service
from twin.services.personalization import overview as personalization_service
from twin.services.personalization import preferences as personalization_preferences
from twin.services.struggle import outcomes as outcomes_service

LOAD_HISTORY_DAYS = 30
OVERVIEW_SPARKLINE_DAYS = 14
OVERVIEW_PREDICTIONS = 3
OVERVIEW_PATTERNS = 3
STRUGGLE_PREDICTIONS = 20
HEATMAP_WEEKS = patterns_service.DEFAULT_HEATMAP_WEEKS
PATTERN_LIMIT = 100
WEEKDAY_LABELS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
ATTENTION_TYPES = (
    BehavioralPatternType.ATTENTION_CYCLE,
    BehavioralPatternType.SESSION_DURATION_PREFERENCE,
    BehavioralPatternType.PERFORMANCE_PEAK,
)


def _dump(model: type[Answer], value: Any) -> dict[str, Any]:
    """The API's answer for ``value`` as JSON data: the pages show what the API answers."""
    return model.model_validate(value).model_dump(mode="json")


# --- credentials --------------------------------------------------------------------------------

LEARNER_TOKEN_PREFIX = auth_service.LEARNER_TOKEN_PREFIX
MAX_TOKEN_TTL_SECONDS = auth_service.MAX_TOKEN_TTL_SECONDS
KeyCache = auth_service.KeyCache
TokenExpired = auth_service.TokenExpired


def token_secret(db: Database, configured: str | None) -> bytes:
    """The engine's learner-token signing key (the dashboard derives its own from it):
    the configured one (``Settings.secret_key``), else the one kept in the database."""
    with db.session() as session:
        return auth_service.token_secret(session, configured)


def verify_learner_token(secret: bytes, token: str, now: datetime) -> auth_service.Principal:
    """The learner of a valid, unexpired token (Unauthorized otherwise)."""
    return auth_service.verify_learner_token(secret, token, now)


def issue_learner_token(
    db: Database, user_id: str, ttl_seconds: int, now: datetime
) -> tuple[str, int]:
    """A learner token for an existing learner: (token, expiry epoch seconds)."""
    with db.session() as session:
        users_service.get_user(session, user_id)
        secret = auth_service.token_secret(session, load_settings().secret_key)
    return auth_service.issue_learner_token(secret, user_id, ttl_seconds, now)


def sign_in_link(db: Database, user_id: str, base_url: str, ttl_seconds: int, now: datetime) -> str:
    """A dashboard link that signs the learner in (the token leaves the URL at once)."""
    token, _expires = issue_learner_token(db, user_id, ttl_seconds, now)
    return f"{base_url.rstrip('/')}/ui/signin?token={token}"


def check_service_key(
    db: Database, key: str, cache: auth_service.KeyCache
) -> tuple[auth_service.Principal, str]:
    """The principal of a valid service key and the key's digest (Unauthorized otherwise)."""
    with db.session() as session:
        principal = auth_service.authenticate_service_key(session, key, cache)
    return principal, auth_service.hash_key(key)


def check_key_digest(db: Database, digest: str, cache: auth_service.KeyCache) -> None:
    """Unauthorized unless the key with this digest is still valid."""
    with db.session() as session:
        auth_service.authenticate_key_digest(session, digest, cache)


# --- learners -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LearnerHeader:
    """What every learner page shows about the learner."""

    id: str
    name: str | None
    timezone: str
    analysis_enabled: bool
    style_profiling_enabled: bool
    share_patterns: bool

    @property
    def display_name(self) -> str:
        """The name, or the id when there is none."""
        return self.name or self.id


def _header(session: Any, user_id: str) -> LearnerHeader:
    return _header_of(users_service.get_user(session, user_id))


def _header_of(user: Any) -> LearnerHeader:
    return LearnerHeader(
        id=user.id,
        name=user.name,
        timezone=user.timezone,
        analysis_enabled=user.behavioralAnalysisEnabled,
        style_profiling_enabled=user.learningStyleProfilingEnabled,
        share_patterns=user.shareAnonymizedPatterns,
    )


def learner_header(db: Database, user_id: str) -> LearnerHeader:
    """The learner (NotFound when unknown)."""
    with db.session() as session:
        return _header(session, user_id)


def learner_exists(db: Database, user_id: str) -> bool:
    """Whether the learner is (still) there: an erased learner's token outlives them."""
    with db.session() as session:
        return load_learner(session, user_id) is not None


def _pattern_json(row: Any) -> dict[str, Any]:
    data = dict(row.patternData) if isinstance(row.patternData, dict) else {}
    data.pop(patterns_service.PATTERN_DATA_KEY, None)
    data.pop(patterns_service.PATTERN_DATA_MISSES, None)
    return {
        "id": row.id,
        "patternType": row.patternType.value,
        "name": row.patternName,
        "confidence": float(row.confidence),
        "evidence": list(row.evidence),
        "occurrenceCount": row.occurrenceCount,
        "lastSeenAt": row.lastSeenAt,
        "data": data,
    }


def _profile_json(view: patterns_service.ProfileView) -> dict[str, Any]:
    profile = view.profile
    body: dict[str, Any] = {
        "status": view.status,
        "sufficiency": _dump(SufficiencyOut, view.sufficiency),
    }
    if profile is not None:
        body.update(
            {
                "lastAnalyzedAt": profile.lastAnalyzedAt,
                "dataQualityScore": profile.dataQualityScore,
                "preferredStudyTimes": list(profile.preferredStudyTimes),
                "averageSessionDuration": profile.averageSessionDuration,
                "optimalSessionDuration": profile.optimalSessionDuration,
                "contentPreferences": dict(profile.contentPreferences),
                "learningStyleProfile": dict(profile.learningStyleProfile),
                "personalizedForgettingCurve": dict(profile.personalizedForgettingCurve),
            }
        )
    return body


def _load_learner(session: Any, user_id: str) -> Learner:
    return analysis_learner(session, user_id)


def overview(db: Database, user_id: str, now: datetime) -> dict[str, Any]:
    """The insights capability's one-call dashboard (score and metric cards with sparklines,
    top recommendations, goals, unread notifications, stored burnout, likeliest struggles),
    plus what it does not carry: the load meter's reading, its 14-day sparkline, and the
    pattern highlights."""
    with db.session() as session:
        header = _header(session, user_id)
        if not header.analysis_enabled:
            return {"learner": header}
        learner = _load_learner(session, user_id)
        board = _dump(DashboardOut, dashboard_service.dashboard(session, user_id, now))
        load = _dump(CurrentLoadOut, cognitive_service.current_load(session, user_id))
        spark = _dump(
            LoadHistoryOut,
            cognitive_service.load_history(
                session,
                learner,
                now - timedelta(days=OVERVIEW_SPARKLINE_DAYS),
                now,
                Granularity.DAY,
            ),
        )
        patterns = patterns_service.list_patterns(session, user_id, limit=OVERVIEW_PATTERNS)
        profile = patterns_service.learning_profile(session, user_id, now)
        return {
            "learner": header,
            "board": board,
            "load": load,
            "sparkline": spark,
            "patterns": [_pattern_json(p) for p in patterns],
            "profile": _profile_json(profile),
        }


def _heatmap_json(view: patterns_service.HeatmapView) -> dict[str, Any]:
    heat = view.study_time.heatmap
    return {
        "timezone": view.timezone,
        "weeks": view.weeks,
        "since": view.since,
        "until": view.until,
        "sessions": view.sessions,
        "weekdays": list(WEEKDAY_LABELS),
        "hours": list(range(len(heat.sessions[0]))),
        "meanPerformance": [list(r) for r in heat.mean_performance],
        "sessionCounts": [list(r) for r in heat.sessions],
        "optimalWindows": [
            {
                "hour": o.hour,
                "label": o.label,
                "window": o.window,
                "meanScore": o.mean_score,
                "windowMean": o.window_mean,
                "restMean": o.rest_mean,
                "liftPercent": o.lift_percent,
                "sessions": o.sessions,
                "windowSessions": o.window_sessions,
                "confidence": o.confidence,
            }
            for o in view.study_time.optimal
        ],
        "hoursTested": view.study_time.hours_tested,
    }


def _forgetting_json(points: Any, curve: dict[str, Any]) -> dict[str, Any]:
    return {
        "curve": curve,
        "days": list(points.days),
        "model": list(points.model),
        "baseline": list(points.baseline),
        "bins": [
            {
                "lowDays": b.low_days,
                "highDays": b.high_days,
                "meanDays": b.mean_days,
                "reviews": b.reviews,
                "recalled": b.recalled,
                "share": b.share,
                "ci95": list(b.ci95),
            }
            for b in points.bins
        ],
    }


def patterns(db: Database, user_id: str, now: datetime) -> dict[str, Any]:
    """Heatmap with optimal windows, forgetting curve with the learner's points, findings."""
    with db.session() as session:
        user = users_service.get_user(session, user_id)
        header = _header_of(user)
        if not header.analysis_enabled:
            return {"learner": header}
        profile = _profile_json(patterns_service.learning_profile(session, user_id, now))
        heatmap = patterns_service.study_time_heatmap(session, user, now, HEATMAP_WEEKS)
        curve = dict(profile.get("personalizedForgettingCurve") or {})
        points = patterns_service.forgetting_points(
            session,
            user_id,
            now,
            r0=float(curve.get("R0", BASELINE_R0)),
            decay_per_day=float(curve.get("k", BASELINE_DECAY_PER_DAY)),
            level_spread=float(curve.get("sessionLevelSpread", 0.0)),
        )
        rows = [
            _pattern_json(p)
            for p in patterns_service.list_patterns(session, user_id, limit=PATTERN_LIMIT)
        ]
        insights = [
            {
                "id": i.id,
                "title": i.title,
                "description": i.description,
                "recommendation": i.actionableRecommendation,
                "confidence": float(i.confidence),
            }
            for i, _p in patterns_service.open_insights(session, user_id, with_patterns=False)
        ]
        attention = {t.value for t in ATTENTION_TYPES}
        return {
            "learner": header,
            "profile": profile,
            "heatmap": _heatmap_json(heatmap),
            "forgetting": _forgetting_json(points, curve),
            "attention": [p for p in rows if p["patternType"] in attention],
            "otherPatterns": [p for p in rows if p["patternType"] not in attention],
            "insights": insights,
        }


def health(db: Database, user_id: str, now: datetime) -> dict[str, Any]:
    """Current load, 30 days of daily load, burnout risk with factors and warnings."""
    with db.session() as session:
        header = _header(session, user_id)
        if not header.analysis_enabled:
            return {"learner": header}
        learner = _load_learner(session, user_id)
        history = _dump(
            LoadHistoryOut,
            cognitive_service.load_history(
                session, learner, now - timedelta(days=LOAD_HISTORY_DAYS), now, Granularity.DAY
            ),
        )
        return {
            "learner": header,
            "load": _dump(CurrentLoadOut, cognitive_service.current_load(session, user_id)),
            "history": history,
            "burnout": _dump(BurnoutOut, cognitive_service.burnout_risk(session, learner, now)),
        }


def struggles(db: Database, user_id: str, now: datetime) -> dict[str, Any]:
    """Predictions with their "why", interventions to apply, the learner's model performance."""
    with db.session() as session:
        header = _header(session, user_id)
        if not header.analysis_enabled:
            return {"learner": header}
        listed = struggle_service.list_predictions(
            session, user_id, limit=STRUGGLE_PREDICTIONS, now=now
        )
        interventions = struggle_service.list_interventions(session, user_id)
        performance = _dump(
            ModelPerformanceOut, outcomes_service.model_performance(session, user_id)
        )
        return {
            "learner": header,
            "predictions": [_dump(PredictionDetailOut, v) for v in listed.predictions],
            "stats": _dump(PredictionStats, listed.stats),
            "interventions": [_dump(InterventionOut, r) for r in interventions],
            "performance": performance,
        }


def privacy(db: Database, user_id: str) -> dict[str, Any]:
    """The three switches and what the engine has derived about the learner now."""
    with db.session() as session:
        header = _header(session, user_id)
        derived = users_service.derived_data_counts(session, user_id)
        return {"learner": header, "derived": derived, "derivedTotal": sum(derived.values())}


def _setting_name(key: str) -> str:
    """``durationMinutes`` → ``duration minutes``."""
    return "".join(" " + ch.lower() if ch.isupper() else ch for ch in key)


def _setting_text(value: Any) -> str:
    """A parameter's value in words: lists joined, shares as percentages, breaks as times."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return ", ".join(f"{k} {float(v) * 100:.0f}%" for k, v in value.items()) or "—"
    if isinstance(value, list):
        parts = []
        for item in value:
            if isinstance(item, dict) and "atMinute" in item:
                parts.append(f"{item['minutes']} min at minute {item['atMinute']}")
            elif isinstance(item, dict) and "phase" in item:
                parts.append(f"{item['phase']} {item['minutes']} min")
            else:
                parts.append(str(item))
        return ", ".join(parts) or "none"
    return str(value)


def personalization(db: Database, user_id: str, now: datetime) -> dict[str, Any]:
    """The learner's personalization in one call (level and switches, each context's arms and
    latest decision with its reasons, effectiveness) and the content profile it draws on."""
    with db.session() as session:
        header = _header(session, user_id)
        if not header.analysis_enabled:
            return {"learner": header}
        view = personalization_service.overview(session, user_id, now)
        profile = _profile_json(patterns_service.learning_profile(session, user_id, now))
        body = PersonalizationOverviewOut.model_validate(view).model_dump(mode="json")
        for ctx in body["contexts"]:
            ctx["armRows"] = [
                (
                    a["strategy"].replace("_", " ").lower(),
                    a["timesSelected"],
                    "—" if not a["timesSelected"] else f"{a['avgReward']:.2f}",
                    f"{a['confidence'] * 100:.0f}%",
                )
                for a in ctx["arms"]
            ]
            latest = ctx["latest"]
            ctx["parameterRows"] = (
                []
                if latest is None
                else [(_setting_name(k), _setting_text(v)) for k, v in latest["parameters"].items()]
            )
        return {
            "learner": header,
            "personalization": body,
            "levels": [lv.value for lv in PersonalizationLevel],
            "profile": profile,
        }


def set_personalization_level(
    db: Database, user_id: str, level: PersonalizationLevel, now: datetime
) -> None:
    """Change the learner's personalization level (as PATCH …/personalization/preferences)."""
    with db.session() as session:
        personalization_preferences.update_preferences(
            session, user_id, personalization_preferences.PreferencesChange(level=level), now
        )


# --- learner actions ----------------------------------------------------------------------------


def record_feedback(
    db: Database,
    user_id: str,
    prediction_id: str,
    *,
    actual_struggle: bool,
    feedback_type: FeedbackType | None,
    helpfulness: int | None,
    comments: str | None,
    now: datetime,
) -> dict[str, Any]:
    """The learner's own outcome of a prediction (wins over the automatic one)."""
    with db.session() as session:
        r = outcomes_service.record_feedback(
            session,
            user_id,
            prediction_id,
            actual_struggle=actual_struggle,
            feedback_type=feedback_type,
            helpfulness=helpfulness,
            comments=comments,
            now=now,
        )
        return {"predictionId": r.prediction_id, "status": r.status.value}


def apply_intervention(
    db: Database, user_id: str, intervention_id: str, now: datetime
) -> dict[str, Any]:
    """Apply the intervention to the learner's next PENDING mission (409 when applied already)."""
    with db.session() as session:
        result = struggle_service.apply_intervention(session, user_id, intervention_id, now=now)
        return _dump(ApplyOut, result)


def acknowledge_insight(
    db: Database, user_id: str, insight_id: str, applied: bool | None, now: datetime
) -> None:
    """Mark an insight as seen (and whether the learner acted on it)."""
    with db.session() as session:
        patterns_service.analysis_user(session, user_id)
        patterns_service.acknowledge_insight(session, user_id, insight_id, applied=applied, now=now)


def set_privacy(db: Database, user_id: str, flag: str, value: bool) -> dict[str, int]:
    """Set one privacy switch; switching analysis off deletes the derived data at once."""
    with db.session() as session:
        user = users_service.get_user(session, user_id)
        return users_service.apply_privacy(session, user, {flag: value})


def erase(db: Database, user_id: str) -> dict[str, int]:
    """Erase the learner and every row of theirs."""
    with db.session() as session:
        return users_service.erase_user(session, user_id)


def export_chunks(db: Database, user_id: str) -> Iterator[str]:
    """The learner's export document, in chunks (NotFound before the first chunk)."""
    with db.session() as session:
        users_service.get_user(session, user_id)

    def stream() -> Iterator[str]:
        with db.session() as session:
            yield from users_service.export_user(session, user_id)

    return stream()
