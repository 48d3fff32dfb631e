"""Fast NER inference: raw text in, words with labels and entity spans with character offsets out.

Public API (stable; the dashboard and the localizer use it)::

    tagger = Tagger.from_pretrained(path_or_hub_id, device=None)   # run folder, HF folder, hub id
    tagger.tag(text) -> TaggedText
    tagger.tag_many(texts, batch_size=64) -> list[TaggedText]        # same order as texts
    tagger.tag_words(word_lists, batch_size=64, documents=None) -> list[TaggedText]  # pre-split (CoNLL) input

    TaggedText(text, words: list[TaggedWord], entities: list[Entity])
    TaggedWord(text, start, end, label, score)
    Entity(text, label, start, end, score)       # text == input[start:end]

The Tagger is a facade; each layer lives in its own module. How it works: text is split into CoNLL-style words (:mod:`nerlib.text.words`) and the words into
sentences (:mod:`nerlib.text.sentences`: line breaks and sentence punctuation), so no entity crosses a
sentence boundary. Model inputs come from :mod:`nerlib.modeling.encoding`, the encoder training uses: one
window per sentence, and for a model trained with document context (recorded in its
``config.json``) the window is filled with the neighbouring sentences of the same text as
context. Each word's label comes from :mod:`nerlib.modeling.pooling`, the rule training recorded in the
checkpoint: the arg-max at its **first sub-token** (a model trained with labels on first
sub-tokens, and any checkpoint that records no rule) or of the **mean log-probability of all its
sub-tokens** (trained with labels on every sub-token); its ``score`` is the probability of that
label's entity type, ``P(B-X) + P(I-X)`` (:func:`nerlib.modeling.pooling.pool_words`).
Word labels are repaired to IOB2 the conlleval way (an ``I-X`` after ``O`` or after another type
starts a new entity, :func:`nerlib.data.labels.to_iob2`), per sentence, so ``words`` and ``entities``
always agree; an entity's score is the product of its words' scores (:mod:`nerlib.tagging.decoding`).
A sentence longer than the model's window is cut, at word boundaries, into windows that overlap by
``overlap`` sub-tokens; each word takes its label from the window where it has the most context on
both sides (:func:`nerlib.modeling.encoding.merge_windows`), so nothing is truncated. All windows of
a call are sorted by length and cut into batches within the device's budget of windows, padded
sub-tokens and padding (:mod:`nerlib.tagging.settings`), run under ``torch.inference_mode()``
(:mod:`nerlib.tagging.inference`).
"""

from __future__ import annotations

import contextlib
import gc
import os
import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nerlib.data.labels import label_types
from nerlib.modeling.batching import pad_token_id
from nerlib.modeling.encoding import encode_words, merge_windows, read_context_config, sentence_windows, special_tokens
from nerlib.modeling.pooling import check_pooling
from nerlib.tagging.decoding import Entity, LabelDecoder, SplitText, TaggedText, TaggedWord, normalize_label
from nerlib.tagging.inference import Float16Overflow, predict_windows
from nerlib.tagging.settings import BatchBudget, choose_backend, model_dtype, model_window, quantize_dynamic
from nerlib.text.sentences import sentence_ranges
from nerlib.text.words import word_spans

__all__ = ["Entity", "TaggedWord", "TaggedText", "Tagger", "normalize_label", "quantize_dynamic"]


@contextlib.contextmanager
def _gc_paused():
    """Pause Python's cyclic garbage collector while a call builds many small objects.

    Tagging builds several records per word (words, sub-token lists, results); with torch and
    transformers loaded every full collection walks a large heap, and the allocations trigger
    collections every few hundred objects, a large share of the host time of ``tag_many``
    (measured with the other host-side savings in docs/benchmarks.md, "One NVIDIA H200 (earlier
    runs)"). The records hold no cycles; the collector resumes at the end of the call.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _check_export_is_of(exported: Path, checkpoint: Path | None) -> None:
    """Refuse a run's ``onnx/`` export made from another model than the run's checkpoint (say, an
    earlier best checkpoint): its scores would be taken for this run's."""
    from nerlib.runs.exported import ExportedModelError, checkpoint_identity, read_manifest

    manifest = read_manifest(exported)
    if checkpoint is not None and manifest.model_id != checkpoint_identity(checkpoint):
        raise ExportedModelError(f"{exported} was exported from another model ({manifest.source}) than the checkpoint "
                                 f"{checkpoint}; export it again with python -m nerlib export-onnx")


# A facade over its layers (the module docstring lists them): about 115 lines of code; the rest of
# the class is its numpydoc docstrings.
class Tagger:
    """Tag raw text with a token-classification model (see the module docstring).

    Build it with :meth:`from_pretrained`, or from an already loaded model and tokenizer.

    Parameters
    ----------
    model:
        A ``transformers`` token-classification model.
    tokenizer:
        Its fast tokenizer (word ids come from the Rust tokenizer).
    id2label:
        The label name of each label id; default the model's ``config.id2label``.
    device:
        Move the model there; default the device the model is on.
    max_length:
        Caps the window in sub-tokens including special tokens (default: what the model and
        tokenizer allow, :func:`~nerlib.tagging.settings.model_window`).
    overlap:
        How many sub-tokens consecutive windows of a long sentence share (default: a quarter of the
        window, at most 128).
    batch_size:
        Most windows a batch (default 64 on a CPU, no limit on a GPU).
    max_tokens:
        Most padded sub-tokens a batch (default 32768 on a GPU, no limit on a CPU;
        :class:`~nerlib.tagging.settings.BatchBudget`).
    document_context:
        Tag each sentence together with its neighbours of the same text as context (default: what
        the model's ``config.json`` records from training, see :mod:`nerlib.modeling.encoding`).
    context_size:
        Caps that context in sub-tokens per side (default ``"model"``: the model's setting; ``None``
        fills the window the model was trained with).
    word_pooling:
        ``"first"`` or ``"mean"``: how a word's label is read from its sub-tokens
        (:mod:`nerlib.modeling.pooling`); default what the model's ``config.json`` records, else
        ``"first"``.

    Raises
    ------
    ValueError
        For a slow tokenizer, a ``max_length`` that leaves no room next to the special tokens, or an
        unknown ``word_pooling``.
    """

    source: str = ""  # where from_pretrained found the checkpoint
    path: Any = None
    #: the pooled logits are divided by it before the softmax (1.0: not calibrated; see
    #: :mod:`nerlib.evaluation.calibration`); it changes scores, never labels
    temperature: float = 1.0
    backend: str = "torch"  # "torch" or "onnx" (onnxruntime): what from_pretrained picked, and why
    backend_reason: str = "given a model"
    calibration: Any = None  # the checkpoint's calibration record (nerlib.runs.schemas.CalibrationRecord)

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        id2label: dict[int, str] | None = None,
        *,
        device: str | None = None,
        max_length: int | None = None,
        overlap: int | None = None,
        batch_size: int | None = None,
        max_tokens: int | None = None,
        document_context: bool | None = None,
        context_size: int | None | str = "model",
        word_pooling: str | None = None,
    ):
        import torch

        if not getattr(tokenizer, "is_fast", False):
            raise ValueError("Tagger needs a fast tokenizer (word ids come from the Rust tokenizer)")
        self.model, self.tokenizer = model, tokenizer
        raw = id2label if id2label is not None else model.config.id2label
        self.id2label = {int(i): str(label) for i, label in raw.items()}
        self.labels = [normalize_label(self.id2label[i]) for i in range(len(self.id2label))]
        self._decoder = LabelDecoder(self.labels)
        # word scores are type probabilities, P(B-X) + P(I-X) (nerlib.modeling.pooling.pool_words)
        self._label_types = label_types(self.labels)[1]
        self.device = torch.device(device) if device is not None else next(model.parameters()).device
        if device is not None:
            self.model.to(self.device)
        self.model.eval()
        budget = BatchBudget.for_device(self.device.type, batch_size, max_tokens)
        self.batch_size, self.max_tokens, self.padding = budget.batch_size, budget.max_tokens, budget.padding
        self.pass_tokens = budget.pass_tokens
        # the windows: special tokens around at most `capacity` sub-tokens of words
        self._prefix, self._suffix = special_tokens(tokenizer)
        specials = len(self._prefix) + len(self._suffix)
        self.max_length = max_length or model_window(model, tokenizer)
        self.capacity = self.max_length - specials
        if self.capacity < 2:
            raise ValueError(f"max_length={self.max_length} leaves no room next to {specials} special tokens")
        self.overlap = min(overlap if overlap is not None else min(128, self.capacity // 4), self.capacity - 1)
        self.pad_id = pad_token_id(tokenizer)
        # document context and word pooling: as the model was trained unless asked otherwise
        trained = read_context_config(getattr(model, "config", None))
        self.document_context = trained["document_context"] if document_context is None else bool(document_context)
        self.context_size = trained["context_size"] if context_size == "model" else context_size
        if self.document_context and self.context_size == 0:
            self.context_size = None  # switched on for a model trained without: fill the window
        self.context_length = min(self.max_length, trained["max_length"] or self.max_length)
        self.word_pooling = check_pooling(word_pooling or trained["word_pooling"])
        self._use_token_types = "token_type_ids" in getattr(tokenizer, "model_input_names", ())

    @classmethod
    def from_pretrained(cls, path_or_hub_id: str | os.PathLike, device: str | None = None, *, dtype: Any = "auto",
                        quantize: bool = False, backend: str = "auto", calibrated: bool = True,
                        progress: Callable[[int, int, str], None] | None = None, **options: Any) -> Tagger:
        """Load a checkpoint and return a Tagger.

        Parameters
        ----------
        path_or_hub_id:
            A run folder, checkpoint folder, HF folder or hub id.
        device:
            Where the model runs; default CUDA when available, else CPU.
        dtype:
            ``torch.bfloat16`` or ``"bfloat16"``, ``"float16"``, ``"float32"``: run the model in
            that precision. The default ``"auto"`` picks the fastest precision that keeps entities
            as float32 finds them (:func:`nerlib.tagging.settings.model_dtype`); a float16 overflow
            (NaN scores) switches the tagger to float32 and tags the call again, with a warning.
            :func:`nerlib.evaluation.scoring.evaluate_checkpoint` uses float32 so its scores equal
            the training script's.
        quantize:
            Apply PyTorch dynamic int8 quantization to the linear layers (CPU only; faster,
            slightly different scores; :func:`~nerlib.tagging.settings.quantize_dynamic`); with the
            ONNX backend, run the export's dynamically quantized ``model.int8.onnx``.
        backend:
            ``"torch"``, ``"onnx"`` (an exported folder made by ``python -m nerlib export-onnx``, run
            by onnxruntime on the CPU: the path itself or its ``onnx/`` subfolder;
            :mod:`nerlib.runs.exported`) or ``"auto"``: ONNX for an exported folder, and for a run
            whose ``onnx/`` export exists when tagging on a CPU with ``dtype="auto"``, where the
            export's recorded measurement says an ONNX model (int8 or float32) was faster than
            torch's default on this CPU kind within 0.3 F1 points
            (:func:`~nerlib.runs.exported.auto_onnx_choice`); torch otherwise, and when the export
            is of another model or its file is refused (with a warning). The tagger never exports
            or measures by itself. Its ``backend`` and ``backend_reason`` say what was picked and why.
        calibrated:
            Use the temperature ``python -m nerlib calibrate`` stored in the checkpoint folder
            (calibration.json, :mod:`nerlib.runs.calibration_file`): scores become
            ``softmax(pooled logits / temperature)``, labels stay as they are. ``False`` reads the
            raw scores (temperature 1).
        progress:
            Called as ``progress(done, total, what)`` before each step of the load and once at the
            end (``done == total``, naming the model loaded), e.g. for a progress bar: with torch,
            importing torch, then the steps of :func:`nerlib.runs.checkpoints.load_checkpoint`
            (the checks, transformers and the tokenizer, the architecture's code, the weights);
            with ONNX, reading the export.
        **options:
            Go to :class:`Tagger`.

        Returns
        -------
        Tagger
            The tagger; its ``source`` and ``path`` say where the checkpoint was found, its
            ``temperature`` and ``calibration`` (the record, or None) how its scores are calibrated.

        Raises
        ------
        nerlib.runs.checkpoints.CheckpointError
            For an unusable checkpoint: a subclass naming the problem (see
            :func:`nerlib.runs.checkpoints.load_checkpoint`), a damaged calibration.json too
            (:class:`nerlib.runs.calibration_file.CalibrationError`).
        ValueError
            For an unknown ``dtype`` or ``backend``, ``quantize`` off the CPU, the ONNX backend without
            an export, off the CPU or in another precision, or ``options`` the Tagger refuses.
        ImportError
            For the ONNX backend without onnxruntime (the message names the extra to install).
        """
        from nerlib.modeling.device import cpu_kind
        from nerlib.runs.calibration_file import read_calibration
        from nerlib.runs.checkpoints import LOAD_STEPS, load_checkpoint, resolve_checkpoint_dir
        from nerlib.runs.exported import (
            ExportedModelError,
            auto_onnx_choice,
            find_exported_folder,
            load_exported,
            read_manifest,
        )
        from nerlib.settings import runs_dir

        given = os.fspath(path_or_hub_id)
        local = given if os.path.exists(given) or not (runs_dir() / given).is_dir() else runs_dir() / given
        exported = find_exported_folder(local)
        given_export = exported is not None and exported == Path(local).expanduser()
        chosen, reason, int8 = choose_backend(
            backend, exported, given_export=given_export, device=device, dtype=dtype, quantize=quantize,
            exported_int8=exported is not None and quantize and "int8" in read_manifest(exported).files,
            measured=None if exported is None or given_export else
            lambda: auto_onnx_choice(exported, resolve_checkpoint_dir(local), cpu=cpu_kind(), int8_only=quantize))
        report = progress or (lambda done, total, what: None)
        checkpoint = None
        if chosen == "onnx" and backend == "onnx" and not given_export:
            _check_export_is_of(exported, resolve_checkpoint_dir(local))
        if chosen == "onnx":
            report(0, 1, "reading the ONNX export")
            try:
                checkpoint = load_exported(exported, int8=int8, source=given)
            except ExportedModelError as error:
                if backend != "auto" or given_export:
                    raise
                # auto picked it by its measurement; its file is refused: torch runs, saying why
                chosen, reason = "torch", f"auto: the export is refused: {error}"
                warnings.warn(f"{reason}; running the torch checkpoint", RuntimeWarning, stacklevel=2)
        if checkpoint is not None:
            model = checkpoint.model
            report(1, 1, f"ONNX export ({reason})")
        else:
            report(0, LOAD_STEPS + 1, "importing torch")
            import torch  # noqa: F401 (its first import is a step of its own: it takes seconds)

            checkpoint = load_checkpoint(path_or_hub_id, device=device, dtype=model_dtype(dtype, device, quantize=quantize),
                                         progress=lambda done, total, what: report(done + 1, total + 1, what))
            model = quantize_dynamic(checkpoint.model) if quantize else checkpoint.model
        calibration = read_calibration(checkpoint.path) if calibrated else None
        tagger = cls(model, checkpoint.tokenizer, checkpoint.id2label, **options)
        tagger.source, tagger.path = checkpoint.source, checkpoint.path
        tagger.backend, tagger.backend_reason = chosen, reason
        if calibration is not None:
            tagger.calibration, tagger.temperature = calibration, calibration.temperature
        return tagger

    def tag(self, text: str) -> TaggedText:
        """Tag one text; see :meth:`tag_many`."""
        return self.tag_many([text])[0]

    @_gc_paused()
    def tag_many(self, texts: Iterable[str], batch_size: int | None = None,
                 progress: Callable[[int, int], None] | None = None, *,
                 distributions: bool = False) -> list[TaggedText]:
        """Tag many texts at once (batched across texts).

        Each text is split into sentences (line breaks, sentence punctuation:
        :mod:`nerlib.text.sentences`), so no entity crosses a sentence boundary; with document
        context the other sentences of the same text are each sentence's context.

        Parameters
        ----------
        texts:
            The texts.
        batch_size:
            Most windows a batch; default the tagger's ``batch_size``.
        progress:
            Called as ``progress(done, total)`` (windows) after every batch, e.g. for a progress
            bar.
        distributions:
            Also set each result's ``probabilities``: its words' label distributions (see
            :meth:`predict`).

        Returns
        -------
        list of TaggedText
            One per text, in order. Empty or whitespace-only texts give no words and no entities.

        Raises
        ------
        TypeError
            For a text that is not a ``str``.
        """
        texts = list(texts)
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(f"texts[{i}] is {type(text).__name__}, expected str")
        words = [SplitText(*word_spans(text)) for text in texts]
        sentences = [sentence_ranges(text, w.texts, w.starts, w.ends) for text, w in zip(texts, words)]
        return self._tag(texts, words, sentences, list(range(len(texts))), batch_size, progress, distributions)

    @_gc_paused()
    def tag_words(self, word_lists: Iterable[Sequence[str]], batch_size: int | None = None,
                  progress: Callable[[int, int], None] | None = None,
                  documents: Sequence[Any] | None = None, *, distributions: bool = False) -> list[TaggedText]:
        """Tag pre-split sentences (e.g. CoNLL tokens), each one sentence.

        Parameters
        ----------
        word_lists:
            The sentences, each a list of words.
        batch_size, progress, distributions:
            As in :meth:`tag_many`.
        documents:
            One key per sentence; consecutive sentences with the same key form a document (e.g.
            CoNLL's ``-DOCSTART-`` index), which gives document context to a tagger that uses it.
            Without it every sentence stands alone.

        Returns
        -------
        list of TaggedText
            One per sentence, in order. Each result's ``text`` is the words joined by single
            spaces, with offsets into that text; ``labels`` has one label per given word.

        Raises
        ------
        ValueError
            For a word that is empty, not a string or holds whitespace, or when ``documents`` does
            not hold one key per sentence.
        """
        texts, words = [], []
        for i, tokens in enumerate(word_lists):
            tokens = list(tokens)
            bad = [t for t in tokens if not isinstance(t, str) or not t or any(c.isspace() for c in t)]
            if bad:
                raise ValueError(f"sentence {i}: words must be non-empty strings without spaces, got {bad[:3]!r}")
            texts.append(" ".join(tokens))
            words.append(SplitText.joined(tokens))
        keys = list(documents) if documents is not None else list(range(len(texts)))
        if len(keys) != len(texts):
            raise ValueError(f"{len(keys)} document ids for {len(texts)} sentences")
        return self._tag(texts, words, [[range(len(w.texts))] if w.texts else [] for w in words], keys,
                         batch_size, progress, distributions)

    def predict(self, word_lists: Sequence[Sequence[str]], batch_size: int | None = None,
                documents: Sequence[Any] | None = None, *,
                distributions: bool = False,
                progress: Callable[[int, int], None] | None = None) -> list[tuple[np.ndarray, ...]]:
        """Return the raw predictions per sentence of words (no IOB repair).

        Parameters
        ----------
        word_lists:
            The sentences, each a list of words.
        batch_size:
            Most windows a batch; default the tagger's ``batch_size``.
        documents:
            As in :meth:`tag_words`.
        distributions:
            Also return each word's whole label distribution: the pooled one its label and score
            come from (:func:`nerlib.modeling.pooling.pool_words`), from the window whose label is
            kept for a word that several windows share. Off by default: then nothing but the labels
            and scores leaves the device.
        progress:
            As in :meth:`tag_words`.

        Returns
        -------
        list of tuple
            Per sentence, ``(label_ids, scores)``: numpy arrays with one label id and the
            probability of its entity type (``P(B-X) + P(I-X)``, ``P(O)`` for ``O``) per word; with
            ``distributions``, ``(label_ids, scores, probabilities)`` where ``probabilities`` is a
            float32 array ``(words, len(self.labels))``, columns in the order of :attr:`labels`,
            rows summing to 1, ``label_ids`` their arg-max and ``scores`` the sum of each row over
            the labels of its arg-max's type.

        Raises
        ------
        ValueError
            When ``documents`` does not hold one key per sentence (with document context on).
        """
        return self._predict([list(w) for w in word_lists], batch_size or self.batch_size, progress,
                             documents=documents if self.document_context else None, distributions=distributions)

    def _tag(self, texts: list[str], words: list[SplitText], sentences: list[list[range]],
             documents: list[Any], batch_size: int | None,
             progress: Callable[[int, int], None] | None = None, distributions: bool = False) -> list[TaggedText]:
        """Predict every sentence (``sentences[t]``: word ranges of text ``t``, in order, covering all
        its ``words``; ``documents[t]``: its document key) and decode the results per text."""
        flat_words = [w.texts[r.start:r.stop] for w, ranges in zip(words, sentences) for r in ranges]
        flat_documents = [documents[t] for t, ranges in enumerate(sentences) for _ in ranges]
        predictions = self._predict(flat_words, batch_size or self.batch_size, progress,
                                    documents=flat_documents if self.document_context else None,
                                    distributions=distributions)
        tagged = self._decoder.tagged_texts(texts, words, predictions)
        if distributions and not predictions:  # no words at all: still one column per label
            for result in tagged:
                result.probabilities = np.zeros((0, len(self.labels)), dtype=np.float32)
        return tagged

    def _predict(self, word_lists: list[list[str]], batch_size: int | None,
                 progress: Callable[[int, int], None] | None = None,
                 documents: Sequence[Any] | None = None,
                 distributions: bool = False) -> list[tuple[np.ndarray, ...]]:
        """Label ids and scores (and distributions if asked) per sentence; windows come from
        :mod:`nerlib.modeling.encoding` (the encoder training uses), with document context when
        ``documents`` is given."""
        encoded = encode_words(self.tokenizer, word_lists)
        windows, _ = sentence_windows(encoded, max_length=self.max_length, prefix=self._prefix, suffix=self._suffix,
                                      documents=documents, context=self.context_size, overlap=self.overlap,
                                      context_length=self.context_length)
        try:
            predicted = predict_windows(
                self.model, windows, pad_id=self.pad_id, word_pooling=self.word_pooling, device=self.device,
                budget=BatchBudget(batch_size, self.max_tokens, self.padding, self.pass_tokens),
                token_types=self._use_token_types,
                progress=progress, temperature=self.temperature, distributions=distributions,
                label_types=self._label_types)
        except Float16Overflow as overflow:
            # an activation passed float16's 65,504: run the call again in float32, losing nothing
            warnings.warn(f"{overflow}; the tagger runs in float32 from now on", RuntimeWarning, stacklevel=3)
            self.model.float()
            return self._predict(word_lists, batch_size, progress, documents, distributions)
        merged = merge_windows(windows, [len(words) for words in word_lists], *predicted)
        if distributions:  # a sentence without words still has one column per label
            n_labels = len(self.labels)
            merged = [(ids, scores, probabilities if len(ids) else np.zeros((0, n_labels), dtype=np.float32))
                      for ids, scores, probabilities in merged]
        return merged
