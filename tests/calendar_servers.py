"""Real calendar servers on loopback for tests: an HTTP feed server and a Radicale CalDAV server.

Use the fixtures by importing them into a conftest (``from tests.calendar_servers import
feed_server, tls_feed_server, radicale_server, caldav_account``). Nothing here mocks a protocol:
``FeedServer`` is a threaded ``http.server`` that serves bytes with real ETag /
If-Modified-Since handling, redirects, delays and oversized bodies; ``RadicaleServer``
runs the real Radicale (installed in the venv) in a subprocess with an explicit config
file (``--config FILE``: htpasswd auth with plain passwords — Radicale's default is
``denyall`` — no auth delay, storage in a temp dir). Both bind 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import datetime
import email.utils
import secrets
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

RADICALE_START_TIMEOUT_SECONDS = 20.0


# --- HTTP feed server --------------------------------------------------------


@dataclass
class Route:
    """What the feed server answers on one path.

    ``delay_seconds`` sleeps before the headers; ``stream_bytes`` sends that many bytes
    of filler without a Content-Length (a body that only reveals its size by arriving);
    ``declared_length`` sends a Content-Length header of that value.
    """

    body: bytes = b""
    status: int = 200
    content_type: str = "text/calendar; charset=utf-8"
    etag: str | None = None
    last_modified: str | None = None
    redirect_to: str | None = None
    delay_seconds: float = 0.0
    stream_bytes: int | None = None
    declared_length: int | None = None
    headers: dict[str, str] = field(default_factory=dict)


class FeedServer:
    """A threaded HTTP server on 127.0.0.1 serving configurable routes; records every request.

    With ``tls`` (a server-side ``ssl.SSLContext``) it speaks HTTPS.
    """

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._stop = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:  # quiet
                return

            def do_GET(self) -> None:
                server.requests.append((self.path, dict(self.headers.items())))
                route = server.routes.get(self.path.split("?", 1)[0])
                if route is None:
                    self.send_error(404)
                    return
                if route.delay_seconds and server._stop.wait(route.delay_seconds):
                    return
                if route.redirect_to is not None:
                    self.send_response(
                        route.status if route.status in (301, 302, 303, 307, 308) else 302
                    )
                    self.send_header("Location", route.redirect_to)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                inm = self.headers.get("If-None-Match")
                ims = self.headers.get("If-Modified-Since")
                fresh = (route.etag is not None and inm == route.etag) or (
                    route.etag is None
                    and route.last_modified is not None
                    and ims is not None
                    and _http_date(ims) >= _http_date(route.last_modified)
                )
                if route.status == 200 and fresh:
                    self.send_response(304)
                    if route.etag:
                        self.send_header("ETag", route.etag)
                    self.end_headers()
                    return
                self.send_response(route.status)
                self.send_header("Content-Type", route.content_type)
                if route.etag:
                    self.send_header("ETag", route.etag)
                if route.last_modified:
                    self.send_header("Last-Modified", route.last_modified)
                for k, v in route.headers.items():
                    self.send_header(k, v)
                if route.stream_bytes is not None:
                    if route.declared_length is not None:
                        self.send_header("Content-Length", str(route.declared_length))
                    self.send_header("Connection", "close")
                    self.end_headers()
                    chunk = b"X" * 65536
                    sent = 0
                    with contextlib.suppress(OSError):
                        while sent < route.stream_bytes and not server._stop.is_set():
                            n = min(len(chunk), route.stream_bytes - sent)
                            self.wfile.write(chunk[:n])
                            sent += n
                    return
                length = (
                    route.declared_length if route.declared_length is not None else len(route.body)
                )
                self.send_header("Content-Length", str(length))
                self.end_headers()
                with contextlib.suppress(OSError):
                    self.wfile.write(route.body)

            # CalDAV clients start with PROPFIND: answered like GET (a redirect route redirects).
            do_PROPFIND = do_GET

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        if tls is not None:
            self._httpd.socket = tls.wrap_socket(self._httpd.socket, server_side=True)
        self.port = int(self._httpd.server_address[1])
        self._thread = threading.Thread(
            # stop() waits for the loop's next poll: 10 ms, not 50, on every test's teardown
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.01},
            daemon=True,
        )

    def start(self) -> FeedServer:
        """Start serving in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; sleeping handlers wake up and give up."""
        self._stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        """``http(s)://HOST:PORT/path`` (``host`` may be a name a test resolver maps to loopback)."""
        scheme = "https" if isinstance(self._httpd.socket, ssl.SSLSocket) else "http"
        return f"{scheme}://{host}:{self.port}{path}"


def _http_date(value: str) -> float:
    parsed = email.utils.parsedate_to_datetime(value)
    return parsed.timestamp()


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    """A fresh feed server on a free loopback port."""
    server = FeedServer().start()
    try:
        yield server
    finally:
        server.stop()


@dataclass(frozen=True)
class SelfSignedCertificate:
    """A throw-away CA-signed certificate for ``hostname``: server context and client trust."""

    hostname: str
    server: ssl.SSLContext
    client: ssl.SSLContext


def make_certificate(directory: Path, hostname: str) -> SelfSignedCertificate:
    """A CA and a server certificate for ``hostname`` (RSA 2048, valid one day), as SSL contexts."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "twin test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    cert_file, key_file, ca_file = (directory / n for n in ("cert.pem", "key.pem", "ca.pem"))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert_file, key_file)
    client = ssl.create_default_context(cafile=str(ca_file))
    return SelfSignedCertificate(hostname, server, client)


@pytest.fixture
def tls_feed_server(tmp_path: Path) -> Iterator[tuple[FeedServer, SelfSignedCertificate]]:
    """An HTTPS feed server on loopback with a certificate for ``calendar.test``."""
    certificate = make_certificate(tmp_path, "calendar.test")
    server = FeedServer(tls=certificate.server).start()
    try:
        yield server, certificate
    finally:
        server.stop()


# --- Radicale ----------------------------------------------------------------


def free_port() -> int:
    """A loopback TCP port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class RadicaleServer:
    """A running Radicale: its base URL, data directory and htpasswd file."""

    url: str
    port: int
    directory: Path
    htpasswd: Path
    process: subprocess.Popen[bytes]

    def add_user(self, username: str, password: str) -> None:
        """Add a user to the (uncached, plain) htpasswd file; Radicale reads it on every login."""
        with self.htpasswd.open("a") as f:
            f.write(f"{username}:{password}\n")

    def stop(self) -> None:
        """Terminate the server and wait for it."""
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def start_radicale(directory: Path) -> RadicaleServer:
    """Start Radicale on a free loopback port with an explicit config; wait until it answers."""
    port = free_port()
    htpasswd = directory / "users"
    htpasswd.write_text("")
    config = directory / "radicale.conf"
    config.write_text(
        "\n".join(
            [
                "[server]",
                f"hosts = 127.0.0.1:{port}",
                "[auth]",
                "type = htpasswd",
                f"htpasswd_filename = {htpasswd}",
                "htpasswd_encryption = plain",
                "htpasswd_cache = False",
                "delay = 0",
                "[rights]",
                "type = owner_only",
                "[storage]",
                f"filesystem_folder = {directory / 'collections'}",
                "[logging]",
                "level = warning",
                "mask_passwords = True",
                "",
            ]
        )
    )
    log = (directory / "radicale.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "radicale", "--config", str(config)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + RADICALE_START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"Radicale exited with {process.returncode}: {(directory / 'radicale.log').read_text()}"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.05)
    else:
        process.kill()
        raise RuntimeError("Radicale did not start listening in time")
    return RadicaleServer(f"http://127.0.0.1:{port}/", port, directory, htpasswd, process)


@pytest.fixture(scope="session")
def radicale_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RadicaleServer]:
    """One Radicale for the test session (each test gets its own user from ``caldav_account``)."""
    server = start_radicale(tmp_path_factory.mktemp("radicale"))
    try:
        yield server
    finally:
        server.stop()


@dataclass(frozen=True)
class CalDavTestAccount:
    """A fresh Radicale user: base URL, username, password."""

    url: str
    username: str
    password: str


@pytest.fixture
def caldav_account(radicale_server: RadicaleServer) -> CalDavTestAccount:
    """A new user on the session's Radicale, so tests never see each other's calendars."""
    username = "learner-" + secrets.token_hex(4)
    password = secrets.token_urlsafe(12)
    radicale_server.add_user(username, password)
    return CalDavTestAccount(radicale_server.url, username, password)


# Europe/Berlin as calendar programs write it (EU DST rules), for test calendars.
VTIMEZONE_BERLIN = """BEGIN:VTIMEZONE
TZID:Europe/Berlin
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10
END:STANDARD
END:VTIMEZONE
"""
