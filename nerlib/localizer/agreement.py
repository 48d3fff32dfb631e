"""Agreement with the sentence around an entity: articles, possessives, and gender hints.

>>> text = "Yesterday the New York Yankees lost."
>>> context_of(text, 14, 30).article
'the '
>>> takes_article("East Bengal", "sports-club"), takes_article("Mumbai Indians", "sports-club")
(False, True)
>>> takes_article("Press Trust of India", "news"), takes_article("India", "country")
(True, False)
>>> context_of("Taylor said she would come.", 0, 6).pronoun_gender
'female'

- Articles: "the Associated Press" -> "the Press Trust of India", never "the The Telegraph" (a
  replacement's own "The" gives way to the text's "the"); a replacement that takes no article
  (a team named like "East Bengal", a company, a city, a country such as "India") drops the text's
  "the" before it (`Replacement.drop_before`); an entity that starts with its own "The" passes it
  on where the replacement takes one.
- Possessives: an entity ending in "'s" is replaced without it and gets it back.
- Gender: a title right before a name (Mr., Mrs., Ms.) decides a given name's gender; a pronoun
  later in the sentence (she, her / he, him, his) decides where the gazetteers cannot.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Context", "context_of", "takes_article", "split_possessive", "TITLE_GENDER"]

TITLE_GENDER = {"mr": "male", "mister": "male", "sir": "male", "mrs": "female", "ms": "female", "miss": "female",
                "madam": "female", "lady": "female"}
_ARTICLE_BEFORE = re.compile(r"(?:^|(?<=\s))([Tt]he )$")
_TITLE_BEFORE = re.compile(r"\b(Mr|Mrs|Ms|Miss|Mister|Sir|Madam|Lady)\.?\s+$")
_PRONOUN = re.compile(r"\b(she|her|hers|herself|he|him|his|himself)\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?](?:\s|$)")
#: Countries whose English name takes "the".
_COUNTRY_WITH_ARTICLE = re.compile(r"\b(United|Republic|Kingdom|Islands|Netherlands|Philippines|Emirates|Bahamas|"
                                   r"Gambia|Maldives|Union)\b")
_NEWS_WITH_ARTICLE = {"times", "express", "herald", "telegraph", "chronicle", "tribune", "statesman", "pioneer",
                      "week", "standard", "line", "age", "hindu", "post", "journal", "globe", "guardian"}
_WITHOUT_ARTICLE = ("city", "state", "place", "given-female", "given-male", "given", "surname", "full-name",
                    "demonym")


@dataclass(frozen=True)
class Context:
    """What the sentence says around an entity: the ``article`` right before it ("the ", "The " or
    ""), the gender of a ``title`` right before it, and of the first ``pronoun`` after it in its
    sentence (``"female"``, ``"male"`` or None)."""

    article: str = ""
    title_gender: str | None = None
    pronoun_gender: str | None = None


def context_of(text: str, start: int, end: int) -> Context:
    """Return the article, title and pronoun around the entity ``text[start:end]``.

    Parameters
    ----------
    text : str
        The whole text.
    start, end : int
        The entity's character offsets.

    Returns
    -------
    Context
    """
    before = text[max(0, start - 20) : start]
    article = _ARTICLE_BEFORE.search(before)
    title = _TITLE_BEFORE.search(before)
    after = text[end : end + 200]
    stop = _SENTENCE_END.search(after)
    pronoun = _PRONOUN.search(after[: stop.end() if stop else len(after)])
    pronoun_gender = None
    if pronoun:
        pronoun_gender = "female" if pronoun.group(1).lower().startswith(("she", "her")) else "male"
    return Context(article.group(1) if article else "",
                   TITLE_GENDER.get(title.group(1).lower()) if title else None, pronoun_gender)


def takes_article(name: str, subtype: str) -> bool:
    """Return whether a name is written after "the" in running text ("the Lok Sabha", "East Bengal").

    Parameters
    ----------
    name : str
        The replacement.
    subtype : str
        Its subtype (`nerlib.localizer.taxonomy.SUBTYPES`, ``country``, ``demonym``).

    Returns
    -------
    bool
    """
    words = name.split()
    if not words or subtype in _WITHOUT_ARTICLE:
        return False
    if words[0].lower() == "the":
        return True
    if subtype == "country":
        return bool(_COUNTRY_WITH_ARTICLE.search(name))
    if " of " in f" {name} ":
        return True
    last = words[-1].lower()
    if subtype == "sports-club":  # "the Mumbai Indians", but "East Bengal", "Bengaluru FC"
        return len(words) > 1 and last.endswith("s") and not last.endswith(("ss", "us"))
    if subtype.startswith("company") or subtype == "organisation":
        return last in {"group", "corporation", "company"}
    if subtype == "university":
        return words[0].lower() == "university"
    if subtype == "news":
        return len(words) > 1 and last in _NEWS_WITH_ARTICLE
    return True  # government bodies, parties, leagues, events: "the CBI", "the BJP", "the IPL final"


def split_possessive(entity: str) -> tuple[str, str]:
    """Split a possessive ending off an entity: ("Parker", "'s") for "Parker's".

    Parameters
    ----------
    entity : str
        The entity's text.

    Returns
    -------
    (str, str)
        The entity without the ending, and the ending ("" where there is none).

    Examples
    --------
    >>> split_possessive("Parker’s"), split_possessive("Texas")
    (('Parker', '’s'), ('Texas', ''))
    """
    stripped = entity.rstrip()
    for ending in ("'s", "’s"):
        if stripped.endswith(ending) and len(stripped) > 2:
            return entity[: len(stripped) - 2], entity[len(stripped) - 2 :]
    return entity, ""
