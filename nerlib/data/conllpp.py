"""The CoNLL++ dataset as a ``datasets.DatasetDict``, and any other CoNLL data.

Where the CoNLL++ files come from, in order: an explicit folder; the folder named by the
``NERLIB_DATA_DIR`` environment variable; the local cache (``$NERLIB_CACHE_DIR/conllpp``,
default ``~/.cache/nerlib/conllpp``); a download of the three original files from the CrossWeigh
repository, verified by sha256 before it is used.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import BinaryIO

import datasets

from nerlib.data.conll import ConllSentence, read_conll, read_conll_stream
from nerlib.data.labels import CHUNK_TAGS, ENTITY_TYPES, NER_LABELS, POS_TAGS, split_tag
from nerlib.settings import DATA_DIR_ENV, cache_dir

#: split name -> file name of the original CoNLL++ release
CONLLPP_FILES: dict[str, str] = {
    "train": "conllpp_train.txt",
    "validation": "conllpp_dev.txt",
    "test": "conllpp_test.txt",
}
CONLLPP_SHA256: dict[str, str] = {
    "conllpp_train.txt": "213953b5522fb7924802d883e50f027b2c6ffb5d4d0e63368ed82909f9b60423",
    "conllpp_dev.txt": "c02eb19809eafb83998326a0481942eb37d96f31826ae387cfe8773699969f5b",
    "conllpp_test.txt": "4eb3b5114787d0df24087e9c9dfc956abf4cfd5e201bc1056b48ff4f7b37c0e8",
}
CONLLPP_URL = "https://raw.githubusercontent.com/ZihanWangKi/CrossWeigh/master/data/{name}"

#: file-name stems that name a split in a folder of CoNLL files
_SPLIT_ALIASES = {
    "train": "train", "training": "train",
    "dev": "validation", "valid": "validation", "validation": "validation", "testa": "validation",
    "test": "test", "testb": "test",
}


class DataNotFoundError(FileNotFoundError):
    """No usable copy of the data was found; the message lists what was tried and what to set."""


class ChecksumError(ValueError):
    """A data file's sha256 differs from the published one: it is corrupt or a different file."""


def sha256_of(path: str | Path) -> str:
    """The hex sha256 of a file (read in 1 MiB blocks)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_conllpp_dir(folder: str | Path) -> None:
    """Check that ``folder`` holds the three CoNLL++ files with their published sha256.

    Parameters
    ----------
    folder:
        The folder that should hold ``conllpp_{train,dev,test}.txt``.

    Raises
    ------
    FileNotFoundError
        Naming the files that are missing.
    ChecksumError
        For the first file whose sha256 differs from the published one.
    """
    folder = Path(folder)
    missing = [name for name in CONLLPP_SHA256 if not (folder / name).is_file()]
    if missing:
        raise FileNotFoundError(f"{folder} lacks {', '.join(missing)}")
    for name, expected in CONLLPP_SHA256.items():
        actual = sha256_of(folder / name)
        if actual != expected:
            raise ChecksumError(
                f"{folder / name} has sha256 {actual}, expected {expected}: the file is corrupt or "
                "not the CoNLL++ release; delete it (or fix the folder) and load again"
            )


def download_conllpp(target: str | Path, url_template: str = CONLLPP_URL, timeout: float = 30) -> Path:
    """Download the three CoNLL++ files into ``target`` and verify each.

    Each file is written to a temporary name and only renamed into place after its sha256
    matches, so a failed or corrupt download never looks like data. A file already there with the
    right sha256 is not downloaded again.

    Parameters
    ----------
    target:
        The folder to download into; created if missing.
    url_template:
        The URL of each file, with ``{name}`` for its file name (default: the CrossWeigh
        repository).
    timeout:
        Seconds to wait for each connection.

    Returns
    -------
    Path
        ``target``.

    Raises
    ------
    ChecksumError
        When a downloaded file's sha256 differs from the published one (nothing is saved).
    urllib.error.URLError, OSError, TimeoutError
        When a download fails.
    """
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    for name, expected in CONLLPP_SHA256.items():
        destination = target / name
        if destination.is_file() and sha256_of(destination) == expected:
            continue
        url = url_template.format(name=name)
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (fixed https URL)
            payload = response.read()
        actual = hashlib.sha256(payload).hexdigest()
        if actual != expected:
            raise ChecksumError(f"download of {url} has sha256 {actual}, expected {expected}; nothing was saved")
        with tempfile.NamedTemporaryFile(dir=target, delete=False) as handle:
            handle.write(payload)
        os.replace(handle.name, destination)
    return target


def find_conllpp_dir(data_dir: str | Path | None = None, download: bool = True) -> Path:
    """A folder holding verified CoNLL++ files.

    Tried in order: ``data_dir``, ``$NERLIB_DATA_DIR``, the local cache, a download into the
    cache. An explicitly named folder (argument or variable) that is missing or fails
    verification is an error, never skipped.

    Parameters
    ----------
    data_dir:
        A folder holding ``conllpp_{train,dev,test}.txt``; None to look elsewhere.
    download:
        Whether to download into the cache when nothing else holds the files.

    Returns
    -------
    Path
        The folder.

    Raises
    ------
    DataNotFoundError
        Listing what was tried, when no source holds the files (also when ``$NERLIB_DATA_DIR``
        names a folder without them).
    FileNotFoundError
        When ``data_dir`` lacks some of the files (naming them).
    ChecksumError
        When a file found fails verification.
    """
    if data_dir is not None:
        verify_conllpp_dir(data_dir)
        return Path(data_dir)
    from_env = os.environ.get(DATA_DIR_ENV)
    if from_env:
        try:
            verify_conllpp_dir(from_env)
        except FileNotFoundError as error:
            raise DataNotFoundError(f"{DATA_DIR_ENV}={from_env} does not hold CoNLL++: {error}") from None
        return Path(from_env)
    cached = cache_dir("conllpp")
    tried = ["argument data_dir: not given", f"${DATA_DIR_ENV}: not set"]
    if all((cached / name).is_file() for name in CONLLPP_SHA256):
        verify_conllpp_dir(cached)
        return cached
    tried.append(f"cache {cached}: empty")
    if download:
        try:
            return download_conllpp(cached)
        except (urllib.error.URLError, OSError, TimeoutError) as error:
            tried.append(f"download from {CONLLPP_URL.format(name='...')}: failed ({error})")
    else:
        tried.append("download: disabled")
    raise DataNotFoundError(
        "CoNLL++ data not found. Tried:\n  - " + "\n  - ".join(tried) + "\n"
        f"Set {DATA_DIR_ENV} to a folder holding {', '.join(CONLLPP_SHA256)} "
        "(or pass data_dir=...)."
    )


def conllpp_features(with_documents: bool = False) -> datasets.Features:
    """The Features of the Hugging Face ``conllpp`` dataset (same names and order).

    Parameters
    ----------
    with_documents:
        Add an int32 ``document`` column (not in the Hugging Face dataset).

    Returns
    -------
    datasets.Features
        ``id``, ``tokens``, ``pos_tags``, ``chunk_tags``, ``ner_tags`` (and ``document``).
    """
    features = {
        "id": datasets.Value("string"),
        "tokens": datasets.Sequence(datasets.Value("string")),
        "pos_tags": datasets.Sequence(datasets.ClassLabel(names=list(POS_TAGS))),
        "chunk_tags": datasets.Sequence(datasets.ClassLabel(names=list(CHUNK_TAGS))),
        "ner_tags": datasets.Sequence(datasets.ClassLabel(names=list(NER_LABELS))),
    }
    if with_documents:
        features["document"] = datasets.Value("int32")
    return datasets.Features(features)


def ner_label_names(sentences: Iterable[ConllSentence]) -> list[str]:
    """The NER label list for ``sentences``.

    Parameters
    ----------
    sentences:
        Sentences with IOB2 ``ner_tags``.

    Returns
    -------
    list of str
        CoNLL++'s nine labels when they suffice, otherwise ``O`` followed by ``B-``/``I-`` of each
        type (CoNLL types first, then others alphabetically).

    >>> from nerlib.data.conll import ConllSentence
    >>> len(ner_label_names([ConllSentence(["Ada"], ["B-PER"])]))
    9
    >>> ner_label_names([ConllSentence(["Ada", "Lisp"], ["B-PER", "B-LANG"])])
    ['O', 'B-PER', 'I-PER', 'B-LANG', 'I-LANG']
    """
    types = {split_tag(tag)[1] for s in sentences for tag in s.ner_tags} - {""}
    if types <= set(ENTITY_TYPES):
        return list(NER_LABELS)
    ordered = [t for t in ENTITY_TYPES if t in types] + sorted(types - set(ENTITY_TYPES))
    return ["O"] + [f"{p}-{t}" for t in ordered for p in ("B", "I")]


def sentences_to_dataset(
    sentences: Sequence[ConllSentence],
    *,
    with_documents: bool = False,
    label_names: Sequence[str] | None = None,
) -> datasets.Dataset:
    """A ``datasets.Dataset`` of ``sentences``.

    With CoNLL-2003 tag sets the Features equal the Hugging Face ``conllpp`` ones. Columns a file
    does not have (POS, chunk) are left out; a tag set beyond CoNLL's gets its own ClassLabel.

    Parameters
    ----------
    sentences:
        The sentences (IOB2 tags).
    with_documents:
        Add the ``document`` column (each sentence's document index within its file).
    label_names:
        The ``ner_tags`` ClassLabel names; default :func:`ner_label_names` of ``sentences``.

    Returns
    -------
    datasets.Dataset
        One row per sentence; ``id`` is the sentence index as a string, tag columns hold ids.
    """
    label_names = list(label_names or ner_label_names(sentences))
    has_pos = all(s.pos_tags is not None for s in sentences) and bool(sentences)
    has_chunk = all(s.chunk_tags is not None for s in sentences) and bool(sentences)
    standard = conllpp_features(with_documents)
    features: dict[str, datasets.features.FeatureType] = {"id": standard["id"], "tokens": standard["tokens"]}
    columns: dict[str, list] = {
        "id": [str(i) for i in range(len(sentences))],
        "tokens": [s.tokens for s in sentences],
    }
    if has_pos:
        pos_known = {t for s in sentences for t in s.pos_tags} <= set(POS_TAGS)
        features["pos_tags"] = standard["pos_tags"] if pos_known else datasets.Sequence(datasets.Value("string"))
        columns["pos_tags"] = [s.pos_tags for s in sentences]
    if has_chunk:
        chunk_known = {t for s in sentences for t in s.chunk_tags} <= set(CHUNK_TAGS)
        features["chunk_tags"] = standard["chunk_tags"] if chunk_known else datasets.Sequence(datasets.Value("string"))
        columns["chunk_tags"] = [s.chunk_tags for s in sentences]
    features["ner_tags"] = datasets.Sequence(datasets.ClassLabel(names=label_names))
    columns["ner_tags"] = [s.ner_tags for s in sentences]
    if with_documents:
        features["document"] = standard["document"]
        columns["document"] = [s.document for s in sentences]
    return _arrow_dataset(columns, datasets.Features(features), [len(s) for s in sentences])


def _arrow_dataset(columns: dict[str, list], features: datasets.Features, lengths: list[int]) -> datasets.Dataset:
    """A Dataset of ``columns`` (one list per sentence for sequence columns) built as Arrow arrays
    directly: each sequence column is one flat array plus the sentence offsets, and ClassLabel tags
    are mapped to ids on the flat list. ``Dataset.from_dict`` converts nested Python lists instead,
    and its default fingerprint pickles the whole table: both cost more memory than the parse itself
    (an upload's peak, measured in docs/benchmarks.md, "Uploads")."""
    import numpy as np
    import pyarrow as pa

    schema = features.arrow_schema
    offsets = pa.array(np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)]).astype(np.int32))
    arrays = []
    for name, feature in features.items():
        inner = getattr(feature, "feature", None)
        if inner is None:  # one value per sentence
            arrays.append(pa.array(columns[name], type=schema.field(name).type))
            continue
        flat = [value for row in columns[name] for value in row]
        if isinstance(inner, datasets.ClassLabel):
            ids = {label: i for i, label in enumerate(inner.names)}
            try:
                flat = np.fromiter((ids[tag] for tag in flat), dtype=np.int64, count=len(flat))
            except KeyError as error:
                raise ValueError(f"Invalid string class label {error.args[0]}") from None
        values = pa.array(flat, type=schema.field(name).type.value_type)
        arrays.append(pa.ListArray.from_arrays(offsets, values))
    table = pa.Table.from_arrays(arrays, schema=schema)
    # The fingerprint from the Arrow buffers themselves (no copy): the default one pickles the table.
    digest = hashlib.sha256(repr(features).encode())
    for array in arrays:
        for buffer in array.buffers():
            if buffer is not None:
                digest.update(buffer)
    return datasets.Dataset(datasets.table.InMemoryTable(table), info=datasets.DatasetInfo(features=features),
                            fingerprint=digest.hexdigest()[:16])


def load_conllpp(
    data_dir: str | Path | None = None,
    *,
    download: bool = True,
    with_documents: bool = False,
    progress: Callable[[int, int, str], None] | None = None,
) -> datasets.DatasetDict:
    """CoNLL++ as a ``DatasetDict`` with splits ``train``, ``validation``, ``test``.

    Columns and Features equal the Hugging Face ``conllpp`` dataset.

    Parameters
    ----------
    data_dir:
        A folder holding the three files; None to look in ``$NERLIB_DATA_DIR``, the cache, then
        download (see :func:`find_conllpp_dir` for where the files come from).
    download:
        Whether a download is allowed when no folder holds the files.
    with_documents:
        Add an int ``document`` column: the index of each sentence's document within its split.
    progress:
        Called as ``progress(done, total, what)`` before each file is read and once at the end:
        ``done`` of the ``total`` (3) files are read, ``what`` names the file being read and the
        sentences read so far (the last call, ``done == total``, the sentences of every split), e.g.
        for a progress bar.

    Returns
    -------
    datasets.DatasetDict
        The three splits.

    Raises
    ------
    DataNotFoundError, FileNotFoundError, ChecksumError
        As :func:`find_conllpp_dir`.
    """
    folder = find_conllpp_dir(data_dir, download=download)
    splits: dict[str, datasets.Dataset] = {}
    for done, (split, name) in enumerate(CONLLPP_FILES.items()):
        if progress is not None:
            progress(done, len(CONLLPP_FILES), _read_so_far(splits) + f"reading {split} ({name})")
        splits[split] = sentences_to_dataset(read_conll(folder / name), with_documents=with_documents)
    if progress is not None:
        progress(len(CONLLPP_FILES), len(CONLLPP_FILES), _read_so_far(splits).removesuffix("; "))
    return datasets.DatasetDict(splits)


def _read_so_far(splits: dict[str, datasets.Dataset]) -> str:
    """``train 14,041 sentences; `` for the splits read (empty before the first)."""
    return "".join(f"{split} {len(dataset):,} sentences; " for split, dataset in splits.items())


def split_name(path: Path) -> str:
    """The split a CoNLL file's name suggests, else the file's stem.

    >>> split_name(Path("eng.testa")), split_name(Path("conllpp_dev.txt")), split_name(Path("news.txt"))
    ('validation', 'validation', 'news')
    """
    stem = path.name.split(".")[0] if not path.suffix.startswith(".test") else path.suffix[1:]
    for part in reversed(stem.replace("-", "_").split("_")):
        if part.lower() in _SPLIT_ALIASES:
            return _SPLIT_ALIASES[part.lower()]
    return stem


def load_conll(path: str | Path, *, with_documents: bool = False) -> datasets.DatasetDict:
    """Any CoNLL data as a ``DatasetDict``.

    A file gives one split named after it (``train``/``validation``/``test`` where the name says
    so, see :func:`split_name`). A folder gives one split per ``*.txt``/``*.conll``/``*.iob``/
    ``*.tsv`` file (and ``eng.train``-style names). All splits share one NER label list.

    Parameters
    ----------
    path:
        A CoNLL file or a folder of them.
    with_documents:
        Add the ``document`` column (each sentence's document index within its file).

    Returns
    -------
    datasets.DatasetDict
        One split per file.

    Raises
    ------
    ConllFormatError
        Naming file and line, for a malformed line
        (:class:`~nerlib.data.conll.ConllFormatError`).
    FileNotFoundError
        When ``path`` does not exist, or is a folder without CoNLL files.
    ValueError
        When two files of a folder map to the same split name.
    """
    path = Path(path)
    if path.is_dir():
        files = sorted(
            p for p in path.iterdir()
            if p.is_file() and (p.suffix in {".txt", ".conll", ".iob", ".iob2", ".tsv", ".bio"}
                                or p.suffix in {".train", ".testa", ".testb", ".dev", ".test"})
        )
        if not files:
            raise FileNotFoundError(f"no CoNLL files (*.txt, *.conll, *.iob, *.tsv) in {path}")
    elif path.is_file():
        files = [path]
    else:
        raise FileNotFoundError(f"no such file or folder: {path}")
    read = {}
    for file in files:
        name = split_name(file)
        if name in read:
            raise ValueError(f"two files in {path} map to split {name!r}; rename one")
        read[name] = read_conll(file)
    labels = ner_label_names(s for sentences in read.values() for s in sentences)
    return datasets.DatasetDict(
        {name: sentences_to_dataset(sents, with_documents=with_documents, label_names=labels) for name, sents in read.items()}
    )


def load_conll_stream(handle: BinaryIO, name: str, *, with_documents: bool = False) -> datasets.DatasetDict:
    """CoNLL data from a binary stream (an upload) as a ``DatasetDict`` of one split.

    Parsed a line at a time (:func:`nerlib.data.conll.read_conll_stream`): a line is held only up
    to ``NERLIB_MAX_LINE_BYTES``, so a pathological upload (one huge line) ends in an error after
    that many bytes instead of costing memory in proportion to the line; nothing is written to disk.

    Parameters
    ----------
    handle:
        The stream (e.g. Streamlit's ``UploadedFile``), read from where it stands.
    name:
        The upload's file name: messages name it, and the split is named after it (:func:`split_name`).
    with_documents:
        Add the ``document`` column.

    Returns
    -------
    datasets.DatasetDict
        One split.

    Raises
    ------
    ConllFormatError
        Naming ``name`` and the line, for a malformed, undecodable or too long line.
    """
    sentences = read_conll_stream(handle, name).sentences
    return datasets.DatasetDict({split_name(Path(name)): sentences_to_dataset(sentences, with_documents=with_documents)})
