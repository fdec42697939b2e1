"""Every call the dashboard makes into the engine, in one place.

The pages read and write only through the services the API routers call (no SQL here or
anywhere in ``twin.ui``), and get back the API's own answer shapes (validated through the
API's answer models, camelCase) as plain dicts. When services move or answers change shape
this module is the one to re-point. Each function opens one transaction, committed before the page is
rendered, so a page never shows a write that could still fail. The overview is the
insights capability's aggregate dashboard call plus what it does not carry.
"""

# size: the dashboard's one seam into the services (~880 lines, one short function per page
# or action, each a read through the API's answer models); it grew past 800 lines when
# the schedule, insights, learn, experiments and personalization pages merged. Split it by
# page group (learner pages / operator pages) together with routes.py's imports, not inside
# a merge.

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from twin.analysis.cognitive.trend import Granularity
from twin.analysis.insights.goals import GoalRequest
from twin.analysis.patterns.forgetting import BASELINE_DECAY_PER_DAY, BASELINE_R0
from twin.api.schemas.base import Answer
from twin.api.schemas.cognitive import BurnoutOut, CurrentLoadOut, LoadHistoryOut
from twin.api.schemas.experiments import ExperimentOut, ExperimentResultsOut
from twin.api.schemas.insights import (
    CatalogueOut,
    DashboardOut,
    GoalOut,
    GoalSuggestionOut,
    NotificationOut,
    PersonalArticleOut,
    RecommendationOut,
)
from twin.api.schemas.orchestration import (
    BusyOut,
    CalendarStatusOut,
    EffectivenessOut,
    OverviewOut,
    PlanOut,
    SlotsOut,
)
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
from twin.enums import (
    ApplicationType,
    BehavioralGoalType,
    BehavioralPatternType,
    FeedbackType,
    PersonalizationLevel,
)
from twin.ingest.calendars.ics import MAX_ICS_BYTES as ICS_CAP_BYTES
from twin.learners import Learner, analysis_learner, load_learner
from twin.services import auth as auth_service
from twin.services import cognitive as cognitive_service
from twin.services import experiments as experiments_service
from twin.services import learners as users_service
from twin.services import patterns as patterns_service
from twin.services import struggle as struggle_service
from twin.services.insights import articles as articles_service
from twin.services.insights import dashboard as dashboard_service
from twin.services.insights import goals as goals_service
from twin.services.insights import notifications as notifications_service
from twin.services.insights import recommendations as recommendations_service
from twin.services.orchestration import busy as busy_service
from twin.services.orchestration import calendars as calendar_service
from twin.services.orchestration import effectiveness as effectiveness_service
from twin.services.orchestration import feed as feed_service
from twin.services.orchestration import overview as schedule_service
from twin.services.orchestration import plans as plans_service
from twin.services.orchestration import slots as slots_service
from twin.services.orchestration import writeback as writeback_service
from twin.services.orchestration.common import CalendarContext as CalendarContext
from twin.services.orchestration.common import CalendarKind
from twin.services.orchestration.common import calendar_context as _calendar_context
from twin.services.personalization import overview as personalization_service
from twin.services.personalization import preferences as personalization_preferences
from twin.services.struggle import high_risk as high_risk_service
from twin.services.struggle import models as models_service
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
HIGH_RISK_FROM = high_risk_service.HIGH_RISK_FROM
HIGH_RISK_PAGE_SIZE = high_risk_service.DEFAULT_PAGE_SIZE
LEARNER_PAGE_SIZE = 25
EXPERIMENT_PAGE_SIZE = 25
SCHEDULE_DAYS = schedule_service.UPCOMING_DAYS
MAX_ICS_BYTES = ICS_CAP_BYTES
OPEN_RECOMMENDATIONS = 6
APPLIED_RECOMMENDATIONS = 10
NOTIFICATIONS_SHOWN = 20
GOAL_TYPES = tuple(t for t in BehavioralGoalType if t is not BehavioralGoalType.CUSTOM)
"""The goal templates a learner picks from (CUSTOM needs a metric expression: API only)."""


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


def schedule(db: Database, user_id: str, now: datetime) -> dict[str, Any]:
    """The learner's schedule (one call: calendar, next 7 days of plans, open slots, changes),
    the busy blocks of the next 7 days, and the best study times the slots are scored by."""
    with db.session() as session:
        header = _header(session, user_id)
        if not header.analysis_enabled:
            return {"learner": header}
        view = schedule_service.schedule_overview(session, user_id, now)
        busy = busy_service.busy_view(
            session, user_id, now, now + timedelta(days=SCHEDULE_DAYS), now
        )
        profile = _profile_json(patterns_service.learning_profile(session, user_id, now))
        burnout = cognitive_service.latest_burnout(session, _load_learner(session, user_id))
        return {
            "learner": header,
            "schedule": OverviewOut.model_validate(view).model_dump(mode="json"),
            "busy": BusyOut.model_validate(busy).model_dump(mode="json"),
            "profile": profile,
            "burnout": None if burnout is None else _dump(BurnoutOut, burnout),
        }


def schedule_effectiveness(db: Database, user_id: str, now: datetime) -> dict[str, Any]:
    """Whether following the schedule helped: adherence to accepted slots over 30 days and
    the followed-vs-other differences with their intervals (its own page: it reads every
    session of the window, ~60 ms)."""
    with db.session() as session:
        header = _header(session, user_id)
        if not header.analysis_enabled:
            return {"learner": header}
        followed = effectiveness_service.effectiveness(session, user_id, now)
        return {"learner": header, "effectiveness": _dump(EffectivenessOut, followed)}


def insights(db: Database, user_id: str, now: datetime) -> dict[str, Any]:
    """Open recommendations with their evidence, applied ones with their outcome, goals with
    progress, the twin's goal suggestions, and the learner's notifications."""
    with db.session() as session:
        header = _header(session, user_id)
        notes = notifications_service.list_notifications(
            session, user_id, limit=NOTIFICATIONS_SHOWN, checked=True
        )
        out: dict[str, Any] = {
            "learner": header,
            "notifications": [_dump(NotificationOut, n) for n in notes.notifications],
            "unread": notes.unread,
        }
        if not header.analysis_enabled:
            return out
        recs = recommendations_service.list_recommendations(
            session, user_id, limit=OPEN_RECOMMENDATIONS, checked=True
        )
        applied = recommendations_service.list_recommendations(
            session, user_id, status="APPLIED", limit=APPLIED_RECOMMENDATIONS, checked=True
        )
        goals = goals_service.list_goals(session, user_id, checked=True)
        suggested = goals_service.suggestions(session, user_id, now)
        return {
            **out,
            "recommendations": [_dump(RecommendationOut, r) for r in recs],
            "applied": [_dump(RecommendationOut, r) for r in applied],
            "goals": [_dump(GoalOut, g) for g in goals],
            "suggestions": [_dump(GoalSuggestionOut, g) for g in suggested],
        }


def learn(db: Database, user_id: str, now: datetime) -> dict[str, Any]:
    """The learning-science articles with the learner's reads, and the ones their twin calls for."""
    with db.session() as session:
        header = _header(session, user_id)
        catalogue = _dump(CatalogueOut, articles_service.learner_catalogue(session, user_id, now))
        return {"learner": header, **catalogue}


def article(db: Database, user_id: str, slug: str, now: datetime) -> dict[str, Any]:
    """One article with the learner's own data filled in (the read is recorded, as the API does)."""
    with db.session() as session:
        header = _header(session, user_id)
        read = articles_service.read_article(session, user_id, slug, now)
        return {"learner": header, "article": _dump(PersonalArticleOut, read)}


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


def calendar_context(settings: Any) -> CalendarContext:
    """How calendars are reached under the engine's settings (address policy, secret)."""
    return _calendar_context(settings)


def recommend_slots(db: Database, user_id: str, now: datetime) -> dict[str, Any]:
    """Score the next 7 days around the calendar and store the top slots (the learner's offer)."""
    with db.session() as session:
        answer = slots_service.recommend(session, user_id, now, days=SCHEDULE_DAYS)
        return SlotsOut.model_validate(answer).model_dump(mode="json")


def accept_slot(db: Database, user_id: str, slot_id: str, now: datetime) -> dict[str, Any]:
    """Accept a recommended slot: the session is planned at it (409 once it has passed)."""
    with db.session() as session:
        outcome = slots_service.accept(session, user_id, slot_id, now)
        return PlanOut.model_validate(outcome.plan).model_dump(mode="json")


def cancel_plan(db: Database, user_id: str, plan_id: str, now: datetime) -> dict[str, Any]:
    """Cancel a planned session (kept, CANCELLED; 409 unless it is still PLANNED)."""
    with db.session() as session:
        plan = plans_service.cancel_plan(session, user_id, plan_id, now)
        return PlanOut.model_validate(plan).model_dump(mode="json")


def connect_calendar(
    db: Database,
    user_id: str,
    *,
    kind: str,
    url: str,
    username: str | None,
    password: str | None,
    write_back: bool,
    now: datetime,
    context: CalendarContext,
) -> dict[str, Any]:
    """Check, fetch and store a feed URL or CalDAV account (a failure writes nothing)."""
    connection = calendar_service.CalendarConnection(
        kind=CalendarKind(kind),
        url=url,
        username=username,
        password=password,
        write_back=write_back,
    )
    outcome = calendar_service.connect_calendar(db, user_id, connection, now, context)
    return CalendarStatusOut.model_validate(outcome.status).model_dump(mode="json")


def upload_calendar(
    db: Database, user_id: str, body: bytes, now: datetime, context: CalendarContext
) -> dict[str, Any]:
    """Store an uploaded .ics (422 naming the line and component when it is malformed)."""
    outcome = calendar_service.upload_calendar(db, user_id, body, now, context)
    return CalendarStatusOut.model_validate(outcome.status).model_dump(mode="json")


def sync_calendar(
    db: Database, user_id: str, now: datetime, context: CalendarContext
) -> tuple[dict[str, Any], bool]:
    """Fetch the calendar again: its status and whether sessions were re-planned."""
    outcome = calendar_service.sync_calendar(db, user_id, now, context)
    status = CalendarStatusOut.model_validate(outcome.status).model_dump(mode="json")
    return status, bool(outcome.replanned)


def disconnect_calendar(db: Database, user_id: str) -> None:
    """Remove the calendar, its sealed credentials, sync state and busy blocks."""
    with db.session() as session:
        calendar_service.disconnect_calendar(session, user_id)


def new_feed_path(db: Database, user_id: str, now: datetime) -> str:
    """A new secret feed of the learner's planned sessions: its path (shown this once)."""
    with db.session() as session:
        return feed_service.create_feed_token(session, user_id, now).path


def write_back(db: Database, user_id: str, now: datetime, context: CalendarContext) -> None:
    """Bring the learner's CalDAV study calendar in line (nothing when write-back is off)."""
    writeback_service.write_back(db, user_id, now, context)


def apply_recommendation(db: Database, user_id: str, rec_id: str, now: datetime) -> None:
    """The learner applies a recommendation (its baseline is stored; 409 dismissed/applied)."""
    with db.session() as session:
        recommendations_service.apply_recommendation(
            session, user_id, rec_id, ApplicationType.MANUAL, now
        )


def dismiss_recommendation(db: Database, user_id: str, rec_id: str, now: datetime) -> None:
    """Dismiss a recommendation for good (409 once applied)."""
    with db.session() as session:
        recommendations_service.dismiss_recommendation(session, user_id, rec_id, now)


def create_goal(
    db: Database,
    user_id: str,
    *,
    goal_type: str,
    target_value: float | None,
    deadline: datetime | None,
    title: str | None,
    now: datetime,
) -> dict[str, Any]:
    """Set a goal from a template (422 naming every bad field, nothing written)."""
    request = GoalRequest(
        goal_type=goal_type, target_value=target_value, deadline=deadline, title=title
    )
    with db.session() as session:
        return _dump(GoalOut, goals_service.create_goal(session, user_id, request, now))


def read_notification(db: Database, user_id: str, notification_id: str, now: datetime) -> None:
    """Mark one notification read."""
    with db.session() as session:
        notifications_service.mark_read(session, user_id, notification_id, now)


def read_all_notifications(db: Database, user_id: str, now: datetime) -> int:
    """Mark every notification read: how many were unread."""
    with db.session() as session:
        return notifications_service.mark_all_read(session, user_id, now)


def article_feedback(
    db: Database, user_id: str, slug: str, now: datetime, *, helpful: bool, rating: int | None
) -> None:
    """The learner's feedback on an article they read."""
    with db.session() as session:
        articles_service.article_feedback(
            session, user_id, slug, now, helpful=helpful, rating=rating
        )


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


# --- operators ----------------------------------------------------------------------------------


def high_risk(
    db: Database, min_probability: float, cursor: str | None
) -> high_risk_service.HighRiskPage:
    """One page of the seed's high-risk query (PENDING predictions above a probability)."""
    with db.session() as session:
        return high_risk_service.high_risk_predictions(
            session, min_probability=min_probability, limit=HIGH_RISK_PAGE_SIZE, cursor=cursor
        )


@dataclass(frozen=True)
class LearnerList:
    """One page of learners for the operator, and the learner whose id is the search exactly."""

    rows: list[LearnerHeader]
    next_cursor: str | None
    exact: LearnerHeader | None


def find_learners(db: Database, search: str | None, cursor: str | None) -> LearnerList:
    """Learners by id whose id or name contains ``search`` (all without it), a page at a time."""
    with db.session() as session:
        users, next_cursor = users_service.list_users(
            session, LEARNER_PAGE_SIZE, cursor, search=search or None
        )
        exact = None
        if search and cursor is None and load_learner(session, search) is not None:
            exact = _header(session, search)
        return LearnerList([_header_of(u) for u in users], next_cursor, exact)


def model_registry(db: Database) -> dict[str, Any]:
    """The struggle-model registry: every version with its held-out metrics, the active one."""
    with db.session() as session:
        rows = [
            {
                "version": r.version,
                "kind": r.kind,
                "isActive": r.isActive,
                "trainedAt": r.trainedAt,
                "trainingWindowStart": r.trainingWindowStart,
                "trainingWindowEnd": r.trainingWindowEnd,
                "outcomeCount": r.outcomeCount,
                "learnerCount": r.learnerCount,
                "metrics": dict(r.metrics),
                "decision": r.decision,
            }
            for r in models_service.list_models(session)
        ]
    return {"models": rows, "rulesVersion": models_service.RULES.version}


def experiments(db: Database, now: datetime, cursor: str | None) -> dict[str, Any]:
    """One page of operator experiments, newest first, with their state and final verdict."""
    with db.session() as session:
        items, next_cursor = experiments_service.list_experiments(
            session, now, limit=EXPERIMENT_PAGE_SIZE, cursor=cursor
        )
        return {"items": [_dump(ExperimentOut, e) for e in items], "next_cursor": next_cursor}


def experiment_results(db: Database, experiment_id: str, now: datetime) -> dict[str, Any]:
    """An experiment's results from its stored metrics: comparisons, intervals, verdict, SRM."""
    with db.session() as session:
        return _dump(
            ExperimentResultsOut,
            experiments_service.experiment_results(session, experiment_id, now),
        )


def stop_experiment(db: Database, experiment_id: str, now: datetime) -> None:
    """Stop a running or scheduled experiment (409 when stopped or ended already)."""
    with db.session() as session:
        experiments_service.stop_experiment(session, experiment_id, now)
