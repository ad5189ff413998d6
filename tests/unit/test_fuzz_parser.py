"""Hypothesis over the whole command table: any text parses to a command or a ParseError, never raises."""

from __future__ import annotations

import dataclasses
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.text import normalise
from bot.handlers.registry import Parsed, ParseError
from bot.handlers.table import build_table

TABLE = build_table()
WORDS = sorted({kw for spec in TABLE.specs for kw in spec.keywords} | {spec.example for spec in TABLE.specs})
NAMES = ["王小明", "王小红", "李华", "张一一", "刘洋", "外婆", "篮球", "1类", "X类", "1+X"]
ODD = [
    "\x00",
    "\x07",
    "\u200b",
    "\u200d",
    "\ufeff",
    "\u202e",
    "\u3000",
    "\r\n",
    "\t",
    "🙂",
    "👨‍👩‍👧",
    "🇨🇳",
    "１２３",
    "．",
    "，",
    "：",
    "～",
    "－",
    "ｘ",
    "①",
    "〇",
    "十二",
    "廿",
    "𠀀",
    "\U0010fffd",
    "@托管助手",
    "@",
    "]]>",
    "<x>",
    "%s",
    "{0}",
    "\\",
    "'",
    '"',
    "--",
    "；DROP TABLE students",
    "9" * 40,
    "-1",
    "0.5",
    "1e308",
    "NaN",
]
FRAGMENT = st.one_of(
    st.sampled_from(WORDS),
    st.sampled_from(NAMES),
    st.sampled_from(ODD),
    st.text(max_size=12),
    st.integers(-(10**6), 10**12).map(str),
    st.dates().map(str),
)
MIXED = st.lists(FRAGMENT, max_size=10).flatmap(
    lambda parts: st.sampled_from(["", " ", "\u3000", "，"]).map(lambda sep: sep.join(parts))
)
HUGE = st.tuples(st.one_of(MIXED, st.text(min_size=1, max_size=8)), st.integers(1_000, 20_000)).map(
    lambda t: t[0] * (t[1] // max(1, len(t[0])))
)
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check(text: str) -> None:
    normal = normalise(text)
    assert normalise(normal) == normal  # idempotent: the pipeline may normalise twice
    assert not any(ch in normal for ch in "\x00\x07\r\n\t")
    result = TABLE.parse(normal)
    assert isinstance(result, Parsed | ParseError)
    if isinstance(result, Parsed):
        assert result.spec in TABLE.specs and result.args is not None
    elif result.closest is not None:
        assert result.closest in TABLE.specs


@FUZZ
@given(st.text())
def test_any_unicode(text: str) -> None:
    check(text)


@FUZZ
@given(MIXED)
def test_command_words_mixed_with_noise(text: str) -> None:
    check(text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(HUGE)
def test_huge_strings_parse_quickly(text: str) -> None:
    started = time.perf_counter()
    check(text)
    assert time.perf_counter() - started < 2.0, len(text)  # no regex blow-up on long input


@FUZZ
@given(st.sampled_from(TABLE.specs), st.text(max_size=40))
def test_each_parser_alone(spec, noise: str) -> None:  # type: ignore[no-untyped-def]
    for text in (noise, f"{spec.keywords[0]} {noise}", f"{noise}{spec.keywords[0]}", normalise(noise)):
        args = spec.parse(text)
        assert args is None or hasattr(args, "items") or dataclasses.is_dataclass(args)


def test_full_width_forms_parse_like_half_width() -> None:
    for spec in TABLE.specs:
        example = normalise(spec.example)
        wide = "".join(
            chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c for c in example
        )
        assert TABLE.parse(normalise(wide)) == TABLE.parse(example), spec.name
