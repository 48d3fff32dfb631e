"""Heavy first loads show what they are doing: the nerlib loaders report their steps to a
``progress(done, total, what)`` callback, and the dashboard draws them as a bar with a count.

Real data and models: CoNLL++ from $NERLIB_DATA_DIR, a word-vector file written here, a copy of
the real tiny trained run (``tiny_run``); the dashboard through Streamlit AppTest. Nothing of our
own code is mocked.
"""

from __future__ import annotations

import shutil

import pytest

from tests.test_dashboard import assert_ok, open_page

pytestmark = pytest.mark.timeout(900)


class Recorder:
    """A progress callback that keeps every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, int, str]] = []

    def __call__(self, done: int, total: int, what: str) -> None:
        self.calls.append((done, total, what))

    def check_counts(self) -> None:
        """Counts never go back, every call names its step, and the last call is the total."""
        assert self.calls, "the progress was never reported"
        counts = [done for done, _, _ in self.calls]
        assert counts == sorted(counts) and counts[0] == 0, self.calls
        assert all(what for _, _, what in self.calls), self.calls
        done, total, _ = self.calls[-1]
        assert done == total and {t for _, t, _ in self.calls} == {total}, self.calls


def test_reading_conllpp_counts_its_files_and_sentences(conllpp_dir):
    from nerlib.data.conllpp import load_conllpp

    progress = Recorder()
    splits = load_conllpp(conllpp_dir, progress=progress)
    progress.check_counts()
    assert [done for done, _, _ in progress.calls] == [0, 1, 2, 3]
    assert "reading train (conllpp_train.txt)" in progress.calls[0][2]
    assert "train 14,041 sentences; reading validation" in progress.calls[1][2]
    assert progress.calls[-1][2] == ("train 14,041 sentences; validation 3,250 sentences; "
                                     "test 3,453 sentences")
    assert {name: len(split) for name, split in splits.items()} == {"train": 14041, "validation": 3250, "test": 3453}


def test_loading_vectors_counts_its_steps_converting_and_from_the_cache(tmp_path):
    from nerlib.localizer.vectors import load_vectors

    source = tmp_path / "tiny.glove.txt"  # GloVe text: a word and its numbers per line, no header
    source.write_text("paris 0.1 0.2 0.3\nberlin 0.2 0.1 0.3\nrome 0.3 0.3 0.1\n")
    first = Recorder()
    vectors = load_vectors(source, cache_dir=tmp_path / "cache", progress=first)
    first.check_counts()
    assert first.calls[-1][:2] == (4, 4) and "converting" in first.calls[1][2]
    assert first.calls[-1][2] == "3 words x 3 dimensions" and len(vectors.index_to_key) == 3
    again = Recorder()  # the cache holds it now: import, read
    load_vectors(source, cache_dir=tmp_path / "cache", progress=again)
    again.check_counts()
    assert again.calls[-1][:2] == (2, 2) and "from the cache" in again.calls[1][2]
    assert "3 words x 3 dimensions" in again.calls[1][2]


@pytest.mark.slow
def test_loading_a_model_counts_its_steps(tiny_run):
    from nerlib.runs.checkpoints import LOAD_STEPS
    from nerlib.tagging.tagger import Tagger

    progress = Recorder()
    tagger = Tagger.from_pretrained(tiny_run, device="cpu", progress=progress)
    progress.check_counts()
    assert [done for done, _, _ in progress.calls] == list(range(LOAD_STEPS + 2))
    steps = [what for _, _, what in progress.calls]
    assert steps[0] == "importing torch" and steps[3] == "importing bert code"
    assert steps[4].startswith("weights (") and steps[4].endswith(" MB)")
    assert steps[-1].endswith(f"{len(tagger.labels)} labels, on cpu")


@pytest.mark.slow
def test_loading_an_onnx_export_reports_its_one_step(tiny_run, tmp_path):
    import io

    pytest.importorskip("onnxruntime")
    from nerlib.cli import main
    from nerlib.tagging.tagger import Tagger

    folder = tmp_path / "tiny-onnx"
    assert main(["export-onnx", str(tiny_run), str(folder)], stdin=io.StringIO(""), stdout=io.StringIO()) == 0
    progress = Recorder()
    Tagger.from_pretrained(folder, backend="onnx", progress=progress)
    progress.check_counts()
    assert [(done, total) for done, total, _ in progress.calls] == [(0, 1), (1, 1)]
    assert progress.calls[0][2] == "reading the ONNX export" and progress.calls[1][2].startswith("ONNX export (")


@pytest.fixture
def fresh_run(tiny_run, tmp_path, monkeypatch):
    """A copy of the tiny run under a new path, so that no earlier test has loaded its model."""
    runs = tmp_path / "runs"
    shutil.copytree(tiny_run, runs / "tiny")
    monkeypatch.setenv("NERLIB_RUNS_DIR", str(runs))
    return runs / "tiny"


def bars(at) -> list[str]:
    return [element.proto.text for element in at.get("progress")]


@pytest.mark.slow
def test_tagger_page_loads_its_model_under_a_counting_bar_once(conllpp_dir, fresh_run):
    at = open_page("tagger")
    loading = [text for text in bars(at) if text.startswith("Loading the model: ")]
    assert len(loading) == 1 and "labels, on cpu (" in loading[0], bars(at)
    assert "once per server process)" in loading[0]
    assert at.get("progress")[0].proto.value == 100
    again = open_page("tagger")  # another visitor: the model is loaded, nothing to wait for
    assert not [text for text in bars(again) if text.startswith("Loading the model")]


@pytest.mark.slow
def test_dataset_page_reads_conllpp_under_a_bar_counting_files_and_sentences(conllpp_dir, tmp_path, monkeypatch):
    (tmp_path / "runs").mkdir()
    monkeypatch.setenv("NERLIB_RUNS_DIR", str(tmp_path / "runs"))
    data = tmp_path / "conllpp"  # a folder no earlier test read, so this server reads it now
    data.mkdir()
    for file in conllpp_dir.glob("conllpp_*.txt"):
        (data / file.name).symlink_to(file)
    monkeypatch.setenv("NERLIB_DATA_DIR", str(data))
    at = open_page("dataset")
    reading = [text for text in bars(at) if text.startswith("Reading CoNLL++: ")]
    assert reading == [next(text for text in reading if "test 3,453 sentences (" in text)], bars(at)
    assert "train 14,041 sentences; validation 3,250 sentences" in reading[0]
    assert not [text for text in bars(open_page("dataset")) if text.startswith("Reading CoNLL++")]
    assert_ok(at)


@pytest.mark.slow
def test_localizer_page_prepares_its_localizer_under_a_counting_bar(conllpp_dir, tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from tests.test_dashboard import APP, TIMEOUT

    (tmp_path / "runs").mkdir()
    monkeypatch.setenv("NERLIB_RUNS_DIR", str(tmp_path / "runs"))
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    # a seed no other test uses: this localizer is built now, by this session
    at.query_params.update({"from": "West", "to": "Brazil", "seed": "97", "mode": "Entities marked by hand",
                            "marked": "[Jordan](PER) studied at [Harvard](ORG) in [Austin](LOC) ."})
    at.switch_page("views/localizer.py").run()
    assert_ok(at)
    preparing = [text for text in bars(at) if text.startswith("Preparing the localizer: ")]
    assert len(preparing) == 1 and "West -> Brazil" in preparing[0] and "words of vectors (" in preparing[0], bars(at)
