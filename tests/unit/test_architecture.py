"""The package's shape: no import cycle between its modules, processes started in one place only."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "deck2pdf"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """The package's modules `path` imports, anywhere in it (lazy imports in functions too; not the ones only
    for type checkers). Importing a.b.c runs a/__init__ and a/b/__init__ too, unless the importer is inside."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(n) for n in ast.walk(node))
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        targets: list[str] = []
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            targets = [f"{target}.{alias.name}" for alias in node.names] + [target]
        elif isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        for target in targets:
            while target:
                if target in modules and target != name and not name.startswith(f"{target}."):
                    found.add(target)
                target = target.rpartition(".")[0]
    return found


def _graph() -> dict[str, set[str]]:
    paths = sorted(PACKAGE.rglob("*.py"))
    modules = {_module_name(p) for p in paths}
    return {_module_name(p): _imports(p, modules) for p in paths}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_module_of_the_package_imports_itself_through_others() -> None:
    graph = _graph()
    assert graph["deck2pdf.cli"] >= {"deck2pdf.pipeline", "deck2pdf.batch"}  # the graph sees lazy imports
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_only_procs_chooses_how_processes_start() -> None:
    """fork or spawn is decided in one module: no other starts a process or names a start method."""
    for path in PACKAGE.rglob("*.py"):
        if path.name == "procs.py":
            continue
        text = path.read_text(encoding="utf-8")
        for word in ("get_context(", "ProcessPoolExecutor(", "multiprocessing.Process(", "os.fork("):
            assert word not in text, f"{path.relative_to(PACKAGE)} uses {word} (procs.py owns processes)"


def test_a_pool_stopped_while_busy_ends_its_workers() -> None:
    """What a failed render or Ctrl-C does to the workers: they end now, their tasks unfinished."""
    import time

    from deck2pdf import procs

    pool = procs.pool(2)
    futures = [pool.submit(time.sleep, 30) for _ in range(2)]
    started = time.monotonic() + 30
    while not all(f.running() for f in futures) and time.monotonic() < started:  # busy, however loaded the machine
        time.sleep(0.05)
    pids = list(pool._processes)
    assert pids
    procs.stop(pool)
    deadline = time.monotonic() + 10  # the pool's own thread may reap them first: look at the system's view

    def running(pid: int) -> bool:
        try:
            return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
        except OSError:
            return False

    while any(map(running, pids)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(map(running, pids))
    assert all(f.cancelled() or f.exception() is not None for f in futures if f.done())


def _fail() -> None:
    raise OSError("libpango-1.0-0 could not be loaded")


def test_a_renderer_that_could_not_start_reports_why() -> None:
    """A renderer whose start failed (WeasyPrint's libraries missing) says why, as a RenderError (exit 6)."""
    import pytest

    from deck2pdf import procs
    from deck2pdf.errors import RenderError

    child = procs.Child(_fail)
    with pytest.raises(
        RenderError, match=re.escape("rendering could not start (OSError: libpango-1.0-0 could not be loaded)")
    ):
        child.call(print, ("never",))
    assert not child.process.is_alive()
