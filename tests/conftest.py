"""Shared fixtures. The CoNLL++ files come from $NERLIB_DATA_DIR (CI points it at
../shared/data/conllpp); they are never copied into the project."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nerlib.data.conllpp import DATA_DIR_ENV


@pytest.fixture(scope="session")
def conllpp_dir() -> Path:
    """The folder holding conllpp_{train,dev,test}.txt, from $NERLIB_DATA_DIR."""
    value = os.environ.get(DATA_DIR_ENV)
    if not value:
        pytest.fail(f"set {DATA_DIR_ENV} to the folder holding conllpp_{{train,dev,test}}.txt "
                    "(bash .ci/run sets it to ../shared/data/conllpp)")
    return Path(value)


@pytest.fixture(scope="session")
def conllpp(conllpp_dir):
    """CoNLL++ as a DatasetDict (loaded once per test session)."""
    from nerlib.data.conllpp import load_conllpp

    return load_conllpp(conllpp_dir)


@pytest.fixture(scope="session")
def wordpiece_tokenizer(conllpp):
    """A real fast WordPiece tokenizer trained on the training split's tokens (cased, 4k vocab)."""
    from nerlib.modeling.wordpiece import train_wordpiece_tokenizer

    return train_wordpiece_tokenizer(conllpp["train"]["tokens"], vocab_size=4000)


# --- training fixtures ---

TINY_MODEL = "scratch:layers=1,hidden=64,heads=2,intermediate=128,vocab=2000"


def tiny_run_args(data_dir: Path, output_dir: Path, *extra: str, model: str = TINY_MODEL) -> list[str]:
    """Command-line arguments for a quick from-scratch training run (a few dozen steps)."""
    return ["--model", model, "--data-dir", str(data_dir), "--output-dir", str(output_dir),
            "--max-train-samples", "960", "--max-eval-samples", "200", "--epochs", "2",
            "--batch-size", "16", "--learning-rate", "3e-3", "--eval-steps", "25", "--seed", "1",
            "--disable-tqdm", "--cpu", *extra]


@pytest.fixture(scope="session")
def tiny_run(conllpp_dir, tmp_path_factory) -> Path:
    """A finished training run folder: a 1-layer from-scratch BERT trained 120 steps (2 epochs) on
    960 CoNLL++ sentences, validated every 25 steps and at epoch ends on 200 sentences, tested on
    200. It holds run.json, metrics.jsonl, progress.json, checkpoints/{step-25,...,epoch-2,best}/ and
    predictions/{validation,test}.conll. Its F1 is low (~0.3); it is for plumbing, not accuracy."""
    from training.train import main

    return main(tiny_run_args(conllpp_dir, tmp_path_factory.mktemp("runs") / "tiny"))


@pytest.fixture(scope="session")
def two_tiny_runs(tiny_run, conllpp_dir, tmp_path_factory) -> Path:
    """A runs folder holding two tiny runs that differ only in the seed: ``tiny`` (a copy of
    :func:`tiny_run`, seed 1) and ``tiny-seed2`` (the same options, seed 2); for comparisons and
    seed spreads. Kept apart from ``tiny_run``'s folder so that tests reading that folder see one run."""
    import shutil

    from training.train import main

    runs = tmp_path_factory.mktemp("two-runs")
    shutil.copytree(tiny_run, runs / "tiny")
    main(tiny_run_args(conllpp_dir, runs / "tiny-seed2", "--seed", "2"))
    return runs


@pytest.fixture
def dashboard_run_copy(tiny_run, tmp_path, monkeypatch):
    """A copy of the tiny run in its own runs folder, the app (``NERLIB_RUNS_DIR``) pointed at it:
    a page may write into it (saved predictions, calibration) without touching the shared run."""
    import shutil

    runs = tmp_path / "runs"
    run = shutil.copytree(tiny_run, runs / "tiny")
    monkeypatch.setenv("NERLIB_RUNS_DIR", str(runs))
    return run
