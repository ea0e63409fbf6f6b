"""fetch.py against a server on 127.0.0.1: what a URL or a server can do wrong ends as a FetchError, never as
another exception."""

from __future__ import annotations

import time

import pytest

from deck2pdf.fetch import FetchError, FetchPolicy, fetch

from ..conftest import LocalHTTP, Route

LOCAL = FetchPolicy(timeout=10, allow_private=True)


def test_a_non_ascii_path_is_sent_percent_encoded(local_http: LocalHTTP) -> None:
    local_http.routes["/B%C3%BCcher%20neu.png"] = Route(b"png")
    assert fetch(f"{local_http.url}/Bücher neu.png", LOCAL).data == b"png"


@pytest.mark.parametrize(
    ("location", "why"),
    [
        ("http://[::1/x.png", "Invalid IPv6 URL"),
        ("http://127.0.0.1:99999/x.png", "Port out of range"),
        ("http://a..b/x.png", "has an empty or too long label"),
    ],
)
def test_a_malformed_redirect_is_a_fetch_error(local_http: LocalHTTP, location: str, why: str) -> None:
    local_http.routes["/moved.png"] = Route(b"", status=302, location=location)
    with pytest.raises(FetchError, match=f"redirected to '.*', which is not a valid URL \\(.*{why}"):
        fetch(f"{local_http.url}/moved.png", LOCAL)


@pytest.mark.parametrize("url", ["http://[::1/x.png", "http://example.com:99999/", "http://a..b/", "http://x:y/"])
def test_a_malformed_address_is_a_fetch_error(url: str) -> None:
    with pytest.raises(FetchError, match="its address is not a valid URL"):
        fetch(url, LOCAL)


def test_a_server_trickling_its_headers_is_cut_off_at_the_timeout(trickled_headers: str) -> None:
    start = time.monotonic()
    with pytest.raises(FetchError, match=r"timed out after 2 s \(--image-timeout\)"):
        fetch(trickled_headers, FetchPolicy(timeout=2, allow_private=True))
    assert time.monotonic() - start < 2 + 5  # the trickle lasts a minute
