"""--report-to (TensorBoard events read back), the model card of every run, and the Hub upload's
allow-list and offline failures (nothing leaves the machine: uploads are tried offline only)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from conftest import tiny_run_args

from nerlib.runs import folder as runs
from nerlib.runs import hub, modelcard, trackers

# --------------------------------------------------------------------------- trackers


def test_tracker_metrics_are_the_metrics_line_flattened_and_prefixed():
    line = {"epoch": 1.0, "step": 7, "split": "validation", "loss": 0.5, "f1": 0.6, "checkpoint": "best",
            "learning_rate": None, "per_type": {"PER": {"f1": 0.8, "support": 3}}, "unseen": {"f1": 0.2}}
    assert trackers.tracker_metrics(line) == {"validation/epoch": 1.0, "validation/loss": 0.5, "validation/f1": 0.6,
                                              "validation/PER_f1": 0.8, "validation/PER_support": 3,
                                              "validation/unseen_f1": 0.2}


def test_config_is_flattened_to_hparam_types():
    flat = trackers.flatten_config({"config": {"epochs": 3, "max_steps": None, "cpu": True},
                                    "labels": ["O", "B-PER"], "name": "x"})
    assert flat == {"config.epochs": 3, "config.max_steps": "none", "config.cpu": True,
                    "labels": '["O", "B-PER"]', "name": "x"}


def test_report_to_names_are_checked():
    assert trackers.resolve_report_to("none") == [] and trackers.resolve_report_to(None) == []
    assert trackers.resolve_report_to("all") == trackers.installed_trackers()
    with pytest.raises(ValueError, match="unknown tracker"):
        trackers.resolve_report_to("comet")
    missing = [t for t in trackers.TRACKERS if t not in trackers.installed_trackers()]
    if missing:
        with pytest.raises(trackers.TrackerUnavailableError, match=f"pip install {missing[0]}"):
            trackers.resolve_report_to(missing[0])


@pytest.fixture(scope="module")
def tensorboard_run(conllpp_dir, tmp_path_factory) -> Path:
    """A tiny run with --report-to tensorboard (20 steps, validated every 5)."""
    pytest.importorskip("tensorboard")
    from training.train import main

    output = tmp_path_factory.mktemp("tb") / "tb-run"
    return main(tiny_run_args(conllpp_dir, output, "--max-train-samples", "320", "--epochs", "1",
                              "--eval-steps", "5", "--report-to", "tensorboard"))


@pytest.mark.slow
def test_tensorboard_events_hold_the_metrics_lines(tensorboard_run):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    logs = tensorboard_run / trackers.TENSORBOARD_DIR / trackers.PROJECT_NAME
    events = EventAccumulator(str(logs), size_guidance={"scalars": 0})
    events.Reload()
    lines = runs.read_metrics(tensorboard_run)
    validation = [line for line in lines if line["split"] == "validation"]
    assert len(validation) >= 3
    for name in ("f1", "PER_f1", "LOC_recall", "loss", "learning_rate"):
        scalars = events.Scalars(f"validation/{name}")
        expected = [(line["step"], runs.flatten_metrics(line)[name]) for line in validation]
        assert [s.step for s in scalars] == [step for step, _ in expected], name
        assert [s.value for s in scalars] == pytest.approx([value for _, value in expected], rel=1e-5), name
    (test,) = [line for line in lines if line["split"] == "test"]
    assert events.Scalars("test/MISC_f1")[-1].value == pytest.approx(test["per_type"]["MISC"]["f1"], rel=1e-5)
    hparams = list(logs.rglob("hparams.yml"))
    assert hparams and "config.report_to: tensorboard" in hparams[0].read_text()


# --------------------------------------------------------------------------- model card


@pytest.mark.slow
def test_every_run_gets_a_model_card(tensorboard_run):
    from huggingface_hub import ModelCard

    card = ModelCard.load(tensorboard_run / runs.CHECKPOINTS_DIR / runs.BEST / "README.md")
    assert card.data.pipeline_tag == "token-classification" and card.data.datasets == ["conllpp"]
    text = card.text
    for heading in ("## Model", "## Training configuration", "## Scores", "## How to use", "## Intended use and limits"):
        assert heading in text
    test = runs.load_run(tensorboard_run).test_metrics
    assert f"| PER | {100 * test['per_type']['PER']['precision']:.2f} |" in text  # the test table
    assert "| learning_rate | 0.003 |" in text and "scratch:layers=1" in text
    assert "nerlib.tagging.tagger import Tagger" in text


def test_model_card_names_the_case_marker_pipeline_limit_and_seen_unseen_scores(tmp_path):
    run_dir = tmp_path / "marked"
    scores = {"precision": 0.5, "recall": 0.25, "f1": 1 / 3, "support": 8}
    runs.write_run_config(run_dir, {"name": "marked", "model": {"spec": "minilm-cpu", "kind": "minilm",
                                                                 "case_markers": True, "preset": "minilm-cpu"},
                                    "labels": ["O", "B-PER", "I-PER"], "config": {"epochs": 1, "label_strategy": "all"},
                                    "data": {}})
    line = {"step": 4, "epoch": 1.0, "split": "validation", **scores, "per_type": {"PER": scores},
            "seen": {**scores, "f1": 0.9}, "unseen": {**scores, "f1": 0.1}}
    runs.append_metrics(run_dir, line)
    runs.append_metrics(run_dir, {**line, "split": "test"})
    temp = runs.checkpoint_temp_dir(run_dir, runs.BEST)
    (temp / "config.json").write_text("{}")
    runs.commit_checkpoint(temp, runs.BEST, {"step": 4, "epoch": 1.0, "source": "epoch-1"})
    path = modelcard.write_model_card(run_dir)
    text = path.read_text()
    assert "base_model: sentence-transformers/all-MiniLM-L6-v2" in text
    assert "word grouping" in text and "`JAPAN` -> `J`" in text
    assert "mean of its sub-tokens' log-probabilities" in text
    assert "| seen | 50.00 | 25.00 | 90.00 | 8 |" in text and "| unseen | 50.00 | 25.00 | 10.00 | 8 |" in text


# --------------------------------------------------------------------------- hub upload


@pytest.fixture
def run_copy(tiny_run, tmp_path) -> Path:
    """A copy of the tiny trained run that a test may change."""
    import shutil

    return Path(shutil.copytree(tiny_run, tmp_path / "tiny"))


def test_upload_sends_weights_tokenizer_and_card_never_optimizer_state(run_copy):
    tiny_run = run_copy
    checkpoints = runs.list_checkpoints(tiny_run)
    resumable = next(c for c in checkpoints if c.resumable)
    assert (resumable.path / runs.TRAINING_STATE_DIR).is_dir()
    (resumable.path / "README.md").write_text("card")
    files = hub.upload_files(resumable.path)
    assert files == ["README.md", "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"]
    run_dir, folder = hub.checkpoint_folder(tiny_run)
    assert run_dir == Path(tiny_run) and folder.name == runs.BEST
    with pytest.raises(hub.HubUploadError, match="neither a training run"):
        hub.checkpoint_folder(Path(tiny_run) / "predictions")


def test_push_fails_offline_with_a_clear_message(tiny_run, tmp_path, monkeypatch, capsys):
    from nerlib.cli import main

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(hub.HubUploadError, match="HF_HUB_OFFLINE is set"):
        hub.push_checkpoint(tiny_run, "someone/tiny")
    assert main(["push", str(tiny_run), "someone/tiny"], stdout=io.StringIO()) == 1
    assert "error: HF_HUB_OFFLINE is set" in capsys.readouterr().err
    # no offline switch, but no Hub either (a closed local port): the connection error is explained
    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    import huggingface_hub.constants as constants

    monkeypatch.setattr(constants, "ENDPOINT", "http://127.0.0.1:9")
    with pytest.raises(hub.HubUploadError, match="cannot reach the Hugging Face Hub"):
        hub.push_checkpoint(tiny_run, "someone/tiny", token="hf_not_a_real_token")


def test_push_card_only_writes_the_card(run_copy):
    from nerlib.cli import main

    tiny_run = run_copy
    (tiny_run / runs.CHECKPOINTS_DIR / runs.BEST / "README.md").unlink()
    out = io.StringIO()
    assert main(["push", str(tiny_run), "--card-only"], stdout=out) == 0
    assert Path(out.getvalue().strip()) == Path(tiny_run) / runs.CHECKPOINTS_DIR / runs.BEST / "README.md"


def test_training_with_push_to_hub_fails_before_training_when_offline(conllpp_dir, tmp_path, monkeypatch):
    from training.train import main

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(hub.HubUploadError, match="HF_HUB_OFFLINE"):
        main(tiny_run_args(conllpp_dir, tmp_path / "never", "--push-to-hub", "someone/tiny"))
    assert not runs.read_metrics(tmp_path / "never")
