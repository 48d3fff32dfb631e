"""States map by size (issue 28, point 2): a large state becomes a large state of the target, a small
one a small one, a territory a territory (``data/state_sizes.tsv``, national censuses), on the real
offline GloVe, across seeds and target countries."""

from __future__ import annotations

import pytest

from nerlib.localizer import Localizer
from nerlib.localizer.states import size_of, territories
from nerlib.localizer.vectors import load_vectors

TARGETS = ["India", "Brazil", "Germany", "Japan"]
SEEDS = [0, 1, 2, 3]


@pytest.fixture(scope="module")
def glove():
    return load_vectors()


@pytest.fixture(scope="module")
def localizers(glove):
    return {(target, seed): Localizer(glove, "USA", target, seed=seed, prototypes=None)
            for target in TARGETS for seed in SEEDS}


def place_of(localizer: Localizer, state: str) -> float:
    record = localizer.analogue(state, "LOC")
    assert record.changed and record.subtype == "state", record
    size = size_of(localizer.target_country.key, record.replacement)
    assert size is not None and size.kind == "state", (state, record.replacement)  # a state, never a territory
    return size.fraction


@pytest.mark.parametrize("target", TARGETS)
def test_large_states_become_large_states_and_small_ones_small(localizers, target):
    for seed in SEEDS:
        localizer = localizers[(target, seed)]
        for state in ("Texas", "California"):  # the two largest US states
            assert place_of(localizer, state) <= 0.25, (target, seed, state)
        for state in ("Vermont", "Wyoming"):  # the two smallest
            assert place_of(localizer, state) >= 0.7, (target, seed, state)


def test_a_state_in_a_city_state_pair_keeps_its_size(localizers):
    for seed in SEEDS:
        localizer = localizers[("India", seed)]
        text = "She moved to Houston, Texas, then to Burlington, Vermont."
        spans = [(text.index(w), text.index(w) + len(w), "LOC") for w in ("Houston", "Texas", "Burlington", "Vermont")]
        records = {r.original: r.replacement for r in localizer.localize(text, spans).replacements}
        assert size_of("india", records["Texas"]).fraction <= 0.25
        assert size_of("india", records["Vermont"]).fraction >= 0.7


def test_a_federal_district_becomes_a_territory(localizers):
    assert localizers[("India", 0)].analogue("District of Columbia", "LOC").replacement in territories("india")
    assert localizers[("Brazil", 0)].analogue("District of Columbia", "LOC").replacement == "Distrito Federal"


def test_the_table_ranks_by_population_and_names_its_sources():
    assert size_of("usa", "California").fraction == 0.0 and size_of("india", "Uttar Pradesh").fraction == 0.0
    assert size_of("usa", "wyoming").fraction == 0.98 and size_of("india", "Delhi").kind == "territory"
    from nerlib.localizer.states import _TABLE

    rows = [line.split("\t") for line in _TABLE.read_text(encoding="utf8").splitlines() if not line.startswith("#")]
    assert all(len(row) == 5 and row[4].strip() for row in rows)
