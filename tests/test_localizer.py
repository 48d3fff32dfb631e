"""nerlib.localizer, vectors-only fallback: character-exact rewriting, consistency, casing, filters, checks.

These tests use a small made-up vector space written to a word2vec text file (dimensions for four
countries, the entity types and ordinary words), so every expectation is known by construction,
with the pools turned off (``pools=False``): the fallback that ranks the whole vocabulary with the
type and country checks. The pools, subtypes and other pairs are tested on the real offline GloVe
in tests/test_localizer_pools.py."""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pytest
from text_spans import outside, spans

from nerlib.localizer import (
    Localization,
    Localizer,
    Replacement,
    UnsupportedCountryError,
    analogy_candidates,
    neighbours,
)
from nerlib.localizer.vectors import load_vectors

COUNTRY = {"us": 0, "in": 1, "jp": 2, "uk": 3}
KIND = {"per": 4, "loc": 5, "org": 6, "o": 7, "misc": 8}
DIM = 13  # 9 meaningful dimensions + 4 of deterministic noise

# word, country (or None), kind, in frequency order
VOCAB = [
    ("the", None, "o"), ("and", None, "o"), ("is", None, "o"), ("my", None, "o"), ("name", None, "o"),
    ("live", None, "o"), ("in", None, "o"), ("works", None, "o"), ("at", None, "o"), ("of", None, "o"),
    ("new", None, "o"), ("met", None, "o"), ("left", None, "o"),
    ("usa", "us", "loc"), ("america", "us", "loc"), ("india", "in", "loc"), ("japan", "jp", "loc"),
    ("britain", "uk", "loc"),
    ("mitchell", "us", "per"), ("sarah", "us", "per"), ("john", "us", "per"), ("smith", "us", "per"),
    ("sharma", "in", "per"), ("priya", "in", "per"), ("rahul", "in", "per"), ("gupta", "in", "per"),
    ("rahulji", "in", "per"), ("tanaka", "jp", "per"), ("sato", "jp", "per"), ("jones", "uk", "per"),
    ("york", "us", "loc"), ("chicago", "us", "loc"), ("boston", "us", "loc"),
    ("delhi", "in", "loc"), ("mumbai", "in", "loc"), ("pune", "in", "loc"),
    ("tokyo", "jp", "loc"), ("osaka", "jp", "loc"), ("london", "uk", "loc"), ("leeds", "uk", "loc"),
    ("microsoft", "us", "org"), ("google", "us", "org"), ("ibm", "us", "org"),
    ("infosys", "in", "org"), ("wipro", "in", "org"), ("tata", "in", "org"),
    ("sony", "jp", "org"), ("toyota", "jp", "org"),
    ("american", "us", "misc"), ("english", "uk", "misc"),
    ("sharma2", "in", "per"),  # not alphabetic: must never be a replacement
    ("rarename", "in", "per"),  # last = least frequent: only reachable with the full vocabulary
]
EXAMPLES = {  # made-up type examples standing in for the CoNLL++ prototypes
    "PER": ["mitchell", "sarah", "tanaka", "sharma", "jones"],
    "LOC": ["chicago", "tokyo", "london", "delhi", "boston"],
    "ORG": ["microsoft", "sony", "infosys", "google"],
    "MISC": ["american", "english"],
    "O": ["the", "and", "is", "my", "name", "live", "works", "met"],
}
INDIAN = {"PER": {"sharma", "priya", "rahul", "gupta", "rahulji", "rarename"}, "LOC": {"delhi", "mumbai", "pune"},
          "ORG": {"infosys", "wipro", "tata"}}


def vector(index: int, country: str | None, kind: str) -> np.ndarray:
    values = np.zeros(DIM, dtype=np.float32)
    if country:
        values[COUNTRY[country]] = 1.0
    values[KIND[kind]] = 1.0
    values[9:] = np.random.default_rng(index).normal(0, 0.12, DIM - 9)
    return values


def write_vectors(path, vocab, transform=lambda word: word):
    rows = [f"{len(vocab)} {DIM}"]
    for index, (word, country, kind) in enumerate(vocab):
        values = vector(index, country, kind)
        if word == "rarename":
            values[9:] = 0.0  # the purest Indian person of all
        rows.append(" ".join([transform(word), *(f"{v:.5f}" for v in values)]))
    path.write_text("\n".join(rows) + "\n", encoding="utf8")
    return path


@pytest.fixture(scope="module")
def vectors(tmp_path_factory):
    folder = tmp_path_factory.mktemp("vectors")
    return load_vectors(write_vectors(folder / "made_up.txt", VOCAB), cache_dir=folder / "cache")


@pytest.fixture(scope="module")
def localizer(vectors):
    return Localizer(vectors, prototypes=EXAMPLES, pools=False)


def test_punctuation_spacing_and_newlines_are_kept_exactly(localizer):
    text = "  My name is Mitchell,\tand I live in Chicago!!\n\n(Mitchell)  -- works at Microsoft.  "
    result = localizer.localize(text, spans(text, ("Mitchell", "PER"), ("Chicago", "LOC"), ("Microsoft", "ORG")))
    assert isinstance(result, Localization) and result.original == text
    assert all(r.changed for r in result.replacements)
    old = outside(text, [(r.start, r.end) for r in result.replacements])
    new = outside(result.text, [(r.new_start, r.new_end) for r in result.replacements])
    assert old == new
    for record in result.replacements:
        assert result.text[record.new_start : record.new_end] == record.replacement
        assert text[record.start : record.end] == record.original
        assert record.replacement.lower() in INDIAN[record.label]


def test_multi_word_entity_is_replaced_as_one_unit(localizer):
    text = "I flew from New York to Boston."
    result = localizer.localize(text, spans(text, ("New York", "LOC"), ("Boston", "LOC")))
    first = result.replacements[0]
    assert (first.original, first.key) == ("New York", "new+york")
    assert first.replacement.lower() in INDIAN["LOC"] and " " not in first.replacement
    assert result.text.startswith("I flew from ") and "New" not in result.text and "York" not in result.text


def test_phrase_vectors_use_the_phrase_key_and_their_own_casing(tmp_path):
    cased = [(w, c, k) for w, c, k in VOCAB if w not in ("york", "delhi")]
    cased += [("new_york", "us", "loc"), ("new_delhi", "in", "loc")]

    def casing(word):  # word2vec-google-news style: cased words, phrases joined by "_"
        special = {"usa": "USA", "ibm": "IBM", "tata": "TATA"}
        return special.get(word, "_".join(part.title() for part in word.split("_")))

    kv = load_vectors(write_vectors(tmp_path / "phrases.txt", cased, casing), cache_dir=tmp_path / "cache")
    localizer = Localizer(kv, prototypes={k: [casing(w) for w in v] for k, v in EXAMPLES.items()}, pools=False)
    assert localizer.vocab.phrases and not localizer.vocab.lowercase
    text = "From New York with IBM."
    result = localizer.localize(text, spans(text, ("New York", "LOC"), ("IBM", "ORG")))
    place, firm = result.replacements
    assert place.key == "New_York"
    assert place.replacement in {"New Delhi", "Mumbai", "Pune"}
    assert firm.replacement in {"Infosys", "Wipro", "TATA"}  # the vectors' own casing (TATA stays TATA)


def test_same_entity_same_replacement_and_different_entities_differ(localizer):
    text = "Mitchell met Sarah. Mitchell left; MITCHELL and mitchell too."
    entities = spans(text, ("Mitchell", "PER"), ("Sarah", "PER"), ("MITCHELL", "PER"), ("mitchell", "PER"))
    result = localizer.localize(text, entities)
    by_text = {}
    for record in result.replacements:
        by_text.setdefault(record.original, set()).add(record.replacement)
    assert len(by_text["Mitchell"]) == 1
    (mitchell,) = by_text["Mitchell"]
    assert by_text["MITCHELL"] == {mitchell.upper()} and by_text["mitchell"] == {mitchell.lower()}
    assert by_text["Sarah"] != by_text["Mitchell"]


def test_casing_follows_the_input(localizer):
    text = "CHICAGO, Chicago, chicago and IBM"
    result = localizer.localize(text, spans(text, ("CHICAGO", "LOC"), ("Chicago", "LOC"), ("chicago", "LOC"), ("IBM", "ORG")))
    upper, title, lower, firm = (r.replacement for r in result.replacements)
    assert upper.isupper() and lower.islower() and title == title.title()
    assert upper.lower() == title.lower() == lower
    assert firm[0].isupper()  # short all-caps input (an acronym) is not forced to upper case


def test_out_of_vocabulary_entity_is_kept_with_a_reason(localizer):
    text = "Zyxwvut lives in Chicago."
    result = localizer.localize(text, spans(text, ("Zyxwvut", "PER"), ("Chicago", "LOC")))
    kept, moved = result.replacements
    assert not kept.changed and kept.replacement == "Zyxwvut" and kept.score is None
    assert "not in the vectors" in kept.reason
    assert moved.changed and result.text == f"Zyxwvut lives in {moved.replacement}."


def test_partly_known_entity_uses_the_known_words_and_says_so(localizer):
    record = localizer.analogue("Sarah Zyxwvut", "PER")
    assert record.changed and record.key == "sarah" and "left out: Zyxwvut" in record.reason


def test_vocabulary_cache_does_not_keep_vectors_alive(tmp_path):
    import gc
    import weakref

    from nerlib.localizer import vocab as module

    kv = load_vectors(write_vectors(tmp_path / "v.txt", VOCAB), cache_dir=tmp_path / "cache", mmap=False)
    Localizer(kv, prototypes=EXAMPLES, pools=False).analogue("Sarah", "PER")
    alive = weakref.ref(kv)
    assert kv in module._VOCABS
    del kv
    gc.collect()
    assert alive() is None


def test_types_not_localized_and_no_passing_candidate_are_kept(vectors):
    localizer = Localizer(vectors, types=("PER", "LOC", "ORG", "MISC"), prototypes=EXAMPLES, pools=False)
    text = "An American from Chicago, English too."
    result = localizer.localize(text, spans(text, ("American", "MISC"), ("Chicago", "LOC"), ("English", "MISC")))
    american = result.replacements[0]
    assert not american.changed and "none of the top" in american.reason  # no Indian MISC word exists
    default = Localizer(vectors, prototypes=EXAMPLES, pools=False)
    misc = default.localize(text, [(3, 11, "MISC")]).replacements[0]
    assert not misc.changed and "not localized" in misc.reason


def test_filters_never_return_the_word_itself_non_words_or_rare_words(vectors):
    localizer = Localizer(vectors, prototypes=EXAMPLES, vocab_limit=len(VOCAB) - 1, pools=False)
    record = localizer.analogue("Rahul", "PER")
    assert record.changed and "rahul" not in record.replacement.lower()  # not rahul, not rahulji
    listed = {word for word, _ in record.neighbours}
    assert listed and not listed & {"rahul", "rahulji", "sharma2", "rarename"}
    for word, _ in localizer.analogue("Mitchell", "PER").neighbours:
        assert word.isalpha()
    # With the full vocabulary the rare word becomes reachable: only the frequency limit kept it out.
    everything = Localizer(vectors, prototypes=EXAMPLES, vocab_limit=len(VOCAB), pools=False)
    assert "rarename" in {word for word, _ in everything.analogue("Mitchell", "PER").neighbours}


def test_type_check_keeps_types(localizer):
    for text, label in [("Microsoft", "ORG"), ("Google", "ORG"), ("Boston", "LOC"), ("Smith", "PER")]:
        record = localizer.analogue(text, label)
        assert record.replacement.lower() in INDIAN[label], (text, record)
        assert all(word in INDIAN[label] for word, _ in record.neighbours)


def test_only_a_country_becomes_a_country(localizer):
    assert "india" in {word for word, _ in localizer.analogue("USA", "LOC").neighbours}
    for place in ("Chicago", "Boston", "New York"):
        assert "india" not in {word for word, _ in localizer.analogue(place, "LOC").neighbours}


def test_custom_source_and_target(vectors):
    localizer = Localizer(vectors, source="Britain", target="Japan", prototypes=EXAMPLES, pools=False)
    text = "Mitchell works at Microsoft in London."
    result = localizer.localize(text, spans(text, ("Mitchell", "PER"), ("Microsoft", "ORG"), ("London", "LOC")))
    assert [r.replacement for r in result.replacements][0] in {"Tanaka", "Sato"}
    assert result.replacements[1].replacement in {"Sony", "Toyota"}
    assert result.replacements[2].replacement in {"Tokyo", "Osaka"}
    assert (result.source, result.target) == ("UK", "Japan")
    custom = Localizer(vectors, anchors={"PER": ("usa", "japan")}, prototypes=EXAMPLES, pools=False)
    assert custom.anchors["PER"] == ("usa", "japan") and custom.anchors["LOC"] == ("america", "india")
    assert custom.analogue("Sarah", "PER").replacement in {"Tanaka", "Sato"}
    with pytest.raises(UnsupportedCountryError, match="'Atlantis'.*supported are USA, UK, India"):
        Localizer(vectors, target="Atlantis", prototypes=EXAMPLES)
    with pytest.raises(KeyError, match="not in the vectors"):
        Localizer(vectors, anchors={"PER": ("usa", "atlantis")}, prototypes=EXAMPLES, pools=False)
    with pytest.raises(ValueError, match="pair"):
        Localizer(vectors, anchors={"PER": "usa"}, prototypes=EXAMPLES, pools=False)


@dataclass
class Entity:  # the shape of nerlib.tagging.tagger.Entity
    text: str
    label: str
    start: int
    end: int
    score: float = 1.0


def test_entity_objects_tuples_and_bad_input(localizer):
    text = "Sarah lives in Chicago."
    objects = localizer.localize(text, [Entity("Sarah", "PER", 0, 5), Entity("Chicago", "LOC", 15, 22)])
    tuples = localizer.localize(text, [(15, 22, "LOC"), (0, 5, "PER")])  # any order
    assert objects.text == tuples.text != text
    with pytest.raises(TypeError, match="start, end, label"):
        localizer.localize(text, [("Sarah", "PER")])
    with pytest.raises(ValueError, match="outside the text"):
        localizer.localize(text, [(15, 99, "LOC")])
    with pytest.raises(ValueError, match="overlaps"):
        localizer.localize(text, [(0, 5, "PER"), (3, 8, "PER")])
    with pytest.raises(TypeError, match="str"):
        localizer.localize(None, [])
    assert localizer.localize(text, []).text == text


def test_records_and_tables(vectors, localizer):
    text = "Mitchell lives in Chicago."
    result = localizer.localize(text, spans(text, ("Mitchell", "PER"), ("Chicago", "LOC")))
    frame = result.to_frame()
    assert list(frame["original"]) == ["Mitchell", "Chicago"] and frame["changed"].all()
    assert json.loads(json.dumps(result.to_dict()))["replacements"][0]["original"] == "Mitchell"
    record = result.replacements[0]
    assert isinstance(record, Replacement) and record.score == record.neighbours[0][1]
    assert [s for _, s in record.neighbours] == sorted((s for _, s in record.neighbours), reverse=True)

    table = neighbours(vectors, "Mitchell", topn=5)
    assert list(table.columns) == ["rank", "word", "score"] and len(table) == 5
    assert "mitchell" not in set(table["word"]) and table["score"].is_monotonic_decreasing
    assert table["word"].iloc[0] in {"sarah", "john", "smith"}  # same country, same kind
    assert neighbours(vectors, "Zyxwvut").empty

    candidates = analogy_candidates(localizer, "Mitchell", "PER", topn=6)
    assert list(candidates.columns) == ["rank", "part", "subtype", "candidate", "score", "analogy", "entity_score",
                                        "hubness", "type_score", "country_score", "predicted_type", "country",
                                        "passes", "reason", "pool"]
    assert candidates["passes"].iloc[0] and candidates["candidate"].iloc[0] == record.replacement.lower()
    failing = candidates[~candidates["passes"]]
    assert (failing["reason"] != "").all()
    assert analogy_candidates(localizer, "Zyxwvut", "PER").empty
