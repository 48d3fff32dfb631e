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

import regex

__all__ = ["Word", "split_words", "words_from_tokens"]


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


def split_words(text: str) -> list[Word]:
    """Split ``text`` into CoNLL-style words with exact character offsets.

    Returns an empty list for empty or whitespace-only text. Every non-space character of the text
    belongs to exactly one word, except zero-width spaces/joiners and BOMs between words.
    """
    return [Word(m.group(), m.start(), m.end()) for m in _PATTERN.finditer(text)]


def words_from_tokens(tokens: list[str], separator: str = " ") -> tuple[str, list[Word]]:
    """Join pre-split words (a CoNLL sentence) into one text and return ``(text, words)``.

    The words keep their offsets into the joined text, so tagging pre-split input yields the same
    records as tagging raw text.
    """
    words = []
    position = 0
    for token in tokens:
        words.append(Word(token, position, position + len(token)))
        position += len(token) + len(separator)
    return separator.join(tokens), words
