"""The feed fetcher against a real HTTP server on loopback (tests allow 127.0.0.0/8 explicitly)."""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Sequence

import pytest

from tests.calendar_servers import FeedServer, Route, SelfSignedCertificate
from twin.ingest.calendars.errors import FeedFetchError, FeedRefused, FeedTimeout, FeedTooLarge
from twin.ingest.calendars.fetch import FetchPolicy, address_rule, fetch_feed, parse_networks

ICS = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:a\r\n"
    b"DTSTART:20250303T090000Z\r\nDTEND:20250303T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)
LOOPBACK = FetchPolicy(allowed_networks=parse_networks("127.0.0.0/8"))
SECRET_PATH = "/private/ical/s3cr3t-t0ken/basic.ics"


def test_fetches_and_revalidates_with_etag(feed_server: FeedServer) -> None:
    """200 with an ETag, then If-None-Match → 304, not_modified, no body."""
    feed_server.routes["/cal.ics"] = Route(body=ICS, etag='"v1"')
    first = fetch_feed(feed_server.url("/cal.ics"), policy=LOOPBACK)
    assert (first.status_code, first.body, first.etag, first.not_modified) == (
        200,
        ICS,
        '"v1"',
        False,
    )
    second = fetch_feed(feed_server.url("/cal.ics"), policy=LOOPBACK, etag=first.etag)
    assert (second.status_code, second.body, second.not_modified, second.etag) == (
        304,
        None,
        True,
        '"v1"',
    )
    assert feed_server.requests[1][1]["If-None-Match"] == '"v1"'


def test_revalidates_with_if_modified_since(feed_server: FeedServer) -> None:
    """Without an ETag, Last-Modified → If-Modified-Since → 304."""
    stamp = "Mon, 03 Mar 2025 09:00:00 GMT"
    feed_server.routes["/cal.ics"] = Route(body=ICS, last_modified=stamp)
    first = fetch_feed(feed_server.url("/cal.ics"), policy=LOOPBACK)
    assert first.last_modified == stamp
    second = fetch_feed(feed_server.url("/cal.ics"), policy=LOOPBACK, last_modified=stamp)
    assert second.not_modified
    assert feed_server.requests[1][1]["If-Modified-Since"] == stamp


def test_loopback_refused_unless_allowed(feed_server: FeedServer) -> None:
    """The default policy refuses 127.0.0.1 (and 'localhost') before any request is sent."""
    feed_server.routes["/cal.ics"] = Route(body=ICS)
    with pytest.raises(FeedRefused) as caught:
        fetch_feed(feed_server.url("/cal.ics"))
    assert caught.value.rule == "address"
    assert caught.value.details["addressKind"] == "loopback"
    with pytest.raises(FeedRefused, match="loopback"):
        fetch_feed(f"http://localhost:{feed_server.port}/cal.ics")
    assert feed_server.requests == []


@pytest.mark.parametrize("url", ["ftp://example.org/cal.ics", "file:///etc/passwd", "webcal://x/y"])
def test_only_http_and_https(url: str) -> None:
    """Any other scheme is refused by the scheme rule."""
    with pytest.raises(FeedRefused) as caught:
        fetch_feed(url, policy=LOOPBACK)
    assert caught.value.rule == "scheme"
    assert caught.value.http_status == 422


def test_redirect_to_a_private_address_is_refused(feed_server: FeedServer) -> None:
    """A loopback feed (allowed) redirects to 10.1.2.3 (not allowed): refused at the redirect."""
    feed_server.routes["/moved.ics"] = Route(redirect_to="http://10.1.2.3/internal.ics")
    with pytest.raises(FeedRefused) as caught:
        fetch_feed(feed_server.url("/moved.ics"), policy=LOOPBACK)
    assert caught.value.rule == "address"
    assert caught.value.details["addressKind"] == "private"
    assert caught.value.details["address"] == "10.1.2.3"
    assert len(feed_server.requests) == 1


def test_redirect_to_link_local_metadata_address_is_refused(feed_server: FeedServer) -> None:
    """The classic cloud metadata address (169.254.169.254) behind a redirect."""
    feed_server.routes["/moved.ics"] = Route(
        redirect_to="http://169.254.169.254/latest/meta-data/", status=307
    )
    with pytest.raises(FeedRefused) as caught:
        fetch_feed(feed_server.url("/moved.ics"), policy=LOOPBACK)
    assert caught.value.details["addressKind"] == "link-local"


def test_allowed_redirects_are_followed_and_loops_stop(feed_server: FeedServer) -> None:
    """A relative redirect on the allowed host is followed; a loop ends at max_redirects."""
    feed_server.routes["/old.ics"] = Route(redirect_to="/new.ics", status=301)
    feed_server.routes["/new.ics"] = Route(body=ICS)
    got = fetch_feed(feed_server.url("/old.ics"), policy=LOOPBACK)
    assert (got.body, got.redirects) == (ICS, 1)
    feed_server.routes["/loop.ics"] = Route(redirect_to="/loop.ics")
    with pytest.raises(FeedFetchError) as caught:
        fetch_feed(feed_server.url("/loop.ics"), policy=LOOPBACK)
    assert caught.value.rule == "redirect"
    assert (
        sum(1 for path, _ in feed_server.requests if path == "/loop.ics")
        == LOOPBACK.max_redirects + 1
    )


def test_read_timeout(feed_server: FeedServer) -> None:
    """A server that answers after 3 s hits a 0.3 s read timeout."""
    feed_server.routes["/slow.ics"] = Route(body=ICS, delay_seconds=3.0)
    policy = FetchPolicy(allowed_networks=LOOPBACK.allowed_networks, read_timeout_seconds=0.3)
    started = time.monotonic()
    with pytest.raises(FeedTimeout) as caught:
        fetch_feed(feed_server.url("/slow.ics"), policy=policy)
    assert caught.value.rule == "timeout"
    assert caught.value.http_status == 504
    assert time.monotonic() - started < 2.5


def test_declared_oversize_is_refused_before_reading(feed_server: FeedServer) -> None:
    """Content-Length above the cap → FeedTooLarge (413) without reading the body."""
    feed_server.routes["/big.ics"] = Route(body=ICS * 20)
    policy = FetchPolicy(allowed_networks=LOOPBACK.allowed_networks, max_bytes=len(ICS) * 5)
    with pytest.raises(FeedTooLarge) as caught:
        fetch_feed(feed_server.url("/big.ics"), policy=policy)
    assert caught.value.rule == "size"
    assert caught.value.http_status == 413
    assert "declares" in caught.value.message


def test_streamed_oversize_stops_at_the_cap(feed_server: FeedServer) -> None:
    """No Content-Length: the stream is cut once it passes the cap (here 1 MB of a 50 MB body)."""
    feed_server.routes["/huge.ics"] = Route(stream_bytes=50 * 1024 * 1024)
    policy = FetchPolicy(allowed_networks=LOOPBACK.allowed_networks, max_bytes=1024 * 1024)
    with pytest.raises(FeedTooLarge) as caught:
        fetch_feed(feed_server.url("/huge.ics"), policy=policy)
    assert "sent more than 1048576 bytes" in caught.value.message


@pytest.mark.parametrize("status", [401, 404, 410, 500, 503])
def test_error_statuses_name_the_status(feed_server: FeedServer, status: int) -> None:
    """4xx/5xx → FeedFetchError with rule 'status' and the status code."""
    feed_server.routes["/cal.ics"] = Route(body=b"no", status=status)
    with pytest.raises(FeedFetchError) as caught:
        fetch_feed(feed_server.url("/cal.ics"), policy=LOOPBACK)
    assert caught.value.rule == "status"
    assert caught.value.details["status"] == status


def test_errors_never_contain_the_secret_path(feed_server: FeedServer) -> None:
    """A calendar's secret address lives in its path: errors show scheme, host and port only."""
    feed_server.routes[SECRET_PATH] = Route(status=500)
    with pytest.raises(FeedFetchError) as caught:
        fetch_feed(feed_server.url(SECRET_PATH), policy=LOOPBACK)
    assert "s3cr3t" not in caught.value.message
    assert "s3cr3t" not in repr(caught.value.details)
    assert f"127.0.0.1:{feed_server.port}" in caught.value.message


def test_the_checked_address_is_the_one_connected_to(feed_server: FeedServer) -> None:
    """A host name resolved by the given resolver: the request goes to the checked address with
    the original Host header (so a second, different DNS answer can never be used)."""
    feed_server.routes["/cal.ics"] = Route(body=ICS)
    answers: list[str] = []

    def resolver(host: str, port: int) -> Sequence[str]:
        answers.append(host)
        return ["127.0.0.1"] if len(answers) == 1 else ["10.9.9.9"]

    got = fetch_feed(
        f"http://calendar.example:{feed_server.port}/cal.ics", policy=LOOPBACK, resolver=resolver
    )
    assert got.body == ICS
    assert answers == ["calendar.example"]
    assert feed_server.requests[0][1]["Host"] == f"calendar.example:{feed_server.port}"

    def private(host: str, port: int) -> Sequence[str]:
        return ["127.0.0.1", "192.168.0.10"]

    with pytest.raises(FeedRefused, match="private"):
        fetch_feed(
            f"http://calendar.example:{feed_server.port}/cal.ics", policy=LOOPBACK, resolver=private
        )


@pytest.mark.parametrize(
    ("address", "rule"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.1.1", "private"),
        ("fc00::1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("0.0.0.0", "unspecified"),
        ("100.64.0.1", "not globally routable"),
        ("8.8.8.8", None),
        ("2606:4700::1111", None),
    ],
)
def test_address_rule(address: str, rule: str | None) -> None:
    """Every non-public address class has a named rule; public addresses have none."""
    assert address_rule(ipaddress.ip_address(address)) == rule


def test_https_connects_to_the_checked_address_and_verifies_the_name(
    tls_feed_server: tuple[FeedServer, SelfSignedCertificate],
) -> None:
    """HTTPS to a name resolved (by the test resolver) to loopback: the connection goes to the
    checked address while TLS sends and verifies the URL's host name (SNI + certificate)."""
    server, certificate = tls_feed_server
    server.routes["/cal.ics"] = Route(body=ICS, etag='"tls"')

    def resolver(host: str, port: int) -> Sequence[str]:
        assert host == certificate.hostname
        return ["127.0.0.1"]

    url = server.url("/cal.ics", host=certificate.hostname)
    got = fetch_feed(url, policy=LOOPBACK, resolver=resolver, verify=certificate.client)
    assert (got.body, got.etag) == (ICS, '"tls"')
    assert server.requests[0][1]["Host"] == f"{certificate.hostname}:{server.port}"
    # Another name on the same address fails verification: the pinned IP is not what is checked.
    with pytest.raises(FeedFetchError) as caught:
        fetch_feed(
            server.url("/cal.ics", host="other.test"),
            policy=LOOPBACK,
            resolver=lambda h, p: ["127.0.0.1"],
            verify=certificate.client,
        )
    assert caught.value.rule == "tls"


def test_https_to_http_redirect_is_refused(
    tls_feed_server: tuple[FeedServer, SelfSignedCertificate], feed_server: FeedServer
) -> None:
    """A secret https feed must not continue over plain http."""
    server, certificate = tls_feed_server
    server.routes["/cal.ics"] = Route(redirect_to=feed_server.url("/cal.ics"))
    with pytest.raises(FeedRefused) as caught:
        fetch_feed(
            server.url("/cal.ics", host=certificate.hostname),
            policy=LOOPBACK,
            resolver=lambda h, p: ["127.0.0.1"],
            verify=certificate.client,
        )
    assert caught.value.rule == "scheme"
