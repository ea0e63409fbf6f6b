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
from pathlib import Path
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
    # A worker forked from the conversion's process inherits its SIGTERM handler; a worker must end at SIGTERM
    # (`stop`), not merely give up its task and wait for the next.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
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
DEADLINE_SECONDS = 0.1  # how long `Child.call` waits for a message before it looks at the clock again
POLL_SECONDS = 0.4  # how often `Child.call` reads the work's memory (a few reads of /proc per process)


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


class OverMemoryError(Exception):
    """The work's processes used more memory than `Child.call` allowed (the supervisor words it)."""


class Child:
    """A process that runs one call (`call`) and reports its progress and log records: the supervised work of a
    conversion (`supervisor.run`), which is ended with every worker it started (they form a process group) at its
    deadline or over its memory. Its TMPDIR is a folder made for it (`folder`), removed when it is closed.
    `warm_up` runs there first, before the call is known (importing WeasyPrint, a quarter of a second, while the
    program reads its flags)."""

    def __init__(self, warm_up: Callable[[], None] | None = None) -> None:
        import tempfile

        ctx: Any = context()
        self.owner = os.getpid()
        self.folder = tempfile.mkdtemp(prefix="deck2pdf-")
        self.connection, theirs = ctx.Pipe()
        # Not a daemon: it starts workers.
        # A forked process holds a copy of this end too: it closes it, or the pipe would never break for it.
        inherited = self.connection if ctx.get_start_method() == "fork" else None
        self.process = ctx.Process(target=_serve, args=(theirs, inherited, warm_up, os.getpid(), self.folder))
        try:
            self.process.start()
        except BaseException:  # (fork refused, spawn from a module without a __main__ guard...)
            import shutil

            shutil.rmtree(self.folder, ignore_errors=True)
            self.connection.close()
            raise
        finally:
            theirs.close()
        atexit.register(self.close)  # never used (an error, --inspect...): it ends with the program

    def call(
        self,
        function: Callable[..., Any],
        args: tuple[Any, ...],
        progress: Callable[[int, int], None] | None = None,
        deadline: float | None = None,
        memory: int | None = None,
        meter: Any = None,
    ) -> Any:
        """Run `function(*args, progress=...)` there and return its result (or raise its exception); its log
        records are logged here. At `deadline` (time.monotonic()) the process and its workers are ended and GaveUp
        is raised; with `memory` (bytes) each process there may grow its address space by that much, and
        `meter.over(pid)` is asked every `POLL_SECONDS` whether the process and those below it are over the
        ceiling (then they are ended and OverMemoryError raised)."""
        log = logging.getLogger("deck2pdf")
        finished = False  # it answered: it ends by itself
        try:
            if meter is not None and self.process.pid is not None:
                meter.over(self.process.pid)  # the first reading, before the work: what it is measured from
            try:
                self.connection.send((log.getEffectiveLevel(), function, args, memory))
            except OSError:  # it ended before being asked: it said why on stderr
                raise RenderError("the rendering process could not start", hint="run with --debug") from None
            looked = time.monotonic()
            while True:
                # The walls are checked on every turn, whatever the work sends: a flood of messages cannot hold
                # them off.
                now = time.monotonic()
                if deadline is not None and now >= deadline:
                    raise GaveUp
                if meter is not None and now - looked >= POLL_SECONDS and self.process.pid is not None:
                    looked = now
                    if meter.over(self.process.pid):
                        raise OverMemoryError
                wait = DEADLINE_SECONDS if meter is not None else None
                if deadline is not None:
                    wait = max(0.0, min(deadline - now, wait if wait is not None else deadline - now))
                if not self.connection.poll(wait):
                    continue
                try:
                    kind, *payload = self.connection.recv()
                except (EOFError, OSError):  # it ended (killed, out of memory in C code...) without an answer
                    raise RenderError("the rendering process ended unexpectedly", hint="run with --debug") from None
                except Exception as exc:  # an answer that cannot be read back (an exception that does not unpickle)
                    raise RenderError(f"the rendering process's answer could not be read ({exc})") from None
                if kind == "progress":
                    if progress is not None:
                        progress(*payload)
                elif kind == "log":
                    log.log(payload[0], "%s", payload[1])
                elif kind == "done":
                    finished = True
                    return payload[0]
                else:
                    finished = True
                    raise payload[0]
        finally:
            self.close(wait=3 if finished else 0)

    def close(self, wait: float = 3) -> None:
        """End the process (and its workers) if it has not ended within `wait` seconds (one that answered ends by
        itself); remove its temporary folder."""
        if self.owner != os.getpid() or self.connection.closed:
            return
        atexit.unregister(self.close)
        self.connection.close()
        self.process.join(timeout=wait)
        if self.process.is_alive() and self.process.pid is not None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)  # its group: the workers too
            except (AttributeError, ProcessLookupError, PermissionError):  # not POSIX, or not yet in its group
                self.process.kill()
        self.process.join(timeout=5)
        import shutil

        shutil.rmtree(self.folder, ignore_errors=True)  # whatever the work left there, however it ended


def _serve(connection: Any, inherited: Any, warm_up: Callable[[], None] | None, parent: int, folder: str) -> None:
    if inherited is not None:
        inherited.close()
    _die_with(parent, tidy=True)
    if hasattr(os, "setpgrp"):
        # A process group of its own, with its workers: stopping the work (Ctrl-C, the deadline, the memory
        # ceiling, an error in the program) stops them all at once, and no worker is left behind.
        os.setpgrp()
    import tempfile

    os.environ["TMPDIR"] = tempfile.tempdir = folder  # every temporary file of the work, its workers' too
    # Removed by the supervisor when it closes this process; by this process itself when it is ended because its
    # supervisor was killed (SIGKILL gives that one no chance; the parent-death signal is a SIGTERM here): the
    # folder goes, then the whole group (this process and its workers) at once, none waiting for another.
    signal.signal(signal.SIGTERM, lambda signum, frame: _end_all(folder))

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
    level, function, args, memory = request
    _forward_logs(connection, level)
    if memory is not None:
        _cap_address_space(memory)
    try:
        if failed is not None:
            raise failed
        result = function(*args, progress=lambda done, total: connection.send(("progress", done, total)))
        connection.send(("done", result))
    except SystemExit:  # ended by its parent's end (`_die_with`): nobody reads an answer
        raise
    except BaseException as exc:  # everything goes back, Ctrl-C included
        import traceback
        from concurrent.futures.process import BrokenProcessPool

        if isinstance(exc, BrokenProcessPool):  # a worker was killed: by the kernel (memory) or by a signal
            exc = RenderError("a rendering worker ended unexpectedly", hint="raise --max-memory, or run with --debug")

        if not isinstance(exc, MemoryError):  # (formatting one may need the memory there is not)
            exc.add_note("in the conversion's process:\n" + traceback.format_exc())  # shown with --debug
        try:
            connection.send(("error", exc))
        except Exception:  # an exception that cannot be pickled
            connection.send(("error", RenderError(f"{type(exc).__name__}: {exc}", hint="run with --debug")))


def _end_all(folder: str) -> None:
    import shutil

    shutil.rmtree(folder, ignore_errors=True)
    if hasattr(os, "killpg"):
        os.killpg(os.getpgrp(), signal.SIGKILL)
    os._exit(128 + signal.SIGTERM)


def _forward_logs(connection: Any, level: int) -> None:
    """Send this process's deck2pdf log records to the supervisor, which logs them with its own handlers (the
    command's stderr, a library caller's logging). Records of processes forked from this one go to stderr."""
    from .logs import setup

    setup(level)  # what the workers use
    own = os.getpid()

    class Forward(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if os.getpid() != own:
                return fallback.emit(record)
            try:
                connection.send(("log", record.levelno, record.getMessage()))
            except Exception:
                self.handleError(record)

    log = logging.getLogger("deck2pdf")
    fallback = log.handlers[0]
    log.handlers[:] = [Forward(level)]


def _cap_address_space(memory: int) -> None:
    """Let this process (and the processes it starts, which inherit the cap) grow its address space by twice
    `memory` bytes and a gigabyte at most: one allocation far past the ceiling fails at once (MemoryError), before
    the supervisor's next look. Address space is not memory (thread stacks, malloc's arenas and mapped fonts take
    it unused): the margin keeps ordinary work clear of the cap, which only catches the sudden and huge; the
    supervisor's meter is the ceiling."""
    try:
        import resource

        size = int(Path("/proc/self/statm").read_text().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        resource.setrlimit(resource.RLIMIT_AS, (size + 2 * memory + 2**30, resource.RLIM_INFINITY))
    except (ImportError, OSError, ValueError):  # not POSIX, no /proc (macOS: RLIMIT_AS is not enforced anyway)
        pass


def done(function: Callable[..., Any], *args: Any) -> Future[Any]:
    """Call `function(*args)` here and now, and return its outcome as a finished future (what a pool would give)."""
    future: Future[Any] = Future()
    try:
        future.set_result(function(*args))
    except Exception as exc:
        future.set_exception(exc)
    return future
