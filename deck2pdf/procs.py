"""Start deck2pdf's processes: the one place that decides how they start, and that none outlives its work.

deck2pdf uses processes for four things: the process that renders (started with the command, `Child`), the
workers that render a deck's chunks and a batch's decks (`pool`), and a helper that reads half of a long deck's
Markdown (`pool` too, forked only). How: fork on Linux, where workers start at once with WeasyPrint imported
and the deck's fonts and style sheets set up; spawn elsewhere (macOS, Windows), and in a host process that has
threads (a program embedding deck2pdf), since forking a threaded process can deadlock it.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from multiprocessing.context import BaseContext
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

from .errors import GaveUp, RenderError


def context() -> BaseContext:
    """How to start a process here and now: fork or spawn (see the module's docstring)."""
    if forking():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def forking() -> bool:
    """Whether processes are started by forking this one (Linux, one thread)."""
    return (
        sys.platform.startswith("linux")
        and "fork" in multiprocessing.get_all_start_methods()
        and threading.active_count() == 1
    )


def cores() -> int:
    """The processors this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def pool(
    workers: int, initializer: Callable[..., None] | None = None, initargs: tuple[Any, ...] = ()
) -> ProcessPoolExecutor:
    """`workers` worker processes, started the way `context()` says; each runs `initializer(*initargs)` first
    (forked, it inherits them; spawned, they are pickled once per worker). On the way out of a `with` block by
    an exception (Ctrl-C, --timeout, an error) use `stop(pool)`: the workers stop at once, not after their task."""
    from concurrent.futures import ProcessPoolExecutor  # here: the command starts faster without it

    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context(),
        initializer=_start_worker,
        initargs=(os.getpid(), initializer, initargs),
    )


def _exit_on_term(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)  # multiprocessing then runs the process's finalizers


def _start_worker(parent: int, initializer: Callable[..., None] | None, initargs: tuple[Any, ...]) -> None:
    _die_with(parent)
    if initializer is not None:
        initializer(*initargs)


def _die_with(parent: int, tidy: bool = False) -> None:
    """End this process when `parent` ends, however it ends (SIGKILL included): on Linux the kernel sends a signal
    (prctl PR_SET_PDEATHSIG); elsewhere a thread watches the parent (`_watch`). With `tidy` (the renderer, which
    owns the fonts' temporary folder) the signal is SIGTERM, which ends the process as an exit does, its clean-ups
    run; a worker, which owns nothing, gets SIGKILL (SIGTERM during a task would only end the task, and the worker
    would wait for the next)."""
    if tidy:
        signal.signal(signal.SIGTERM, _exit_on_term)
    if not (sys.platform.startswith("linux") and _parent_death_signal(tidy)):
        _watch(parent, tidy)
        return
    if os.getppid() != parent:  # it ended before the request was made
        os._exit(1)


def _parent_death_signal(tidy: bool) -> bool:
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(1, signal.SIGTERM if tidy else signal.SIGKILL, 0, 0, 0) == 0  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return False


WATCH_SECONDS = 0.5


def _watch(parent: int, tidy: bool) -> None:
    """Without a parent-death signal: a thread that ends this process once `parent` has ended. On POSIX an
    orphan is adopted by another process (its parent id changes); on Windows the parent's handle is signalled."""

    def gone() -> None:
        if sys.platform == "win32":
            import ctypes

            kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
            handle = kernel32.OpenProcess(0x00100000, False, parent)  # SYNCHRONIZE
            if handle:
                kernel32.WaitForSingleObject(handle, 0xFFFFFFFF)  # INFINITE
        else:
            while os.getppid() == parent:
                time.sleep(WATCH_SECONDS)
        if tidy and sys.platform != "win32":  # (on Windows the signal would end the process there and then)
            os.kill(os.getpid(), signal.SIGTERM)  # the main thread exits as on Linux: clean-ups run
            time.sleep(5)
        os._exit(1)

    threading.Thread(target=gone, name="deck2pdf-parent-watch", daemon=True).start()


def stop(executor: ProcessPoolExecutor) -> None:
    """End a pool's workers now, their tasks unfinished."""
    for process in list((getattr(executor, "_processes", None) or {}).values()):
        process.terminate()
    executor.shutdown(wait=False, cancel_futures=True)


class Child:
    """A process that runs one call (`call`) and reports its progress: the rendering, which --timeout can end
    with every worker it started (they form a process group). `warm_up` runs there first, before the call is
    known (importing WeasyPrint, a quarter of a second, while the program reads its flags and the deck)."""

    def __init__(self, warm_up: Callable[[], None] | None = None) -> None:
        ctx: Any = context()
        self.owner = os.getpid()
        self.connection, theirs = ctx.Pipe()
        # Not a daemon: it starts workers.
        # A forked process holds a copy of this end too: it closes it, or the pipe would never break for it.
        inherited = self.connection if ctx.get_start_method() == "fork" else None
        self.process = ctx.Process(target=_serve, args=(theirs, inherited, warm_up, os.getpid()))
        self.process.start()
        theirs.close()
        atexit.register(self.close)  # never used (an error, --inspect...): it ends with the program

    def call(
        self,
        function: Callable[..., Any],
        args: tuple[Any, ...],
        progress: Callable[[int, int], None] | None = None,
        deadline: float | None = None,
    ) -> Any:
        """Run `function(*args, progress=...)` there and return its result (or raise its exception). At
        `deadline` (time.monotonic()) the process and its workers are ended and GaveUp is raised."""
        try:
            try:
                self.connection.send((logging.getLogger("deck2pdf").level, function, args))
            except OSError:  # it ended before being asked: it said why on stderr
                raise RenderError("the rendering process could not start", hint="run with --debug") from None
            while True:
                wait = None if deadline is None else max(0.0, deadline - time.monotonic())
                if not self.connection.poll(wait):
                    raise GaveUp
                try:
                    kind, *payload = self.connection.recv()
                except EOFError:
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
        """End the process (and its workers) if it still runs; wait for it."""
        if self.owner != os.getpid() or self.connection.closed:
            return
        atexit.unregister(self.close)
        self.connection.close()
        self.process.join(timeout=3)  # done, it ends by itself: its exit tidies up (engine.keep_tidy)
        if self.process.is_alive() and self.process.pid is not None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)  # its group: the workers too
            except (AttributeError, ProcessLookupError, PermissionError):  # not POSIX, or not yet in its group
                self.process.terminate()
        self.process.join(timeout=5)
        if self.process.is_alive():  # it did not stop when asked
            self.process.kill()
            self.process.join(timeout=5)


def _serve(connection: Any, inherited: Any, warm_up: Callable[[], None] | None, parent: int) -> None:
    if inherited is not None:
        inherited.close()
    _die_with(parent, tidy=True)
    if hasattr(os, "setpgrp"):
        # A process group of its own, with its workers: stopping the render (Ctrl-C, --timeout, an error in
        # the program) stops them all at once, and no worker is left behind.
        os.setpgrp()
    from .logs import setup

    failed: BaseException | None = None
    if warm_up is not None:
        try:
            warm_up()  # while the program still reads its flags and the deck
        except Exception as exc:  # reported as the call's failure, in its own words
            failed = RenderError(f"rendering could not start ({type(exc).__name__}: {exc})", hint="run with --debug")
    try:
        request = connection.recv()
    except (EOFError, KeyboardInterrupt):
        return
    level, function, args = request
    setup(level)
    try:
        if failed is not None:
            raise failed
        result = function(*args, progress=lambda done, total: connection.send(("progress", done, total)))
        connection.send(("done", result))
    except SystemExit:  # ended by its parent's end (`_die_with`): nobody reads an answer
        raise
    except BaseException as exc:  # everything goes back, Ctrl-C included
        try:
            connection.send(("error", exc))
        except Exception:  # an exception that cannot be pickled
            connection.send(("error", RenderError(f"{type(exc).__name__}: {exc}", hint="run with --debug")))


def done(function: Callable[..., Any], *args: Any) -> Future[Any]:
    """Call `function(*args)` here and now, and return its outcome as a finished future (what a pool would give)."""
    future: Future[Any] = Future()
    try:
        future.set_result(function(*args))
    except Exception as exc:
        future.set_exception(exc)
    return future
