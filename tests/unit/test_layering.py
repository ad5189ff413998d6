"""The platform packages stay a lower layer, and the routes and the outbox never branch on a platform's name."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import bot

ROOT = Path(bot.__file__).parent
# Layers above the platform adapters: a module under bot/platforms imports none of them.
ABOVE_PLATFORMS = (
    "bot.outbox",
    "bot.pipeline",
    "bot.inbox",
    "bot.web",
    "bot.jobs",
    "bot.handlers",
    "bot.services",
    "bot.bootstrap",
    "bot.connections",
    "bot.serve",
    "bot.app",
    "bot.cli",
)
PLATFORM_NAMES = frozenset({"wecom", "dingtalk"})
# Code that speaks to one receive contract and one Messenger contract.
PLATFORM_BLIND = (
    "web/callbacks.py",
    "outbox/worker.py",
    "outbox/lines.py",
    "outbox/lifecycle.py",
    "outbox/private.py",
    "connections.py",
)


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> set[str]:
    """Every module `path` imports, relative imports resolved, `from a import b` counted as a and a.b."""
    package = _module(path) if path.name == "__init__.py" else _module(path).rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
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


def _is_platform_name(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return node.value in PLATFORM_NAMES
    if isinstance(node, ast.Attribute):  # Platform.WECOM, Platform.DINGTALK
        return node.attr.lower() in PLATFORM_NAMES
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return any(_is_platform_name(item) for item in node.elts)
    return False


def platform_comparisons(source: str) -> list[int]:
    """Lines comparing with a platform's name (==, !=, in, match-case), literal or Platform member."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            compared = [node.left, *node.comparators]
        elif isinstance(node, ast.MatchValue):
            compared = [node.value]
        else:
            continue
        if any(_is_platform_name(n) for n in compared):
            lines.append(node.lineno)
    return lines


PLATFORM_MODULES = sorted((ROOT / "platforms").rglob("*.py"))


def test_there_is_one_package_per_platform() -> None:
    assert (ROOT / "platforms" / "wecom" / "__init__.py").is_file()
    assert (ROOT / "platforms" / "dingtalk" / "__init__.py").is_file()


@pytest.mark.parametrize("path", PLATFORM_MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_platform_modules_import_no_upper_layer(path: Path) -> None:
    upward = sorted(
        n for n in imported(path) if any(n == up or n.startswith(up + ".") for up in ABOVE_PLATFORMS)
    )
    assert upward == [], f"{path.relative_to(ROOT)} imports {upward}"


@pytest.mark.parametrize("relative", PLATFORM_BLIND)
def test_routes_and_outbox_never_branch_on_a_platform_name(relative: str) -> None:
    lines = platform_comparisons((ROOT / relative).read_text(encoding="utf-8"))
    assert lines == [], f"bot/{relative} compares with a platform name on line(s) {lines}"


def test_the_checks_see_what_they_look_for() -> None:
    assert platform_comparisons('if chat.platform == "wecom":\n    pass\n') == [1]
    assert platform_comparisons('x = p in ("dingtalk", "wecom")\n') == [1]
    assert platform_comparisons('match p:\n    case "wecom":\n        pass\n') == [2]
    assert platform_comparisons("ok = platform == Platform.DINGTALK\n") == [1]
    assert platform_comparisons('word = WORDS["wecom"]\n') == []
    here = ROOT / "platforms" / "wecom" / "link.py"
    assert "bot.platforms.base" in imported(here)
