"""Load a page in the system's headless Chromium (Debian package `chromium`) and report what it did: every request
it made, every console message and uncaught exception, the links and images of the page, and a screenshot.

Chromium is driven through the DevTools protocol over a pipe (`--remote-debugging-pipe`: fd 3 in, fd 4 out, JSON
messages ending in NUL), so no port is opened and no client library is needed."""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--remote-debugging-pipe",
)
_PAGE_FACTS = """JSON.stringify({
  links: [...document.querySelectorAll('a[href]')].map(a => a.href),
  images: [...document.images].map(i => ({src: i.src, alt: i.alt, loaded: i.complete && i.naturalWidth > 0})),
  scripts: document.scripts.length,
  width: document.documentElement.scrollWidth,
})"""


def chromium() -> str | None:
    """The system's Chromium, if installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class Visit:
    requests: list[str] = field(default_factory=list)  # every URL the page asked for, the page's own included
    console: list[str] = field(default_factory=list)  # console messages, log entries and exceptions
    links: list[str] = field(default_factory=list)
    images: list[dict[str, Any]] = field(default_factory=list)
    scripts: int = 0
    width: int = 0  # the page's scroll width at the viewport's width: wider means sideways scrolling
    screenshot: bytes = b""


def visit(url: str, *, width: int = 1200, height: int = 900, timeout: float = 60.0) -> Visit:
    """Load `url` with a viewport `width` x `height` CSS pixels and return what happened."""
    browser = chromium()
    assert browser is not None, "no chromium"
    with tempfile.TemporaryDirectory(prefix="deck2pdf-chromium-") as profile:
        browser_in, to_browser = os.pipe()
        from_browser, browser_out = os.pipe()
        # Above any fd the child must have at 3 and 4, so that moving one there cannot overwrite the other.
        high_in, high_out = fcntl.fcntl(browser_in, fcntl.F_DUPFD, 10), fcntl.fcntl(browser_out, fcntl.F_DUPFD, 10)
        os.close(browser_in)
        os.close(browser_out)

        def pipe_at_3_and_4() -> None:
            os.dup2(high_in, 3)
            os.dup2(high_out, 4)

        proc = subprocess.Popen(
            [browser, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            pass_fds=(3, 4),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=pipe_at_3_and_4,
        )
        os.close(high_in)
        os.close(high_out)
        client = _Client(to_browser, from_browser, proc, time.monotonic() + timeout)
        try:
            return client.visit(url, width, height)
        finally:
            client.close()


class _Client:
    def __init__(self, out_fd: int, in_fd: int, proc: subprocess.Popen[bytes], deadline: float) -> None:
        self.out, self.inp, self.proc, self.deadline = out_fd, in_fd, proc, deadline
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> dict[str, Any]:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.out, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self.next_id:
                assert "error" not in reply, reply
                return dict(reply.get("result", {}))
            self.events.append(reply)

    def wait_for(self, method: str) -> None:
        while not any(e.get("method") == method for e in self.events):
            self.events.append(self._read())

    def _read(self) -> dict[str, Any]:
        while b"\0" not in self.buffer:
            assert time.monotonic() < self.deadline, "chromium did not answer in time"
            chunk = os.read(self.inp, 1 << 16)
            assert chunk, "chromium closed the pipe"
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return dict(json.loads(message))

    def visit(self, url: str, width: int, height: int) -> Visit:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Network", "Runtime", "Log", "Page"):
            self.send(f"{domain}.enable", session=session)
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
            session=session,
        )
        self.send("Page.navigate", {"url": url}, session=session)
        self.wait_for("Page.loadEventFired")
        facts = json.loads(
            self.send("Runtime.evaluate", {"expression": _PAGE_FACTS, "returnByValue": True}, session=session)[
                "result"
            ]["value"]
        )
        shot = self.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}, session=session)
        result = Visit(screenshot=base64.b64decode(shot["data"]), **facts)
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Network.requestWillBeSent":
                result.requests.append(params["request"]["url"])
            elif method == "Runtime.consoleAPICalled":
                result.console.append(f"console.{params['type']}: {params.get('args')}")
            elif method == "Runtime.exceptionThrown":
                result.console.append(f"exception: {params['exceptionDetails']}")
            elif method == "Log.entryAdded":
                result.console.append(f"{params['entry']['level']}: {params['entry']['text']}")
        return result

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.write(self.out, json.dumps({"id": 0, "method": "Browser.close"}).encode() + b"\0")
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.out)
        os.close(self.inp)


def save(visit: Visit, path: Path) -> Path:
    path.write_bytes(visit.screenshot)
    return path
