"""A user's overrides of single entities (issue 28, point 9): another type, keep it, or a chosen name,
for every occurrence of the entity, on the real offline GloVe. Each check fails where the override
is ignored: the same text without it is rewritten otherwise."""

from __future__ import annotations

import pytest
from text_spans import spans_in_order as spans

from nerlib.localizer import Localizer
from nerlib.localizer.overrides import CHOSEN_BY_USER, KEPT_BY_USER, Override
from nerlib.localizer.places import state_cities
from nerlib.localizer.vectors import load_vectors


@pytest.fixture(scope="module")
def india():
    return Localizer(load_vectors(), "USA", "India", prototypes=None)


def test_a_type_change_replaces_the_entity_as_that_type(india):
    text = "Jordan scored twice for Chicago."
    entities = spans(text, ("Jordan", "LOC"), ("Chicago", "ORG"))
    plain = india.localize(text, entities).replacements[0]
    assert not plain.changed and "country" in plain.reason  # a mentioned country stays
    fixed = india.localize(text, entities, overrides={"Jordan": Override(label="PER")}).replacements[0]
    assert fixed.label == "PER" and fixed.changed and fixed.subtype.startswith(("given", "surname", "full"))
    assert "India" in fixed.pool


def test_keep_leaves_every_occurrence_as_it_is_and_says_so(india):
    text = "Sarah studied at Harvard. HARVARD won; Sarah cheered."
    entities = spans(text, ("Sarah", "PER"), ("Harvard", "ORG"), ("HARVARD", "ORG"), ("Sarah", "PER"))
    assert india.localize(text, entities).replacements[1].changed
    result = india.localize(text, entities, overrides={"harvard": Override(keep=True)})
    kept = [r for r in result.replacements if r.label == "ORG"]
    assert [r.replacement for r in kept] == ["Harvard", "HARVARD"] and all(r.reason == KEPT_BY_USER for r in kept)
    assert "studied at Harvard. HARVARD won" in result.text and "Sarah" not in result.text


def test_a_chosen_name_is_used_and_a_later_surname_follows_it(india):
    text = "Olivia Parker met Mark Smith. Later Parker left."
    entities = spans(text, ("Olivia Parker", "PER"), ("Mark Smith", "PER"), ("Parker", "PER"))
    result = india.localize(text, entities, overrides={"Olivia Parker": Override(replacement="Meera Nair")})
    first, other, later = result.replacements
    assert first.replacement == "Meera Nair" and CHOSEN_BY_USER in first.reason
    assert later.replacement == "Nair" and other.changed and "Nair" not in other.replacement
    assert india.localize(text, entities).replacements[0].replacement != "Meera Nair"


def test_a_chosen_state_decides_the_city_of_its_pair(india):
    text = "She lives in Austin, Texas."
    entities = spans(text, ("Austin", "LOC"), ("Texas", "LOC"))
    for seed_state in ("Kerala", "Punjab"):
        city, state = india.localize(text, entities, overrides={"Texas": Override(replacement=seed_state)}).replacements
        assert state.replacement == seed_state and city.replacement in state_cities("India", seed_state)


def test_a_chosen_name_replaces_a_place_that_would_stay(india):
    text = "I am going to Paris."
    entities = spans(text, ("Paris", "LOC"))
    assert not india.localize(text, entities).replacements[0].changed  # outside the source: kept
    record = india.localize(text, entities, overrides={"Paris": Override(replacement="Jaipur")}).replacements[0]
    assert record.changed and record.replacement == "Jaipur"


def test_malformed_overrides_are_refused(india):
    with pytest.raises(ValueError, match="not one of PER, LOC, ORG, MISC"):
        india.localize("Sarah", [(0, 5, "PER")], overrides={"Sarah": Override(label="PERSON")})
    with pytest.raises(TypeError, match="must be an Override"):
        india.localize("Sarah", [(0, 5, "PER")], overrides={"Sarah": "keep"})
