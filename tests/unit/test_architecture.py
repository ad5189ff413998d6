"""The house rules of issue 16, checked on the source: SQL only in bot/store, layers import only downward,
no import cycles, small modules and functions.

Each rule has a PENDING set of today's known breaches, which may only shrink: a breach not listed fails,
and a listed one that is gone fails too (take it off the list).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import bot
from tests.unit.test_layering import _module

ROOT = Path(bot.__file__).parent
SOURCES = sorted(p for p in ROOT.rglob("*.py") if "migrations" not in p.parts)

# Top to bottom; a module imports only its own layer and lower ones.
LAYERS: list[tuple[str, ...]] = [
    (
        "bot.__main__",
        "bot.cli",
        "bot.serve",
        "bot.web",
        "bot.app",
        "bot.bootstrap",
        "bot.connections",
        "bot.demo",
    ),
    ("bot.jobs", "bot.outbox", "bot.pipeline", "bot.inbox"),
    ("bot.handlers", "bot.services", "bot.reports", "bot.roster", "bot.notices", "bot.course_news"),
    ("bot.store", "bot.platforms", "bot.metrics", "bot.spreadsheet", "bot.chart"),
    ("bot.domain",),
    ("bot.settings", "bot.platform_settings", "bot.clock", "bot.background", "bot"),
]

PENDING_SQL: set[str] = set()
PENDING_UPWARD: set[tuple[str, str]] = set()
PENDING_CYCLES: set[frozenset[str]] = set()
PENDING_LONG_MODULES: set[str] = set()
PENDING_LONG_FUNCTIONS: set[str] = set()
PENDING_SESSIONS: set[str] = set()


def layer_of(module: str) -> int:
    best, where = -1, len(LAYERS)
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, where = len(prefix), index
    return where


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in node.body:
                lines.update(range(inner.lineno, (inner.end_lineno or inner.lineno) + 1))
    return lines


def runtime_imports(path: Path) -> set[str]:
    """Modules imported at run time (anywhere in the file, not under `if TYPE_CHECKING`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_lines(tree)
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom) and node.lineno not in skip:
            module = ast.Module(body=[node], type_ignores=[])
            names |= _imports_of(module, path)
    return names


def _imports_of(tree: ast.Module, path: Path) -> set[str]:
    """The modules one import statement names, relative imports resolved against `path`'s package."""
    package = _module(path) if path.name == "__init__.py" else _module(path).rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def bot_modules() -> dict[str, Path]:
    return {_module(p): p for p in SOURCES}


def graph() -> dict[str, set[str]]:
    modules = bot_modules()
    edges: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = {t for t in runtime_imports(path) if t in modules and t != name}
        edges[name] = targets
    return edges


def cycles(edges: dict[str, set[str]]) -> list[frozenset[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[frozenset[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(frozenset(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def functions(tree: ast.Module) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def check_pending(found: set, pending: set, what: str) -> None:  # type: ignore[type-arg]
    new = found - pending
    gone = pending - found
    assert not new, f"new {what}: {sorted(map(str, new))}"
    assert not gone, f"fixed {what} still listed as pending (take them off): {sorted(map(str, gone))}"


def test_every_module_has_a_layer() -> None:
    assert [name for name in bot_modules() if layer_of(name) == len(LAYERS)] == []


def test_sql_only_in_store() -> None:
    found = {
        name
        for name, path in bot_modules().items()
        if not name.startswith("bot.store")
        and any(t == "sqlalchemy" or t.startswith("sqlalchemy.") for t in runtime_imports(path))
    }
    check_pending(found, PENDING_SQL, "modules importing SQLAlchemy outside bot/store")


def test_layers_import_only_downward() -> None:
    found = {(a, b) for a, targets in graph().items() for b in targets if layer_of(b) < layer_of(a)}
    check_pending(found, PENDING_UPWARD, "upward imports")


def test_no_import_cycles() -> None:
    check_pending(set(cycles(graph())), PENDING_CYCLES, "import cycles")


def test_modules_are_small() -> None:
    found = {
        name
        for name, path in bot_modules().items()
        if len(path.read_text(encoding="utf-8").splitlines()) >= 300
    }
    check_pending(found, PENDING_LONG_MODULES, "modules of 300 lines or more")


def test_functions_are_short() -> None:
    found = set()
    for name, path in bot_modules().items():
        for fn in functions(ast.parse(path.read_text(encoding="utf-8"))):
            if (fn.end_lineno or fn.lineno) - fn.lineno + 1 >= 50:
                found.add(f"{name}:{fn.name}")
    check_pending(found, PENDING_LONG_FUNCTIONS, "functions of 50 lines or more")


def names_a_session(tree: ast.Module) -> bool:
    """Does the code reach a database session or open a transaction itself (`x.session`, `db.transaction()`,
    a parameter typed as a SQLAlchemy Session)? Outside bot/store only a unit of work's repositories may."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ("session", "transaction"):
            return True
        if isinstance(node, ast.arg) and node.annotation is not None:
            annotation = ast.unparse(node.annotation)
            if annotation.endswith("Session") and "ClientSession" not in annotation:
                return True
    return False


def test_no_session_outside_the_store() -> None:
    found = {
        name
        for name, path in bot_modules().items()
        if not name.startswith("bot.store") and names_a_session(ast.parse(path.read_text(encoding="utf-8")))
    }
    check_pending(
        found, PENDING_SESSIONS, "modules outside bot/store that name a session or open a transaction"
    )
