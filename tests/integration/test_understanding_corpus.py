"""The understanding corpus (tests/corpus/*.tsv) through the real pipeline: no wrong write, and the target met."""

from __future__ import annotations

from bench.understanding import CORPUS, evaluate, read_corpus


def test_the_corpus_is_big_and_says_what_must_not_be_written() -> None:
    rows = [row for path in sorted(CORPUS.glob("*.tsv")) for row in read_corpus(path)]
    assert len(rows) >= 400
    assert sum(row.must_not_write for row in rows) >= 120


async def test_the_corpus_writes_no_wrong_fact() -> None:
    report = await evaluate(sorted(CORPUS.glob("*.tsv")))
    assert [r.row.message for r in report.wrong_writes] == [], report.render(show_wrong=True)
    assert report.accuracy >= 0.98, report.render(show_wrong=True)
