"""`--watch`: render a deck again each time it, its style sheets or its local images are saved."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

log = logging.getLogger("deck2pdf")


def watch(deck: Path, render: Callable[[], Sequence[Path] | None], *, stop: Any = None) -> None:
    """Render, then wait for a change of an input of the last render and render again, until interrupted
    (KeyboardInterrupt) or until `stop` (a threading.Event) is set.

    `render` returns the files the PDF was made from, or None when the render failed (it has said why); then
    the deck is watched, plus what the last good render read. Only the folders holding those files are watched,
    not their subfolders; events for other files in them (the PDF itself, editors' temporary files) are ignored.
    """
    from watchfiles import watch as changes_in

    inputs = {deck.resolve()}
    while True:
        # Taken before rendering: a save during the render, or before the watcher starts, is not lost.
        before = _stats(inputs)
        read = render()
        if read is not None:
            inputs = {deck.resolve(), *(p.resolve() for p in read)}
        snapshot = {**_stats(inputs), **before}
        wanted = frozenset(str(p) for p in inputs)
        folders = sorted({p.parent for p in inputs if p.parent.is_dir()})
        log.info("watching %d file(s) for changes; Ctrl-C stops", len(wanted))

        def relevant(change: Any, path: str, wanted: frozenset[str] = wanted) -> bool:
            return str(Path(path).resolve()) in wanted

        for changes in changes_in(
            *folders,
            watch_filter=relevant,
            recursive=False,
            debounce=200,  # an editor's save is often several events: one render for them
            step=50,
            stop_event=stop,
            raise_interrupt=True,
            yield_on_timeout=True,  # so the files can be compared with the snapshot once the watcher runs
            rust_timeout=500,
        ):
            if changes or _stats(inputs) != snapshot:
                break
        else:
            return  # stopped


def _stats(paths: set[Path]) -> dict[Path, tuple[int, int] | None]:
    out: dict[Path, tuple[int, int] | None] = {}
    for path in paths:
        try:
            st = path.stat()
            out[path] = (st.st_size, st.st_mtime_ns)
        except OSError:
            out[path] = None
    return out
