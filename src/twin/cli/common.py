"""What every ``twin`` command shares: the consoles, clean errors, JSON output, the database.

Nothing heavy is imported here (nor by any ``twin.cli`` module at import time): ``twin
--help`` builds every command, so SQLAlchemy, numpy, scipy and the services are imported
inside the commands that use them (``benchmarks/cli_startup.py`` measures it, and
``tests/cli/test_startup.py`` checks which modules ``import twin.cli`` loads).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

if TYPE_CHECKING:
    from twin.db.engine import Database
    from twin.errors import TwinError

EXIT_FAILURE = 1
TERMINAL_COLUMNS = 80
"""The width every table is designed for (wider terminals just get more room)."""
WIDE_COLUMNS = 240
"""``--wide`` output is laid out for this width, whatever the terminal's."""

console = Console()
err_console = Console(stderr=True)


def wide_console() -> Console:
    """A console laid out at :data:`WIDE_COLUMNS` whatever the terminal (``--wide``)."""
    return Console(width=WIDE_COLUMNS)


JsonOption = Annotated[
    bool, typer.Option("--json", help="Print JSON (one document on stdout) instead of tables.")
]
WideOption = Annotated[
    bool, typer.Option("--wide", help="Print every column in full, however wide the terminal.")
]


def num(value: Any, digits: int) -> str:
    """A number for a table cell with ``digits`` decimals; an em dash when there is none."""
    return "—" if value is None else f"{float(value):.{digits}f}"


def fail(message: str, code: int = EXIT_FAILURE) -> typer.Exit:
    """Print an error the user can act on (plain text, never markup) and return the exit to raise."""
    from rich.markup import escape

    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    return typer.Exit(code)


_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def words(name: str) -> str:
    """``loadReadings`` → ``load readings`` (a data-model name for a sentence)."""
    return _CAMEL_BOUNDARY.sub(" ", name).replace("_", " ").lower()


def insufficient_text(value: Mapping[str, Any] | None) -> str:
    """An insufficient-data answer in words: ``{"sessions": {"have": 0, "need": 6}}`` →
    ``0 of the 6 sessions needed``; several minimums are joined with ``;``."""
    if not value:
        return ""
    parts = []
    for requirement, counts in value.items():
        if isinstance(counts, Mapping) and {"have", "need"} <= counts.keys():
            parts.append(
                f"{_count(counts['have'])} of the {_count(counts['need'])} {words(requirement)} "
                "needed"
            )
        else:
            parts.append(f"{words(requirement)}: {counts}")
    return "; ".join(parts)


def hanging(rows: list[tuple[str, str]], *, style: str = "") -> Any:
    """Labelled lines whose text wraps under itself, not under the label (a two-column grid)."""
    from rich.table import Table
    from rich.text import Text

    grid = Table.grid(padding=(0, 1, 0, 0))
    grid.add_column(no_wrap=True, style="dim")
    grid.add_column(ratio=1)
    for label, text in rows:
        grid.add_row(label, Text(text, style=style))
    return grid


def _count(value: Any) -> str:
    number = float(value)
    return f"{number:,.0f}" if number.is_integer() else f"{number:,.1f}"


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        from twin.analysis.common import aware_utc

        return aware_utc(value).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    if hasattr(value, "to_json"):
        return value.to_json()
    if hasattr(value, "value"):  # enums
        return value.value
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def print_json(document: Any) -> None:
    """Print ``document`` as indented JSON on stdout (timestamps as ISO 8601 with Z)."""
    sys.stdout.write(json.dumps(document, indent=2, default=_json_default, ensure_ascii=False))
    sys.stdout.write("\n")
    sys.stdout.flush()


def cli_message(exc: Exception) -> str:
    """An engine error as the command line should say it: hints name commands, not routes.

    The services' messages are written for the HTTP API (``create it with PUT
    /v1/users/…``); the errors whose hint differs on the command line are recognised by
    their type and details and reworded; in the others, the routes a hint names are
    replaced by the commands that do the same (:func:`command_hints`).
    """
    from twin.errors import TwinError

    if not isinstance(exc, TwinError):
        return str(exc)
    return command_hints(_reworded(exc))


_ROUTE_HINTS = (
    (
        re.compile(r"PUT /v1/users/(?P<u>[^/\s]+)/calendar(?=[\s,;.]|$)"),
        r"`twin calendar connect \g<u> URL`",
    ),
    (
        re.compile(r"POST /v1/users/(?P<u>[^/\s]+)/calendar:upload"),
        r"`twin calendar upload \g<u> FILE`",
    ),
    (
        re.compile(r"DELETE /v1/users/(?P<u>[^/\s]+)/schedule/feed-tokens/\{tokenId\}"),
        r"`twin calendar feed \g<u> --revoke TOKEN_ID`",
    ),
)
"""HTTP routes named in the services' hints, and the command that does the same."""


def command_hints(message: str) -> str:
    """A service message with the routes it suggests replaced by the matching commands."""
    for route, command in _ROUTE_HINTS:
        message = route.sub(command, message)
    return message


def _reworded(exc: TwinError) -> str:
    """The messages whose whole hint differs on the command line, recognised by their details."""
    from twin.errors import Forbidden, NotFound

    details = exc.details if isinstance(exc.details, Mapping) else {}
    if isinstance(exc, NotFound) and "userId" in details and exc.message.startswith("no learner"):
        user = details["userId"]
        return (
            f"no learner with id {user!r}; `twin learners list --search TEXT` finds learners, "
            f"`twin import revlog FILE --user {user}` creates one from a review log"
        )
    if isinstance(exc, Forbidden) and details.get("behavioralAnalysisEnabled") is False:
        return (
            f"behavioural analysis is switched off for learner {details.get('userId')!r} "
            "(their privacy setting behavioralAnalysisEnabled is false): no analysis or "
            "prediction runs for them, and nothing derived is kept; only the learner (through "
            "the platform) can switch it on"
        )
    return exc.message


def show_flags_as_flags() -> None:
    """Print on/off options as flags in ``--help`` (``--force``), not as ``--force <bool>``.

    Typer 0.2x renders a type next to every option, flags included; a flag takes no value,
    so showing one misleads. Patched once, on Typer's option class, when it has the method.
    """
    from typer.core import TyperOption

    original = getattr(TyperOption, "display_type_rich", None)
    if original is None or getattr(original, "_twin_flags", False):
        return

    def display_type_rich(self: Any, ctx: Any) -> str | None:
        if getattr(self, "is_flag", False) and getattr(self, "metavar", None) is None:
            return None
        result: str | None = original(self, ctx)
        return result

    display_type_rich._twin_flags = True  # type: ignore[attr-defined]
    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]


@contextmanager
def database(*, migrated: bool = False) -> Iterator[Database]:
    """The configured database for one command, migrated first when asked; engine errors exit cleanly.

    A :class:`~twin.errors.TwinError` (unreachable server, unknown learner, …) prints
    ``error: <message>`` and exits 1; the database is closed either way (which stops the
    embedded server when this process was its last user).
    """
    from twin.config import load_settings
    from twin.db.engine import open_database
    from twin.errors import TwinError

    try:
        db = open_database(load_settings())
    except TwinError as exc:
        raise fail(cli_message(exc)) from None
    try:
        if migrated:
            from twin.db.migrate import ensure_migrated

            ensure_migrated(db.engine)
        yield db
    except TwinError as exc:
        raise fail(cli_message(exc)) from None
    finally:
        db.close()
