"""The embedded server: start, reuse, stop, restart with data intact; clear errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from twin.config import Settings, load_settings
from twin.db.embedded import EmbeddedPostgres
from twin.db.engine import check_server, create_db_engine, open_database
from twin.errors import ConfigError, DatabaseUnavailable


@pytest.fixture
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("emb", numbered=True)


@pytest.mark.db
def test_data_survives_stop_and_start(data_dir: Path) -> None:
    db = open_database(Settings(database_url=None, data_dir=data_dir))
    assert db.embedded is not None
    with db.engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE kept (v text)"))
        conn.execute(sa.text("INSERT INTO kept VALUES ('still here')"))
    db.close()
    # This process was the only user: the server is stopped now.
    assert not EmbeddedPostgres(data_dir).is_running()

    db = open_database(Settings(database_url=None, data_dir=data_dir))
    with db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT v FROM kept")).scalar_one() == "still here"
    db.close()
    assert not EmbeddedPostgres(data_dir).is_running()


@pytest.mark.db
def test_a_running_server_is_reused_and_kept_for_its_other_users(data_dir: Path) -> None:
    first = open_database(Settings(database_url=None, data_dir=data_dir))
    assert first.embedded is not None
    pid_file = first.embedded.pgdata / "postmaster.pid"
    postmaster = pid_file.read_text().splitlines()[0]
    # Another live process is attached (simulated by registering our parent's PID).
    handles = first.embedded.pgdata / ".handle_pids.json"
    handles.write_text(f"[{os.getpid()}, {os.getppid()}]")
    second = open_database(Settings(database_url=None, data_dir=data_dir))
    assert pid_file.read_text().splitlines()[0] == postmaster  # same server
    second.close()
    assert EmbeddedPostgres(data_dir).is_running(), "stopped while another process uses it"
    assert EmbeddedPostgres(data_dir).stop()  # `twin db stop`
    assert not EmbeddedPostgres(data_dir).is_running()


@pytest.mark.db
def test_stale_pids_are_pruned(data_dir: Path) -> None:
    server = EmbeddedPostgres(data_dir)
    server.start()
    (server.pgdata / ".handle_pids.json").write_text(f"[{os.getpid()}, 999999999]")
    assert server.prune_stale_pids() == [os.getpid()]
    assert server.release() is True  # the dead PID does not keep the server alive
    assert not server.is_running()


@pytest.mark.db
def test_unwritable_data_dir_is_a_clear_error(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        target = Path("/proc/twin-cannot-exist")  # even root cannot create directories in /proc
    else:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        target = locked / "data"
    with pytest.raises(
        DatabaseUnavailable, match=r"TWIN_DATA_DIR .* cannot be created|not writable"
    ):
        open_database(Settings(database_url=None, data_dir=target))


def test_unreachable_server_is_a_clear_error() -> None:
    settings = Settings(database_url="postgresql://nobody@127.0.0.1:1/none", data_dir=Path("/tmp"))
    with pytest.raises(
        DatabaseUnavailable,
        match=r"cannot reach PostgreSQL at postgresql\+psycopg://nobody@127.0.0.1:1/none",
    ):
        open_database(settings)


def test_too_old_server_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """A server reporting version 13 is refused with its version in the message."""

    class FakeResult:
        def __init__(self, value: str) -> None:
            self.value = value

        def scalar_one(self) -> str:
            return self.value

    class FakeConn:
        def __enter__(self) -> FakeConn:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def execute(self, stmt: sa.TextClause) -> FakeResult:
            return FakeResult("130011" if "server_version_num" in str(stmt) else "13.11")

    engine = create_db_engine("postgresql://u@127.0.0.1:1/x")
    monkeypatch.setattr(engine, "connect", lambda: FakeConn())
    with pytest.raises(
        DatabaseUnavailable, match=r"PostgreSQL 13\.11 .* too old: the engine needs PostgreSQL 14"
    ):
        check_server(engine)


def test_settings_from_environment(tmp_path: Path) -> None:
    s = load_settings({"TWIN_DATA_DIR": str(tmp_path)})
    assert s.embedded and s.data_dir == tmp_path
    s = load_settings({"TWIN_DATABASE_URL": "postgresql://a@b/c"})
    assert not s.embedded
    with pytest.raises(ConfigError, match="TWIN_DATABASE_URL must be a PostgreSQL URL"):
        load_settings({"TWIN_DATABASE_URL": "mysql://a@b/c"})
    with pytest.raises(ConfigError, match="TWIN_LOG_LEVEL"):
        load_settings({"TWIN_LOG_LEVEL": "LOUD"})


def test_root_never_defaults_into_a_home_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    assert load_settings({}).data_dir == Path("/var/lib/twin")
