"""Split raw text into words the way CoNLL-2003 is tokenized, keeping exact character offsets.

The models in this workbench are trained on CoNLL words, so raw text has to be cut the same way
before it reaches the sub-word tokenizer: punctuation apart from words (``Paris.`` -> ``Paris``,
``.``), but ``U.S.``, ``Corp.``, ``1,000.50``, ``1996-08-28``, ``Bosnian-Serb``, ``O'Brien``, ``US$``
kept whole, and English clitics split Penn-Treebank style (``Germany's`` -> ``Germany``, ``'s``;
``don't`` -> ``do``, ``n't``). Every word carries ``start``/``end`` so that
``text[word.start:word.end] == word.text`` always holds; nothing is normalised or dropped except
whitespace (and invisible zero-width characters between words). Splitting takes time linear in
the text's length, hostile text included (``bench/word_splitting.py``).

>>> [w.text for w in split_words("Mr. O'Neill's U.S.-led team won 2-1 in Paris.")]
['Mr.', "O'Neill", "'s", 'U.S.-led', 'team', 'won', '2-1', 'in', 'Paris', '.']
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import regex

__all__ = ["Word", "split_words", "word_spans"]


@dataclass(frozen=True)
class Word:
    """One word of a text: ``text == source[start:end]`` (character offsets, end exclusive)."""

    text: str
    start: int
    end: int


# A letter or digit together with any combining marks that follow it (decomposed accents, Indic
# vowel signs), so "Zu\u0308rich" stays one word. Soft hyphens and zero-width (non-)joiners inside a
# word belong to it too.
_W = r"[\p{L}\p{N}\p{M}\u00ad\u200c\u200d]"
_APOS = r"['\u2019]"
# English clitics split off the word before them, as in the CoNLL/Penn Treebank data.
_CLITIC = rf"(?:{_APOS}(?:[sSdDmM]|re|RE|Re|ve|VE|ll|LL)|[nN]{_APOS}[tT])(?!{_W})"
# Abbreviations that CoNLL keeps with their period.
_ABBREVIATIONS = (
    "Mr Mrs Ms Dr Prof St Mt Ft Jr Sr Gen Col Lt Maj Capt Sgt Adm Cmdr Gov Sen Rep Rev Pres "
    "Corp Inc Ltd Co Cos Bros Dept Univ Assn Ave Blvd Rd vs v etc Jan Feb Apr Jun Jul Aug Sep "
    "Sept Oct Nov Dec Ala Ariz Ark Calif Colo Conn Fla Kan Ky Md Mich Minn Mont Neb Nev Okla "
    "Tenn Tex Vt Wis Wyo approx"
).split()
# The letters of a word: stops before a clitic ("do|n't") and joins on inner connectors.
_LETTERS = rf"(?:(?!{_CLITIC}){_W})+"
_JOINER = (
    rf"(?:-(?={_W})"  # Bosnian-Serb, 2-1, 1996-08-28
    rf"|(?<=\p{{N}})[.,:](?=\p{{N}})"  # 1,000.50  12:30
    rf"|/(?={_W})"  # 1/2  1996/97  and/or
    rf"|(?<=\p{{Lu}})&(?=\p{{Lu}})"  # AT&T  S&P
    rf"|(?!{_CLITIC}){_APOS}(?=\p{{L}}))"  # O'Brien  d'affaires  gov't
)
_PATTERN = regex.compile(
    rf"""
    (?P<url>(?:https?://|www\.)[^\s<>"']*[^\s<>"'.,;:!?)\]}}])
    # An e-mail address starts where its run of name characters starts, and that run is read once
    # (possessive ++): trying it from every position inside a long run ("a_a_a_...") was quadratic.
  | (?P<email>(?<![\w.+-])[\w.+-]++@\w[\w-]*(?:\.\w[\w-]*)+)
    # U.S.  a.m.  U.S.-led  N.J.
  | (?<!{_W})(?:\p{{L}}\.){{2,}}(?:-{_W}+)*
    # Corp.  Inc.  vs.
  | (?<!{_W}|\.)(?:{"|".join(_ABBREVIATIONS)})\.
  | (?<!{_W}|\.)No\.(?=\s*\p{{N}})
    # An initial before a capitalised word: "M. Smith".
  | (?<!{_W}|\.)\p{{Lu}}\.(?=\s+\p{{Lu}})
    # Currencies written with a country prefix: US$ C$ HK$.
  | (?<!{_W})\p{{Lu}}{{0,2}}\$
    # A numbered list item at the start of a line ("1. Steffi Graf"), a decimal without its zero.
  | (?<=(?:^|\n)[ \t]*)\p{{N}}{{1,3}}\.(?=\s)
  | (?<![{_W[1:-1]}.])\.\p{{N}}+(?:[.,]\p{{N}}+)*
    # A sign glued to a number: +0.05 -3.
  | (?<![{_W[1:-1]}.)\]])[+\u2212-](?=\p{{N}}){_LETTERS}(?:{_JOINER}{_LETTERS})*
  | {_CLITIC}
  | {_LETTERS}(?:{_JOINER}{_LETTERS})*
    # Runs of one punctuation character: -- ... ***
  | (?P<run>[-.=*_~#])(?P=run)+
    # An emoji with its modifiers and zero-width joined parts stays one word.
  | [^\s\u200b\u200c\u200d\u2060\ufeff](?:[\ufe0f\U0001F3FB-\U0001F3FF]|\u200d[^\s])*
    """,
    regex.VERBOSE,
)


# Splitting, fast path. Whitespace never belongs to a word and no alternative above consumes it, so
# a text's words are the words of its whitespace-separated chunks. A chunk's split depends on its
# surroundings only through three lookarounds that see past whitespace, all after a literal "."
# (list item "1." at a line start, initial "M." before a capital, "No." before a number). So a
# chunk without "." splits the same anywhere; one with "." splits the same wherever it has the same
# (line start?, next non-space character). Texts repeat most chunks ("the", ",", "Reuters"), so each
# distinct chunk and context is split once and remembered: faster than running the pattern over
# the whole text (bench/tagging_host.py; docs/benchmarks.md, "Host-side tagging cost"), with exactly the same words
# (tests/test_tagging_fast_path.py compares both on varied and hostile text).
_CHUNK = regex.compile(r"\S+")
_NO_SPACE_SPLIT = frozenset("\x1c\x1d\x1e\x1f")  # str.split() breaks there, the pattern's \s does not
_CACHED_CHUNK = 64  # longer chunks are split without being remembered (bounded memory on odd input)
# A prefix that is whitespace but not a line start for the pattern's list-item lookbehind.
_NOT_LINE_START = "\u2003"


@lru_cache(maxsize=1 << 16)
def _chunk_words(chunk: str, context: tuple[bool, str] | None = None) -> tuple[tuple[int, int], ...] | None:
    """The ``(start, end)`` of each word of one whitespace-free ``chunk``, relative to the chunk, or
    ``None`` when the whole chunk is one word (most chunks: nothing to slice).

    ``context`` is ``None`` for a chunk without ".", else ``(line_start, after)``: whether only
    spaces/tabs since the last line break (or the text start) come before it, and what follows it
    (``""``: the text ends; ``" "``: only whitespace; ``" X"``: whitespace then ``X``).
    """
    if context is None:
        spans = tuple(m.span() for m in _PATTERN.finditer(chunk))
    else:
        line_start, after = context
        before = "" if line_start else _NOT_LINE_START
        shift, end = len(before), len(before) + len(chunk)
        found = []
        for m in _PATTERN.finditer(before + chunk + after):
            if m.start() >= end:
                break
            found.append((m.start() - shift, m.end() - shift))
        spans = tuple(found)
    return None if spans == ((0, len(chunk)),) else spans


def _chunks(text: str) -> tuple[list[str], list[int]]:
    """Every maximal run of non-whitespace (the pattern's ``\\s``) in ``text``, and its offset."""
    if not _NO_SPACE_SPLIT.isdisjoint(text):
        found = list(_CHUNK.finditer(text))
        return [m.group() for m in found], [m.start() for m in found]
    chunks = text.split()  # C-fast; find() recovers each chunk's offset
    starts, position = [], 0
    find = text.find
    for chunk in chunks:
        position = find(chunk, position)
        starts.append(position)
        position += len(chunk)
    return chunks, starts


def _is_line_start(gap: str, first: bool) -> bool:
    """Whether a chunk after whitespace ``gap`` starts a line for the pattern's list-item rule
    (``(?<=(?:^|\\n)[ \\t]*)``): only spaces and tabs since the gap's last line break, or, for the
    text's ``first`` chunk, in the whole gap."""
    head, newline, tail = gap.rpartition("\n")
    return (bool(newline) or first) and not tail.strip(" \t")


def _dotted_context(text: str, chunks: list[str], starts: list[int], i: int) -> tuple[bool, str]:
    """The context of chunk ``i`` that can change how a chunk with "." splits (see _chunk_words)."""
    end = starts[i] + len(chunks[i])
    following = (" " + chunks[i + 1][0]) if i + 1 < len(chunks) else (" " if end < len(text) else "")
    gap = text[starts[i - 1] + len(chunks[i - 1]) if i else 0:starts[i]]
    return _is_line_start(gap, i == 0), following


def word_spans(text: str) -> tuple[list[str], list[int], list[int]]:
    """The words of ``text`` as three parallel lists.

    The same words as :func:`split_words`, without building a :class:`Word` per word (the tagger's
    fast path).

    Returns
    -------
    tuple of three lists
        ``(texts, starts, ends)``: each word and its character offsets (end exclusive), so
        ``texts[i] == text[starts[i]:ends[i]]``.

    >>> word_spans("Paris, 1996.")
    (['Paris', ',', '1996', '.'], [0, 5, 7, 11], [5, 6, 11, 12])
    """
    texts: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    chunks, offsets = _chunks(text)
    for i, chunk in enumerate(chunks):
        context = _dotted_context(text, chunks, offsets, i) if "." in chunk else None
        # long chunks (odd input) are split without being remembered: the cache's memory stays bounded
        spans = (_chunk_words if len(chunk) <= _CACHED_CHUNK else _chunk_words.__wrapped__)(chunk, context)
        start = offsets[i]
        if spans is None:  # the whole chunk is one word: most chunks
            texts.append(chunk)
            starts.append(start)
            ends.append(start + len(chunk))
            continue
        for begin, stop in spans:
            texts.append(chunk[begin:stop])
            starts.append(start + begin)
            ends.append(start + stop)
    return texts, starts, ends


def split_words(text: str) -> list[Word]:
    """Split ``text`` into CoNLL-style words with exact character offsets.

    Every non-space character of the text belongs to exactly one word, except zero-width
    spaces/joiners and BOMs between words.

    Returns
    -------
    list of Word
        The words in order, ``text[w.start:w.end] == w.text``; ``[]`` for empty or
        whitespace-only text.

    >>> split_words("Paris.")
    [Word(text='Paris', start=0, end=5), Word(text='.', start=5, end=6)]
    """
    return [Word(*word) for word in zip(*word_spans(text))]

