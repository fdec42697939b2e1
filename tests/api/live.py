"""The API as a real server: uvicorn in a child process, on a loopback socket the test owns.

The test binds the listening socket (port 0: the kernel picks a free port) and hands
its file descriptor to each child it starts, so a killed server can be replaced by a
new one on the same address: connections made in between wait in the socket's
backlog instead of being refused. ``python -m tests.api.live FD`` is the child.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 15.0
POLL_SECONDS = 0.05
LISTEN_BACKLOG = 512


class LiveServer:
    """``twin``'s API served by uvicorn in a child process against ``database_url``."""

    def __init__(self, database_url: str, env: dict[str, str] | None = None) -> None:
        self.database_url = database_url
        self.extra_env = dict(env or {})
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(LISTEN_BACKLOG)
        self.sock.set_inheritable(True)
        port = self.sock.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.log = b""

    def start(self) -> LiveServer:
        """Start a server process and wait until it answers /healthz."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("TWIN_")}
        env.update(
            TWIN_DATABASE_URL=self.database_url,
            TWIN_LOG_LEVEL="WARNING",
            PYTHONPATH=os.pathsep.join(
                p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p
            ),
        )
        env.update(self.extra_env)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.api.live", str(self.sock.fileno())],
            cwd=ROOT,
            env=env,
            pass_fds=(self.sock.fileno(),),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        with httpx.Client(timeout=5.0) as client:
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(f"server exited at start: {self._stderr()}")
                try:
                    if client.get(f"{self.base_url}/healthz").status_code == 200:
                        return self
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"server did not start: {self._stderr()}")
                time.sleep(POLL_SECONDS)

    def _stderr(self) -> str:
        if self.process is not None and self.process.stderr is not None:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            self.log += self.process.stderr.read()
        return self.log.decode(errors="replace")[-4000:]

    def kill(self) -> None:
        """SIGKILL the server process (no shutdown of any kind) and reap it."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None

    def stop(self) -> None:
        """Ask the server to shut down (SIGTERM), kill it if it does not."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def close(self) -> None:
        """Stop the server and release the socket."""
        self.stop()
        self.sock.close()

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def main(fd: int) -> None:
    """Child process: serve the app on the inherited listening socket until signalled."""
    import uvicorn

    from twin.api.app import create_app
    from twin.config import load_settings
    from twin.db.engine import open_database

    settings = load_settings()
    db = open_database(settings)
    try:
        app = create_app(settings=settings, database=db)
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
        server.run(sockets=[socket.socket(fileno=fd)])
    finally:
        db.close()


if __name__ == "__main__":
    main(int(sys.argv[1]))
