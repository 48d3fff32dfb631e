"""Loading CoNLL++ and other CoNLL data as DatasetDicts: counts, Features, sources, checksums."""

import shutil
from pathlib import Path

import pytest

from nerlib.data.conll import ConllFormatError
from nerlib.data.conllpp import (
    CONLLPP_SHA256,
    DATA_DIR_ENV,
    ChecksumError,
    DataNotFoundError,
    conllpp_features,
    find_conllpp_dir,
    load_conll,
    load_conllpp,
    split_name,
)


def test_split_counts_and_features_equal_hugging_face(conllpp):
    assert {split: len(ds) for split, ds in conllpp.items()} == {"train": 14041, "validation": 3250, "test": 3453}
    for ds in conllpp.values():
        assert ds.features == conllpp_features()
        assert ds.column_names == ["id", "tokens", "pos_tags", "chunk_tags", "ner_tags"]
    names = conllpp["train"].features["ner_tags"].feature.names
    assert names == ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"]
    assert len(conllpp["train"].features["pos_tags"].feature.names) == 47
    assert len(conllpp["train"].features["chunk_tags"].feature.names) == 23
    first = conllpp["train"][0]
    assert first["id"] == "0" and len(first["tokens"]) == len(first["ner_tags"]) == len(first["pos_tags"])


def test_documents_column(conllpp_dir):
    data = load_conllpp(conllpp_dir, with_documents=True)
    assert data["train"].features == conllpp_features(with_documents=True)
    assert len(set(data["train"]["document"])) == 946
    assert len(set(data["test"]["document"])) == 231
    assert data["test"]["document"][0] == 0


def test_environment_variable_is_used(conllpp_dir, monkeypatch):
    monkeypatch.setenv(DATA_DIR_ENV, str(conllpp_dir))
    assert find_conllpp_dir() == conllpp_dir


def corrupt_copy(conllpp_dir: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "copy"
    folder.mkdir()
    for name in CONLLPP_SHA256:
        shutil.copy(conllpp_dir / name, folder / name)
    (folder / "conllpp_dev.txt").chmod(0o644)
    with open(folder / "conllpp_dev.txt", "a", encoding="utf-8") as handle:
        handle.write("Extra NNP B-NP B-PER\n")
    return folder


def test_checksum_mismatch_is_an_error(conllpp_dir, tmp_path, monkeypatch):
    folder = corrupt_copy(conllpp_dir, tmp_path)
    with pytest.raises(ChecksumError, match="conllpp_dev.txt"):
        load_conllpp(folder)
    monkeypatch.setenv(DATA_DIR_ENV, str(folder))
    with pytest.raises(ChecksumError, match=r"copy/conllpp_dev\.txt has sha256 [0-9a-f]{64}, expected"):
        find_conllpp_dir()
    # the cache is verified too: a corrupt cached file is never used silently
    monkeypatch.delenv(DATA_DIR_ENV)
    monkeypatch.setenv("NERLIB_CACHE_DIR", str(tmp_path))
    folder.rename(tmp_path / "conllpp")
    with pytest.raises(ChecksumError, match=r"conllpp/conllpp_dev\.txt has sha256 [0-9a-f]{64}, expected"):
        find_conllpp_dir(download=False)


def test_nothing_found_says_what_was_tried_and_what_to_set(tmp_path, monkeypatch):
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)
    monkeypatch.setenv("NERLIB_CACHE_DIR", str(tmp_path / "empty-cache"))
    with pytest.raises(DataNotFoundError) as caught:
        find_conllpp_dir(download=False)
    message = str(caught.value)
    assert DATA_DIR_ENV in message and "cache" in message and "download: disabled" in message
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(DataNotFoundError, match="nowhere"):
        find_conllpp_dir()


def test_download_failure_is_reported(tmp_path, monkeypatch):
    # No network here: the real download path must fail loudly and name the setting.
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)
    monkeypatch.setenv("NERLIB_CACHE_DIR", str(tmp_path))
    import nerlib.data.conllpp as data

    monkeypatch.setattr(data, "CONLLPP_URL", "http://127.0.0.1:9/{name}")  # a closed local port
    with pytest.raises(DataNotFoundError, match=r"download from .* failed"):
        find_conllpp_dir()
    assert not any((tmp_path / "conllpp").glob("*.txt"))


def test_split_names():
    assert split_name(Path("conllpp_dev.txt")) == "validation"
    assert split_name(Path("eng.testa")) == "validation"
    assert split_name(Path("eng.testb")) == "test"
    assert split_name(Path("train.conll")) == "train"
    assert split_name(Path("my-news.txt")) == "my-news"


def test_load_conll_file_and_folder(tmp_path):
    (tmp_path / "train.txt").write_text("Anna I-PER\nsings O\n\nin O\nLimbo I-LOC\n", encoding="utf-8")
    (tmp_path / "test.txt").write_text("Bo B-PER\n", encoding="utf-8")
    data = load_conll(tmp_path)
    assert set(data) == {"train", "test"}
    names = data["train"].features["ner_tags"].feature.names
    assert [names[i] for i in data["train"][0]["ner_tags"]] == ["B-PER", "O"]  # IOB1 -> IOB2
    assert data["train"].column_names == ["id", "tokens", "ner_tags"]
    single = load_conll(tmp_path / "test.txt")
    assert list(single) == ["test"] and single["test"][0]["tokens"] == ["Bo"]


def test_load_conll_other_label_set(tmp_path):
    path = tmp_path / "bio.txt"
    path.write_text("aspirin B-DRUG\nfor O\nAnna B-PER\n", encoding="utf-8")
    names = load_conll(path)["bio"].features["ner_tags"].feature.names
    assert names == ["O", "B-PER", "I-PER", "B-DRUG", "I-DRUG"]


def test_load_conll_malformed_names_line(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("A B-PER\nB C D\n", encoding="utf-8")
    with pytest.raises(ConllFormatError, match="bad.txt, line 2"):
        load_conll(path)
