"""Streamlit AppTest of every dashboard page: renders, key widgets/charts, interactions, empty state.

The app runs for real (``dashboard/streamlit_app.py`` with ``st.navigation``); data come from
``$NERLIB_DATA_DIR``, runs from the ``tiny_run`` fixture (a real tiny trained run) or an empty
folder. Nothing of our own code is mocked.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

REPO = Path(__file__).resolve().parent.parent
APP = REPO / "dashboard" / "streamlit_app.py"
TIMEOUT = 300  # a cold page (model load, evaluation) on 2 shared cores

pytestmark = pytest.mark.timeout(900)


def open_page(page: str) -> AppTest:
    """Run the app, switch to ``page`` (a file in dashboard/views/), and check it raised nothing."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.run()
    if page != "dataset":
        at.switch_page(f"views/{page}.py").run()
    assert_ok(at)
    return at


def assert_ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def plotly_charts(at: AppTest) -> list:
    return at.get("plotly_chart")


def table(at: AppTest, column: str):
    """The first table on the page that has ``column`` (read-only tables carry no widget key)."""
    for element in at.dataframe:
        if column in element.value.columns:
            return element.value
    raise AssertionError(f"no table with column {column!r}; tables: {[list(d.value.columns) for d in at.dataframe]}")


def html_text(at: AppTest) -> str:
    return "\n".join(element.value for element in at.html)


def visible_text(markup: str) -> str:
    """The text a browser would show for ``markup`` (tags dropped, entities decoded, chips removed)."""
    import html
    import re

    markup = re.sub(r"<style>.*?</style>", "", markup, flags=re.S)
    markup = re.sub(r'<span class="(lbl|score)">.*?</span>', "", markup)
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


@pytest.fixture
def with_tiny_run(tiny_run, monkeypatch):
    """Point the app at the folder holding the tiny trained run."""
    run_dir = Path(getattr(tiny_run, "path", tiny_run))
    monkeypatch.setenv("NERLIB_RUNS_DIR", str(run_dir.parent))
    return run_dir


# --------------------------------------------------------------------------- dataset


def test_dataset_page_shows_statistics_and_examples(conllpp_dir, empty_runs):
    at = open_page("dataset")
    assert [m.label for m in at.metric] == ["train", "validation", "test"]
    assert len(plotly_charts(at)) >= 4  # entity counts, sentence lengths, entity lengths, unseen
    assert any("never occur with the same type in train" in c.value for c in at.caption)
    top = table(at, "PER")
    assert list(top.columns) == ["PER", "ORG", "LOC", "MISC"] and len(top) == 15
    at.segmented_control(key="dataset_view").set_value("Examples").run()
    assert_ok(at)
    assert not plotly_charts(at)  # only the shown view is drawn
    page = html_text(at)
    assert 'class="nerd-legend"' in page and "<mark" in page
    assert at.selectbox(key="browse_split").options == ["train", "validation", "test"]


def test_dataset_search_and_type_filter_change_the_examples(conllpp_dir, empty_runs):
    at = open_page("dataset")
    at.segmented_control(key="dataset_view").set_value("Examples").run()
    before = html_text(at)
    at.text_input(key="browse_query").set_value("Germany").run()
    assert_ok(at)
    after = html_text(at)
    assert after != before and "Germany" in after
    count_caption = next(c.value for c in at.caption if "sentences · page" in c.value)
    assert int(count_caption.split()[0].replace(",", "")) > 0

    at.text_input(key="browse_query").set_value("").run()
    at.multiselect(key="browse_types").set_value(["MISC"]).run()
    assert_ok(at)
    results = html_text(at).split('<div class="nerd-document">')[0]  # not the document around a sentence
    blocks = results.split('<div class="nerd">')[1:]
    assert blocks and all('data-label="MISC"' in block for block in blocks)

    at.text_input(key="browse_query").set_value("zzqqxx-no-such-text").run()
    assert any("No sentence matches" in w.value for w in at.warning)


def test_dataset_upload_reads_a_file_and_reports_a_malformed_one(conllpp_dir, empty_runs):
    at = open_page("dataset")
    at.segmented_control(key="dataset_source").set_value("Upload a CoNLL file").run()
    assert_ok(at)
    good = "Ada NNP B-NP B-PER\nLovelace NNP I-NP I-PER\nvisited VBD B-VP O\nTurin NNP B-NP B-LOC\n. . O O\n\n"
    at.get("file_uploader")[0].set_value(("mine_train.txt", good.encode(), "text/plain"))
    at.run()
    assert_ok(at)
    assert [m.label for m in at.metric] == ["train"]
    at.segmented_control(key="dataset_view").set_value("Examples").run()
    assert "Lovelace" in html_text(at)

    bad = "Ada B-PER\nLovelace\n"  # second line lacks the tag column
    at.get("file_uploader")[0].set_value(("broken.txt", bad.encode(), "text/plain"))
    at.run()
    assert_ok(at)
    (error,) = at.error
    assert "broken.txt" in error.value and "line 2" in error.value


def test_user_text_in_examples_is_escaped(conllpp_dir, empty_runs):
    at = open_page("dataset")
    at.segmented_control(key="dataset_source").set_value("Upload a CoNLL file").run()
    evil = "<script>alert(1)</script> B-ORG\nsaid O\n\n"
    at.get("file_uploader")[0].set_value(("evil.txt", evil.encode(), "text/plain"))
    at.run()
    at.segmented_control(key="dataset_view").set_value("Examples").run()
    assert_ok(at)
    page = html_text(at)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# --------------------------------------------------------------------------- training


def test_training_page_empty_state_says_how_to_start(conllpp_dir, empty_runs):
    at = open_page("training")
    assert any("No training runs" in i.value for i in at.info)
    assert any("training.train" in c.value for c in at.code)
    assert any("quick CPU run" in b.label for b in at.button)


def test_training_page_with_a_run(conllpp_dir, with_tiny_run):
    at = open_page("training")
    runs = at.multiselect(key="training_runs")
    assert with_tiny_run.name in runs.options and runs.value == [with_tiny_run.name]
    assert len(plotly_charts(at)) >= 2  # per-entity curves, loss (and learning rate)
    overview = table(at, "best val F1")
    assert overview["run"].tolist() == [with_tiny_run.name]
    assert not table(at, "checkpoint").empty
    before = plotly_charts(at)[0].proto.spec
    at.segmented_control(key="training_metric").set_value("precision").run()
    assert_ok(at)
    assert plotly_charts(at)[0].proto.spec != before
    at.multiselect(key="training_runs").set_value([]).run()
    assert any("Pick at least one run" in w.value for w in at.warning)


def test_training_page_compares_two_runs(conllpp_dir, tiny_run, tmp_path, monkeypatch):
    import shutil

    runs = tmp_path / "runs"
    shutil.copytree(tiny_run, runs / "tiny-a")
    shutil.copytree(tiny_run, runs / "tiny-b")
    monkeypatch.setenv("NERLIB_RUNS_DIR", str(runs))
    at = open_page("training")
    assert sorted(at.multiselect(key="training_runs").options) == ["tiny-a", "tiny-b"]
    single = plotly_charts(at)[0].proto.spec
    at.multiselect(key="training_runs").set_value(["tiny-a", "tiny-b"]).run()
    assert_ok(at)
    assert sorted(table(at, "best val F1")["run"]) == ["tiny-a", "tiny-b"]
    compared = plotly_charts(at)[0].proto.spec
    assert compared != single and '"tiny-b"' in compared  # one line per run, faceted by type
    checkpoints = table(at, "checkpoint")["checkpoint"].tolist()
    assert any(c.startswith("tiny-a /") for c in checkpoints) and any(c.startswith("tiny-b /") for c in checkpoints)
    at.selectbox(key="compare_a").set_value("tiny-a / best").run()
    at.selectbox(key="compare_b").set_value("tiny-b / best").run()
    assert_ok(at)
    delta = table(at, "Δ (B - A)")
    assert (delta["Δ (B - A)"].abs() < 1e-12).all()  # the same run copied: no difference


def test_quick_run_command_is_accepted_by_the_training_script():
    """The button's command must stay in step with training.train's options."""
    from dashboard.quickrun import QUICK_ARGS, QUICK_COMMAND_TEXT
    from training.options import build_parser

    args = build_parser().parse_args([*QUICK_ARGS, "--output-dir", "runs/quick"])
    assert args.cpu and args.epochs == 1
    assert QUICK_COMMAND_TEXT.startswith("python -m training.train ")


# --------------------------------------------------------------------------- tagger


def test_tagger_page_empty_state_offers_a_quick_run(conllpp_dir, empty_runs):
    at = open_page("tagger")
    assert any("No trained checkpoint" in i.value for i in at.info)
    assert any("training.train" in c.value for c in at.code)
    assert any("quick CPU run" in b.label for b in at.button)


def test_tagger_page_tags_typed_text(conllpp_dir, with_tiny_run):
    at = open_page("tagger")
    choice = at.selectbox(key="tagger_run_checkpoint")
    assert choice.value.startswith(f"{with_tiny_run.name} / best")
    assert table(at, "entity") is not None

    at.text_area(key="tagger_text").set_value("Peter Okafor met officials of the African Union in Brussels .").run()
    assert_ok(at)
    page = html_text(at)
    assert "Okafor" in page and "Brussels" in page
    words = table(at, "word")
    assert words["word"].tolist()[:2] == ["Peter", "Okafor"]

    at.text_area(key="tagger_text").set_value("<script>alert('x')</script> in London").run()
    assert_ok(at)
    page = html_text(at)
    assert "<script" not in page.lower()
    assert "<script>alert('x')</script> in London" in visible_text(page)  # shown as text, whatever is marked

    at.slider(key="tagger_min_score").set_value(1.0).run()
    assert_ok(at)
    shown = table(at, "entity")
    assert (shown["confidence"] >= 1.0).all()


def test_tagger_page_reports_an_unusable_folder(conllpp_dir, with_tiny_run, tmp_path, monkeypatch):
    monkeypatch.setenv("NERLIB_FILE_ROOTS", str(tmp_path))  # visitors may only name folders in here
    at = open_page("tagger")
    at.segmented_control(key="tagger_kind").set_value("Local folder").run()
    at.text_input(key="tagger_folder").set_value(str(tmp_path)).run()
    assert_ok(at)
    assert at.error and str(tmp_path) in at.error[0].value


# --------------------------------------------------------------------------- localizer


def test_localizer_page_rewrites_marked_entities(conllpp_dir, empty_runs):
    at = open_page("localizer")
    assert at.segmented_control(key="localizer_mode").value == "Entities marked by hand"
    at.text_area(key="localizer_marked").set_value(
        "I met [Olivia Parker](PER) in [Chicago](LOC) <b>today</b>; Ms. [Parker](PER) works at [Goldman Sachs](ORG).").run()
    assert_ok(at)
    rewritten = at.code[0].value
    assert rewritten.startswith("I met ") and " <b>today</b>; Ms. " in rewritten and " works at " in rewritten
    assert "Chicago" not in rewritten and "Parker" not in rewritten
    page = html_text(at)
    assert "\u2192" in page and "<b>today" not in page
    replaced = table(at, "original")
    assert replaced["original"].tolist() == ["Olivia Parker", "Chicago", "Parker", "Goldman Sachs"]
    assert replaced["changed"].all()
    assert replaced["subtype"].tolist() == ["full-name", "city", "surname", "company-bank"]
    assert replaced["pool"].str.startswith("India").all()
    assert len(at.expander) >= 4  # anchors + one neighbour table per distinct entity

    assert at.selectbox(key="localizer_target").options[:6] == ["USA", "UK", "India", "Japan", "Brazil", "Germany"]
    at.selectbox(key="localizer_target").set_value("Japan").run()
    assert_ok(at)
    assert at.code[0].value != rewritten
    assert table(at, "original")["pool"].str.startswith("Japan").all()


def test_localizer_page_names_a_malformed_pool_file_and_still_rewrites(conllpp_dir, empty_runs, tmp_path,
                                                                         monkeypatch):
    folder = tmp_path / "pools"
    folder.mkdir()
    (folder / "brazil.news.txt").write_text("Correio Braziliense\n***\n", encoding="utf8")
    monkeypatch.setenv("NERLIB_LOCALIZER_POOLS", str(folder))
    at = open_page("localizer")
    at.selectbox(key="localizer_source").set_value("UK").run()  # a pair no other test builds (cached)
    at.selectbox(key="localizer_target").set_value("Brazil").run()
    at.text_area(key="localizer_marked").set_value("[Charlotte](PER) reads the [BBC](ORG).").run()
    assert_ok(at)
    assert at.warning and "brazil.news.txt, line 2" in at.warning[0].value.replace("\\", "")  # Markdown-escaped
    assert table(at, "original")["changed"].all()


def test_localizer_page_uses_the_tagger_when_a_run_exists(conllpp_dir, with_tiny_run):
    at = open_page("localizer")
    assert at.segmented_control(key="localizer_mode").value == "Tagger finds the entities"
    at.text_area(key="localizer_text").set_value("Mitchell lives in Chicago .").run()
    assert_ok(at)
    assert at.code and table(at, "original") is not None


# --------------------------------------------------------------------------- errors


def test_errors_page_empty_state(conllpp_dir, empty_runs):
    at = open_page("errors")
    assert any("No trained checkpoint" in i.value for i in at.info)


@pytest.mark.slow
def test_errors_page_shows_confusion_kinds_and_worst_sentences(conllpp_dir, with_tiny_run):
    at = open_page("errors")
    assert len(plotly_charts(at)) == 2  # confusion heatmap, error kinds
    assert [m.label for m in at.metric][:3] == ["validation F1", "Precision", "Recall"]
    page = html_text(at)
    assert 'class="nerd-cmp"' in page and "gold" in page
    before = page

    at.multiselect(key="errors_kinds").set_value(["missed"]).run()
    assert_ok(at)
    errors = table(at, "kind")
    assert set(errors["kind"]) <= {"missed"}
    assert html_text(at) != before
    at.switch_page("views/training.py").run()
    at.switch_page("views/errors.py").run()
    assert at.multiselect(key="errors_kinds").value == ["missed"]  # kept across the page switch

    at.segmented_control(key="errors_split").set_value("test").run()
    assert_ok(at)
    assert any("test scores on all" in c.value or "test scores on the first" in c.value for c in at.caption)


@pytest.mark.slow
def test_quick_run_button_starts_training_with_live_progress(conllpp_dir, empty_runs):
    """The newcomer path: the button starts `python -m training.train` and the page follows it."""
    import time

    from dashboard import quickrun

    at = open_page("training")
    button = next(b for b in at.button if b.key == "start_quick_run_training")
    button.click().run()
    try:
        assert_ok(at)
        assert quickrun.running()
        run_dir = quickrun._launcher()["run_dir"]
        assert run_dir.parent == empty_runs.resolve()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (run_dir / "progress.json").exists():
            time.sleep(1)
        at.run()
        assert_ok(at)
        assert any(run_dir.name in p.proto.text for p in at.get("progress"))
        next(b for b in at.button if b.key == "quick_run_stop").click().run()
        assert_ok(at)
        assert not quickrun.running()
        assert any("stopped" in w.value for w in at.warning)
    finally:
        quickrun.stop()


# --------------------------------------------------------------------------- state across pages and links


def test_typed_text_and_choices_survive_visits_to_other_pages(conllpp_dir, with_tiny_run):
    at = open_page("tagger")
    typed = "Peter Okafor met officials of the African Union in Brussels ."
    at.text_area(key="tagger_text").set_value(typed).run()
    at.slider(key="tagger_min_score").set_value(0.3).run()
    at.switch_page("views/dataset.py").run()
    assert_ok(at)
    at.switch_page("views/localizer.py").run()
    assert_ok(at)
    at.selectbox(key="localizer_target").set_value("Japan").run()
    at.switch_page("views/tagger.py").run()
    assert_ok(at)
    assert at.text_area(key="tagger_text").value == typed
    assert at.slider(key="tagger_min_score").value == 0.3
    assert "Okafor" in visible_text(html_text(at))
    at.switch_page("views/localizer.py").run()
    assert at.selectbox(key="localizer_target").value == "Japan"


def test_query_params_open_the_shared_view(conllpp_dir, with_tiny_run):
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params["checkpoint"] = f"{with_tiny_run.name} / epoch-1"
    at.query_params["text"] = "Angela Merkel visited Paris ."
    at.switch_page("views/tagger.py").run()  # a link opens its own page (another page would drop its parameters)
    assert_ok(at)
    assert at.selectbox(key="tagger_run_checkpoint").value == f"{with_tiny_run.name} / epoch-1"
    assert at.text_area(key="tagger_text").value == "Angela Merkel visited Paris ."
    assert "Merkel" in visible_text(html_text(at))
    # the page writes its view back, so the address bar holds a link to it
    at.text_area(key="tagger_text").set_value("Rahul Mehta joined Infosys .").run()
    assert at.query_params["text"] in ("Rahul Mehta joined Infosys .", ["Rahul Mehta joined Infosys ."])


def test_query_params_choose_checkpoint_and_split_on_the_errors_page(conllpp_dir, with_tiny_run):
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params["checkpoint"] = f"{with_tiny_run.name} / best"
    at.query_params["split"] = "test"
    at.switch_page("views/errors.py").run()
    assert_ok(at)
    assert at.selectbox(key="errors_run_checkpoint").value.startswith(f"{with_tiny_run.name} / best")
    assert at.segmented_control(key="errors_split").value == "test"


def test_tagger_type_filter_hides_the_other_types(conllpp_dir, with_tiny_run):
    import re

    at = open_page("tagger")
    at.text_area(key="tagger_text").set_value(
        "Peter Okafor of Siemens flew from Munich to Boston to meet the World Health Organization . "
        "Angela Merkel and Rahul Mehta of Infosys watched the Chicago Bulls in Germany .").run()
    marks = lambda: re.findall(r'<mark class="ent[^"]*"[^>]*data-label="([^"]+)"', html_text(at))  # noqa: E731
    before = marks()
    assert len(set(before)) >= 2, before  # the tiny model finds at least two types here
    kept = before[0]
    at.multiselect(key="tagger_types").set_value([kept]).run()
    assert_ok(at)
    after = marks()
    assert after == [label for label in before if label == kept]
    assert set(table(at, "entity")["type"]) == {kept}
    assert any(f"{len(before) - len(after)} hidden" in c.value for c in at.caption)
    at.multiselect(key="tagger_types").set_value([]).run()
    assert marks() == []


def test_dashboard_modules_import_without_a_cycle():
    """loaders and quickrun import only nerlib; widgets imports them; nothing imports back."""
    import ast

    graph = {}
    for path in (REPO / "dashboard").glob("*.py"):
        imported = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "dashboard":
                imported |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("dashboard."):
                imported.add(node.module.split(".")[1])
        graph[path.stem] = imported
    assert graph["loaders"] == set() and graph["quickrun"] == set() and graph["session"] == set()

    def reaches(node, target, seen=frozenset()):
        return any(dep == target or (dep not in seen and reaches(dep, target, seen | {dep}))
                   for dep in graph.get(node, ()))

    assert not [name for name in graph if reaches(name, name)]


def test_served_config_is_local_and_hides_tracebacks():
    """Streamlit reads .streamlit/config.toml from the project root: local address, short errors."""
    import tomllib

    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "127.0.0.1"
    assert config["client"]["showErrorDetails"] in ("type", "none")  # never "full"/"stacktrace"


def test_localizer_page_sample_is_coherent_and_seed_and_view_live_in_the_url(conllpp_dir, empty_runs):
    from nerlib.localizer.places import state_cities

    at = open_page("localizer")
    assert_ok(at)
    first = table(at, "original")
    rows = dict(zip(first["original"], first["replacement"]))
    assert rows["Associated Press"] == "Press Trust of India" and rows["Super Bowl"] == "IPL final"
    assert rows["Eugene"] in state_cities("India", rows["Oregon"])  # the sample's pair stays coherent
    param = lambda name: (lambda v: v[0] if isinstance(v, list) else v)(at.query_params[name])  # noqa: E731
    assert param("seed") == "0" and param("to") == "India" and param("from") == "USA"
    assert "[Eugene](LOC)" in param("marked")
    rewritten = at.code[0].value
    at.button(key="localizer_reroll").click().run()
    assert_ok(at)
    assert at.number_input(key="localizer_seed").value == 1 and param("seed") == "1"
    assert at.code[0].value != rewritten

    linked = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    linked.query_params.update({"to": "Japan", "seed": "4", "marked": "[Sarah](PER) moved to [Austin](LOC), [Texas](LOC)."})
    linked.switch_page("views/localizer.py").run()
    assert_ok(linked)
    assert linked.selectbox(key="localizer_target").value == "Japan"
    assert linked.number_input(key="localizer_seed").value == 4
    assert table(linked, "original")["original"].tolist() == ["Sarah", "Austin", "Texas"]


def test_localizer_page_draws_a_runs_entity_switched_robustness(conllpp_dir, with_tiny_run):
    import json

    from nerlib.localizer.tables import ROBUSTNESS_FILE

    table = {"original": {"PER": 0.44, "LOC": 0.61, "ORG": 0.26, "MISC": 0.27, "ALL": 0.45, "sentences": 400},
             "India": {"PER": 0.42, "LOC": 0.61, "ORG": 0.05, "MISC": 0.26, "ALL": 0.41}}
    path = with_tiny_run / ROBUSTNESS_FILE
    path.write_text(json.dumps(table), encoding="utf8")
    try:
        at = open_page("localizer")
        titles = [json.loads(chart.proto.spec)["layout"]["title"]["text"] for chart in at.get("plotly_chart")]
        assert any(title.startswith(f"{with_tiny_run.name}: original F1 45.0 on 400 sentences") for title in titles)
        assert any(s.value == "Entity-switched robustness" for s in at.subheader)
    finally:
        path.unlink()
    # without a run's table, the preset's shipped figures are still there (docs/benchmarks.md)
    at = open_page("localizer")
    titles = [json.loads(chart.proto.spec)["layout"]["title"]["text"] for chart in at.get("plotly_chart")]
    assert len(titles) == 2 and titles[0].startswith("minilm-cpu preset, seed 42: original F1 89.5 on 3453")
    assert not any(title.startswith(with_tiny_run.name) for title in titles)
