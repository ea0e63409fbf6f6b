"""fetch.py against a server on 127.0.0.1: what a URL or a server can do wrong ends as a FetchError, never as
another exception."""

from __future__ import annotations

import base64
import socket
import ssl
import time
from pathlib import Path

import pytest

from deck2pdf.fetch import FetchError, FetchPolicy, fetch

from ..conftest import ConnectProxy, LocalHTTP, Route

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


@pytest.mark.parametrize(
    "url",
    ["http://[::1/x.png", "http://example.com:99999/", "http://a..b/", "http://x:y/", "http://\x00/", "http://a b/"],
)
def test_a_malformed_address_is_a_fetch_error(url: str) -> None:
    with pytest.raises(FetchError, match="its address is not a valid URL"):
        fetch(url, LOCAL)


def test_a_server_trickling_its_headers_is_cut_off_at_the_timeout(trickled_headers: str) -> None:
    start = time.monotonic()
    with pytest.raises(FetchError, match=r"timed out after 2 s \(--image-timeout\)"):
        fetch(trickled_headers, FetchPolicy(timeout=2, allow_private=True))
    assert time.monotonic() - start < 2 + 5  # the trickle lasts a minute


@pytest.fixture
def images_example(monkeypatch: pytest.MonkeyPatch) -> None:
    """`images.example` resolves to 127.0.0.1, as a name an attacker controls may."""
    resolve = socket.getaddrinfo

    def to_this_machine(host: object, *args: object, **kwargs: object) -> object:
        return resolve("127.0.0.1" if host == "images.example" else host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", to_this_machine)


@pytest.mark.usefixtures("images_example")
@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_name_resolving_to_this_machine_is_refused_through_a_proxy(
    local_http: LocalHTTP, monkeypatch: pytest.MonkeyPatch, scheme: str
) -> None:
    """The proxy would resolve `images.example` itself, to 127.0.0.1: deck2pdf resolves and checks it first."""
    local_http.routes["http://images.example/p.png"] = Route(b"png")
    monkeypatch.setenv(f"{scheme.upper()}_PROXY", local_http.url)
    with pytest.raises(FetchError, match=r"refused: 'images\.example' is on a loopback, private or reserved network"):
        fetch(f"{scheme}://images.example/p.png", FetchPolicy())
    assert local_http.requests == []


@pytest.mark.usefixtures("images_example")
def test_a_plain_proxy_is_asked_for_the_checked_address_with_the_name_as_host(
    local_http: LocalHTTP, monkeypatch: pytest.MonkeyPatch
) -> None:
    local_http.routes["http://127.0.0.1:8080/p.png"] = Route(b"png")
    monkeypatch.setenv("HTTP_PROXY", local_http.url.replace("://", "://ann:s%40cret@"))
    got = fetch("http://images.example:8080/p.png", LOCAL)
    assert got.data == b"png" and got.private_network
    [(path, headers)] = local_http.requests
    assert path == "http://127.0.0.1:8080/p.png" and headers["Host"] == "images.example:8080"
    assert headers["Proxy-Authorization"] == "Basic " + base64.b64encode(b"ann:s@cret").decode()


@pytest.mark.usefixtures("images_example")
def test_a_tunnel_goes_to_the_checked_address_and_tls_checks_the_name(
    connect_proxy: ConnectProxy, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """CONNECT names the address checked; the TLS handshake still sends the name (SNI) and checks the
    certificate against it (the certificate names `images.example` only, not 127.0.0.1)."""
    cert, key = certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = LocalHTTP(tls=context)
    try:
        server.routes["/p.png"] = Route(b"png")
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trusted as a root by the default context
        monkeypatch.setenv("HTTPS_PROXY", connect_proxy.url)
        got = fetch(f"https://images.example:{server.port}/p.png", LOCAL)
        assert got.data == b"png" and got.private_network
        assert connect_proxy.targets == [f"127.0.0.1:{server.port}"]
        assert server.requests[0][1]["Host"] == f"images.example:{server.port}"
        monkeypatch.setenv("SSL_CERT_FILE", str(key))  # no trusted root: the certificate is checked
        with pytest.raises(FetchError, match="the secure connection failed"):
            fetch(f"https://images.example:{server.port}/p.png", LOCAL)
    finally:
        server.stop()
