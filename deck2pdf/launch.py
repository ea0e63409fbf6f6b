"""The command's entry point: for a plain conversion, first start the process that will render (`Renderer`).

Importing WeasyPrint (and patching it) takes a quarter of a second; that process does it while this one imports the command line and
reads the deck. This module imports little, so that the process starts at once."""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable
from typing import Any


def run() -> None:
    """Console-script entry point."""
    if _plain_conversion(sys.argv[1:]):
        prestart()
    from .cli import app

    app()


def _plain_conversion(args: list[str]) -> bool:
    """Whether the command line converts one deck (no --watch, batch, --inspect, --extract, help...)."""
    other = {"--version", "--help", "-h", "--inspect", "--extract", "--list-themes", "--watch", "-d", "--dir"}
    return bool(args) and not other.intersection(args) and sum(a.endswith(".md") for a in args) <= 1


class Renderer:
    """A process, started with the program, that imports WeasyPrint (a quarter of a second) while the program reads its
    flags and the deck; then it runs the rendering (`call`), forking its own workers, and reports progress."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("fork")
        self.owner = os.getpid()
        self.connection, theirs = context.Pipe()
        self.process = context.Process(target=_serve, args=(theirs,))  # not a daemon: it forks workers
        self.process.start()
        theirs.close()
        atexit.register(self.close)  # never used (an error, --inspect...): it ends with the program

    def call(
        self, function: Callable[..., Any], args: tuple[Any, ...], progress: Callable[[int, int], None] | None
    ) -> Any:
        """Run `function(*args, progress=...)` there and return its result (or raise its exception)."""
        try:
            self.connection.send((logging.getLogger("deck2pdf").level, function, args))
            while True:
                try:
                    kind, *payload = self.connection.recv()
                except EOFError:
                    from .errors import RenderError

                    raise RenderError("the rendering process ended unexpectedly", hint="run with --debug") from None
                if kind == "progress":
                    if progress is not None:
                        progress(*payload)
                elif kind == "done":
                    return payload[0]
                else:
                    raise payload[0]
        finally:
            self.close()

    def close(self) -> None:
        if self.owner != os.getpid() or self.connection.closed:
            return
        self.connection.close()
        if self.process.is_alive() and self.process.pid is not None:  # unused (an error...) or stopped
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
            except (ProcessLookupError, PermissionError):  # not yet in its own group
                self.process.terminate()
        self.process.join(timeout=5)


def _serve(connection: Any) -> None:
    # A process group of its own, with its workers: stopping the render (Ctrl-C, --timeout, an error in this
    # process) stops them all at once, and no worker is left behind.
    os.setpgrp()
    from .logs import setup
    from .render.patches import import_weasyprint

    import_weasyprint()
    # What unpickling the request would import (~0.1 s), done while the program still reads the deck.
    from . import pipeline  # noqa: F401

    try:
        request = connection.recv()
    except (EOFError, KeyboardInterrupt):
        return
    level, function, args = request
    setup(level)
    try:
        result = function(*args, progress=lambda done, total: connection.send(("progress", done, total)))
        connection.send(("done", result))
    except BaseException as exc:  # everything goes back, GaveUp and Ctrl-C included
        try:
            connection.send(("error", exc))
        except Exception:  # an exception that cannot be pickled
            from .errors import RenderError

            connection.send(("error", RenderError(f"{type(exc).__name__}: {exc}", hint="run with --debug")))


_PRESTARTED: Renderer | None = None


def prestart() -> None:
    """Start the rendering process now (see Renderer), where processes can be forked."""
    global _PRESTARTED
    if "fork" in multiprocessing.get_all_start_methods():
        _PRESTARTED = Renderer()


def take_prestarted() -> Renderer | None:
    """The process prestart() started, once, and only in the process that started it."""
    global _PRESTARTED
    renderer, _PRESTARTED = _PRESTARTED, None
    if renderer is None or renderer.owner != os.getpid() or not renderer.process.is_alive():
        return None
    return renderer
