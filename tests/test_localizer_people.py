"""People from outside the source (issue 28): a person the text marks as from a country outside the
source stays, with the reason; its surname alone later stays too; a mark inside the source, or no
mark, changes nothing. Real offline GloVe."""

from __future__ import annotations

import pytest
from text_spans import spans_in_order as spans

from nerlib.localizer import Localizer
from nerlib.localizer.overrides import Override
from nerlib.localizer.vectors import load_vectors

pytestmark = pytest.mark.slow  # two localizers on the offline GloVe


@pytest.fixture(scope="module")
def glove():
    return load_vectors()


@pytest.fixture(scope="module")
def india(glove):
    return Localizer(glove, "USA", "India", prototypes=None)


CHIRAC = "French President Jacques Chirac met Bill Smith. Later Chirac said Smith agreed."
CHIRAC_SPANS = (("French", "MISC"), ("Jacques Chirac", "PER"), ("Bill Smith", "PER"), ("Chirac", "PER"),
                ("Smith", "PER"))


def test_a_person_marked_as_from_a_country_outside_the_source_stays_and_says_why(india):
    result = india.localize(CHIRAC, spans(CHIRAC, *CHIRAC_SPANS))
    french, chirac, smith, chirac_again, smith_again = result.replacements
    assert not chirac.changed and "a person from France, outside the source (USA)" in chirac.reason
    assert "'French' before the name" in chirac.reason
    assert not chirac_again.changed and "France" in chirac_again.reason  # the surname alone later stays
    assert smith.changed and smith_again.changed and "Smith" not in result.text  # unmarked people are localized
    assert not french.changed


@pytest.mark.parametrize(("text", "entities", "country"), [
    ("Michael Stich ( Germany ) beat Pete Sampras ( U.S. ) .",
     (("Michael Stich", "PER"), ("Germany", "LOC"), ("Pete Sampras", "PER"), ("U.S.", "LOC")), "Germany"),
    ("Pakistan 's Wasim Akram took five wickets for Mark Taylor .",
     (("Pakistan", "LOC"), ("Wasim Akram", "PER"), ("Mark Taylor", "PER")), "Pakistan"),
    ("Boris Yeltsin of Russia called Sarah Miller .",
     (("Boris Yeltsin", "PER"), ("Russia", "LOC"), ("Sarah Miller", "PER")), "Russia"),
    ("Kenyan runner Paul Tergat beat Mark Taylor .",
     (("Kenyan", "MISC"), ("Paul Tergat", "PER"), ("Mark Taylor", "PER")), "Kenya"),
])
def test_marks_before_after_and_in_parentheses(india, text, entities, country):
    records = [r for r in india.localize(text, spans(text, *entities)).replacements if r.label == "PER"]
    assert not records[0].changed and f"a person from {country}" in records[0].reason
    assert records[1].changed  # the other person is in the source (or unmarked): localized


def test_a_mark_inside_the_source_or_no_mark_changes_nothing(glove, india):
    west = Localizer(glove, "West", "India", prototypes=None)
    chirac = west.localize(CHIRAC, spans(CHIRAC, *CHIRAC_SPANS)).replacements[1]
    assert chirac.changed  # France is inside the West
    text = "President Jacques Chirac met Bill Smith."
    assert india.localize(text, spans(text, ("Jacques Chirac", "PER"), ("Bill Smith", "PER"))).replacements[0].changed


def test_the_users_choice_wins_over_the_rule(india):
    result = india.localize(CHIRAC, spans(CHIRAC, *CHIRAC_SPANS),
                            overrides={"Jacques Chirac": Override(replacement="Arun Mehta")})
    assert result.replacements[1].replacement == "Arun Mehta" and result.replacements[3].replacement == "Mehta"
