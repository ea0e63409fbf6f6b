"""Turn the URLs a deck writes into parts by the standard library's strict rules, saying why one is malformed
instead of raising (a broken IPv6 host, a bad port, an empty host label are a deck's mistakes, not bugs)."""

from __future__ import annotations

import ipaddress
from urllib.parse import SplitResult, quote, urljoin, urlsplit

# Printable ASCII stays as written (the URL's own syntax and its escapes); anything else is percent-encoded.
_SAFE = "".join(chr(code) for code in range(0x21, 0x7F))


def joined(base: str, ref: str) -> str:
    """`ref` made absolute against `base`; a malformed `ref` comes back as written (`problem` then says why)."""
    try:
        return urljoin(base, ref)
    except ValueError:
        return ref


def split(url: str) -> SplitResult | None:
    """The parts of `url`, or None when it is malformed (`problem` says why)."""
    return None if problem(url) else urlsplit(url)


def problem(url: str) -> str | None:
    """Why `url` is not a well-formed URL, worded for the user, or None: the standard library's parse (its port
    read too) and, for http(s), a host whose every label is valid (IDNA)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - reading it checks it (out of range, not a number)
    except ValueError as exc:
        return f"is not a valid URL ({exc})"
    if parts.scheme.lower() not in ("http", "https"):
        return None
    host = parts.hostname
    if not host:
        return "is not a valid URL (it has no host)"
    if any(c.isspace() or not c.isprintable() for c in host):  # no resolver takes a NUL or a space in a name
        return f"is not a valid URL (the host {host!r} has a space or a control character)"
    try:
        ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        try:
            host.rstrip(".").encode("idna")
        except UnicodeError:
            return f"is not a valid URL (the host '{host}' has an empty or too long label, or a character a host name cannot have)"
    return None


def ascii_path(path: str) -> str:
    """A URL's path and query as an HTTP request line may carry them: spaces, control and non-ASCII characters
    percent-encoded (UTF-8), as browsers send `Bücher.png`."""
    return quote(path, safe=_SAFE)
