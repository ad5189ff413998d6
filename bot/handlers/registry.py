"""The command table: each entry parses its own phrasing (pure) and names its handler and usage.

Each handler module registers its commands on its own `Commands`; bot/handlers/table.py states the order in
which they are tried.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rapidfuzz import fuzz, process

from bot.domain.actors import Actor, Role
from bot.domain.text import strip_decoration
from bot.handlers.phenomena import is_question

if TYPE_CHECKING:
    from bot.domain.messages import Reply
    from bot.handlers.context import HandlerContext

Args = Mapping[str, Any]
# A parser returns its command (a typed one from bot.domain.commands, or an Args mapping), None if not its phrasing.
ArgParser = Callable[[str], Any]
Handler = Callable[["HandlerContext", Any], Awaitable["Reply"]]

EVERYONE = frozenset(Role)
KNOWN = frozenset(Role) - {Role.UNKNOWN}
GUARDIANS = frozenset({Role.GUARDIAN})
STAFF = frozenset({Role.HEAD_TEACHER, Role.CARE_TEACHER, Role.PRINCIPAL, Role.ADMIN})
PRINCIPALS = frozenset({Role.PRINCIPAL, Role.ADMIN})


@dataclass(frozen=True)
class CommandSpec:
    """One command: its name, how to write it, who may use it, how to parse it, what handles it."""

    name: str
    usage: str
    summary: str
    example: str
    keywords: tuple[str, ...]
    parse: ArgParser
    handle: Handler
    roles: frozenset[Role] = KNOWN
    # Does carrying it out change the register? A question is never parsed as a command that writes.
    writes: bool = True
    # Its argument is text passed on to others (a notice): a question in it is the notice's, not the sender's,
    # so the command is tried on a question too (its parser must then want its own leading word).
    free_text: bool = False


@dataclass(frozen=True)
class Parsed:
    spec: CommandSpec
    args: Any = field(default_factory=dict)  # what `spec.parse` returned


@dataclass(frozen=True)
class ParseError:
    """Nothing matched: the closest command, if any was close."""

    text: str
    closest: CommandSpec | None = None


# Asking for a reading politely: 费用明细发我一下, 帮我查一下费用, 看看日报.
_REQUEST = re.compile(
    r"^(?:请|麻烦)?(?:帮我|给我)?(?:查看|查一下|查|看一下|看看|我要看|我想看)?|"
    r"(?:明细|清单)?(?:发我一下|发给我|发一下|看一下|查一下|给我看看|看看|一下)?(?:吧|呢)?$"
)


def keyword_parser(*keywords: str) -> ArgParser:
    """A parser for commands without arguments: the text is one of the keywords (asked for politely or not)."""
    words = frozenset(keywords)

    def parse(text: str) -> Args | None:
        core = strip_decoration(text)
        if (text.strip(" ?？!！。.") or text.strip()) in words or core in words:
            return {}
        return {} if core and _REQUEST.sub("", core) in words else None

    return parse


class Commands:
    """One handler module's commands, each registered in a line or two next to the others of its module."""

    def __init__(self, roles: frozenset[Role] = KNOWN) -> None:
        self.roles = roles  # who may use the module's commands, unless a command says otherwise
        self.specs: list[CommandSpec] = []

    def add(
        self,
        name: str,
        usage: str,
        summary: str,
        parse: ArgParser,
        handle: Handler,
        *,
        example: str = "",
        keywords: tuple[str, ...] = (),
        roles: frozenset[Role] | None = None,
        writes: bool = True,
        free_text: bool = False,
    ) -> None:
        """A command; its example is its usage and its one keyword its name unless given."""
        self.specs.append(
            CommandSpec(
                name,
                usage,
                summary,
                example or usage,
                keywords or (name,),
                parse,
                handle,
                self.roles if roles is None else roles,
                writes,
                free_text,
            )
        )

    def __iter__(self) -> Iterator[CommandSpec]:
        return iter(self.specs)


class CommandTable:
    """The commands in the order they are tried: the first whose parser accepts a text is its reading."""

    def __init__(self, specs: Sequence[CommandSpec]) -> None:
        names = [s.name for s in specs]
        if len(names) != len(set(names)):
            raise ValueError(f"duplicate command names: {names}")
        self.specs = tuple(specs)
        self._by_keyword = {kw: s for s in self.specs for kw in s.keywords}

    def __getitem__(self, name: str) -> CommandSpec:
        for spec in self.specs:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def parse(self, text: str) -> Parsed | ParseError:
        """Pure: the first command whose parser accepts the text, else the closest by fuzzy match.

        A question ("李华明天请假吗") is only ever read by commands that do not write: it gets an answer.
        """
        question = is_question(text)
        for spec in self.specs:
            if question and spec.writes and not spec.free_text:
                continue
            args = spec.parse(text)
            if args is not None:
                return Parsed(spec, args)
        return ParseError(text, self.closest(text))

    def closest(self, text: str) -> CommandSpec | None:
        if not text or not self._by_keyword:
            return None
        head = text.split(" ")[0][:12]
        best = process.extractOne(head, list(self._by_keyword), scorer=fuzz.WRatio, score_cutoff=50)
        if best is None:
            return None
        return self._by_keyword[best[0]]

    def usable_by(self, actor: Actor) -> list[CommandSpec]:
        return [s for s in self.specs if s.roles & actor.roles]

    def help_text(self, actor: Actor) -> str:
        lines = ["托管助手 可用命令:"]
        for spec in self.usable_by(actor):
            lines.append(f"· {spec.usage} — {spec.summary}")
        lines.append("在群里 @托管助手 后输入命令即可。")
        return "\n".join(lines)
