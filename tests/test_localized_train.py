"""``bench/localized_train.py``: the train split with one localized copy of each document mixed in.

Runs the real script (a subprocess, offline GloVe) on the first documents of the CoNLL++ train split,
runs ``python -m nerlib localize`` on the same documents, and checks that the mixed file is the
original documents followed by document i of country i mod k's copy, byte for byte, and that the
folder reads as training data (train / validation / test).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from nerlib.cli import main
from nerlib.localizer.conll import documents_of

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "bench" / "localized_train.py"
DOCUMENTS = 5
pytestmark = pytest.mark.slow  # three runs of the script or CLI, each loading the vectors


def script(*argv: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, str(SCRIPT), *argv], capture_output=True, text=True, env=env,
                          cwd=REPO, timeout=600)


@pytest.fixture(scope="module")
def mixed(tmp_path_factory, conllpp_dir):
    folder = tmp_path_factory.mktemp("mix")
    done = script("--to", "IN,BR", "--from", "West", "--seed", "2", "--max-documents", str(DOCUMENTS),
                  "--output", str(folder / "data"))
    assert done.returncode == 0, done.stderr
    return folder, done.stdout


def test_the_mix_is_the_originals_then_each_document_from_country_i_mod_k(mixed, conllpp_dir):
    folder, printed = mixed
    lines = (conllpp_dir / "conllpp_train.txt").read_text(encoding="utf8").splitlines()
    original = [line for document in documents_of(lines)[:DOCUMENTS] for line in document]
    cut = folder / "cut.txt"
    cut.write_text("".join(line + "\n" for line in original), encoding="utf8")
    copies = []
    for code in ("IN", "BR"):  # the same documents through the CLI: the same code, the same choices
        out = folder / f"{code}.txt"
        assert main(["localize", str(cut), "--to", code, "--from", "West", "--seed", "2", "--output", str(out)]) == 0
        copies.append(documents_of(out.read_text(encoding="utf8").splitlines()))
    expected = original + [line for i in range(DOCUMENTS) for line in copies[i % 2][i]]
    written = (folder / "data" / "train.txt").read_text(encoding="utf8")
    assert written == "".join(line + "\n" for line in expected)
    assert copies[0][0] != documents_of(original)[0]  # the copies do differ from the originals
    assert "India" in printed and "Brazil" in printed and "entities" in printed


def test_the_folder_reads_as_training_data_with_the_original_dev_and_test(mixed, conllpp_dir):
    from training.data import load_splits

    folder, _ = mixed
    data = folder / "data"
    assert (data / "dev.txt").resolve() == (conllpp_dir / "conllpp_dev.txt").resolve()
    splits = load_splits(str(data))
    assert set(splits) == {"train", "validation", "test"}
    lines = (conllpp_dir / "conllpp_train.txt").read_text(encoding="utf8").splitlines()
    original = [line for document in documents_of(lines)[:DOCUMENTS] for line in document]
    sentences = sum(1 for i, line in enumerate(original)
                    if line.strip() and not line.startswith("-DOCSTART-")
                    and (i == 0 or not original[i - 1].strip()))
    assert len(splits["train"]) == 2 * sentences  # each localized copy keeps its sentences


def test_an_unsupported_country_is_one_error_line(tmp_path):
    done = script("--to", "IN,XX", "--output", str(tmp_path / "out"))
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: ") and "India" in done.stderr
    assert not (tmp_path / "out").exists()
