"""Shared fixtures. The CoNLL++ files come from $NERLIB_DATA_DIR (CI points it at
../shared/data/conllpp); they are never copied into the project."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nerlib.data import DATA_DIR_ENV


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
    from nerlib.data import load_conllpp

    return load_conllpp(conllpp_dir)


@pytest.fixture(scope="session")
def wordpiece_tokenizer(conllpp):
    """A real fast WordPiece tokenizer trained on the training split's tokens (cased, 4k vocab)."""
    from nerlib.wordpiece import train_wordpiece_tokenizer

    return train_wordpiece_tokenizer(conllpp["train"]["tokens"], vocab_size=4000)


# --- training fixtures ---
