"""Fixtures: where the shared decks are, a way to write test decks, and the CLI run in-process.

Tests that read the shared decks carry `@pytest.mark.needs_shared` and are skipped, with the reason, when the decks
are missing, so `pytest tests/unit` works on a fresh clone. `--update-golden` rewrites tests/cases/*.html."""

from __future__ import annotations

import contextlib
import os
import socket
import ssl
import subprocess
import textwrap
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deck2pdf.pipeline import Result, convert

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("DECK2PDF_SHARED", ROOT.parent / "shared")).resolve()
REFERENCE_DECK = SHARED / "decks" / "docker-talk.md"
REAL_DECKS = sorted(p for p in (SHARED / "decks" / "real").glob("*.md") if p.name != "MANIFEST.md")
# Fewer real decks than this is a partial copy: the tests that count slides across them would fail, not skip.
SHARED_DECKS_PRESENT = REFERENCE_DECK.is_file() and len(REAL_DECKS) >= 40


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite the expected files of tests/cases from the current parser (then review the diff)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if SHARED_DECKS_PRESENT:
        return
    skip = pytest.mark.skip(
        reason=f"needs the shared decks in {SHARED} (decks/docker-talk.md, decks/real/): set DECK2PDF_SHARED"
    )
    for item in items:
        if item.get_closest_marker("needs_shared"):
            item.add_marker(skip, append=False)  # first, so this reason shows rather than "empty parameter set"


# Files whose tests share renders (the reference deck's variants: `reference_render`; a module's own fixtures with
# scope="module"): under xdist each group runs on one worker, so it renders once, not once a worker. Every other
# test is scheduled on its own, as `--dist load` does. (xdist's own `--dist loadgroup` marks do not take with
# pytest 9.2, whose node ids are read-only.)
RENDER_GROUPS = {
    "tests/e2e/test_reference_deck.py": "reference-deck",
    "tests/e2e/test_handout_layouts.py": "reference-deck",
    "tests/e2e/test_handout_notes.py": "reference-deck",
    "tests/e2e/test_handout_floors.py": "reference-deck",
    "tests/e2e/test_fit.py": "fit",
    "tests/e2e/test_conference.py": "conference",
    "tests/e2e/test_themes.py": "themes",
    "tests/e2e/test_scripts.py": "scripts",
    "tests/e2e/test_example_deck.py": "example-deck",
}


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    from xdist.scheduler import LoadScopeScheduling

    class RenderGroups(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return RENDER_GROUPS.get(nodeid.split("::", 1)[0], nodeid)

    return RenderGroups(config, log)


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    """Whether --update-golden was given: golden tests then write what they got instead of comparing."""
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture(scope="session", autouse=True)
def _weasyprint_imported_once() -> None:
    """WeasyPrint imported once per test process: each conversion forks its rendering process from here and
    inherits it, where it would import it again (a quarter of a second each, hundreds of conversions). The
    command does the same import in its rendering process; only the fonts are never set up here."""
    from deck2pdf.rendering import warm_up

    warm_up()


# The reference deck as several test files read it, rendered once per test process (offline: its web images are
# never fetched in tests; they are reported missing). The files that use it are one of the RENDER_GROUPS.
REFERENCE_VARIANTS: dict[str, dict[str, object]] = {
    "slides": {},  # its front matter's theme: Cleaver's dark one
    "default": {"theme": "default"},
    "ink": {"theme": "ink"},
    "retro": {"theme": "retro"},
    "6-up": {"handout": 6},
    "4-up": {"handout": 4},
    "6-up-backgrounds": {"handout": 6, "backgrounds": True},
    "2-up-letter": {"handout": 2, "paper": "letter"},
    "4-up-qr": {"handout": 4, "paper": "a4", "qr": True},
}


ReferenceRender = Callable[[str], tuple[Path, Result]]


@pytest.fixture(scope="session")
def reference_render(tmp_path_factory: pytest.TempPathFactory) -> ReferenceRender:
    """`reference_render("6-up")`: the PDF and Result of the reference deck in that variant (REFERENCE_VARIANTS).
    The PDFs are shared: read them, never change them."""
    made: dict[str, tuple[Path, Result]] = {}

    def render(variant: str) -> tuple[Path, Result]:
        if variant not in made:
            pdf = tmp_path_factory.mktemp("reference") / f"{variant}.pdf"
            made[variant] = (
                pdf,
                convert(REFERENCE_DECK, {"output": pdf, "offline": True, **REFERENCE_VARIANTS[variant]}),
            )
        return made[variant]

    return render


_real_getaddrinfo = socket.getaddrinfo


@pytest.fixture(autouse=True)
def _no_traffic_beyond_this_machine(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests talk only to servers they start on 127.0.0.1: any other name fails to resolve. The user cache
    folder is a temporary one, so no test reads or fills the real cache."""

    def local_only(host: object, *args: object, **kwargs: object) -> object:
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise socket.gaierror(socket.EAI_NONAME, f"tests resolve only local names, not {host!r}")
        return _real_getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", local_only)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
    for name in ("http_proxy", "https_proxy", "no_proxy", "all_proxy"):  # a proxy is the test's to set
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


@pytest.fixture
def make_deck(tmp_path: Path) -> Callable[..., Path]:
    """Write a deck (dedented) into a fresh folder and return its path."""

    def make(text: str, name: str = "deck.md", raw: bool = False) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text if raw else textwrap.dedent(text).lstrip("\n"), encoding="utf-8", newline="")
        return path

    return make


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def run_cli() -> Callable[..., CliResult]:
    """Run deck2pdf's command line in-process and return its exit code, stdout and stderr."""
    from deck2pdf.cli import app

    def run(*args: str | Path) -> CliResult:
        result = CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)
        return CliResult(result.exit_code, result.stdout, result.stderr)

    return run


@dataclass
class Route:
    body: bytes
    content_type: str = "application/octet-stream"
    status: int = 200
    delay: float = 0.0  # seconds before answering
    location: str | None = None  # for redirects
    etag: str | None = None


class QuietServer(ThreadingHTTPServer):
    """An HTTP server on 127.0.0.1 whose request threads end with it: a handler that waits does so on `stopping`,
    and `stop` waits for every request thread. A thread left running would change the code under test in the
    tests after it: deck2pdf forks only from a process with one thread (`procs.forking`)."""

    daemon_threads = False
    block_on_close = True

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    def stop(self) -> None:
        self.stopping.set()
        self.shutdown()
        self.server_close()  # joins the request threads
        self.thread.join()


class LocalHTTP:
    """An HTTP server on 127.0.0.1 for the tests, serving `routes`; it counts the requests it gets."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append((self.path, dict(self.headers)))
                route = server.routes.get(self.path.split("?")[0])
                if route is None:
                    self.send_error(404, "Not Found")
                    return
                if route.delay and self.server.stopping.wait(route.delay):  # type: ignore[attr-defined]
                    return
                if route.etag and self.headers.get("If-None-Match") == route.etag:
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(route.status)
                if route.location:
                    self.send_header("Location", route.location)
                self.send_header("Content-Type", route.content_type)
                self.send_header("Content-Length", str(len(route.body)))
                if route.etag:
                    self.send_header("ETag", route.etag)
                self.end_headers()
                with contextlib.suppress(OSError):  # the client may have given up (timeout tests)
                    self.wfile.write(route.body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = QuietServer(Handler)
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self.httpd.thread.start()

    def stop(self) -> None:
        self.httpd.stop()


@pytest.fixture
def local_http() -> Iterator[LocalHTTP]:
    """A local HTTP server (127.0.0.1 only), stopped after the test."""
    server = LocalHTTP()
    yield server
    server.stop()


class _TrickledHeaders(BaseHTTPRequestHandler):
    """Answers with its status line and header lines sent one byte every 0.2 s (a minute in all), then a body."""

    def do_GET(self) -> None:
        head = b"HTTP/1.0 200 OK\r\nContent-Type: image/png\r\n" + b"X-Slow: " + b"." * 250 + b"\r\n\r\n"
        for byte in head:
            try:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
            except OSError:
                return  # the client gave up
            if self.server.stopping.wait(0.2):  # type: ignore[attr-defined]
                return

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def trickled_headers() -> Iterator[str]:
    """The URL of an image on 127.0.0.1 whose server trickles its headers for a minute."""
    server = QuietServer(_TrickledHeaders)
    server.thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/slow.png"
    server.stop()


class ConnectProxy:
    """An HTTP proxy on 127.0.0.1 that answers CONNECT only, relaying bytes to the target; it records the targets."""

    def __init__(self) -> None:
        self.targets: list[str] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                client, _ = self.listener.accept()
                threading.Thread(target=self._tunnel, args=(client,), daemon=True).start()

    def _tunnel(self, client: socket.socket) -> None:
        with client, contextlib.suppress(OSError):
            head = b""
            while b"\r\n\r\n" not in head:
                head += client.recv(1) or b"\r\n\r\n"
            target = head.decode("latin-1").split()[1]
            self.targets.append(target)
            host, _, port = target.rpartition(":")
            with socket.create_connection((host.strip("[]"), int(port))) as server:
                client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                threading.Thread(target=self._pipe, args=(server, client), daemon=True).start()
                self._pipe(client, server)

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
            sink.shutdown(socket.SHUT_WR)

    def stop(self) -> None:
        self.listener.close()


@pytest.fixture
def connect_proxy() -> Iterator[ConnectProxy]:
    """A CONNECT proxy on 127.0.0.1, stopped after the test."""
    proxy = ConnectProxy()
    yield proxy
    proxy.stop()


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for the name `images.example` and its key (made by the openssl command)."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-keyout", str(key)),
            *("-out", str(cert), "-subj", "/CN=images.example", "-addext", "subjectAltName=DNS:images.example"),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key
