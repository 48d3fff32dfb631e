"""Fast NER inference: raw text in, words with labels and entity spans with character offsets out.

Public API (stable; the dashboard and the localizer use it)::

    tagger = Tagger.from_pretrained(path_or_hub_id, device=None)   # run folder, HF folder, hub id
    tagger.tag(text) -> TaggedText
    tagger.tag_many(texts, batch_size=64) -> list[TaggedText]        # same order as texts
    tagger.tag_words(word_lists, batch_size=64, documents=None) -> list[TaggedText]  # pre-split (CoNLL) input

    TaggedText(text, words: list[TaggedWord], entities: list[Entity])
    TaggedWord(text, start, end, label, score)
    Entity(text, label, start, end, score)       # text == input[start:end]

How it works: text is split into CoNLL-style words (:mod:`nerlib.text.words`) and the words into
sentences (:mod:`nerlib.text.sentences`: line breaks and sentence punctuation), so no entity crosses a
sentence boundary. Model inputs come from :mod:`nerlib.modeling.encoding`, the encoder training uses: one
window per sentence, and for a model trained with document context (recorded in its
``config.json``) the window is filled with the neighbouring sentences of the same text as
context. Each word's label comes from :mod:`nerlib.modeling.pooling`, the rule training recorded in the
checkpoint: the arg-max at its **first sub-token** (a model trained with labels on first
sub-tokens, and any checkpoint that records no rule) or of the **mean log-probability of all its
sub-tokens** (trained with labels on every sub-token); its ``score`` is that label's probability.
Word labels are repaired to IOB2 the conlleval way (an ``I-X`` after ``O`` or after another type
starts a new entity, :func:`nerlib.data.labels.to_iob2`), per sentence, so ``words`` and ``entities``
always agree; an entity's score is the mean of its words' scores.
A sentence longer than the model's window is cut, at word boundaries, into windows that overlap by
``overlap`` sub-tokens; each word takes its label from the window where it has the most context on
both sides, so nothing is truncated. All windows of a call are sorted by length and cut into
batches of at most ``batch_size`` whose padding stays under 10%, run under
``torch.inference_mode()``.
"""

from __future__ import annotations

import contextlib
import gc
import os
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from nerlib.modeling.batching import pack_windows, pad_token_id, token_budget_batches
from nerlib.modeling.device import auto_dtype
from nerlib.modeling.encoding import (
    encode_words,
    merge_windows,
    read_context_config,
    sentence_windows,
    special_tokens,
)
from nerlib.modeling.pooling import check_pooling, pool_words
from nerlib.tagging.decoding import (
    Entity,
    LabelDecoder,
    SplitText,
    TaggedText,
    TaggedWord,
    normalize_label,
)
from nerlib.text.sentences import sentence_ranges
from nerlib.text.words import word_spans

__all__ = ["Entity", "TaggedWord", "TaggedText", "Tagger", "normalize_label"]


# ---------------------------------------------------------------------------------------------
# precision and batch size per device

# Padded sub-tokens per forward pass on a GPU. A GPU runs a batch of 64 short windows in about the
# time it takes to launch its kernels, so texts per batch is the wrong unit there: batches are cut
# by tokens instead (see docs/benchmarks.md, GPU section, for the measurements behind the number).
GPU_MAX_TOKENS = 32768
CPU_BATCH_SIZE = 64  # windows per forward pass on a CPU (bigger batches are no faster there)
# Share of padded positions a batch may hold. A CPU computes every padded position, so batches stay
# nearly rectangular (10%); a GPU computes a batch's padding almost for free while every batch
# costs a hundred-odd kernel launches, so there fewer, raggeder batches win (up to half padding).
CPU_PADDING, GPU_PADDING = 0.1, 0.5


@contextlib.contextmanager
def _gc_paused():
    """Pause Python's cyclic garbage collector while a call builds many small objects.

    Tagging builds several records per word (words, sub-token lists, results); with torch and
    transformers loaded every full collection walks a large heap, and the allocations trigger
    collections every few hundred objects (about a third of the host time of ``tag_many`` on the
    CoNLL++ test texts). The records hold no cycles; the collector resumes at the end of the call.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _attention_kernels(device: Any):
    """The attention kernels to run inference with on ``device``.

    On CUDA, PyTorch may route bfloat16/float16 attention to cuDNN, which builds and tunes a plan
    for every new input shape; windows of many lengths then pay that per batch. The flash and
    memory-efficient kernels need no plan. Elsewhere: no restriction.
    """
    if getattr(device, "type", None) != "cuda":
        return contextlib.nullcontext()
    try:
        from torch.nn.attention import SDPBackend, sdpa_kernel
    except ImportError:  # older torch: nothing to exclude
        return contextlib.nullcontext()
    return sdpa_kernel([SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION, SDPBackend.MATH])


class Tagger:
    """Tag raw text with a token-classification model (see the module docstring).

    Build it with :meth:`from_pretrained`, or from an already loaded ``model``/``tokenizer``
    (a fast tokenizer) and ``id2label``. ``max_length`` caps the window in sub-tokens including
    special tokens (default: what the model and tokenizer allow); ``overlap`` is how many sub-tokens
    consecutive windows share (default: a quarter of the window, at most 128). A batch holds at
    most ``batch_size`` windows (default 64 on a CPU, no limit on a GPU) and at most ``max_tokens``
    padded sub-tokens (default :data:`GPU_MAX_TOKENS` on a GPU, no limit on a CPU).

    ``document_context`` (default: what the model's ``config.json`` records from training, see
    :mod:`nerlib.modeling.encoding`) tags each sentence together with its neighbours of the same text as
    context; ``context_size`` caps that context in sub-tokens per side (default: the model's
    setting; ``None`` fills the window the model was trained with). ``word_pooling`` (``"first"`` or
    ``"mean"``, default: what the model's ``config.json`` records, else ``"first"``) is how a word's
    label is read from its sub-tokens (:mod:`nerlib.modeling.pooling`).
    """

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
        self.model = model
        self.tokenizer = tokenizer
        raw = id2label if id2label is not None else model.config.id2label
        self.id2label = {int(i): str(label) for i, label in raw.items()}
        self.labels = [normalize_label(self.id2label[i]) for i in range(len(self.id2label))]
        self._decoder = LabelDecoder(self.labels)
        self.device = torch.device(device) if device is not None else next(model.parameters()).device
        if device is not None:
            self.model.to(self.device)
        self.model.eval()
        on_gpu = self.device.type == "cuda"
        # on a CPU a batch holds up to `batch_size` windows; on a GPU up to `max_tokens` padded
        # sub-tokens (an explicit batch_size still caps the windows there)
        self.batch_size = batch_size or (None if on_gpu else CPU_BATCH_SIZE)
        self.max_tokens = max_tokens or (GPU_MAX_TOKENS if on_gpu else None)
        self.padding = GPU_PADDING if on_gpu else CPU_PADDING
        self._prefix, self._suffix = special_tokens(tokenizer)
        specials = len(self._prefix) + len(self._suffix)
        self.max_length = max_length or self._model_window()
        self.capacity = self.max_length - specials  # sub-tokens of words per window
        if self.capacity < 2:
            raise ValueError(f"max_length={self.max_length} leaves no room next to {specials} special tokens")
        self.overlap = min(overlap if overlap is not None else min(128, self.capacity // 4), self.capacity - 1)
        self.pad_id = pad_token_id(tokenizer)
        trained = read_context_config(getattr(model, "config", None))
        self.document_context = trained["document_context"] if document_context is None else bool(document_context)
        self.context_size = trained["context_size"] if context_size == "model" else context_size
        if self.document_context and self.context_size == 0:
            self.context_size = None  # switched on for a model trained without: fill the window
        self.context_length = min(self.max_length, trained["max_length"] or self.max_length)
        self.word_pooling = check_pooling(word_pooling or trained["word_pooling"])
        self._use_token_types = "token_type_ids" in getattr(tokenizer, "model_input_names", ())

    # ---------------------------------------------------------------------------------------
    # construction

    @classmethod
    def from_pretrained(
        cls,
        path_or_hub_id: str | os.PathLike,
        device: str | None = None,
        *,
        dtype: Any = "auto",
        quantize: bool = False,
        **options: Any,
    ) -> Tagger:
        """Load a checkpoint (run folder, checkpoint folder, HF folder or hub id) and return a Tagger.

        ``device`` defaults to CUDA when available, else CPU. ``dtype`` (``torch.bfloat16`` or
        ``"bfloat16"``, ``"float16"``, ``"float32"``) runs the model in that precision. The default
        ``"auto"`` picks the fastest precision measured to keep 99.5% of entities identical to
        float32 (:func:`nerlib.modeling.device.choose_dtype`: float16 on CUDA cards of compute capability
        8.0+, bfloat16 on CPUs with AVX512-BF16 or AMX, float32 elsewhere); a float16 overflow
        (NaN scores) switches the tagger to float32 and tags the call again, with a warning.
        :func:`nerlib.evaluation.scoring.evaluate_checkpoint` uses float32 so its scores equal the training
        script's. ``quantize=True`` applies PyTorch dynamic int8 quantization to the linear layers
        (CPU only; faster, slightly different scores).
        Other keyword arguments go to :class:`Tagger`. Raises
        :class:`nerlib.runs.checkpoints.CheckpointError` subclasses for unusable checkpoints.
        """
        from nerlib.runs.checkpoints import load_checkpoint

        if dtype == "auto":
            # int8 quantization works on float32 weights only
            dtype = None if quantize else auto_dtype(device)
        elif isinstance(dtype, str):
            import torch

            if dtype not in ("float32", "bfloat16", "float16"):
                raise ValueError(f"dtype must be auto, float32, bfloat16 or float16, not {dtype!r}")
            dtype = getattr(torch, dtype)
        checkpoint = load_checkpoint(path_or_hub_id, device=device, dtype=dtype)
        model = checkpoint.model
        if quantize:
            model = quantize_dynamic(model)
        tagger = cls(model, checkpoint.tokenizer, checkpoint.id2label, **options)
        tagger.source = checkpoint.source
        tagger.path = checkpoint.path
        return tagger

    source: str = ""
    path: Any = None

    def _model_window(self) -> int:
        config = self.model.config
        limits = []
        tokenizer_limit = getattr(self.tokenizer, "model_max_length", None)
        if tokenizer_limit and tokenizer_limit < 1_000_000:
            limits.append(int(tokenizer_limit))
        positions = getattr(config, "max_position_embeddings", None)
        if positions:
            # RoBERTa-style models reserve padding_idx + 1 position ids.
            offset = (config.pad_token_id + 1) if getattr(config, "model_type", "") in {
                "roberta", "xlm-roberta", "camembert", "longformer", "bart", "mpnet"} and config.pad_token_id is not None else 0
            limits.append(int(positions) - offset)
        return min(limits) if limits else 512

    # ---------------------------------------------------------------------------------------
    # public API

    def tag(self, text: str) -> TaggedText:
        """Tag one text; see :meth:`tag_many`."""
        return self.tag_many([text])[0]

    def tag_many(self, texts: Iterable[str], batch_size: int | None = None,
                 progress: Callable[[int, int], None] | None = None) -> list[TaggedText]:
        """Tag many texts at once (batched across texts); returns one :class:`TaggedText` per text,
        in order. Each text is split into sentences (line breaks, sentence punctuation:
        :mod:`nerlib.text.sentences`), so no entity crosses a sentence boundary; with document context
        the other sentences of the same text are each sentence's context. Empty or
        whitespace-only texts give no words and no entities. ``progress`` is called as
        ``progress(done, total)`` (windows) after every batch, e.g. for a progress bar."""
        texts = list(texts)
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(f"texts[{i}] is {type(text).__name__}, expected str")
        with _gc_paused():
            words = [SplitText(*word_spans(text)) for text in texts]
            sentences = [sentence_ranges(text, w.texts, w.starts, w.ends) for text, w in zip(texts, words)]
            return self._tag(texts, words, sentences, list(range(len(texts))), batch_size, progress)

    def tag_words(self, word_lists: Iterable[Sequence[str]], batch_size: int | None = None,
                  progress: Callable[[int, int], None] | None = None,
                  documents: Sequence[Any] | None = None) -> list[TaggedText]:
        """Tag pre-split sentences (e.g. CoNLL tokens), each one sentence. Each result's ``text`` is
        the words joined by single spaces, with offsets into that text; ``labels`` has one label
        per given word. ``documents`` (one key per sentence; consecutive sentences with the same
        key form a document, e.g. CoNLL's ``-DOCSTART-`` index) gives document context to a
        tagger that uses it; without it every sentence stands alone."""
        with _gc_paused():
            return self._tag_words(word_lists, batch_size, progress, documents)

    def _tag_words(self, word_lists: Iterable[Sequence[str]], batch_size: int | None,
                   progress: Callable[[int, int], None] | None, documents: Sequence[Any] | None) -> list[TaggedText]:
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
                         batch_size, progress)

    def predict(self, word_lists: Sequence[Sequence[str]], batch_size: int | None = None,
                documents: Sequence[Any] | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
        """Return raw ``(label_ids, scores)`` arrays per sentence of words (no IOB repair);
        ``documents`` as in :meth:`tag_words`."""
        return self._predict([list(w) for w in word_lists], batch_size or self.batch_size,
                             documents=documents if self.document_context else None)

    # ---------------------------------------------------------------------------------------
    # internals

    def _tag(self, texts: list[str], words: list[SplitText], sentences: list[list[range]],
             documents: list[Any], batch_size: int | None,
             progress: Callable[[int, int], None] | None = None) -> list[TaggedText]:
        """Predict every sentence (``sentences[t]``: word ranges of text ``t``, in order, covering all
        its ``words``; ``documents[t]``: its document key), repair labels to IOB2 per sentence, and
        build the results per text."""
        flat_words = [w.texts[r.start:r.stop] for w, ranges in zip(words, sentences) for r in ranges]
        flat_documents = [documents[t] for t, ranges in enumerate(sentences) for _ in ranges]
        predictions = self._predict(flat_words, batch_size or self.batch_size, progress,
                                    documents=flat_documents if self.document_context else None)
        return self._decoder.tagged_texts(texts, words, predictions)

    def _predict(self, word_lists: list[list[str]], batch_size: int | None,
                 progress: Callable[[int, int], None] | None = None,
                 documents: Sequence[Any] | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
        """Label ids and scores per sentence; windows come from :mod:`nerlib.modeling.encoding` (the encoder
        training uses), with document context when ``documents`` is given."""
        import torch

        encoded = encode_words(self.tokenizer, word_lists)
        windows, _ = sentence_windows(encoded, max_length=self.max_length, prefix=self._prefix, suffix=self._suffix,
                                      documents=documents, context=self.context_size, overlap=self.overlap,
                                      context_length=self.context_length)
        lengths = np.fromiter((len(w.input_ids) for w in windows), dtype=np.int64, count=len(windows))
        # longest first: a memory problem shows up on the first batch, not the last
        order = np.argsort(-lengths, kind="stable")
        batches = token_budget_batches(lengths[order].tolist(), batch_size, self.max_tokens, self.padding)
        gpu = self.device.type == "cuda"
        labels_out, scores_out = [], []
        with torch.inference_mode(), _attention_kernels(self.device):
            for batch in batches:
                packed = pack_windows([windows[k] for k in order[batch.start:batch.stop]], self.pad_id,
                                      self.word_pooling)
                shape, cells, picks = packed.input_ids.shape, packed.input_ids.size, len(packed.positions)
                # one host-to-device copy per batch, from pinned memory so that it does not wait
                flat = torch.from_numpy(np.concatenate([packed.input_ids.ravel(), packed.attention_mask.ravel(),
                                                        packed.positions, packed.owners]))
                if gpu:
                    flat = flat.pin_memory()
                flat = flat.to(self.device, non_blocking=gpu)
                inputs = {"input_ids": flat[:cells].view(shape), "attention_mask": flat[cells:2 * cells].view(shape)}
                if self._use_token_types:
                    inputs["token_type_ids"] = torch.zeros_like(inputs["input_ids"])
                logits = self.model(**inputs).logits
                # each word's sub-tokens (the pooling rule's), as rows of the flattened (window, position) grid
                scores, labels = pool_words(logits.flatten(0, 1), flat[2 * cells:2 * cells + picks],
                                            flat[2 * cells + picks:], packed.words)
                labels_out.append(labels)
                scores_out.append(scores)
                if progress is not None:
                    progress(batch.stop, len(windows))
            # one copy back per call: on a GPU no batch waits for the one before to finish
            all_labels = torch.cat(labels_out).cpu().numpy() if labels_out else np.zeros(0, dtype=np.int64)
            all_scores = torch.cat(scores_out).cpu().numpy() if scores_out else np.zeros(0, dtype=np.float32)
        if getattr(self.model, "dtype", None) == torch.float16 and np.isnan(all_scores).any():
            # an activation passed float16's 65,504: run the call again in float32, losing nothing
            warnings.warn("float16 overflowed on this input (NaN scores); the tagger runs in float32 from now on",
                          RuntimeWarning, stacklevel=3)
            self.model.float()
            return self._predict(word_lists, batch_size, progress, documents)
        window_labels: list[np.ndarray] = [None] * len(windows)  # type: ignore[list-item]
        window_scores: list[np.ndarray] = [None] * len(windows)  # type: ignore[list-item]
        offset = 0
        for k in order.tolist():
            n = len(windows[k].word_positions)
            window_labels[k] = all_labels[offset:offset + n]
            window_scores[k] = all_scores[offset:offset + n]
            offset += n
        return merge_windows(windows, [len(words) for words in word_lists], window_labels, window_scores)


def quantize_dynamic(model: Any) -> Any:
    """Return ``model`` with its ``nn.Linear`` layers dynamically quantized to int8 (CPU only).

    Weights become int8 with one scale per output channel (per-tensor scales cost about 2 F1 points
    on MiniLM, per-channel about 0.5); activations are quantized on the fly. Typically about 2x
    faster on CPU; see docs/benchmarks.md for the F1 cost.
    """
    import warnings

    import torch

    if next(model.parameters()).device.type != "cpu":
        raise ValueError("dynamic int8 quantization runs on CPU only; load with device='cpu'")
    with warnings.catch_warnings():
        # torch.ao.quantization is deprecated in favour of torchao but still the dependency-free way
        warnings.simplefilter("ignore")
        try:
            from torch.ao.quantization import per_channel_dynamic_qconfig
            from torch.ao.quantization import quantize_dynamic as _quantize
        except ImportError as error:  # removed in a future torch
            raise RuntimeError("this torch has no torch.ao.quantization; run without quantize=True") from error
        return _quantize(model, {torch.nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8)
