"""CoNLL-style word splitting with exact character offsets."""

from __future__ import annotations

import pytest

from nerlib.text.words import Word, split_words


def texts(text: str) -> list[str]:
    return [w.text for w in split_words(text)]


def assert_exact(text: str) -> list[Word]:
    words = split_words(text)
    position = 0
    for word in words:
        assert text[word.start:word.end] == word.text
        assert word.start >= position  # in order, no overlap
        # only whitespace (or invisible zero-width characters) between words
        assert all(c.isspace() or c in "\u200b\u2060\ufeff" for c in text[position:word.start])
        position = word.end
    assert all(c.isspace() or c in "\u200b\u2060\ufeff" for c in text[position:])
    return words


@pytest.mark.parametrize("text, expected", [
    ("Paris.", ["Paris", "."]),
    ("Hello, world!", ["Hello", ",", "world", "!"]),
    ("the U.S. and U.N. said", ["the", "U.S.", "and", "U.N.", "said"]),
    ("U.S.-led talks", ["U.S.-led", "talks"]),
    ("Mr. Smith of Acme Corp. vs. Globex Inc.", ["Mr.", "Smith", "of", "Acme", "Corp.", "vs.", "Globex", "Inc."]),
    ("M. Dupont", ["M.", "Dupont"]),
    ("Bosnian-Serb leader", ["Bosnian-Serb", "leader"]),
    ("O'Brien and d'Alema", ["O'Brien", "and", "d'Alema"]),
    ("Germany's coach", ["Germany", "'s", "coach"]),
    ("players' union", ["players", "'", "union"]),
    ("I don't know, we can't", ["I", "do", "n't", "know", ",", "we", "ca", "n't"]),
    ("they're, I'm, we'll, you've, she'd", ["they", "'re", ",", "I", "'m", ",", "we", "'ll", ",", "you", "'ve", ",", "she", "'d"]),
    ("Kenya\u2019s team", ["Kenya", "\u2019s", "team"]),
    ("won 2-1 on 1996-08-28 at 12:30", ["won", "2-1", "on", "1996-08-28", "at", "12:30"]),
    ("1,234.50 dollars, +0.05 and -3", ["1,234.50", "dollars", ",", "+0.05", "and", "-3"]),
    ("US$ 5 and C$ 10 and $ 3", ["US$", "5", "and", "C$", "10", "and", "$", "3"]),
    ("$5", ["$", "5"]),
    ("up 5% to 1/2", ["up", "5", "%", "to", "1/2"]),
    ('He said: "No -- never..."', ["He", "said", ":", '"', "No", "--", "never", "...", '"']),
    ("(Reuters) -", ["(", "Reuters", ")", "-"]),
    ("AT&T and S&P", ["AT&T", "and", "S&P"]),
    ("1. Steffi Graf\n2. Monica Seles", ["1.", "Steffi", "Graf", "2.", "Monica", "Seles"]),
    ("batting .500", ["batting", ".500"]),
    ("see http://example.com/a?b=1.", ["see", "http://example.com/a?b=1", "."]),
])
def test_conll_conventions(text, expected):
    assert texts(text) == expected
    assert_exact(text)


@pytest.mark.parametrize("text", [
    "Zürich and São Paulo",
    "Zu\u0308rich",  # decomposed umlaut stays in the word
    "東京 and Москва!",
    "Family: 👨\u200d👩\u200d👧 ok👍🏽!",
    "tab\tseparated\tand\r\nCRLF lines",
    "many     spaces   between",
    "non\u00a0breaking space",
    "\n\nleading and trailing\n\n",
    "zero\u200bwidth",
    "«quoted» – dash — dash … end",
])
def test_unicode_and_whitespace_offsets_exact(text):
    assert_exact(text)


def test_unicode_words_stay_whole():
    assert texts("Zu\u0308rich München") == ["Zu\u0308rich", "München"]
    assert texts("東京 Москва") == ["東京", "Москва"]
    assert texts("ok👍🏽!") == ["ok", "👍🏽", "!"]
    assert texts("a  b\n\nc") == ["a", "b", "c"]


def test_repeated_words_get_their_own_offsets():
    text = "Paris Paris, Paris.Paris"
    words = assert_exact(text)
    assert [(w.text, w.start) for w in words if w.text == "Paris"] == [("Paris", 0), ("Paris", 6), ("Paris", 13), ("Paris", 19)]


def test_empty_and_whitespace_only():
    assert split_words("") == []
    assert split_words("   \n\t\r\n ") == []


def test_conll_tokens_joined_by_spaces_split_back():
    # made-up sentences written the CoNLL way
    sentences = [
        ["Lunar", "council", "backs", "Martian", "plan", "to", "export", "cheese", "."],
        ["Ada", "Quill"],
        ["ATLANTIS", "2031-04-17"],
        ["The", "U.S.", "Treasury", "'s", "$", "1.5", "billion", "sale", "--", "the", "biggest", "--", "ended", "."],
        ["\"", "We", "do", "n't", "support", "it", ",", "\"", "said", "O'Neill", "(", "Ireland", ")", "."],
        ["1.", "Results", ":", "Quill", "2-1", "6-4", "7-6", "(", "7-3", ")", "..."],
    ]
    for tokens in sentences:
        assert texts(" ".join(tokens)) == tokens



@pytest.mark.parametrize("text, expected", [
    ("the the", [("the", 0, 3), ("the", 4, 7)]),
    ("Paris Paris.Paris", [("Paris", 0, 5), ("Paris", 6, 11), (".", 11, 12), ("Paris", 12, 17)]),
    ("Paris Paris Paris.", [("Paris", 0, 5), ("Paris", 6, 11), ("Paris", 12, 17), (".", 17, 18)]),
    ("a. a. a.", [("a", 0, 1), (".", 1, 2), ("a", 3, 4), (".", 4, 5), ("a", 6, 7), (".", 7, 8)]),
    ("aa a", [("aa", 0, 2), ("a", 3, 4)]),
    ("Paris.Paris Paris", [("Paris", 0, 5), (".", 5, 6), ("Paris", 6, 11), ("Paris", 12, 17)]),
])
def test_repeated_chunks_keep_their_own_offsets(text, expected):
    # the splitter remembers each distinct chunk: a chunk that re-occurs (also inside the previous
    # one) must still get the offsets of where it stands, not of where it was first seen
    assert [(w.text, w.start, w.end) for w in split_words(text)] == expected
