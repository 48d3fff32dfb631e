"""The collecting CoNLL validator (``find_conll_problems``): every problem of a file, with its line,
on files with problems planted at known lines; the reader still stops at the first one."""

from __future__ import annotations

import io

import pytest

from nerlib.data.conll import ConllFormatError, find_conll_problems, read_conll_stream

# Line numbers (1-based) of the planted problems, and a word each message must hold.
PLANTED = """-DOCSTART- -X- -X- O

Anna NNP B-NP B-PER
Okafor NNP I-NP
visits VBZ B-VP O
Lagos NNP B-NP LOC
. . O O

Zed NNP B-NP B-ORG
Corp
\t\tX\tO
Hello UH B-INTJ O
Velmora NNP B-NP B-LOC extra
"""
EXPECTED = {4: "columns", 6: "not an IOB tag", 10: "found 1 column", 11: "empty token", 13: "columns"}


def problems_of(text: str | bytes, **options):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return find_conll_problems(io.BytesIO(data), "planted.txt", **options)


def test_every_planted_problem_is_found_with_its_line():
    found = problems_of(PLANTED)
    assert [p.line for p in found.first] == sorted(EXPECTED)
    for problem in found.first:
        assert EXPECTED[problem.line] in problem.reason, problem
    assert found.total == len(EXPECTED) and found.more == 0 and found.lines == 13
    assert found.summary() == "5 problems in 13 lines of planted.txt"


def test_the_reader_still_stops_at_the_first_problem_the_validator_lists():
    with pytest.raises(ConllFormatError) as raised:
        read_conll_stream(io.BytesIO(PLANTED.encode()), "planted.txt")
    first = problems_of(PLANTED).first[0]
    assert (raised.value.line, raised.value.reason) == (first.line, first.reason)


def test_a_readable_file_has_no_problem():
    good = "Ada NNP B-NP B-PER\nLovelace NNP I-NP I-PER\n\n-DOCSTART- -X- -X- O\n\nTurin NNP B-NP I-LOC\n"
    found = problems_of(good)
    assert not found and found.total == 0 and found.first == []
    assert len(read_conll_stream(io.BytesIO(good.encode()), "good.txt").sentences) == 2


def test_only_the_first_twenty_are_kept_and_the_rest_counted():
    lines = ["Paris B-LOC"] + [f"word{i} BAD{i}" for i in range(1, 101)]  # lines 2..101 each bad
    found = problems_of("\n".join(lines) + "\n", limit=20)
    assert found.total == 100 and len(found.first) == 20 and found.more == 80
    assert [p.line for p in found.first] == list(range(2, 22))
    assert "BAD1" in found.first[0].reason


def test_undecodable_and_too_long_lines_are_problems_and_the_reading_goes_on(monkeypatch):
    monkeypatch.setenv("NERLIB_MAX_LINE_BYTES", "64")
    data = b"Paris B-LOC\n\xff\xfe O\n" + b"x" * 500 + b" O\nRome B-LOC\nMilan LOC\n"
    found = problems_of(data)
    assert [p.line for p in found.first] == [2, 3, 5]
    assert "not UTF-8" in found.first[0].reason and "save the file as UTF-8" in found.first[0].reason
    assert "longer than 64 bytes" in found.first[1].reason
    assert "not an IOB tag" in found.first[2].reason
    assert found.lines == 5  # the long line counted once, its rest skipped


def test_memory_stays_bounded_on_a_long_line(monkeypatch):
    """A line far over the bound is skipped in reads of at most bound + 1 bytes."""
    monkeypatch.setenv("NERLIB_MAX_LINE_BYTES", "1000")

    class CountingStream(io.BytesIO):
        largest = 0

        def readline(self, size=-1):
            line = super().readline(size)
            CountingStream.largest = max(CountingStream.largest, len(line))
            return line

    stream = CountingStream(b"a O\n" + b"y" * 1_000_000 + b"\nb O\n")
    found = find_conll_problems(stream, "big.txt")
    assert [p.line for p in found.first] == [2] and found.lines == 3
    assert CountingStream.largest <= 1001


def test_a_file_without_tokens_is_one_problem():
    found = problems_of("-DOCSTART- -X- -X- O\n\n\n")
    assert found.total == 1 and found.first[0].line is None and "no token lines" in str(found.first[0])
