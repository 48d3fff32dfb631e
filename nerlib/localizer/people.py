"""People from outside the source: a person the text itself marks as foreign stays as they are.

Rewriting a US news story into an Indian one should not turn "French President Jacques Chirac" into
an Indian name: the text says he is French, and France is outside the source. The rule is modest
and reads only the text's own marks; a person is kept when an entity right next to the name names
a country outside the source (or a place in one):

- **before** the name: a demonym with at most three words between ("French President Jacques
  Chirac", "Kenyan runner Paul Tergat"), or a place with a possessive ("Pakistan's Wasim Akram",
  "Germany's captain Juergen Klinsmann"), and no other punctuation between;
- **after** the name in parentheses (sports results): "Michael Stich ( Germany )";
- **after** the name with "of" or "from": "Boris Yeltsin of Russia".

A marker is a demonym (``data/world_demonyms.tsv``), a country name (pycountry, with the supported
countries' aliases) or a city or state that `nerlib.localizer.places.outside_source` places outside
the source. A marker inside the source ("American Pete Sampras", or "French ..." from the West
region) changes nothing. The person's parts are remembered as kept, so the surname alone later
("... Chirac said") stays too. Names alone (without a mark) are never judged foreign: a name's
language says little about a person's country.

>>> from nerlib.localizer.places import resolve_source
>>> text = "French President Jacques Chirac met Bill Smith."
>>> foreign_marks(text, [(0, 6, "MISC"), (17, 31, "PER"), (36, 46, "PER")], resolve_source("USA"))
[None, "kept: a person from France, outside the source (USA): the text says so ('French' before the name)", None]
>>> foreign_marks(text, [(0, 6, "MISC"), (17, 31, "PER")], resolve_source("West"))
[None, None]
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from pathlib import Path

from nerlib.localizer.countries import SUPPORTED
from nerlib.localizer.places import Source, country_name, outside_source
from nerlib.localizer.pools import PoolFileError
from nerlib.localizer.vocab import fold

__all__ = ["country_of", "foreign_marks", "MARKER_TYPES"]

_DEMONYMS = Path(__file__).with_name("data") / "world_demonyms.tsv"
#: Entity types that can mark a person's country.
MARKER_TYPES = ("LOC", "MISC")
#: Between a marker and the name: an optional possessive and at most three words ("President").
_BEFORE = re.compile(r"^(?:\s?['’]s)?(?:\s+[\w.-]+){0,3}\s+$")
_POSSESSIVE = re.compile(r"^\s?['’]s\s")
_AFTER_OF = re.compile(r"^\s+(?:of|from)\s+$")
_OPEN, _CLOSE = re.compile(r"^\s*\(\s*$"), re.compile(r"^\s*\)")
_ALIASES = {"russia": "RU", "britain": "GB", "great britain": "GB", "england": "GB", "scotland": "GB",
            "wales": "GB", "northern ireland": "GB", "holland": "NL"}


def _key(text: str) -> str:
    return " ".join(fold(text).lower().replace("’", "'").split())


@functools.cache
def _demonyms() -> dict[str, str]:
    """{folded demonym: ISO code} from ``data/world_demonyms.tsv``."""
    table = {}
    for number, line in enumerate(_DEMONYMS.read_text(encoding="utf8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 3 or len(fields[0]) != 2:
            raise PoolFileError(_DEMONYMS, number, "expected ISO code<TAB>demonym<TAB>source")
        table[_key(fields[1])] = fields[0]
    return table


def country_of(text: str, label: str, source: Source) -> str | None:
    """Return the ISO code of the country a marker names, where it is outside `source` (else None).

    Parameters
    ----------
    text : str
        The marker entity ("French", "Pakistan", "Paris").
    label : str
        Its type: MISC (a demonym) or LOC (a country, city or state).
    source : Source
        The source country or region.

    Returns
    -------
    str or None

    >>> from nerlib.localizer.places import resolve_source
    >>> [country_of(t, "LOC", resolve_source("USA")) for t in ("Pakistan", "Germany", "U.S.", "Paris")]
    ['PK', 'DE', None, 'FR']
    """
    key = _key(text)
    code = None
    if label == "MISC":
        code = _demonyms().get(key)
    elif label == "LOC":
        code = _ALIASES.get(key) or next((c.iso2 for c in SUPPORTED.values() if key in c.aliases
                                          or key == _key(c.name)), None)
        if code is None:
            import pycountry

            try:
                code = pycountry.countries.lookup(text.strip()).alpha_2
            except LookupError:
                code = outside_source(text.strip(), source)
    return code if code is not None and code not in source.codes else None


def foreign_marks(text: str, triples: Sequence[tuple[int, int, str]], source: Source) -> list[str | None]:
    """Return, per entity, the reason a person is kept as foreign (None for every other entity).

    Parameters
    ----------
    text : str
        The text.
    triples : sequence of (int, int, str)
        Its sorted entity spans.
    source : Source
        The source country or region.

    Returns
    -------
    list of (str or None)
        ``"kept: a person from France, outside the source (USA): the text says so (...)"`` for a
        marked person (see the module docstring).
    """
    marks: list[str | None] = [None] * len(triples)
    for index, (start, end, label) in enumerate(triples):
        if label != "PER":
            continue
        found = None
        if index > 0 and triples[index - 1][2] in MARKER_TYPES:
            m_start, m_end, m_label = triples[index - 1]
            between = text[m_end:start]
            marked = _BEFORE.match(between) and (m_label == "MISC" or _POSSESSIVE.match(between))
            if marked and (code := country_of(text[m_start:m_end], m_label, source)):
                found = (code, f"'{text[m_start:m_end]}' before the name")
        if found is None and index + 1 < len(triples) and triples[index + 1][2] in MARKER_TYPES:
            m_start, m_end, m_label = triples[index + 1]
            between, after = text[end:m_start], text[m_end:]
            if ((_OPEN.match(between) and _CLOSE.match(after)) or _AFTER_OF.match(between)) and (
                    code := country_of(text[m_start:m_end], m_label, source)):
                found = (code, f"'{text[m_start:m_end]}' after the name")
        if found is not None:
            code, where = found
            country = next((c.name for c in SUPPORTED.values() if c.iso2 == code), None) or country_name(code)
            marks[index] = (f"kept: a person from {country}, outside the source ({source.name}): the text says "
                            f"so ({where})")
    return marks
