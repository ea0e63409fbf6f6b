"""Turn an http(s) URL into bytes, safely: time and size caps, redirects re-checked, no private addresses.

Only http and https are followed. Each hop's host name is resolved here, every address is checked (loopback,
private, link-local, reserved and multicast networks are refused unless allowed), and the connection is made
to a checked address, whose peer is checked again once connected: a name cannot be re-pointed in between.

Behind a proxy (`HTTPS_PROXY` / `HTTP_PROXY`, but not for the hosts in `NO_PROXY`, as curl and urllib read them)
the proxy is the user's explicit trust: it is connected to whatever its address, it resolves the names, and only
addresses written in the URL itself are checked here.
"""

from __future__ import annotations

import base64
import http.client
import io
import ipaddress
import select
import socket
import ssl
import time
import urllib.request
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from .options import Options
from .urls import ascii_path, joined, problem, split

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

USER_AGENT = "deck2pdf (slide deck to PDF converter)"
_REDIRECTS = {301, 302, 303, 307, 308}
_CHUNK = 64 * 1024


class FetchError(Exception):
    """A download that failed; the message says why, worded for the user."""


@dataclass(frozen=True)
class FetchPolicy:
    timeout: float = Options.image_timeout  # seconds for the whole download of one image, redirects included
    max_bytes: int = Options.max_image_bytes
    allow_private: bool = Options.allow_private_network  # fetch from loopback, private, link-local, reserved too
    max_redirects: int = 5

    @classmethod
    def from_options(cls, options: Options) -> FetchPolicy:
        """The policy an Options sets (--image-timeout, --max-image-bytes, --allow-private-network)."""
        return cls(options.image_timeout, options.max_image_bytes, options.allow_private_network)


@dataclass(frozen=True)
class Fetched:
    data: bytes | None  # None when the server said the cached copy is still current (304)
    url: str  # after redirects
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None


def fetch(url: str, policy: FetchPolicy, *, etag: str | None = None, last_modified: str | None = None) -> Fetched:
    """Download `url`; with `etag`/`last_modified`, ask the server whether the cached copy is still current."""
    deadline = time.monotonic() + policy.timeout
    for hop in range(policy.max_redirects + 1):
        parts = split(url)
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            why = problem(url) or "is not an http(s) URL"
            raise FetchError(f"redirected to '{url}', which {why}" if hop else f"its address {why}")
        proxied = _via_proxy(parts.scheme, parts.hostname, parts.port, policy, deadline)
        conn = proxied or _connect(parts.scheme, parts.hostname, parts.port, policy, deadline)
        conn.response_class = _responses_until(deadline)
        try:
            headers = {"User-Agent": USER_AGENT, "Accept": "image/*, */*;q=0.5", "Accept-Encoding": "identity"}
            if etag:
                headers["If-None-Match"] = etag
            if last_modified:
                headers["If-Modified-Since"] = last_modified
            path = ascii_path((parts.path or "/") + (f"?{parts.query}" if parts.query else ""))
            if proxied is not None and parts.scheme == "http":  # a plain proxy is asked for the whole URL
                path = f"http://{parts.netloc.rpartition('@')[2]}{path}"
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            if response.status in _REDIRECTS and response.getheader("Location"):
                url = joined(url, response.getheader("Location", ""))
                continue
            if response.status == 304:
                return Fetched(None, url, etag, last_modified)
            if response.status != 200:
                raise FetchError(f"the server answered {response.status} {response.reason}".rstrip())
            length = response.getheader("Content-Length")
            if length and length.isdigit() and int(length) > policy.max_bytes:
                raise FetchError(f"is {_mb(int(length))}, over the {_mb(policy.max_bytes)} limit (--max-image-bytes)")
            data = _read(response, policy)
            return Fetched(
                data,
                url,
                response.getheader("ETag"),
                response.getheader("Last-Modified"),
                response.getheader("Content-Type"),
            )
        except TimeoutError:
            raise FetchError(f"timed out after {policy.timeout:g} s (--image-timeout)") from None
        except (OSError, http.client.HTTPException) as exc:
            raise FetchError(f"the download failed ({_reason(exc)})") from None
        finally:
            conn.close()
    raise FetchError(f"more than {policy.max_redirects} redirects")


def _read(response: http.client.HTTPResponse, policy: FetchPolicy) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = response.read1(_CHUNK)  # one receive at most, given the time left (`_Until`)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > policy.max_bytes:
            raise FetchError(f"is over the {_mb(policy.max_bytes)} limit (--max-image-bytes)")
        chunks.append(chunk)


class _Until(io.RawIOBase):
    """A socket's bytes, each receive given only the time left before `deadline`: http.client reads the status
    line and headers with the socket's own timeout, which a server trickling a byte at a time restarts forever."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        super().__init__()
        self._sock = sock
        self._raw = sock.makefile("rb", buffering=0)  # a counted user: the socket stays open while it is read
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int | None:
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        self._sock.settimeout(remaining)  # plain and TLS sockets alike
        return self._raw.readinto(buffer)

    def close(self) -> None:
        self._raw.close()
        super().close()


def _responses_until(deadline: float) -> type[http.client.HTTPResponse]:
    """A response class whose status line, headers and body are all read by `deadline`."""

    class _Response(http.client.HTTPResponse):
        def __init__(self, sock: socket.socket, *args: Any, **kwargs: Any) -> None:
            super().__init__(sock, *args, **kwargs)
            self.fp.close()
            self.fp = io.BufferedReader(_Until(sock, deadline))

    return _Response


def _secure(sock: socket.socket, host: str, deadline: float) -> ssl.SSLSocket:
    """`sock` after a TLS handshake for `host` (its certificate checked for that name), done by `deadline`: a
    blocking handshake restarts the socket's timeout at every record a server trickles."""
    tls = ssl.create_default_context().wrap_socket(sock, server_hostname=host, do_handshake_on_connect=False)
    tls.setblocking(False)
    while True:
        try:
            tls.do_handshake()
            break
        except ssl.SSLWantReadError:
            ready = select.select([tls], [], [], max(0.0, deadline - time.monotonic()))[0]
        except ssl.SSLWantWriteError:
            ready = select.select([], [tls], [], max(0.0, deadline - time.monotonic()))[1]
        if not ready:
            raise TimeoutError
    tls.settimeout(max(0.001, deadline - time.monotonic()))
    return tls


def _via_proxy(
    scheme: str, host: str, port: int | None, policy: FetchPolicy, deadline: float
) -> http.client.HTTPConnection | None:
    """A connection to `host` through the proxy the environment names for `scheme`, or None when there is none
    (or `host` is in NO_PROXY): a tunnel (CONNECT) for https, the proxy itself for http."""
    proxies = urllib.request.getproxies_environment()  # the environment's only: the user's explicit word
    proxy = proxies.get(scheme)
    # proxy_bypass_environment reads NO_PROXY only (not the system's settings); undocumented: else the public one.
    bypass = getattr(urllib.request, "proxy_bypass_environment", None)
    if not proxy or (bypass(host, proxies) if bypass is not None else urllib.request.proxy_bypass(host)):
        return None
    if not policy.allow_private and _names_this_network(host):
        raise FetchError(
            f"refused: '{host}' is on a loopback, private or reserved network (allow with --allow-private-network)"
        )
    where = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    if not where.hostname or where.scheme not in ("http", ""):
        raise FetchError(
            f"the proxy '{proxy}' is not an http:// proxy address (check {scheme.upper()}_PROXY)",
        )
    remaining = max(0.001, deadline - time.monotonic())
    headers = {}
    if where.username:
        token = base64.b64encode(f"{unquote(where.username)}:{unquote(where.password or '')}".encode()).decode()
        headers["Proxy-Authorization"] = f"Basic {token}"
    proxy_port = where.port or (443 if where.scheme == "https" else 80)
    if scheme == "https":
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(
            where.hostname, proxy_port, timeout=remaining, context=ssl.create_default_context()
        )
        conn.set_tunnel(host, port or 443, headers=headers)
    else:
        conn = _ProxiedHTTP(where.hostname, proxy_port, headers, timeout=remaining)
    return conn


def _names_this_network(host: str) -> bool:
    """Whether a host as written in a URL names a loopback, private or reserved address: an IP address in any
    spelling the resolver accepts (127.1, 2130706433, 0x7f.1, [::1]) or localhost. (A proxy resolves other names
    itself; it is the user's to trust.)"""
    name = host.strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return not is_public(name)
    except ValueError:
        pass
    try:
        return not is_public(socket.inet_ntoa(socket.inet_aton(name)))  # the classic forms: 127.1, 0x7f.1, 2130706433
    except OSError:
        return False


class _ProxiedHTTP(http.client.HTTPConnection):
    """A plain HTTP proxy connection that sends its credentials with every request."""

    def __init__(self, host: str, port: int, proxy_headers: dict[str, str], *, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.proxy_headers = proxy_headers

    def request(self, method: str, url: str, body: Any = None, headers: Any = None, **kw: Any) -> None:
        super().request(method, url, body, {**(headers or {}), **self.proxy_headers}, **kw)


def _connect(
    scheme: str, host: str, port: int | None, policy: FetchPolicy, deadline: float
) -> http.client.HTTPConnection:
    port = port or (443 if scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise FetchError(f"the host '{host}' was not found ({_reason(exc)})") from None
    addresses = [str(info[4][0]) for info in infos]
    allowed = [a for a in addresses if policy.allow_private or is_public(a)]
    if not allowed:
        raise FetchError(
            f"refused: '{host}' is on a loopback, private or reserved network (allow with --allow-private-network)"
        )
    last_error: Exception | None = None
    for address in allowed:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchError(f"timed out after {policy.timeout:g} s (--image-timeout)")
        try:
            sock = socket.create_connection((address, port), timeout=remaining)
        except TimeoutError:
            raise FetchError(f"timed out after {policy.timeout:g} s (--image-timeout)") from None
        except OSError as exc:
            last_error = exc
            continue
        peer = sock.getpeername()[0]
        if not (policy.allow_private or is_public(peer)):  # the address actually connected to
            sock.close()
            raise FetchError(f"refused: connected to {peer}, a private address (allow with --allow-private-network)")
        if scheme == "https":
            try:
                sock = _secure(sock, host, deadline)
            except TimeoutError:
                sock.close()
                raise FetchError(f"timed out after {policy.timeout:g} s (--image-timeout)") from None
            except (OSError, ssl.SSLError) as exc:
                sock.close()
                raise FetchError(f"the secure connection failed ({_reason(exc)})") from None
        conn = http.client.HTTPConnection(host, port, timeout=remaining)
        conn.sock = sock  # already connected, to the address checked above
        return conn
    raise FetchError(f"could not connect to '{host}' ({_reason(last_error)})")


def is_public(address: str) -> bool:
    """Tell whether an IP address is on the public internet (not loopback, private, link-local, reserved...)."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast or ip.is_unspecified
    )


def _reason(exc: BaseException | None) -> str:
    if exc is None:
        return "no address"
    text = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or str(exc) or type(exc).__name__
    return str(text)


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"
