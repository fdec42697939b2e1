"""``twin schedule USER`` and ``twin calendar …``: a learner's week, slots and plans; their calendar.

``schedule`` recommends slots as ``GET …/schedule/slots`` does (stored), prints the week
day by day — busy time, the slots with their scores, the planned sessions — and with
``--accept`` accepts the best slot and prints its plan. ``calendar connect | upload |
sync | status | disconnect | feed`` manage the learner's calendar and secret feed; a
CalDAV password is read from a hidden prompt, never from the command line, and nothing
secret is ever printed except a new feed URL, once. :func:`demo_schedule` is the demo's
section: one simulated learner's week over their simulated calendar, and one plan.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from twin.cli.common import JsonOption, console, database, fail, print_json
from twin.clock import utcnow
from twin.config import load_settings

if TYPE_CHECKING:
    # The services load SQLAlchemy and numpy: imported inside the commands, so that
    # `twin --help` stays fast (benchmarks/cli_startup.py).
    from twin.db.engine import Database
    from twin.services.orchestration import calendars, plans, slots
    from twin.services.orchestration.busy import BusyView

calendar_app = typer.Typer(
    help="A learner's calendar and secret schedule feed.", no_args_is_help=True
)

WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
BLOCKS_SHOWN = 3
ITEMS_SHOWN = 8


def _hm(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%H:%M")


def week_table(
    answer: slots.SlotsAnswer,
    busy: BusyView | None,
    planned: list[plans.PlanView],
    start: datetime,
    title: str,
) -> Table:
    """One row per local day: busy blocks, slots (score), planned sessions."""
    zone = ZoneInfo(answer.timezone)
    days: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for block in busy.blocks if busy is not None else ():
        key = block.start.astimezone(zone).date().isoformat()
        mark = "~" if block.weight < 1 else ""
        days[key]["busy"].append(f"{mark}{_hm(block.start, zone)}–{_hm(block.end, zone)}")
    for slot in answer.slots:
        key = slot.start.astimezone(zone).date().isoformat()
        days[key]["slots"].append(f"#{slot.rank} {_hm(slot.start, zone)} ({slot.score:.0f})")
    for plan in planned:
        key = plan.planned_start.astimezone(zone).date().isoformat()
        days[key]["plans"].append(
            f"{_hm(plan.planned_start, zone)}–{_hm(plan.planned_end, zone)} {plan.status.lower()}"
        )
    table = Table("day", "busy (~ tentative)", "slots (score)", "planned", title=title)
    first = start.astimezone(zone).date()
    for offset in range(answer.days):
        day = first + timedelta(days=offset)
        cells = days.get(day.isoformat(), {})
        busy_cells = cells.get("busy", [])
        shown = busy_cells[:BLOCKS_SHOWN] + (
            [f"+{len(busy_cells) - BLOCKS_SHOWN} more"] if len(busy_cells) > BLOCKS_SHOWN else []
        )
        table.add_row(
            f"{WEEKDAY_NAMES[day.weekday()]} {day:%m-%d}",
            "\n".join(shown) or "free",
            "\n".join(cells.get("slots", [])) or "—",
            "\n".join(cells.get("plans", [])) or "—",
        )
    age = answer.busy_age_minutes
    table.caption = (
        f"{answer.kind} slots of {answer.duration_minutes} min, at most {answer.max_per_day} a day, "
        f"from {answer.candidates_considered} candidates ({answer.candidates_busy} busy); "
        + (
            "no calendar connected"
            if not answer.calendar_connected
            else f"busy time {age:.0f} min old"
            if age is not None
            else "calendar never synced"
        )
        + (f"\n{answer.rest.message}" if answer.rest is not None else "")
    )
    table.caption_justify = "left"
    return table


def plan_table(plan: plans.PlanView) -> Table:
    """A plan's items in order: phase, start offset, kind, minutes, what."""
    zone = ZoneInfo(plan.timezone)
    table = Table(
        "phase",
        "at",
        "item",
        "min",
        "what",
        title=(
            f"Plan {_hm(plan.planned_start, zone)}–{_hm(plan.planned_end, zone)} "
            f"{plan.planned_start.astimezone(zone):%a %m-%d}: {plan.duration_minutes} min, "
            f"intensity {plan.intensity}"
        ),
    )
    for item in plan.items[:ITEMS_SHOWN]:
        what = (
            f"{len(item.get('cardIds', []))} cards"
            if item.get("cardIds")
            else str(item.get("refId", ""))
        )
        if item.get("interventions"):
            what += " · " + ", ".join(item["interventions"])
        table.add_row(
            str(item["phase"]).lower().replace("_", "-"),
            f"+{float(item['startOffsetMinutes']):.0f}",
            str(item["kind"]).lower(),
            f"{float(item['minutes']):.1f}".removesuffix(".0"),
            what[:30],
        )
    d = plan.reasons.get("duration", {})
    breaks = ", ".join(
        f"+{float(b['startOffsetMinutes']):.0f} ({b['minutes']:g} min)" for b in plan.breaks
    )
    table.caption = (
        f"{len(plan.items)} items; breaks {breaks or 'none'}; duration "
        f"({d.get('optimalMinutes')} {float(d.get('complexityOffsetMinutes', 0)):+g}) "
        f"× window {d.get('windowMultiplier')} × week {d.get('heavyWeekMultiplier')} "
        f"× load {d.get('loadMultiplier')}; expected load "
        f"{float(plan.expected_load.get('load', 0.0)):.0f}"
    )
    table.caption_justify = "left"
    # A narrow table would wrap its title and caption a word or two per line; as wide as
    # they are (the console caps it at its width), they read in one or two lines.
    table.min_width = max(len(str(table.title)), len(table.caption))
    return table


def schedule_command(
    user: Annotated[str, typer.Argument(help="The learner's id.")],
    days: Annotated[int, typer.Option("--days", "-d", min=1, max=31, help="Days ahead.")] = 7,
    duration: Annotated[
        int | None, typer.Option(min=15, max=120, help="Session minutes (default: the twin's).")
    ] = None,
    accept: Annotated[
        bool, typer.Option("--accept", help="Accept the best slot and print its plan.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Recommend study slots around the learner's calendar and show their week."""
    from twin.analysis.common import aware_utc
    from twin.services.orchestration import plans, slots
    from twin.services.orchestration.busy import busy_view

    with database(migrated=True) as db:
        now = utcnow()
        with db.session() as session:
            answer = slots.recommend(session, user, now, days=days, duration_minutes=duration)
        plan = None
        if accept and answer.slots:
            with db.session() as session:
                plan = slots.accept(session, user, answer.slots[0].id, now).plan
        with db.session() as session:
            end = now + timedelta(days=days + 1)
            busy = busy_view(session, user, now, end, now)
            planned = plans.list_plans(session, user, now, end, now)
    if as_json:
        # The API's own answer models, so the JSON reads as GET …/schedule/slots does.
        from twin.api.schemas.orchestration import BusyOut, PlanOut, SlotsOut

        print_json(
            {
                "userId": user,
                "slots": SlotsOut.model_validate(answer).model_dump(mode="json"),
                "busy": None
                if busy is None
                else BusyOut.model_validate(busy).model_dump(mode="json"),
                "plans": [PlanOut.model_validate(p).model_dump(mode="json") for p in planned],
                "accepted": None
                if plan is None
                else PlanOut.model_validate(plan).model_dump(mode="json"),
            }
        )
        return
    console.print(week_table(answer, busy, planned, aware_utc(now), f"The week of {user}"))
    if accept and not answer.slots:
        console.print("no slot to accept" + (f": {answer.rest.message}" if answer.rest else ""))
    if plan is not None:
        console.print(plan_table(plan))


# --- twin calendar … --------------------------------------------------------------------------


def _status_line(status: calendars.CalendarStatus) -> str:
    parts = [
        f"{status.kind} calendar" + (f" at {status.display_host}" if status.display_host else ""),
        f"{status.block_count} busy blocks",
        "never synced"
        if status.last_sync_at is None
        else f"synced {status.blocks_age_minutes:.0f} min ago",
    ]
    if status.write_back:
        parts.append("write-back on")
    if status.last_error is not None:
        parts.append(f"last error ({status.last_error.rule}): {status.last_error.message}")
    return "; ".join(parts)


@calendar_app.command("connect")
def connect_command(
    user: Annotated[str, typer.Argument(help="The learner's id.")],
    url: Annotated[str, typer.Argument(help="The feed's secret iCal URL, or the CalDAV server.")],
    caldav: Annotated[
        bool, typer.Option("--caldav", help="A CalDAV account (asks for the app password).")
    ] = False,
    username: Annotated[str | None, typer.Option(help="CalDAV user name.")] = None,
    write_back: Annotated[
        bool, typer.Option("--write-back", help="CalDAV: write planned sessions back.")
    ] = False,
) -> None:
    """Connect a calendar (fetched and checked now; nothing is stored when it fails)."""
    from twin.services.orchestration import calendars
    from twin.services.orchestration.common import CalendarKind, calendar_context

    password = None
    if caldav:
        if not username:
            raise fail("--caldav needs --username (and an app password, asked next)")
        password = typer.prompt("App password", hide_input=True)
    connection = calendars.CalendarConnection(
        kind=CalendarKind.CALDAV if caldav else CalendarKind.ICS_URL,
        url=url,
        username=username,
        password=password,
        write_back=write_back,
    )
    with database(migrated=True) as db:
        outcome = calendars.connect_calendar(
            db, user, connection, utcnow(), calendar_context(load_settings())
        )
    console.print(_status_line(outcome.status))


@calendar_app.command("upload")
def upload_command(
    user: Annotated[str, typer.Argument(help="The learner's id.")],
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="An .ics file.")],
) -> None:
    """Upload an .ics file as the learner's calendar."""
    from twin.services.orchestration import calendars
    from twin.services.orchestration.common import calendar_context

    with database(migrated=True) as db:
        outcome = calendars.upload_calendar(
            db, user, file.read_bytes(), utcnow(), calendar_context(load_settings())
        )
    console.print(_status_line(outcome.status))


@calendar_app.command("sync")
def sync_command(user: Annotated[str, typer.Argument(help="The learner's id.")]) -> None:
    """Fetch the learner's calendar again (the hourly job does this by itself)."""
    from twin.services.orchestration import calendars
    from twin.services.orchestration.common import calendar_context

    with database(migrated=True) as db:
        outcome = calendars.sync_calendar(db, user, utcnow(), calendar_context(load_settings()))
    note = " (not modified)" if outcome.not_modified else ""
    console.print(_status_line(outcome.status) + note)
    if outcome.replanned:
        console.print(f"{len(outcome.replanned)} planned sessions moved off new busy time")


@calendar_app.command("status")
def status_command(user: Annotated[str, typer.Argument(help="The learner's id.")]) -> None:
    """The calendar's source, host and sync state."""
    from twin.services.orchestration import calendars

    with database(migrated=True) as db, db.session() as session:
        status = calendars.calendar_status(session, user, utcnow())
    console.print(_status_line(status))


def _remote_events_line(remote: calendars.RemoteEvents) -> str:
    """What became of the study events written to the CalDAV server, in one line."""
    status = str(remote.status)
    if status == "removed":
        return f"removed {remote.removed} study events from the CalDAV server"
    if status == "failed":
        why = f" ({remote.error.rule}: {remote.error.message})" if remote.error else ""
        return (
            f"could not remove the study events from the CalDAV server{why}; they are still there"
        )
    if status == "left":
        return "the study events written to the CalDAV server were left there"
    return "nothing was written to a CalDAV server"


@calendar_app.command("disconnect")
def disconnect_command(user: Annotated[str, typer.Argument(help="The learner's id.")]) -> None:
    """Remove the calendar, its sealed credentials and busy blocks (and, with CalDAV write-back,
    the study events the engine wrote to the server)."""
    from twin.services.orchestration import writeback
    from twin.services.orchestration.common import calendar_context

    with database(migrated=True) as db:
        outcome = writeback.disconnect(db, user, utcnow(), calendar_context(load_settings()))
    console.print(f"removed the {outcome.kind} calendar ({outcome.blocks_deleted} busy blocks)")
    console.print(_remote_events_line(outcome.remote_events))


@calendar_app.command("feed")
def feed_command(
    user: Annotated[str, typer.Argument(help="The learner's id.")],
    revoke: Annotated[str | None, typer.Option(help="Revoke this token id instead.")] = None,
) -> None:
    """Create a secret feed URL of the learner's planned sessions (shown once), or revoke one."""
    from twin.services.orchestration import feed

    with database(migrated=True) as db, db.session() as session:
        if revoke is not None:
            token = feed.revoke_feed_token(session, user, revoke, utcnow())
            console.print(f"revoked feed token {token.id}")
            return
        created = feed.create_feed_token(session, user, utcnow())
    console.print(f"feed token {created.id}; subscribe to (shown once):")
    print(f"  {created.path}")


# --- the demo's section -------------------------------------------------------------------------


def demo_schedule(db: Database, now: datetime | None = None, seed: int | None = None) -> None:
    """One simulated learner's week: a simulated calendar uploaded, slots over it, one plan.

    ``now`` is the demo's now (its cohort ends before it); without it, the end of the
    learner's simulated data. ``seed`` picks the learner from that cohort only (the demo's
    experiment cohort shares the database).
    """
    import numpy as np
    import sqlalchemy as sa

    from twin.analysis.common import aware_utc
    from twin.services.orchestration import calendars, plans, slots
    from twin.services.orchestration.busy import busy_view
    from twin.services.orchestration.common import PlanStatus, calendar_context
    from twin.simulate.calendars import calendar_ics, sample_calendar

    with db.engine.connect() as conn:
        row = conn.execute(
            sa.text(
                'SELECT t."userId", u.timezone, t.traits, max(s."startedAt") AS last '
                'FROM simulation_truth t JOIN users u ON u.id = t."userId" '
                'JOIN study_sessions s ON s."userId" = t."userId" '
                "WHERE (t.traits->'chronotype'->>'hasPeak')::boolean "
                "AND (CAST(:seed AS integer) IS NULL OR t.seed = :seed) "
                "GROUP BY 1, 2, 3 ORDER BY 1 LIMIT 1"
            ),
            {"seed": seed},
        ).first()
    if row is None:
        console.print("no simulated learner with a peak hour: skipped")
        return
    user_id, timezone, traits, last = row
    peak = traits["chronotype"]["peakHourLocal"]
    if now is None:
        # The learner's "now" is the end of their simulated data (their next day's start).
        now = last + timedelta(hours=1)
    now = aware_utc(now)  # naive means UTC
    zone = ZoneInfo(timezone)
    start = now.astimezone(zone).date()
    cal = sample_calendar(user_id, timezone, peak, np.random.default_rng(0), start, 28)
    context = calendar_context(load_settings())
    upload = calendars.upload_calendar(db, user_id, calendar_ics(cal), now, context)
    with db.session() as session:
        answer = slots.recommend(session, user_id, now, days=7)
    with db.session() as session:
        ahead = plans.list_plans(session, user_id, now, now + timedelta(days=8), now)
    # A plan still ahead from an earlier run today is shown again, not joined by another
    # (so demo runs do not pile plans onto the learner's week).
    plan = next((p for p in ahead if p.status == PlanStatus.PLANNED), None)
    kept = plan is not None
    if plan is None and answer.slots:
        with db.session() as session:
            plan = slots.accept(session, user_id, answer.slots[0].id, now).plan
    with db.session() as session:
        busy = busy_view(session, user_id, now, now + timedelta(days=8), now)
        planned = plans.list_plans(session, user_id, now, now + timedelta(days=8), now)
    console.print(
        f"{user_id} ({timezone}, hidden peak hour {peak:02d}:00): simulated calendar of "
        f"{upload.status.event_count} events uploaded, {upload.blocks} busy blocks"
    )
    console.print(week_table(answer, busy, planned, now, f"The week of {user_id}"))
    if plan is not None:
        if kept:
            console.print("the plan accepted by an earlier run is still ahead: shown again")
        console.print(plan_table(plan))
