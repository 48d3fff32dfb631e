"""Every view is a link (dashboard.session.linked / page_links): a page restores its state from the
query string, writes its whole state back, says what of a link it cannot use, and never carries
another page's parameters. Streamlit AppTest of the real app (dashboard/streamlit_app.py) over the
CoNLL++ files and the tiny trained run; nothing of our own code is mocked. The same in a real
browser, with the Copy link button: tests/test_dashboard_links_browser.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from test_dashboard import APP, TIMEOUT, assert_ok, html_text

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


@pytest.fixture
def served_run(tiny_run, monkeypatch):
    """The tiny trained run, alone in the runs folder the app reads."""
    run = Path(getattr(tiny_run, "path", tiny_run))
    monkeypatch.setenv("NERLIB_RUNS_DIR", str(run.parent))
    return run


def opened(view: str, /, **params: str) -> AppTest:
    """The app opened from a link to page ``view`` (a file in dashboard/views/) with ``params``."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params.update(params)
    if view != "dataset":
        at.switch_page(f"views/{view}.py")
    at.run()
    assert_ok(at)
    return at


def url(at: AppTest) -> dict[str, str]:
    return {name: value[-1] if isinstance(value, list) else value for name, value in at.query_params.items()}


def browse_url(at: AppTest) -> dict[str, str]:
    """The Dataset link without the "A closer look" section's sentence (the first one shown, which
    depends on the data), whose own test is in test_dashboard_actions.py."""
    link = url(at)
    assert link.pop("around") == "2" and link.pop("sentence").isdigit()
    return link


def warnings(at: AppTest) -> str:
    return "\n".join(w.value for w in at.warning)


def page_caption(at: AppTest) -> str:
    return next(c.value for c in at.caption if "· page" in c.value)


def test_a_dataset_link_opens_the_same_view_and_the_page_writes_its_state(conllpp_dir, served_run):
    at = opened("dataset", view="Examples", split="validation", types="LOC", q="germany", per_page="25", page="2")
    assert at.segmented_control(key="dataset_view").value == "Examples"
    assert at.selectbox(key="browse_split").value == "validation"
    assert at.multiselect(key="browse_types").value == ["LOC"]
    assert at.text_input(key="browse_query").value == "germany"
    assert at.selectbox(key="browse_per_page").value == 25
    assert "page 2 of" in page_caption(at)
    assert not at.warning
    assert browse_url(at) == {"view": "Examples", "split": "validation", "types": "LOC", "q": "germany",
                       "per_page": "25", "page": "2"}
    # A change through the controls is written back at once (a new filter starts at page 1).
    at.selectbox(key="browse_split").set_value("test").run()
    at.multiselect(key="browse_types").set_value(["LOC", "ORG"]).run()
    assert url(at)["split"] == "test" and url(at)["types"] == "LOC,ORG" and url(at).get("page", "1") == "1"
    # Back (the browser's previous address) brings the previous view back, not the session's last one.
    at.query_params["types"] = "LOC"
    at.run()
    assert at.multiselect(key="browse_types").value == ["LOC"] and url(at)["types"] == "LOC"


def test_an_unusable_value_is_said_with_what_is_shown_instead(conllpp_dir, served_run):
    at = opened("dataset", view="Examples", split="bogus", types="PER,FOO", per_page="7", page="9999")
    said = warnings(at)
    assert ("The link's `split=bogus` cannot be used: `bogus` is not one of `train`, `validation`, `test`. "
            "Showing `train` instead.") in said
    assert "The link's `types=PER,FOO` cannot be used: `FOO` is not one of `PER`, `ORG`, `LOC`, `MISC`. " \
           "Showing `PER` instead." in said
    assert "The link's `per_page=7` cannot be used: `7` is not one of `10`, `25`, `50`. Showing `10` instead." in said
    pages = int(page_caption(at).split(" of ")[1].split()[0])
    assert f"The link's `page=9999` cannot be used: `9999` is not a whole number from 1 to {pages}. " \
           "Showing `1` instead." in said
    assert at.multiselect(key="browse_types").value == ["PER"]  # the usable part is kept
    assert browse_url(at) == {"view": "Examples", "split": "train", "types": "PER", "q": "", "per_page": "10", "page": "1"}
    at.text_input(key="browse_query").set_value("Germany").run()  # said once, not on every run after
    assert not at.warning


def test_parameters_never_leak_between_pages(conllpp_dir, served_run):
    at = opened("dataset", view="Examples", split="validation", junk="1")
    assert "junk" not in url(at)
    dataset_link = url(at)
    at.switch_page("views/training.py").run()
    assert_ok(at)
    training_link = url(at)
    assert set(training_link) == {"runs", "metric", "x", "split", "a", "b"}, training_link
    assert training_link["runs"] == served_run.name and training_link["split"] == "validation"
    at.segmented_control(key="training_metric").set_value("recall").run()
    at.switch_page("views/dataset.py").run()
    assert_ok(at)
    assert url(at) == dataset_link  # the Dataset view again (kept), without the Training page's metric
    at.switch_page("views/errors.py").run()
    assert_ok(at)
    assert not set(url(at)) & {"view", "lengths", "runs", "metric", "x", "a", "b", "q"}, url(at)


def test_training_link_restores_runs_metric_and_checkpoints(conllpp_dir, served_run):
    name = served_run.name
    at = opened("training", runs=name, metric="precision", x="step", split="test",
                a=f"{name} / epoch-1", b=f"{name} / best")
    assert at.multiselect(key="training_runs").value == [name]
    assert at.segmented_control(key="training_metric").value == "precision"
    assert at.segmented_control(key="training_x").value == "step"
    assert at.selectbox(key="training_split").value == "test"
    assert (at.selectbox(key="compare_a").value, at.selectbox(key="compare_b").value) == (f"{name} / epoch-1", f"{name} / best")
    assert not at.warning or "link" not in warnings(at)


def test_an_unknown_run_says_which_runs_there_are(conllpp_dir, served_run):
    at = opened("training", runs=f"nosuch,{served_run.name}")
    said = warnings(at)
    assert f"no run named `nosuch` in `{served_run.parent.resolve()}` (runs here: `{served_run.name}`)" in said
    assert f"Showing `{served_run.name}` instead" in said
    assert url(at)["runs"] == served_run.name


def test_tagger_link_holds_checkpoint_text_filters_and_a_text_up_to_the_limit(conllpp_dir, served_run):
    from dashboard.session import MAX_URL_TEXT

    name = served_run.name
    at = opened("tagger", checkpoint=f"{name} / epoch-1", text="Angela Merkel visited Paris .",
                min_score="0.25", scores="false", types="PER,LOC")
    assert at.selectbox(key="tagger_run_checkpoint").value == f"{name} / epoch-1"
    assert at.text_area(key="tagger_text").value == "Angela Merkel visited Paris ."
    assert at.slider(key="tagger_min_score").value == 0.25
    assert at.toggle(key="tagger_show_scores").value is False
    assert at.multiselect(key="tagger_types").value == ["PER", "LOC"]
    assert url(at) == {"checkpoint": f"{name} / epoch-1", "text": "Angela Merkel visited Paris .",
                       "types": "PER,LOC", "min_score": "0.25", "scores": "false"}
    long_text = "Paris is in France . " * (MAX_URL_TEXT // 20 + 1)
    at.text_area(key="tagger_text").set_value(long_text).run()
    assert_ok(at)
    assert "text" not in url(at) and "checkpoint" in url(at)
    assert any(f"holds texts up to {MAX_URL_TEXT:,} characters" in c.value for c in at.caption)
    bad = opened("tagger", min_score="1.5")
    assert "The link's `min_score=1.5` cannot be used: `1.5` is not a number from 0 to 1. Showing `0` instead." \
        in warnings(bad)


def test_errors_link_restores_filters_and_page(conllpp_dir, served_run):
    name = served_run.name
    at = opened("errors", checkpoint=f"{name} / best", split="test", kinds="missed", per_page="25",
                normalize="false")
    assert at.segmented_control(key="errors_split").value == "test"
    assert at.multiselect(key="errors_kinds").value == ["missed"]
    assert at.selectbox(key="errors_per_page").value == 25
    assert at.toggle(key="errors_normalize").value is False
    link = url(at)
    assert {"checkpoint": f"{name} / best", "split": "test", "kinds": "missed", "per_page": "25",
            "normalize": "false"}.items() <= link.items()
    assert "Worst sentences" in [h.value for h in at.subheader]
    assert 'class="nerd-cmp"' in html_text(at) or "No sentence has errors" in str([s.value for s in at.success])


LOCALIZER_TEXT = "Angela Merkel visited Paris ."
MARKED = "[Olivia Parker](PER) moved to [Boston](LOC) ."


def test_localizer_link_restores_its_whole_view_and_writes_it_back(conllpp_dir, served_run):
    from dashboard.session import MAX_URL_TEXT

    name = served_run.name
    link = {"vectors": "glove-6b-50d", "from": "West", "to": "Brazil", "seed": "3",
            "mode": "Tagger finds the entities", "checkpoint": f"{name} / epoch-1", "text": LOCALIZER_TEXT}
    at = opened("localizer", **link)
    assert at.text_input(key="localizer_vectors").value == "glove-6b-50d"
    assert at.selectbox(key="localizer_source").value == "West"
    assert at.selectbox(key="localizer_target").value == "Brazil"
    assert at.number_input(key="localizer_seed").value == 3
    assert at.segmented_control(key="localizer_mode").value == "Tagger finds the entities"
    assert at.selectbox(key="localizer_run_checkpoint").value == f"{name} / epoch-1"
    assert at.text_area(key="localizer_text").value == LOCALIZER_TEXT
    assert not at.warning or "link" not in warnings(at)
    assert url(at) == link
    # Entities marked by hand: the marked text replaces the tagger's text and checkpoint in the link.
    at.segmented_control(key="localizer_mode").set_value("Entities marked by hand").run()
    at.text_area(key="localizer_marked").set_value(MARKED).run()
    assert_ok(at)
    assert url(at) == {**{k: v for k, v in link.items() if k not in ("checkpoint", "text")},
                       "mode": "Entities marked by hand", "marked": MARKED}
    at.selectbox(key="localizer_target").set_value("Japan").run()
    assert url(at)["to"] == "Japan" and at.code[0].value != MARKED
    long_text = MARKED * (MAX_URL_TEXT // len(MARKED) + 1)
    at.text_area(key="localizer_marked").set_value(long_text).run()
    assert_ok(at)
    assert "marked" not in url(at) and url(at)["to"] == "Japan"
    assert any(f"holds texts up to {MAX_URL_TEXT:,} characters" in c.value for c in at.caption)
    # The hand-marked view, opened from its link, is the same view.
    again = opened("localizer", **{"from": "West", "to": "Japan", "seed": "3", "mode": "Entities marked by hand",
                                   "marked": MARKED})
    assert again.text_area(key="localizer_marked").value == MARKED
    assert again.selectbox(key="localizer_target").value == "Japan"
    assert table_originals(again) == ["Olivia Parker", "Boston"]


def table_originals(at: AppTest) -> list[str]:
    frame = next(f.value for f in at.dataframe if "original" in f.value.columns)
    return frame["original"].tolist()


def test_localizer_says_what_of_a_link_it_cannot_use(conllpp_dir, served_run):
    at = opened("localizer", to="Atlantis", seed="-1", mode="bogus", vectors="/etc/passwd",
                checkpoint="nosuch / best", **{"from": "Mars"})
    said = warnings(at)
    assert "The link's `to=Atlantis` cannot be used: `Atlantis` is not one of `USA`, `UK`" in said
    assert "Showing `India` instead." in said
    assert "The link's `from=Mars` cannot be used: `Mars` is not one of" in said
    assert "The link's `seed=-1` cannot be used: `-1` is not a whole number from 0 to 1000000. Showing `0` instead." \
        in said
    assert "The link's `mode=bogus` cannot be used: `bogus` is not one of `Tagger finds the entities`, " \
           "`Entities marked by hand`." in said
    assert "The link's `vectors=/etc/passwd` cannot be used: `/etc/passwd`: this path is not inside the folders" in said
    assert "Showing `glove-6b-50d` instead." in said
    assert f"no run named `nosuch` in `{served_run.parent.resolve()}`" in said
    assert at.selectbox(key="localizer_target").value == "India"
    assert url(at)["to"] == "India" and url(at)["seed"] == "0" and url(at)["vectors"] == "glove-6b-50d"
    at.number_input(key="localizer_seed").set_value(2).run()  # said once, not on every run after
    assert not at.warning


def test_localizer_parameters_do_not_leak_into_other_pages(conllpp_dir, served_run):
    at = opened("localizer", mode="Entities marked by hand", marked=MARKED, to="Japan", seed="2")
    localizer_link = url(at)
    assert localizer_link["marked"] == MARKED and localizer_link["to"] == "Japan"
    at.switch_page("views/tagger.py").run()
    assert_ok(at)
    assert not set(url(at)) & {"from", "to", "seed", "mode", "vectors", "marked"}, url(at)
    at.switch_page("views/localizer.py").run()
    assert_ok(at)
    assert url(at) == localizer_link  # the Localizer's view again (kept), without the Tagger's parameters
