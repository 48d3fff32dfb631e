"""Localizer page (issue 28, point 9): click an entity to change its type, keep it, or take a name from
its neighbour table before rewriting; re-roll with a seed; the view (text, countries, mode, seed)
in the URL. Streamlit AppTest on the real app and the offline GloVe; each check fails where the
page ignores the user's fix (the same text without it is rewritten otherwise).
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.test_dashboard import APP, TIMEOUT, assert_ok, open_page, table

pytestmark = [pytest.mark.timeout(900), pytest.mark.slow]  # four app runs on the offline GloVe

TEXT = "[Jordan](LOC) joined [Harvard](ORG) in [Austin](LOC), [Texas](LOC); [HARVARD](ORG) was glad."


def row(at: AppTest, original: str) -> dict:
    frame = table(at, "original")
    return frame[frame["original"] == original].iloc[0].to_dict()


@pytest.fixture
def page(conllpp_dir, empty_runs):
    at = open_page("localizer")
    at.text_area(key="localizer_marked").set_value(TEXT).run()
    assert_ok(at)
    return at


def test_clicking_an_entity_and_changing_its_type_replaces_it_as_that_type(page):
    assert not row(page, "Jordan")["changed"]  # a mentioned country stays
    assert page.pills(key="localizer_span").options[0] == "Jordan (LOC)"
    page.pills(key="localizer_span").set_value("Jordan").run()
    page.selectbox(key="localizer_fix_type:Jordan").set_value("PER").run()
    assert_ok(page)
    jordan = row(page, "Jordan")
    assert jordan["label"] == "PER" and jordan["changed"] and "India" in jordan["pool"]
    assert not page.code[0].value.startswith("Jordan ")


def test_keeping_an_entity_keeps_every_occurrence_and_says_so(page):
    assert row(page, "Harvard")["changed"]
    page.pills(key="localizer_span").set_value("Harvard").run()
    page.toggle(key="localizer_fix_keep:Harvard").set_value(True).run()
    assert_ok(page)
    rewritten = page.code[0].value
    assert " joined Harvard in " in rewritten
    assert row(page, "Harvard")["reason"] == "kept: by you (keep it as it is)"
    assert any("of them by you" in caption.value for caption in page.caption)
    page.pills(key="localizer_span").set_value("Austin").run()  # the fix stays when another entity is picked
    assert " joined Harvard in " in page.code[0].value


def test_a_name_picked_from_the_neighbour_table_is_used_and_shown_as_chosen(page):
    from nerlib.localizer.places import state_cities

    before = row(page, "Texas")["replacement"]
    page.pills(key="localizer_span").set_value("Texas").run()
    pick = page.selectbox(key="localizer_fix_pick:Texas")
    options = [option for option in pick.options if option != "(the localizer's choice)"]
    assert len(options) >= 3 and before not in options
    pick.set_value(options[1]).run()
    assert_ok(page)
    texas, austin = row(page, "Texas"), row(page, "Austin")
    assert texas["replacement"] == options[1] and "chosen by you" in texas["reason"]
    assert austin["replacement"] in state_cities("India", options[1])  # the pair follows the chosen state
    assert f", {options[1]};" in page.code[0].value
    assert any(f"Chosen by you: {options[1]}" in box.value for box in page.success)
    page.button(key="localizer_fix_undo").click().run()  # back to the localizer's choice
    assert row(page, "Texas")["replacement"] == before


def test_re_roll_and_the_view_live_in_the_url(conllpp_dir, empty_runs):
    at = open_page("localizer")
    at.text_area(key="localizer_marked").set_value(TEXT).run()
    param = lambda name: (lambda v: v[0] if isinstance(v, list) else v)(at.query_params[name])  # noqa: E731
    first = at.code[0].value
    at.button(key="localizer_reroll").click().run()
    assert_ok(at)
    assert param("seed") == "1" and at.code[0].value != first
    assert param("marked") == TEXT and param("mode") == "Entities marked by hand" and param("to") == "India"

    linked = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    linked.query_params.update({"from": "West", "to": "Brazil", "seed": "1", "marked": TEXT,
                                "mode": "Entities marked by hand"})
    linked.switch_page("views/localizer.py").run()  # a link opens its own page
    assert_ok(linked)
    assert linked.selectbox(key="localizer_source").value == "West"
    assert linked.selectbox(key="localizer_target").value == "Brazil"
    assert linked.number_input(key="localizer_seed").value == 1
    assert table(linked, "original")["original"].tolist() == ["Jordan", "Harvard", "Austin", "Texas", "HARVARD"]
