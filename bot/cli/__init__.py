"""The `tuoguan` command line: thin commands over the use cases (`bot.services`), wired by `bot.bootstrap`."""

from __future__ import annotations

from importlib import import_module
from typing import Any


def __getattr__(name: str) -> Any:
    # `from bot.cli import main` in a `tuoguan` script installed before bot/cli became a package (the entry
    # point is now bot.cli.main:main): hand it the function, not the submodule of the same name.
    if name == "main":
        main = import_module("bot.cli.main").main
        globals()["main"] = main
        return main
    raise AttributeError(name)
