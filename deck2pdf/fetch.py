"""Turn an http(s) URL into bytes, safely: time and size caps, redirects re-checked, no private addresses.

Only http and https are followed. Each hop's host name is resolved here, every address is checked (loopback,
private, link-local, reserved and multicast networks are refused unless allowed), and the connection is made
to a checked address, whose peer is checked again once connected: a name cannot be re-pointed in between.

Behind a proxy (`HTTPS_PROXY` / `HTTP_PROXY`, but not for the hosts in `NO_PROXY`, as curl and urllib read them)
the proxy itself is the user's explicit trust: it is connected to whatever its address. The names are still
resolved and checked here, and the proxy is asked for the checked address, never for the name (which it would
resolve itself, to anything: a name pointing at 127.0.0.1 would open the proxy's own network).
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
    private_network: bool = False  # a hop was on a loopback, private or reserved address (--allow-private-network)


@dataclass(frozen=True)
class _Proxy:
    host: str
    port: int
    headers: dict[str, str]  # its credentials


def fetch(url: str, policy: FetchPolicy, *, etag: str | None = None, last_modified: str | None = None) -> Fetched:
    """Download `url`; with `etag`/`last_modified`, ask the server whether the cached copy is still current."""
    deadline = time.monotonic() + policy.timeout
    private = False
    for hop in range(policy.max_redirects + 1):
        parts = split(url)
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            why = problem(url) or "is not an http(s) URL"
            raise FetchError(f"redirected to '{url}', which {why}" if hop else f"its address {why}")
        host, port = parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
        proxy = _proxy_for(parts.scheme, host)
        addresses = _addresses(host, port, policy)
        conn: http.client.HTTPConnection | None = None
        try:
            conn, address = _open(parts.scheme, host, port, addresses, proxy, policy, deadline)
            private = private or not is_public(address)
            conn.response_class = _responses_until(deadline)
            headers = {"User-Agent": USER_AGENT, "Accept": "image/*, */*;q=0.5", "Accept-Encoding": "identity"}
            if etag:
                headers["If-None-Match"] = etag
            if last_modified:
                headers["If-Modified-Since"] = last_modified
            path = ascii_path((parts.path or "/") + (f"?{parts.query}" if parts.query else ""))
            if proxy is not None and parts.scheme == "http":
                # A plain proxy is asked for the whole URL, naming the checked address; the name goes in `Host`, so
                # a server of several sites knows which. Refusing plain http behind a proxy would be the other way;
                # this keeps such images working, and is as safe: the proxy connects to the address checked here.
                # A proxy may rewrite `Host` from the address (RFC 9112, 3.2.2); the server then answers for its
                # default site, a wrong or missing image at worst, never a private one.
                path = f"http://{_authority(address, port)}{path}"
                headers = {**headers, "Host": _host_header(host, port, 80), **proxy.headers}
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            if response.status in _REDIRECTS and response.getheader("Location"):
                url = joined(url, response.getheader("Location", ""))
                continue
            if response.status == 304:
                return Fetched(None, url, etag, last_modified, private_network=private)
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
                private,
            )
        except TimeoutError:
            raise FetchError(f"timed out after {policy.timeout:g} s (--image-timeout)") from None
        except (OSError, http.client.HTTPException) as exc:
            raise FetchError(f"the download failed ({_reason(exc)})") from None
        finally:
            if conn is not None:
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


def _proxy_for(scheme: str, host: str) -> _Proxy | None:
    """The proxy the environment names for `scheme`, or None when there is none or `host` is in NO_PROXY."""
    proxies = urllib.request.getproxies_environment()  # the environment's only: the user's explicit word
    proxy = proxies.get(scheme)
    # proxy_bypass_environment reads NO_PROXY only (not the system's settings); undocumented: else the public one.
    bypass = getattr(urllib.request, "proxy_bypass_environment", None)
    if not proxy or (bypass(host, proxies) if bypass is not None else urllib.request.proxy_bypass(host)):
        return None
    try:
        where = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        proxy_port = where.port or 80
    except ValueError:
        where, proxy_port = None, 0
    if where is None or not where.hostname or where.scheme not in ("http", ""):
        raise FetchError(f"the proxy '{proxy}' is not an http:// proxy address (check {scheme.upper()}_PROXY)")
    headers = {}
    if where.username:
        token = base64.b64encode(f"{unquote(where.username)}:{unquote(where.password or '')}".encode()).decode()
        headers["Proxy-Authorization"] = f"Basic {token}"
    return _Proxy(where.hostname, proxy_port, headers)


def _addresses(host: str, port: int, policy: FetchPolicy) -> list[str]:
    """The addresses `host` stands for that the policy allows: an IP address in any spelling the resolver accepts
    (127.1, 2130706433, 0x7f.1, [::1]) is read as written, a name resolved here, also behind a proxy."""
    literal = _literal(host)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            addresses = [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]
        except (OSError, ValueError) as exc:  # ValueError: a name no resolver takes (UnicodeError is one)
            raise FetchError(f"the host '{host}' was not found ({_reason(exc)})") from None
    allowed = [a for a in addresses if policy.allow_private or is_public(a)]
    if not allowed:
        raise FetchError(
            f"refused: '{host}' is on a loopback, private or reserved network (allow with --allow-private-network)"
        )
    return allowed


def _literal(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host.split("%")[0]))
    except ValueError:
        pass
    if any(c.isspace() for c in host):
        return None
    try:
        return socket.inet_ntoa(socket.inet_aton(host))  # the classic forms: 127.1, 0x7f.1, 2130706433
    except (OSError, ValueError):
        return None


def _open(
    scheme: str,
    host: str,
    port: int,
    addresses: list[str],
    proxy: _Proxy | None,
    policy: FetchPolicy,
    deadline: float,
) -> tuple[http.client.HTTPConnection, str]:
    """A connection for a request to `host`, made to one of its checked `addresses` (directly, or through the
    proxy: a tunnel for https), and the address; TLS checks the certificate against the name `host`."""
    last_error: Exception | None = None
    for address in addresses:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        try:
            if proxy is None:
                sock = socket.create_connection((address, port), timeout=remaining)
            else:
                sock = socket.create_connection((proxy.host, proxy.port), timeout=remaining)
        except TimeoutError:
            raise
        except OSError as exc:
            last_error = exc
            continue
        try:
            if proxy is None:
                peer = sock.getpeername()[0]
                if not (policy.allow_private or is_public(peer)):  # the address actually connected to
                    raise FetchError(
                        f"refused: connected to {peer}, a private address (allow with --allow-private-network)"
                    )
            elif scheme == "https":
                _tunnel(sock, address, port, proxy.headers, deadline)
            if scheme == "https":
                try:
                    sock = _secure(sock, host, deadline)
                except ssl.SSLError as exc:
                    raise FetchError(f"the secure connection failed ({_reason(exc)})") from None
        except OSError as exc:
            sock.close()
            if isinstance(exc, TimeoutError):
                raise
            last_error = exc
            continue
        except BaseException:
            sock.close()
            raise
        conn = http.client.HTTPConnection(host, port, timeout=max(0.001, deadline - time.monotonic()))
        conn.sock = sock  # already connected, to the address checked
        return conn, address
    through = " through the proxy" if proxy is not None else ""
    raise FetchError(f"could not connect to '{host}'{through} ({_reason(last_error)})")


def _tunnel(sock: socket.socket, address: str, port: int, headers: dict[str, str], deadline: float) -> None:
    """Ask the proxy on `sock` for a tunnel to `address` (the checked one, not the name) by `deadline`."""
    target = _authority(address, port)
    lines = [f"CONNECT {target} HTTP/1.1", f"Host: {target}", *(f"{k}: {v}" for k, v in headers.items())]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
    response = _responses_until(deadline)(sock, method="CONNECT")
    try:
        response.begin()
    except http.client.HTTPException as exc:
        raise OSError(f"the proxy answered CONNECT with no valid response: {_reason(exc)}") from None
    finally:
        response.close()
    if response.status != 200:
        raise OSError(f"the proxy refused the tunnel: {response.status} {response.reason}".rstrip())


def _authority(address: str, port: int) -> str:
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def _host_header(host: str, port: int, default_port: int) -> str:
    name = host if host.isascii() else host.encode("idna").decode("ascii")
    name = f"[{name}]" if ":" in name else name
    return name if port == default_port else f"{name}:{port}"


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
