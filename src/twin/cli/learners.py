"""``twin keys …`` and ``twin learners …``: the service API keys, and who is in the database."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from twin.cli.common import JsonOption, console, database, fail, print_json

keys_app = typer.Typer(
    help="Service API keys (a key may act for any learner).", no_args_is_help=True
)
learners_app = typer.Typer(help="The learners in the database.", no_args_is_help=True)

DEFAULT_LISTED = 50
MAX_LISTED = 10_000


def _time(ts: Any) -> str:
    """A stored timestamp (naive UTC) to the minute, or empty."""
    return "" if ts is None else f"{ts:%Y-%m-%d %H:%M}"


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Argument(help="A name for the key, e.g. the platform.")],
) -> None:
    """Create a service API key and print it once (only its hash is stored)."""
    from twin.errors import Conflict
    from twin.services.auth import create_api_key

    with database(migrated=True) as db, db.session() as session:
        try:
            row, plaintext = create_api_key(session, name)
        except Conflict:
            raise fail(
                f"a key named {name.strip()!r} exists already (revoked keys keep their name): "
                "choose another NAME; `twin keys list` shows them"
            ) from None
        key_name = row.name
    console.print(f"service key [bold]{key_name}[/] (shown once, store it now):")
    print(plaintext)


@keys_app.command("list")
def keys_list(as_json: JsonOption = False) -> None:
    """List service API keys (names and prefixes, never the keys)."""
    from twin.services.auth import list_api_keys

    with database(migrated=True) as db, db.session() as session:
        keys: list[dict[str, Any]] = [
            {
                "name": k.name,
                "prefix": k.keyPrefix,
                "createdAt": k.createdAt,
                "revokedAt": k.revokedAt,
            }
            for k in list_api_keys(session)
        ]
    if as_json:
        print_json({"keys": keys})
        return
    if not keys:
        console.print("no service key yet: `twin keys create NAME` makes one")
        return
    table = Table("name", "prefix", "created (UTC)", "revoked (UTC)", title="service keys")
    for k in keys:
        table.add_row(k["name"], k["prefix"] + "…", _time(k["createdAt"]), _time(k["revokedAt"]))
    console.print(table)


@keys_app.command("revoke")
def keys_revoke(name: Annotated[str, typer.Argument(help="The key's name.")]) -> None:
    """Revoke a service API key (takes effect within seconds on every API process)."""
    from twin.clock import utcnow
    from twin.services.auth import revoke_api_key

    with database(migrated=True) as db, db.session() as session:
        revoke_api_key(session, name, utcnow())
    console.print(f"revoked [bold]{name}[/]")


@learners_app.command("list")
def learners_list(
    search: Annotated[
        str | None,
        typer.Option(
            "--search", "-s", help="Only learners whose id or name contains this (any case)."
        ),
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, max=MAX_LISTED, help="At most this many.")
    ] = DEFAULT_LISTED,
    as_json: JsonOption = False,
) -> None:
    """List learners by id: time zone, sessions, last study, analysis consent."""
    from twin.services.learners import learner_activity, list_users

    with database(migrated=True) as db, db.session() as session:
        users, more = list_users(session, limit, None, search=search)
        activity = learner_activity(session, [u.id for u in users])
        rows: list[dict[str, Any]] = [
            {
                "id": u.id,
                "name": u.name,
                "email": u.email,
                "timezone": u.timezone,
                "behavioralAnalysisEnabled": u.behavioralAnalysisEnabled,
                "simulated": activity[u.id].simulated,
                "sessions": activity[u.id].sessions,
                "lastSessionAt": activity[u.id].last_session_at,
            }
            for u in users
        ]
    if as_json:
        print_json({"learners": rows, "more": more is not None})
        return
    if not rows:
        console.print(
            f"no learner matches {search!r}"
            if search
            else "no learner yet (`twin demo`, `twin simulate` or `twin import revlog` add some)"
        )
        return
    title = "learners" + (f" matching {search!r}" if search else "")
    table = Table("id", "time zone", "sessions", "last session (UTC)", "notes", title=title)
    table.columns[2].justify = "right"
    for r in rows:
        notes = []
        if r["simulated"]:
            notes.append("simulated")
        elif r["name"]:
            notes.append(str(r["name"]))
        if not r["behavioralAnalysisEnabled"]:
            notes.append("analysis off")
        table.add_row(
            r["id"],
            r["timezone"],
            f"{r['sessions']:,}",
            _time(r["lastSessionAt"]) or "never",
            ", ".join(notes),
        )
    if more is not None:
        table.caption = f"the first {limit}; --limit shows more, --search narrows"
    console.print(table)
