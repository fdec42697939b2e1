"""Settings from the environment (``TWIN_*``), read in one place."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from twin.errors import ConfigError

ROOT_DATA_DIR = Path("/var/lib/twin")
MIB = 1024 * 1024
# The largest valid events batch (5,000 events, every field at its longest, eventData at
# its 4 KiB cap) is about 28 MB of JSON; the default cap leaves a few MB above it.
DEFAULT_MAX_BODY_BYTES = 32 * MIB
MIN_BODY_BYTES = 1024


def default_data_dir() -> Path:
    """The default ``TWIN_DATA_DIR``.

    As root, never a home directory: the embedded server runs as a system user and
    would have to open read/enter permission on every parent folder of its data.
    """
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return ROOT_DATA_DIR
    return Path(platformdirs.user_data_dir("twin"))


@dataclass(frozen=True)
class Settings:
    """Engine settings; build with :func:`load_settings`."""

    database_url: str | None
    data_dir: Path
    log_level: str = "INFO"
    secret_key: str | None = None
    """``TWIN_SECRET_KEY``: signs learner tokens; None = a key generated once and kept in the database."""
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    rate_limit_per_minute: int = 0  # requests per credential; 0 = no limit
    rate_limit_burst: int = 0  # requests at once; 0 = one minute's worth
    calendar_allowed_networks: tuple[str, ...] = ()
    """``TWIN_CALENDAR_ALLOW_NETWORKS``: CIDRs a calendar URL may resolve to although they are
    loopback/private/link-local (e.g. ``127.0.0.0/8`` for a CalDAV server on the same host);
    empty = only public addresses (the default)."""

    @property
    def embedded(self) -> bool:
        """True when the engine runs its own PostgreSQL (no ``TWIN_DATABASE_URL``)."""
        return self.database_url is None


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read ``TWIN_*`` variables from ``env`` (default: the process environment)."""
    env = os.environ if env is None else env
    url = env.get("TWIN_DATABASE_URL") or None
    if url is not None and not url.startswith(
        ("postgresql://", "postgresql+psycopg://", "postgres://")
    ):
        raise ConfigError(
            "TWIN_DATABASE_URL must be a PostgreSQL URL such as "
            f"postgresql://user:password@host:5432/dbname (got {url!r})"
        )
    data_dir = (
        Path(env["TWIN_DATA_DIR"]).expanduser() if env.get("TWIN_DATA_DIR") else default_data_dir()
    )
    level = env.get("TWIN_LOG_LEVEL", "INFO").upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ConfigError(f"TWIN_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR (got {level!r})")
    return Settings(
        database_url=url,
        data_dir=data_dir,
        log_level=level,
        secret_key=env.get("TWIN_SECRET_KEY") or None,
        max_body_bytes=_int(env, "TWIN_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES, MIN_BODY_BYTES),
        rate_limit_per_minute=_int(env, "TWIN_RATE_LIMIT_PER_MINUTE", 0, 0),
        rate_limit_burst=_int(env, "TWIN_RATE_LIMIT_BURST", 0, 0),
        calendar_allowed_networks=parse_networks(env.get("TWIN_CALENDAR_ALLOW_NETWORKS", "")),
    )


def parse_networks(text: str) -> tuple[str, ...]:
    """Comma-separated CIDRs, each checked (ConfigError naming the bad one); normalised."""
    networks = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        try:
            networks.append(str(ipaddress.ip_network(part, strict=False)))
        except ValueError:
            raise ConfigError(
                "TWIN_CALENDAR_ALLOW_NETWORKS must be comma-separated CIDRs such as "
                f"127.0.0.0/8,::1/128 (got {part!r})"
            ) from None
    return tuple(networks)


def _int(env: Mapping[str, str], name: str, default: int, minimum: int) -> int:
    """A whole-number setting of at least ``minimum`` (ConfigError naming it otherwise)."""
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number (got {text!r})") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum} (got {value})")
    return value
