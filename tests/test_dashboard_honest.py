"""Honest numbers and the best model by default, with two real runs of different quality:

- ``full`` (older): 960 training sentences, 2 epochs, validated and tested on the *whole* CoNLL++
  validation and test splits;
- ``sliced`` (newer): 320 training sentences, 1 epoch, ``--max-eval-samples 60`` (its scores cover
  the first 60 sentences only).

Streamlit AppTest of the real app; nothing of our own code is mocked.
"""

from __future__ import annotations

import dataclasses
import math

import pytest
from test_dashboard import assert_ok, open_page, table

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def full_and_sliced(conllpp_dir, tmp_path_factory):
    """A runs folder with ``full`` (trained first) and ``sliced`` (trained second, so newest)."""
    from conftest import tiny_run_args

    from training.train import main

    runs = tmp_path_factory.mktemp("honest-runs")
    full = tiny_run_args(conllpp_dir, runs / "full", "--eval-steps", "1000")
    full.remove("--max-eval-samples")
    full.remove("200")
    main(full)
    sliced = tiny_run_args(conllpp_dir, runs / "sliced", "--max-train-samples", "320", "--epochs", "1",
                           "--eval-steps", "1000", "--max-eval-samples", "60")
    main(sliced)
    return runs


@pytest.fixture
def honest_runs(full_and_sliced, monkeypatch):
    monkeypatch.setenv("NERLIB_RUNS_DIR", str(full_and_sliced))
    return full_and_sliced


def test_coverage_reads_split_sizes_from_the_data_and_marks_the_slice(full_and_sliced, conllpp):
    from nerlib.runs.coverage import record_coverage
    from nerlib.runs.folder import load_run

    full, sliced = load_run(full_and_sliced / "full"), load_run(full_and_sliced / "sliced")
    test_size = len(conllpp["test"])
    full_test = record_coverage(full.config, full.test_metrics)
    sliced_test = record_coverage(sliced.config, sliced.test_metrics)
    assert (full_test.sentences, full_test.split_sentences, full_test.is_slice) == (test_size, test_size, False)
    assert (sliced_test.sentences, sliced_test.split_sentences, sliced_test.is_slice) == (60, test_size, True)
    assert sliced_test.describe() == f"test F1 on the first 60 of {test_size:,} sentences"
    assert not full_test.same_sentences(sliced_test)


def test_best_run_is_the_full_split_one_and_a_slice_ranks_after(full_and_sliced):
    from nerlib.runs.folder import list_runs
    from nerlib.runs.ranking import rank_runs

    runs = list_runs(full_and_sliced)
    assert [run.name for run in runs] == ["sliced", "full"]  # newest first
    assert [r.run.name for r in rank_runs(runs)] == ["full", "sliced"]
    # Among full-split runs the higher validation F1 wins, not the newer run; a slice with a
    # higher F1 still ranks after them.
    full = next(run for run in runs if run.name == "full")
    worse = dataclasses.replace(full, name="full-worse", best=dataclasses.replace(full.best, metrics={"f1": 0.01}))
    better_slice = next(run for run in runs if run.name == "sliced")
    better_slice = dataclasses.replace(better_slice, best=dataclasses.replace(better_slice.best, metrics={"f1": 0.99}))
    assert [r.run.name for r in rank_runs([worse, better_slice, full])] == ["full", "full-worse", "sliced"]


def test_training_page_never_shows_a_slice_as_the_test_f1(honest_runs, conllpp):
    at = open_page("training")
    at.multiselect(key="training_runs").set_value(["sliced", "full"]).run()
    assert_ok(at)
    overview = table(at, "best val F1").set_index("run")
    sliced_f1 = overview.loc["sliced", "test F1 on a slice"]
    assert not math.isnan(sliced_f1)
    assert math.isnan(overview.loc["sliced", "test F1"])  # the slice is never the headline
    assert not math.isnan(overview.loc["full", "test F1"]) and math.isnan(overview.loc["full", "test F1 on a slice"])
    test_size = len(conllpp["test"])
    assert overview.loc["sliced", "test scored on"] == f"first 60 of {test_size:,}"
    assert overview.loc["full", "test scored on"] == f"all {test_size:,}"
    assert any("scored on different sentences" in w.value for w in at.warning)


def test_training_page_does_not_call_a_difference_on_different_sentences_a_delta(honest_runs):
    at = open_page("training")
    at.multiselect(key="training_runs").set_value(["sliced", "full"]).run()
    at.selectbox(key="compare_a").set_value("full / best").run()
    at.selectbox(key="compare_b").set_value("sliced / best").run()
    assert_ok(at)
    side_by_side = table(at, "A")
    assert "Δ (B - A)" not in side_by_side.columns
    assert any("not a delta" in w.value for w in at.warning)
    # The same run on both sides: the same sentences, so a delta.
    at.selectbox(key="compare_b").set_value("full / epoch-1").run()
    assert_ok(at)
    assert "Δ (B - A)" in table(at, "A").columns


def test_checkpoint_pickers_open_on_the_best_run_and_share_the_choice(honest_runs):
    at = open_page("tagger")
    picker = at.selectbox(key="tagger_run_checkpoint")
    assert picker.value.startswith("full / best")  # the better run, not the newest
    assert "validation F1" in picker.format_func(picker.value) and "sentences" in picker.format_func(picker.value)
    assert "best healthy run" in picker.help
    assert any("the best run by the default rule" in c.value for c in at.caption)
    # AppTest lists the options as drawn: "<label> · validation F1 ... on ... sentences".
    sliced = next(option for option in picker.options if option.startswith("sliced / best")).split(" · ")[0]
    picker.set_value(sliced).run()
    assert_ok(at)
    at.switch_page("views/errors.py").run()
    assert_ok(at)
    assert at.selectbox(key="errors_run_checkpoint").value == sliced  # the choice follows the visitor
    assert any("a slice, not the whole split" in c.value for c in at.caption)


@pytest.fixture
def kept_media(monkeypatch):
    """Every in-memory media store AppTest creates, kept so a test can read what a download button
    serves (AppTest drops its store after each run)."""
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
    from streamlit.testing.v1 import app_test

    stores = []

    class KeptStorage(MemoryMediaFileStorage):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            stores.append(self)

    monkeypatch.setattr(app_test, "MemoryMediaFileStorage", KeptStorage)
    return stores


def downloaded(at, stores, label: str) -> bytes:
    """The bytes behind the download button labelled ``label``."""
    button = next(b for b in at.get("download_button") if b.proto.label == label)
    file_id = button.proto.url.rsplit("/", 1)[-1].split(".")[0]
    for store in reversed(stores):
        try:
            return bytes(store.get_file(file_id).content)
        except Exception:  # noqa: BLE001, S112 - another run's store
            continue
    raise AssertionError(f"no stored file for {label!r} ({button.proto.url})")


def test_tagger_downloads_the_result_as_json_and_conll(honest_runs, kept_media):
    import json

    from nerlib.tagging.tagger import Tagger

    at = open_page("tagger")
    text = "Maria Schneider of Siemens flew from Munich to Boston.\nRahul Mehta joined Infosys."
    at.text_area(key="tagger_text").set_value(text).run()
    assert_ok(at)
    expected = Tagger.from_pretrained(str(honest_runs / "full")).tag(text)
    as_json = downloaded(at, kept_media, "Download JSON").decode("utf-8")
    assert as_json.endswith("\n") and json.loads(as_json) == json.loads(json.dumps(expected.to_dict()))
    assert json.loads(as_json)["text"] == text
    as_conll = downloaded(at, kept_media, "Download CoNLL").decode("utf-8")
    lines = as_conll.rstrip("\n").split("\n")
    assert [line.split(" ") for line in lines] == [[w.text, w.label] for w in expected.words]
    assert lines[0].split(" ")[0] == "Maria" and all(
        label == "O" or label[:2] in ("B-", "I-") for _, label in (line.split(" ") for line in lines))


def test_a_link_to_an_unknown_run_or_an_unusable_split_is_said_on_the_page(honest_runs):
    from streamlit.testing.v1 import AppTest
    from test_dashboard import APP, TIMEOUT

    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params["checkpoint"] = "nosuch / best"
    at.query_params["split"] = "bogus"
    at.switch_page("views/errors.py").run()
    assert_ok(at)
    said = "\n".join(w.value for w in at.warning)
    assert f"no run named `nosuch` in `{honest_runs.resolve()}`" in said
    assert "Runs here: `sliced`, `full`" in said
    assert "The link's `split=bogus` cannot be used: `bogus` is not one of `validation`, `test`. Showing `validation` instead." in said
    assert at.segmented_control(key="errors_kind").value == "From runs"  # not taken for a Hub id
    assert at.selectbox(key="errors_run_checkpoint").value.startswith("full / best")
    assert at.segmented_control(key="errors_split").value == "validation"
