"""Hostile but fair inputs, kept as a suite (issue 13): crafted pickles, pathological text, damaged
run folders, concurrent writers, bad files and arguments. Each test names the defect it guards.

Malicious-pickle tests build a pickle whose loading would create a marker file, and assert that the
marker never appears: the file must be refused before anything unpickles it.
"""

from __future__ import annotations

import gzip
import pickle
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "dashboard" / "streamlit_app.py"


class _CreatesMarker:
    """Unpickling this calls ``open(marker, "w")``: the marker file appears iff code ran."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def write_evil_pickle(path: Path, marker: Path, *, compress: bool = False) -> Path:
    data = pickle.dumps(_CreatesMarker(marker), protocol=2)  # starts with 0x80 like a gensim file
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("NERLIB_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("NERLIB_TRUSTED_DIRS", raising=False)
    monkeypatch.delenv("NERLIB_FILE_ROOTS", raising=False)
    monkeypatch.delenv("NERLIB_VECTORS", raising=False)
    return tmp_path / "cache"


# --------------------------------------------------------------------------- 1. vectors pickles


@pytest.mark.parametrize("name, compress, format", [
    ("evil.kv", False, "auto"), ("evil.kv.gz", True, "auto"), ("evil.bin", False, "native"),
])
def test_untrusted_native_vectors_file_is_never_unpickled(tmp_path, cache, name, compress, format):
    from nerlib.localizer.vectors import UntrustedVectorsError, load_vectors

    marker = tmp_path / "marker"
    evil = write_evil_pickle(tmp_path / name, marker, compress=compress)
    with pytest.raises(UntrustedVectorsError, match="pickle"):
        load_vectors(evil, format=format)
    assert not marker.exists()


def test_a_link_into_the_cache_does_not_make_a_file_trusted(tmp_path, cache):
    from nerlib.localizer.vectors import UntrustedVectorsError, load_vectors, vectors_cache_dir

    marker = tmp_path / "marker"
    evil = write_evil_pickle(tmp_path / "evil.kv", marker)
    vectors_cache_dir().mkdir(parents=True)
    link = vectors_cache_dir() / "looks-cached.kv"
    link.symlink_to(evil)
    # the link's target is named: it is what would be unpickled
    with pytest.raises(UntrustedVectorsError, match="evil.kv' is a gensim native file, which is a pickle"):
        load_vectors(link)
    assert not marker.exists()


def test_visitor_vectors_paths_are_limited_to_the_configured_roots(tmp_path, cache, monkeypatch):
    from nerlib.localizer.vectors import check_visitor_source
    from nerlib.views.guards import PathNotAllowedError

    assert check_visitor_source("glove-6b-50d") == "glove-6b-50d"
    assert check_visitor_source("default") == "glove-6b-50d"
    # a name is never looked up on the server's disk (here: a file "README.md" in the working folder)
    assert check_visitor_source("README.md") == "gensim-data:README.md"
    assert check_visitor_source("glove-wiki-gigaword-100") == "gensim-data:glove-wiki-gigaword-100"
    for outside in ("/etc/passwd", str(tmp_path / "nope.kv"), str(cache / ".." / "x.txt")):
        with pytest.raises(PathNotAllowedError, match="NERLIB_FILE_ROOTS"):
            check_visitor_source(outside)
    inside = cache / "vectors.txt"
    assert check_visitor_source(str(inside)) == str(inside)
    monkeypatch.setenv("NERLIB_VECTORS", str(tmp_path / "operator.bin"))  # the operator's own choice
    assert check_visitor_source(str(tmp_path / "operator.bin"))


def test_the_localizer_vectors_box_never_loads_a_server_pickle(tmp_path, cache, monkeypatch, conllpp_dir):
    from streamlit.testing.v1 import AppTest

    small = tmp_path / "operator.txt"  # the operator's configured vectors: quick to load
    small.write_text("3 2\nchicago 1 0\nmumbai 0 1\nusa 1 1\n")
    monkeypatch.setenv("NERLIB_VECTORS", str(small))
    monkeypatch.setenv("NERLIB_RUNS_DIR", str(tmp_path / "runs"))
    marker = tmp_path / "marker"
    evil = write_evil_pickle(tmp_path / "evil.kv", marker)
    at = AppTest.from_file(str(APP), default_timeout=300)
    at.run()
    at.switch_page("views/localizer.py").run()
    at.text_input(key="localizer_vectors").set_value(str(evil)).run()
    assert not at.exception
    assert at.error and "NERLIB\\_FILE\\_ROOTS" in at.error[0].value  # outside the roots: not even looked at
    monkeypatch.setenv("NERLIB_FILE_ROOTS", str(tmp_path))
    at.text_input(key="localizer_vectors").set_value(str(evil) + " ").run()
    assert not at.exception
    assert at.error and "pickle" in at.error[0].value  # inside the roots, but a pickle: refused
    assert not marker.exists()


# --------------------------------------------------------------------------- 2. --resume pickles


def _copy_run(tiny_run, tmp_path) -> Path:
    import shutil

    copy = tmp_path / "run"
    shutil.copytree(Path(getattr(tiny_run, "path", tiny_run)), copy)
    return copy


@pytest.mark.slow
@pytest.mark.parametrize("state_file", ["optimizer.pt", "scheduler.pt", "rng_state_0.pt"])
def test_resume_never_unpickles_a_crafted_training_state(tiny_run, tmp_path, state_file):
    from nerlib.runs import folder as runs
    from training.train import main

    run = _copy_run(tiny_run, tmp_path)
    checkpoint = runs.last_resumable_checkpoint(run)
    marker = tmp_path / "marker"
    write_evil_pickle(checkpoint.path / runs.TRAINING_STATE_DIR / state_file, marker)
    with pytest.raises(SystemExit, match=f"--resume: .*{state_file}.*not loaded"):
        main(["--output-dir", str(run), "--resume", checkpoint.name, "--disable-tqdm", "--cpu"])
    assert not marker.exists()


def test_training_state_loader_reads_what_training_saves(tmp_path):
    import random

    import numpy as np
    import torch

    from nerlib.runs.checkpoints import TrainingStateError, load_training_state

    state = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    torch.save(state, tmp_path / "rng.pt")
    loaded = load_training_state(tmp_path / "rng.pt")
    assert loaded["python"] == state["python"] and torch.equal(loaded["torch"], state["torch"])
    assert (loaded["numpy"][1] == state["numpy"][1]).all()
    (tmp_path / "torn.pt").write_bytes((tmp_path / "rng.pt").read_bytes()[:100])
    with pytest.raises(TrainingStateError, match="torn.pt"):
        load_training_state(tmp_path / "torn.pt")


# --------------------------------------------------------------------------- 5. one writer per run


def test_a_second_writer_is_refused_and_a_dead_holder_does_not_count(tmp_path):
    import json
    import subprocess
    import sys

    from nerlib.runs.lock import LOCK_FILE, RunLockedError, acquire_run_lock

    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from nerlib.runs.lock import acquire_run_lock; "
         f"acquire_run_lock({str(tmp_path)!r}); print('held', flush=True); time.sleep(600)"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(RunLockedError, match=f"process {holder.pid} on"):
            acquire_run_lock(tmp_path)
    finally:
        holder.kill()  # like kill -9: no clean-up; the kernel drops the lock
        holder.wait()
    assert json.loads((tmp_path / LOCK_FILE).read_text())["pid"] == holder.pid  # stale file stays
    lock = acquire_run_lock(tmp_path)
    assert json.loads((tmp_path / LOCK_FILE).read_text())["pid"] != holder.pid
    lock.release()


@pytest.mark.slow
def test_training_into_a_folder_another_training_writes_stops_and_changes_nothing(tiny_run, tmp_path, conllpp_dir):
    from conftest import tiny_run_args

    from nerlib.runs import folder as runs
    from nerlib.runs.lock import hold_run_lock
    from training.train import main

    run = _copy_run(tiny_run, tmp_path)
    before = {name: (run / name).read_bytes() for name in (runs.METRICS_FILE, runs.PROGRESS_FILE, runs.RUN_FILE)}
    with hold_run_lock(run):  # as if a training were still writing it
        with pytest.raises(SystemExit, match="being written by process"):
            main(["--output-dir", str(run), "--resume", "--disable-tqdm", "--cpu"])
        fresh = tmp_path / "fresh"
        fresh.mkdir()
        with hold_run_lock(fresh):
            with pytest.raises(SystemExit, match="one training writes into a run folder at a time"):
                main(tiny_run_args(conllpp_dir, fresh))
    assert {name: (run / name).read_bytes() for name in before} == before
    assert not (fresh / runs.RUN_FILE).exists()


# --------------------------------------------------------------------------- 9. disk full


def test_progress_reaches_the_file_when_no_new_file_can_be_written(tmp_path):
    import os

    from nerlib.runs import folder as runs

    runs.write_progress(tmp_path, runs.Progress(status="running"))
    # The temporary file cannot be created (as on a full disk): the status is overwritten in place.
    (tmp_path / f"{runs.TEMP_PREFIX}{runs.PROGRESS_FILE}.{os.getpid()}").mkdir()
    runs.write_progress(tmp_path, runs.Progress(status="failed", message="OSError: [Errno 28] No space left"))
    assert runs.read_progress(tmp_path).status == "failed"
    blocked = tmp_path / "blocked"
    (blocked / "inside").mkdir(parents=True)  # the final rename fails: no temporary file stays
    with pytest.raises(IsADirectoryError, match="blocked"):
        runs.write_text_atomic(blocked, "x")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(runs.TEMP_PREFIX)] == \
        [f"{runs.TEMP_PREFIX}{runs.PROGRESS_FILE}.{os.getpid()}"]


@pytest.mark.slow
def test_a_write_error_while_saving_is_recorded_and_leaves_no_temporary_folder(conllpp_dir, tmp_path):
    """Files may not grow past 200 kB (RLIMIT_FSIZE, a real OS error like a full disk): the first
    checkpoint cannot be saved. The run must end "failed" naming the OS error, with no temp folder."""
    import subprocess
    import sys

    from conftest import tiny_run_args

    from nerlib.runs import folder as runs

    run = tmp_path / "run"
    script = ("import resource, sys; from training.train import main; "
              "resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, resource.RLIM_INFINITY)); "
              "main(sys.argv[1:])")
    result = subprocess.run([sys.executable, "-c", script, *tiny_run_args(conllpp_dir, run, "--max-steps", "30")],
                            cwd=Path(__file__).resolve().parent.parent, capture_output=True, text=True, timeout=600)
    assert result.returncode != 0
    progress = runs.read_progress(run)
    assert progress.status == "failed" and "File too large" in progress.message
    leftovers = [p for p in run.rglob("*") if p.name.startswith(runs.TEMP_PREFIX)]
    assert leftovers == []


# --------------------------------------------------------------------------- 11. reproducible vocabulary


def test_the_scratch_vocabulary_is_the_same_on_every_call(conllpp):
    from nerlib.modeling.wordpiece import train_wordpiece_tokenizer

    words = conllpp["train"]["tokens"][:2000]
    vocabularies = [train_wordpiece_tokenizer(words, vocab_size=3000).get_vocab() for _ in range(3)]
    assert vocabularies[0] == vocabularies[1] == vocabularies[2]
    assert len(vocabularies[0]) == 3000


# --------------------------------------------------------------------------- 4. damaged run folders


DAMAGE = {
    "progress-list": ("progress.json", "[]", "holds a JSON list"),
    "progress-bad-field": ("progress.json", '{"status": "running", "step": "many"}', "'step'"),
    "progress-bad-status": ("progress.json", '{"status": "exploded"}', "status 'exploded'"),
    "progress-binary": ("progress.json", b"\xff\xfe\x00garbage", "unreadable"),
    "run-json-list": ("run.json", "[1, 2]", "holds a JSON list"),
    "run-json-torn": ("run.json", '{"name": "x", "conf', "not valid JSON"),
    "metrics-middle-line": ("metrics.jsonl", '{"step": 1}\nnot json\n{"step": 2}\n', "metrics.jsonl:2"),
    "metrics-not-object": ("metrics.jsonl", '[1]\n{"step": 2}\n', "metrics.jsonl:1"),
}


def damaged_copy(tiny_run, tmp_path, kind: str) -> Path:
    run = _copy_run(tiny_run, tmp_path / "runs")
    name, content, _ = DAMAGE[kind]
    (run / name).write_bytes(content if isinstance(content, bytes) else content.encode())
    return run


@pytest.mark.parametrize("kind", sorted(DAMAGE))
def test_a_damaged_run_is_listed_as_damaged_and_the_others_still_list(tiny_run, tmp_path, kind):
    from nerlib.runs import folder as runs

    damaged = damaged_copy(tiny_run, tmp_path, kind)
    healthy = _copy_run(tiny_run, tmp_path / "more")
    healthy.rename(tmp_path / "runs" / "healthy")
    listed = {run.name: run for run in runs.list_runs(tmp_path / "runs")}
    assert set(listed) == {damaged.name, "healthy"}
    assert listed[damaged.name].status == "damaged" and DAMAGE[kind][2] in listed[damaged.name].damaged
    assert listed[damaged.name].checkpoints == [] and listed[damaged.name].best is None
    assert listed["healthy"].status == "finished" and listed["healthy"].best is not None


@pytest.mark.slow
def test_tag_without_a_model_skips_a_damaged_newest_run(tiny_run, tmp_path, monkeypatch, capsys):
    from nerlib.cli import main

    damaged_copy(tiny_run, tmp_path, "progress-list")
    _copy_run(tiny_run, tmp_path / "more").rename(tmp_path / "runs" / "healthy")
    monkeypatch.setenv("NERLIB_RUNS_DIR", str(tmp_path / "runs"))
    assert main(["tag", "Anna lives in Berlin ."]) == 0
    assert "Berlin" in capsys.readouterr().out


# --------------------------------------------------------------------------- 3. long texts in the dashboard


def test_the_tagger_page_refuses_text_over_the_cap_with_a_clear_message(tmp_path, monkeypatch, conllpp_dir):
    from streamlit.testing.v1 import AppTest
    from test_tagger import save_random_model

    from nerlib.views.guards import MAX_TEXT_CHARS

    model = save_random_model(tmp_path / "model")
    monkeypatch.setenv("NERLIB_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setenv("NERLIB_FILE_ROOTS", str(tmp_path))
    at = AppTest.from_file(str(APP), default_timeout=300)
    at.run()
    at.switch_page("views/tagger.py").run()
    at.segmented_control(key="tagger_kind").set_value("Local folder").run()
    at.text_input(key="tagger_folder").set_value(str(model)).run()
    assert not at.exception and not at.error
    at.text_area(key="tagger_text").set_value("a_" * (MAX_TEXT_CHARS // 2 + 1)).run()
    assert not at.exception
    assert at.error and "limit is 50,000" in at.error[0].value
    assert not at.html  # nothing was tagged


# --------------------------------------------------------------------------- 6. very long sentences


def test_the_errors_table_names_sentences_instead_of_repeating_them(tmp_path):
    from test_tagger import save_random_model

    from nerlib.data.conll import ConllSentence
    from nerlib.evaluation.scoring import ERROR_COLUMNS, evaluate_sentences, span_errors
    from nerlib.tagging.tagger import Tagger

    # one 6,000-word sentence whose every third word is a gold entity
    words = [f"w{i % 50}" for i in range(6000)]
    gold = ["B-PER" if i % 3 == 0 else "O" for i in range(6000)]
    tagger = Tagger.from_pretrained(str(save_random_model(tmp_path / "model")), device="cpu")
    result = evaluate_sentences(tagger, [ConllSentence(words, gold, line=1)])
    assert "text" not in result.errors.columns and list(result.errors.columns) == ERROR_COLUMNS
    assert len(result.errors) >= 1000 and set(result.errors["sentence"]) == {0}
    assert result.sentence_text(0) == " ".join(words)
    # overlapping pairs only: shifted predictions pair with the gold span they overlap
    shifted = ["O"] + gold[:-1]
    kinds = {e["kind"] for e in span_errors(words, gold, [t.replace("B-PER", "B-LOC") for t in shifted])}
    assert kinds == {"missed", "spurious"}
    errors = span_errors(words[:6], ["B-PER", "I-PER", "O", "B-LOC", "O", "O"], ["O", "B-PER", "O", "B-ORG", "I-ORG", "O"])
    assert [e["kind"] for e in errors] == ["wrong_boundary", "wrong_type_and_boundary"]


# --------------------------------------------------------------------------- 7. errors that name what failed


def test_a_non_utf8_line_is_reported_with_its_line_and_byte(tmp_path):
    from nerlib.data.conll import ConllFormatError, read_conll

    path = tmp_path / "latin1.conll"
    path.write_bytes(b"EU B-ORG\nrejects O\n\ncaf\xe9 O\n")
    with pytest.raises(ConllFormatError) as caught:
        read_conll(path)
    assert caught.value.line == 4 and "byte 23 of the file" in str(caught.value) and "0xe9" in str(caught.value)


def test_a_token_with_a_space_in_a_tab_separated_file_names_file_and_line(tmp_path):
    from nerlib.data.conll import ConllFormatError, read_conll

    path = tmp_path / "tabs.conll"
    path.write_text("EU\tB-ORG\nNew York\tB-LOC\n")
    with pytest.raises(ConllFormatError, match=r"tabs.conll, line 2: token 'New York' contains whitespace"):
        read_conll(path)


@pytest.fixture(scope="module")
def cli_model(tmp_path_factory):
    from test_tagger import save_random_model

    return save_random_model(tmp_path_factory.mktemp("cli-model"))


@pytest.fixture
def conll_file(tmp_path):
    path = tmp_path / "small.conll"
    path.write_text("Anna B-PER\nlives O\nin O\nBerlin B-LOC\n\n")
    return path


def run_cli(args, capsys):
    from nerlib.cli import main

    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.err


@pytest.mark.parametrize("option", ["--predictions", "--errors"])
def test_evaluate_checks_its_output_paths_before_the_run(cli_model, conll_file, tmp_path, capsys, option):
    code, err = run_cli(["evaluate", cli_model, conll_file, option, tmp_path], capsys)
    assert code == 1 and "is a folder" in err
    code, err = run_cli(["evaluate", cli_model, conll_file, option, tmp_path / "missing" / "out.csv"], capsys)
    assert code == 1 and "does not exist" in err


def test_tag_checks_its_output_path(cli_model, tmp_path, capsys):
    code, err = run_cli(["tag", "-m", cli_model, "Anna", "-o", tmp_path], capsys)
    assert code == 1 and "is a folder" in err


def test_bad_devices_are_named(cli_model, conll_file, capsys):
    import torch

    code, err = run_cli(["evaluate", cli_model, conll_file, "--device", "nonsense"], capsys)
    assert code == 1 and "'nonsense' is not a device" in err
    if not torch.cuda.is_available():
        code, err = run_cli(["tag", "-m", cli_model, "Anna", "--device", "cuda"], capsys)
        assert code == 1 and "no CUDA GPU" in err


@pytest.mark.parametrize("content", ["", "-DOCSTART- -X- -X- O\n\n"])
def test_nothing_to_score_is_an_error(cli_model, tmp_path, capsys, content):
    path = tmp_path / "empty.conll"
    path.write_text(content)
    code, err = run_cli(["evaluate", cli_model, path], capsys)
    assert code == 1 and "nothing to score" in err


def test_a_negative_limit_is_rejected(cli_model, conll_file, capsys):
    with pytest.raises(SystemExit) as caught:
        run_cli(["evaluate", cli_model, conll_file, "--limit", "-1"], capsys)
    assert caught.value.code == 2 and "positive" in capsys.readouterr().err


def test_config_problems_are_named(cli_model, tmp_path, capsys):
    import json
    import shutil

    from nerlib.runs.checkpoints import MissingLabelMapError, NotTokenClassificationError, load_checkpoint

    folder = tmp_path / "model"
    shutil.copytree(cli_model, folder)
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "model_type": 5}))
    with pytest.raises(NotTokenClassificationError, match="model_type is 5"):
        load_checkpoint(folder)
    code, err = run_cli(["tag", "-m", folder, "Anna"], capsys)
    assert code == 1 and "model_type is 5" in err
    three = {"0": "O", "1": "B-PER", "2": "I-PER"}
    (folder / "config.json").write_text(json.dumps({**config, "id2label": three,
                                                    "label2id": {v: int(k) for k, v in three.items()}}))
    with pytest.raises(MissingLabelMapError, match="id2label has 3 labels but the classifier .* has 9 outputs"):
        load_checkpoint(folder)


# --------------------------------------------------------------------------- 8. checkpoint paths


def test_a_shard_index_may_not_point_outside_the_checkpoint(cli_model, tmp_path):
    import json
    import shutil

    from nerlib.runs.checkpoints import WeightsError, load_checkpoint

    folder = tmp_path / "model"
    shutil.copytree(cli_model, folder)
    outside = tmp_path / "elsewhere.safetensors"
    (folder / "model.safetensors").rename(outside)
    (folder / "model.safetensors.index.json").write_text(json.dumps(
        {"metadata": {}, "weight_map": {"classifier.bias": "../elsewhere.safetensors"}}))
    with pytest.raises(WeightsError, match="points outside the checkpoint folder"):
        load_checkpoint(folder)


def test_checkpoint_boxes_say_the_same_for_every_server_path_outside_the_roots(tmp_path, monkeypatch):
    from nerlib.runs.checkpoints import resolve_checkpoint_dir
    from nerlib.views.guards import PathNotAllowedError, check_visitor_checkpoint

    monkeypatch.setenv("NERLIB_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setenv("NERLIB_FILE_ROOTS", str(tmp_path / "roots"))
    (tmp_path / "a-file").write_text("x")
    messages = set()
    for probe in ("/etc", "/etc/passwd", "/no/such/folder", str(tmp_path / "a-file"), str(tmp_path / "runs" / "..")):
        with pytest.raises(PathNotAllowedError) as caught:
            check_visitor_checkpoint(probe, local=True)
        messages.add(str(caught.value))
    assert len(messages) == 1
    assert check_visitor_checkpoint(str(tmp_path / "runs" / "r1"), local=True)
    assert check_visitor_checkpoint("dslim/bert-base-NER", local=False) == "hub:dslim/bert-base-NER"
    assert resolve_checkpoint_dir("hub:tests") is None  # a local folder "tests" exists: not used
    for not_hub in ("/etc", "../x", "a/b/c"):
        with pytest.raises(PathNotAllowedError, match="not a Hugging Face Hub id"):
            check_visitor_checkpoint(not_hub, local=False)


def test_the_tagger_page_folder_box_does_not_reveal_what_exists(tmp_path, monkeypatch, conllpp_dir):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("NERLIB_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setenv("NERLIB_FILE_ROOTS", str(tmp_path / "roots"))
    at = AppTest.from_file(str(APP), default_timeout=300)
    at.run()
    at.switch_page("views/tagger.py").run()
    at.segmented_control(key="tagger_kind").set_value("Local folder").run()
    shown = set()
    for probe in ("/etc", "/etc/passwd", "/no/such/folder"):
        at.text_input(key="tagger_folder").set_value(probe).run()
        assert not at.exception and at.error
        shown.add(at.error[0].value)
    assert len(shown) == 1


# --------------------------------------------------------------------------- 10. Markdown in messages


def test_markdown_from_file_names_and_content_is_shown_literally(tmp_path, monkeypatch, conllpp_dir):
    from streamlit.testing.v1 import AppTest

    from nerlib.views.guards import code_span, escape_markdown

    assert escape_markdown("[click](http://evil) **x**") == r"\[click\]\(http\://evil\) \*\*x\*\*"
    assert code_span("a`b") == "`` a`b ``" and code_span("[x](y)") == "`[x](y)`"
    monkeypatch.setenv("NERLIB_RUNS_DIR", str(tmp_path / "runs"))
    at = AppTest.from_file(str(APP), default_timeout=300)
    at.run()
    at.segmented_control(key="dataset_source").set_value("Upload a CoNLL file").run()
    name = "**urgent** [open me](http://evil.example).txt"
    bad = "Ada B-PER\nclick [go](http://evil.example)\n"  # the second line's tag is a Markdown link
    at.get("file_uploader")[0].set_value((name, bad.encode(), "text/plain"))
    at.run()
    assert not at.exception
    (error,) = at.error
    assert code_span(name) in error.value and "line 2" in error.value
    assert "[go](http" not in error.value and r"\[go\]\(http" in error.value

    at.switch_page("views/localizer.py").run()
    assert not at.exception
    label = at.text_area(key="localizer_marked").label
    assert "`[words](TYPE)`" in label  # a code span: shown literally, not as a link


@pytest.mark.slow
def test_every_page_renders_next_to_a_damaged_run(tiny_run, tmp_path, monkeypatch, conllpp_dir):
    from streamlit.testing.v1 import AppTest

    damaged = damaged_copy(tiny_run, tmp_path, "progress-list")
    monkeypatch.setenv("NERLIB_RUNS_DIR", str(damaged.parent))
    at = AppTest.from_file(str(APP), default_timeout=300)
    at.run()
    assert not at.exception
    for page in ("training", "tagger", "localizer", "errors"):
        at.switch_page(f"views/{page}.py").run()
        assert not at.exception, (page, [e.value for e in at.exception])
    at.switch_page("views/training.py").run()
    assert any("is damaged" in w.value and "JSON list" in w.value for w in at.warning)


def test_the_dashboard_serves_localhost_only_and_keeps_tracebacks_in_the_log():
    import tomllib

    config = tomllib.loads((APP.parent.parent / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "127.0.0.1"
    assert config["client"]["showErrorDetails"] in ("type", "none", False)


@pytest.mark.slow
def test_two_scratch_runs_with_one_seed_give_the_same_numbers(conllpp_dir, tmp_path):
    from conftest import tiny_run_args
    from test_training import without_timing

    from nerlib.runs import folder as runs
    from training.train import main

    lines = []
    for name in ("first", "second"):
        run = main(tiny_run_args(conllpp_dir, tmp_path / name, "--max-steps", "20", "--max-eval-samples", "100"))
        lines.append(without_timing(runs.read_metrics(run)))
        assert (run / runs.CHECKPOINTS_DIR / runs.BEST / "tokenizer.json").is_file()
    assert lines[0] == lines[1]
    vocab = [(tmp_path / name / runs.CHECKPOINTS_DIR / runs.BEST / "tokenizer.json").read_text()
             for name in ("first", "second")]
    assert vocab[0] == vocab[1]
