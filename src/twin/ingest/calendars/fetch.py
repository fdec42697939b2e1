"""Fetch an iCalendar feed over http(s) without becoming a way into the operator's network.

Rules, each named in the error that enforces it (``FeedFetchError.rule``):

- ``scheme``: only ``http`` and ``https``; a redirect from https to http is refused too
  (it would send a secret URL's follow-up in clear).
- ``address``: the host is resolved once, every address it resolves to must be globally
  routable (no loopback, private, link-local, shared, reserved, multicast or unspecified
  address; IPv4-mapped IPv6 is checked as IPv4), and the connection goes to the address
  that was checked — so a DNS answer cannot change between the check and the connect.
  ``FetchPolicy.allowed_networks`` lists the exceptions an operator allows (tests allow
  127.0.0.0/8).
- ``redirect``: redirects are followed by hand, at most ``max_redirects``, each target
  checked by the same rules.
- ``timeout``: connect and read timeouts, plus a total deadline for slow-drip servers.
- ``size``: a Content-Length above the cap is refused before reading; the body is
  streamed and reading stops at the cap.
- ``tls``: https certificates are verified against the URL's host name.
- ``status``: any answer other than 200 (or 304 to a conditional request) is an error
  naming the status.

Conditional requests: ``If-None-Match`` (ETag) and ``If-Modified-Since`` are sent when
known; 304 answers ``not_modified``. Errors never contain the URL's path or query,
which for a calendar's "secret address" is the secret itself.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from twin.ingest.calendars.errors import FeedFetchError, FeedRefused, FeedTimeout, FeedTooLarge
from twin.ingest.calendars.ics import MAX_ICS_BYTES

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Sequence[str]]

ALLOWED_SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
USER_AGENT = "behavioral-twin-engine calendar fetcher"
ACCEPT = "text/calendar, text/plain;q=0.5, */*;q=0.1"
CHUNK_BYTES = 65_536


@dataclass(frozen=True)
class FetchPolicy:
    """Limits of one fetch; ``allowed_networks`` are exceptions to the address rule."""

    connect_timeout_seconds: float = 5.0
    read_timeout_seconds: float = 15.0
    total_timeout_seconds: float = 60.0
    max_bytes: int = MAX_ICS_BYTES
    max_redirects: int = 5
    allowed_networks: tuple[IPNetwork, ...] = ()


def parse_networks(*cidrs: str) -> tuple[IPNetwork, ...]:
    """``("127.0.0.0/8", "::1/128")`` → networks for ``FetchPolicy.allowed_networks``."""
    return tuple(ipaddress.ip_network(c) for c in cidrs)


@dataclass(frozen=True)
class FeedResponse:
    """A fetched feed (``body``), or ``not_modified`` with no body; validators for next time."""

    not_modified: bool
    body: bytes | None
    etag: str | None
    last_modified: str | None
    status_code: int
    redirects: int


def redact(url: str) -> str:
    """``scheme://host[:port]`` only: paths and queries of calendar URLs are secrets."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}/…"


def address_rule(ip: IPAddress) -> str | None:
    """The name of the rule ``ip`` breaks (``"loopback"``, ``"private"`` …), or None when it is public."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    checks = (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved),
        ("private", ip.is_private),
    )
    for name, hit in checks:
        if hit:
            return name
    if not ip.is_global:
        return "not globally routable"
    return None


def _system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def check_url(url: str, policy: FetchPolicy, resolver: Resolver | None = None) -> str:
    """Check ``url``'s scheme and every address its host resolves to; return the address to connect to."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise FeedRefused(
            f"only http and https calendar URLs are allowed, not {scheme or 'no scheme'!r}",
            rule="scheme",
        )
    host = parts.hostname
    if not host:
        raise FeedRefused("the calendar URL has no host", rule="address")
    port = parts.port or DEFAULT_PORTS[scheme]
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [str(literal)]
    else:
        try:
            addresses = list((resolver or _system_resolver)(host, port))
        except (OSError, UnicodeError) as exc:
            raise FeedFetchError(
                f"the calendar host {host!r} could not be resolved ({exc.__class__.__name__})",
                rule="dns",
                host=host,
            ) from exc
        if not addresses:
            raise FeedFetchError(
                f"the calendar host {host!r} has no address", rule="dns", host=host
            )
    for text in addresses:
        ip = ipaddress.ip_address(text.split("%", 1)[0])
        broken = address_rule(ip)
        if broken is not None and not any(ip in net for net in policy.allowed_networks):
            raise FeedRefused(
                f"the calendar host {host!r} resolves to a {broken} address ({ip}); "
                "such addresses are refused unless the operator allows them",
                rule="address",
                host=host,
                address=str(ip),
                addressKind=broken,
            )
    return addresses[0].split("%", 1)[0]


def _pinned_request(url: str, address: str) -> tuple[str, dict[str, str], dict[str, str]]:
    """The URL rewritten to the checked address, with the Host header and TLS name of the original."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    ip = ipaddress.ip_address(address)
    netloc_host = f"[{address}]" if ip.version == 6 else address
    netloc = f"{netloc_host}:{parts.port}" if parts.port else netloc_host
    pinned = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    host_header = f"{host}:{parts.port}" if parts.port else host
    if ":" in host and not host_header.startswith("["):
        host_header = f"[{host}]" + (f":{parts.port}" if parts.port else "")
    extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
    return pinned, {"Host": host_header}, extensions


def fetch_feed(
    url: str,
    *,
    policy: FetchPolicy | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    resolver: Resolver | None = None,
    transport: httpx.BaseTransport | None = None,
    verify: ssl.SSLContext | bool = True,
) -> FeedResponse:
    """GET an iCalendar feed under ``policy``; ``not_modified`` when the server answers 304.

    ``verify`` is the TLS trust (the system's by default; tests pass a context trusting their
    own CA). The certificate is checked against the URL's host name, not the pinned address.
    """
    policy = policy or FetchPolicy()
    timeout = httpx.Timeout(
        connect=policy.connect_timeout_seconds,
        read=policy.read_timeout_seconds,
        write=policy.read_timeout_seconds,
        pool=policy.connect_timeout_seconds,
    )
    deadline = time.monotonic() + policy.total_timeout_seconds
    headers = {"User-Agent": USER_AGENT, "Accept": ACCEPT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    current = url
    with httpx.Client(
        timeout=timeout,
        follow_redirects=False,
        transport=transport,
        trust_env=False,
        verify=verify,
    ) as client:
        for redirects in range(policy.max_redirects + 1):
            address = check_url(current, policy, resolver)
            pinned, host_header, extensions = _pinned_request(current, address)
            request = client.build_request(
                "GET", pinned, headers={**headers, **host_header}, extensions=extensions
            )
            try:
                response = client.send(request, stream=True)
            except httpx.TimeoutException as exc:
                raise FeedTimeout(
                    f"{redact(current)} did not answer in time ({exc.__class__.__name__})",
                    rule="timeout",
                ) from exc
            except httpx.HTTPError as exc:
                if _tls_failure(exc):
                    raise FeedFetchError(
                        f"{redact(current)}: the TLS certificate could not be verified for this host",
                        rule="tls",
                    ) from exc
                raise FeedFetchError(
                    f"{redact(current)} could not be reached ({exc.__class__.__name__})",
                    rule="connect",
                ) from exc
            try:
                if response.status_code in REDIRECT_STATUSES:
                    location = response.headers.get("Location")
                    if not location:
                        raise FeedFetchError(
                            f"{redact(current)} answered {response.status_code} without a Location",
                            rule="redirect",
                        )
                    target = urljoin(current, location)
                    if urlsplit(current).scheme == "https" and urlsplit(target).scheme == "http":
                        raise FeedRefused(
                            f"{redact(current)} redirects from https to http; refused",
                            rule="scheme",
                        )
                    current = target
                    continue
                if response.status_code == 304 and (etag or last_modified):
                    return FeedResponse(
                        True,
                        None,
                        response.headers.get("ETag", etag),
                        response.headers.get("Last-Modified", last_modified),
                        304,
                        redirects,
                    )
                if response.status_code != 200:
                    raise FeedFetchError(
                        f"{redact(current)} answered HTTP {response.status_code}",
                        rule="status",
                        status=response.status_code,
                    )
                body = _read_capped(response, policy, deadline, current)
                return FeedResponse(
                    False,
                    body,
                    response.headers.get("ETag"),
                    response.headers.get("Last-Modified"),
                    200,
                    redirects,
                )
            finally:
                response.close()
    raise FeedFetchError(
        f"more than {policy.max_redirects} redirects starting at {redact(url)}",
        rule="redirect",
    )


def _tls_failure(exc: BaseException) -> bool:
    """Whether a certificate check failed somewhere in the exception's chain."""
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return False
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _read_capped(response: httpx.Response, policy: FetchPolicy, deadline: float, url: str) -> bytes:
    """The body, refusing a Content-Length above the cap and stopping the stream at it."""
    declared = response.headers.get("Content-Length")
    if declared is not None and declared.isdigit() and int(declared) > policy.max_bytes:
        raise FeedTooLarge(
            f"{redact(url)} declares {declared} bytes; the limit is {policy.max_bytes}",
            rule="size",
            limit=policy.max_bytes,
        )
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_bytes(CHUNK_BYTES):
            size += len(chunk)
            if size > policy.max_bytes:
                raise FeedTooLarge(
                    f"{redact(url)} sent more than {policy.max_bytes} bytes",
                    rule="size",
                    limit=policy.max_bytes,
                )
            if time.monotonic() > deadline:
                raise FeedTimeout(
                    f"{redact(url)} took longer than {policy.total_timeout_seconds:g} s in total",
                    rule="timeout",
                )
            chunks.append(chunk)
    except httpx.TimeoutException as exc:
        raise FeedTimeout(
            f"{redact(url)} stopped sending ({exc.__class__.__name__})", rule="timeout"
        ) from exc
    except httpx.HTTPError as exc:
        raise FeedFetchError(
            f"{redact(url)} broke off the answer ({exc.__class__.__name__})", rule="connect"
        ) from exc
    return b"".join(chunks)
