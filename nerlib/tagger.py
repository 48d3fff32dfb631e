"""Fast NER inference: raw text in, words with labels and entity spans with character offsets out.

Public API (stable; the dashboard and the localizer use it)::

    tagger = Tagger.from_pretrained(path_or_hub_id, device=None)   # run folder, HF folder, hub id
    tagger.tag(text) -> TaggedText
    tagger.tag_many(texts, batch_size=64) -> list[TaggedText]        # same order as texts
    tagger.tag_words(word_lists, batch_size=64) -> list[TaggedText]  # pre-split (CoNLL) input

    TaggedText(text, words: list[TaggedWord], entities: list[Entity])
    TaggedWord(text, start, end, label, score)
    Entity(text, label, start, end, score)       # text == input[start:end]

How it works: text is split into CoNLL-style words (:mod:`nerlib.words`); each word's label is the
arg-max at its **first sub-token** (the ``first`` alignment the training script uses) and its
``score`` is that label's softmax probability. Word labels are repaired to IOB2 the conlleval way
(an ``I-X`` after ``O`` or after another type starts a new entity, :func:`nerlib.labels.to_iob2`),
so ``words`` and ``entities`` always agree; an entity's score is the mean of its words' scores.
A text longer than the model's window is cut, at word boundaries, into windows that overlap by
``overlap`` sub-tokens; each word takes its label from the window where it has the most context on
both sides, so nothing is truncated. All windows of a call are sorted by length and cut into
batches of at most ``batch_size`` whose padding stays under 10%, run under
``torch.inference_mode()``.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from nerlib.encoding import encode_words, read_context_config, sentence_windows, special_tokens
from nerlib.labels import entity_spans, split_tag, to_iob2
from nerlib.sentences import sentence_word_ranges
from nerlib.words import Word, split_words, words_from_tokens

__all__ = ["Entity", "TaggedWord", "TaggedText", "Tagger", "normalize_label"]


@dataclass
class Entity:
    """An entity found in a text: ``text == source[start:end]`` (character offsets, end exclusive).

    ``score`` is the mean confidence of its words (0..1).
    """

    text: str
    label: str
    start: int
    end: int
    score: float

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (score rounded to 4 decimals)."""
        return {**asdict(self), "score": round(self.score, 4)}


@dataclass
class TaggedWord:
    """A word with its IOB2 label and the model's probability for that label."""

    text: str
    start: int
    end: int
    label: str
    score: float


@dataclass
class TaggedText:
    """One tagged text: its words (in order) and the entities they form."""

    text: str
    words: list[TaggedWord] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)

    @property
    def labels(self) -> list[str]:
        """The IOB2 label of each word."""
        return [word.label for word in self.words]

    def to_dict(self, words: bool = False) -> dict[str, Any]:
        """Return ``{"text", "entities"}`` (plus ``"words"`` if asked) ready for ``json.dumps``."""
        out: dict[str, Any] = {"text": self.text, "entities": [e.to_dict() for e in self.entities]}
        if words:
            out["words"] = [{**asdict(w), "score": round(w.score, 4)} for w in self.words]
        return out


def normalize_label(label: str) -> str:
    """Map a model's label name onto IOB: ``S-X``/``E-X`` (IOBES) -> ``B-X``/``I-X``, a bare type
    ``PER`` -> ``I-PER`` (as the HF pipeline reads it), anything empty or ``O`` -> ``O``."""
    if label in ("O", "", "0"):
        return "O"
    try:
        prefix, entity_type = split_tag(label)
    except ValueError:
        return f"I-{label}"
    return "O" if prefix == "O" else f"{prefix}-{entity_type}"


def native_bfloat16_dtype(device: str | None = None) -> Any:
    """Return ``torch.bfloat16`` when ``device`` (default: CUDA if present, else CPU) computes
    bfloat16 natively, else ``None`` (keep the checkpoint's float32)."""
    import torch

    use_cuda = device.startswith("cuda") if device else torch.cuda.is_available()
    if use_cuda:
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else None
    try:
        return torch.bfloat16 if torch.ops.mkldnn._is_mkldnn_bf16_supported() else None
    except (AttributeError, RuntimeError):  # a torch build without oneDNN
        return None

class Tagger:
    """Tag raw text with a token-classification model (see the module docstring).

    Build it with :meth:`from_pretrained`, or from an already loaded ``model``/``tokenizer``
    (a fast tokenizer) and ``id2label``. ``max_length`` caps the window in sub-tokens including
    special tokens (default: what the model and tokenizer allow); ``overlap`` is how many sub-tokens
    consecutive windows share (default: a quarter of the window, at most 128).

    ``document_context`` (default: what the model's ``config.json`` records from training, see
    :mod:`nerlib.encoding`) tags each sentence together with its neighbours of the same text as
    context; ``context_size`` caps that context in sub-tokens per side (default: the model's
    setting; ``None`` fills the window the model was trained with).
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
        batch_size: int = 64,
        document_context: bool | None = None,
        context_size: int | None | str = "model",
    ):
        import torch

        if not getattr(tokenizer, "is_fast", False):
            raise ValueError("Tagger needs a fast tokenizer (word ids come from the Rust tokenizer)")
        self.model = model
        self.tokenizer = tokenizer
        raw = id2label if id2label is not None else model.config.id2label
        self.id2label = {int(i): str(label) for i, label in raw.items()}
        self.labels = [normalize_label(self.id2label[i]) for i in range(len(self.id2label))]
        self.device = torch.device(device) if device is not None else next(model.parameters()).device
        if device is not None:
            self.model.to(self.device)
        self.model.eval()
        self.batch_size = batch_size
        self._prefix, self._suffix = special_tokens(tokenizer)
        specials = len(self._prefix) + len(self._suffix)
        self.max_length = max_length or self._model_window()
        self.capacity = self.max_length - specials  # sub-tokens of words per window
        if self.capacity < 2:
            raise ValueError(f"max_length={self.max_length} leaves no room next to {specials} special tokens")
        self.overlap = min(overlap if overlap is not None else min(128, self.capacity // 4), self.capacity - 1)
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        trained = read_context_config(getattr(model, "config", None))
        self.document_context = trained["document_context"] if document_context is None else bool(document_context)
        self.context_size = trained["context_size"] if context_size == "model" else context_size
        if self.document_context and self.context_size == 0:
            self.context_size = None  # switched on for a model trained without: fill the window
        self.context_length = min(self.max_length, trained["max_length"] or self.max_length)
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
    ) -> "Tagger":
        """Load a checkpoint (run folder, checkpoint folder, HF folder or hub id) and return a Tagger.

        ``device`` defaults to CUDA when available, else CPU. ``dtype`` (``torch.bfloat16`` or
        ``"bfloat16"``, ``"float16"``, ``"float32"``) runs the model in that precision. The default
        ``"auto"`` picks bfloat16 where the hardware computes it natively (CUDA with bf16, CPUs
        with AVX512-BF16 or AMX: about 2x faster, F1 within 0.05 in bench/tagger.py) and float32
        elsewhere; :func:`nerlib.evaluation.evaluate_checkpoint` uses float32 so its scores equal
        the training script's. ``quantize=True`` applies PyTorch dynamic int8
        quantization to the linear layers (CPU only; faster, slightly different scores).
        Other keyword arguments go to :class:`Tagger`. Raises
        :class:`nerlib.checkpoint.CheckpointError` subclasses for unusable checkpoints.
        """
        from nerlib.checkpoint import load_checkpoint

        if dtype == "auto":
            # int8 quantization works on float32 weights only
            dtype = None if quantize else native_bfloat16_dtype(device)
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
        :mod:`nerlib.sentences`), so no entity crosses a sentence boundary; with document context
        the other sentences of the same text are each sentence's context. Empty or
        whitespace-only texts give no words and no entities. ``progress`` is called as
        ``progress(done, total)`` (windows) after every batch, e.g. for a progress bar."""
        texts = list(texts)
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(f"texts[{i}] is {type(text).__name__}, expected str")
        word_lists = [split_words(text) for text in texts]
        sentences = [sentence_word_ranges(text, words) for text, words in zip(texts, word_lists)]
        return self._tag(texts, word_lists, sentences, list(range(len(texts))), batch_size, progress)

    def tag_words(self, word_lists: Iterable[Sequence[str]], batch_size: int | None = None,
                  progress: Callable[[int, int], None] | None = None,
                  documents: Sequence[Any] | None = None) -> list[TaggedText]:
        """Tag pre-split sentences (e.g. CoNLL tokens), each one sentence. Each result's ``text`` is
        the words joined by single spaces, with offsets into that text; ``labels`` has one label
        per given word. ``documents`` (one key per sentence; consecutive sentences with the same
        key form a document, e.g. CoNLL's ``-DOCSTART-`` index) gives document context to a
        tagger that uses it; without it every sentence stands alone."""
        texts, words = [], []
        for i, tokens in enumerate(word_lists):
            tokens = list(tokens)
            bad = [t for t in tokens if not isinstance(t, str) or not t or any(c.isspace() for c in t)]
            if bad:
                raise ValueError(f"sentence {i}: words must be non-empty strings without spaces, got {bad[:3]!r}")
            text, split = words_from_tokens(tokens)
            texts.append(text)
            words.append(split)
        keys = list(documents) if documents is not None else list(range(len(texts)))
        if len(keys) != len(texts):
            raise ValueError(f"{len(keys)} document ids for {len(texts)} sentences")
        return self._tag(texts, words, [[range(len(w))] if w else [] for w in words], keys, batch_size, progress)

    def predict(self, word_lists: Sequence[Sequence[str]], batch_size: int | None = None,
                documents: Sequence[Any] | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
        """Return raw ``(label_ids, scores)`` arrays per sentence of words (no IOB repair);
        ``documents`` as in :meth:`tag_words`."""
        return self._predict([list(w) for w in word_lists], batch_size or self.batch_size,
                             documents=documents if self.document_context else None)

    # ---------------------------------------------------------------------------------------
    # internals

    def _tag(self, texts: list[str], word_lists: list[list[Word]], sentences: list[list[range]],
             documents: list[Any], batch_size: int | None,
             progress: Callable[[int, int], None] | None = None) -> list[TaggedText]:
        """Predict every sentence (``sentences[t]``: word ranges of text ``t``; ``documents[t]``: its
        document key), repair labels to IOB2 per sentence, and build the results per text."""
        flat_words = [[w.text for w in word_lists[t][r.start:r.stop]] for t, ranges in enumerate(sentences) for r in ranges]
        flat_documents = [documents[t] for t, ranges in enumerate(sentences) for _ in ranges]
        predictions = iter(self._predict(flat_words, batch_size or self.batch_size, progress,
                                         documents=flat_documents if self.document_context else None))
        results = []
        for text, words, ranges in zip(texts, word_lists, sentences):
            tagged: list[TaggedWord] = []
            entities: list[Entity] = []
            for sentence in ranges:
                label_ids, scores = next(predictions)
                labels = to_iob2([self.labels[i] for i in label_ids.tolist()])
                score_list = scores.tolist()
                here = words[sentence.start:sentence.stop]
                tagged.extend(TaggedWord(w.text, w.start, w.end, label, score)
                              for w, label, score in zip(here, labels, score_list))
                for span in entity_spans(labels):
                    start, end = here[span.start].start, here[span.end - 1].end
                    entities.append(Entity(
                        text=text[start:end], label=span.label, start=start, end=end,
                        score=float(sum(score_list[span.start:span.end]) / len(span)),
                    ))
            results.append(TaggedText(text=text, words=tagged, entities=entities))
        return results

    def _predict(self, word_lists: list[list[str]], batch_size: int,
                 progress: Callable[[int, int], None] | None = None,
                 documents: Sequence[Any] | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
        """Label ids and scores per sentence; windows come from :mod:`nerlib.encoding` (the encoder
        training uses), with document context when ``documents`` is given."""
        import torch

        encoded = encode_words(self.tokenizer, word_lists)
        windows, _ = sentence_windows(encoded, max_length=self.max_length, prefix=self._prefix, suffix=self._suffix,
                                      documents=documents, context=self.context_size, overlap=self.overlap,
                                      context_length=self.context_length)
        # longest first: a memory problem shows up on the first batch, not the last
        order = sorted(range(len(windows)), key=lambda k: -len(windows[k].input_ids))
        window_labels: list[np.ndarray] = [None] * len(windows)  # type: ignore[list-item]
        window_scores: list[np.ndarray] = [None] * len(windows)  # type: ignore[list-item]
        with torch.inference_mode():
            for batch in self._batches([len(windows[k].input_ids) for k in order], batch_size):
                chunk = [windows[order[k]] for k in batch]
                width = len(chunk[0].input_ids)
                input_ids = torch.full((len(chunk), width), self.pad_id, dtype=torch.long)
                attention = torch.zeros((len(chunk), width), dtype=torch.long)
                rows, cols = [], []
                for r, window in enumerate(chunk):
                    input_ids[r, : len(window.input_ids)] = torch.tensor(window.input_ids)
                    attention[r, : len(window.input_ids)] = 1
                    rows.extend([r] * len(window.word_positions))
                    cols.extend(window.word_positions)
                inputs = {"input_ids": input_ids.to(self.device), "attention_mask": attention.to(self.device)}
                if self._use_token_types:
                    inputs["token_type_ids"] = torch.zeros_like(inputs["input_ids"])
                logits = self.model(**inputs).logits
                picked = logits[torch.tensor(rows, device=logits.device), torch.tensor(cols, device=logits.device)]
                probabilities = torch.softmax(picked.float(), dim=-1)
                scores, labels = probabilities.max(dim=-1)
                scores, labels = scores.cpu().numpy(), labels.cpu().numpy()
                offset = 0
                for k, window in zip((order[b] for b in batch), chunk):
                    n = len(window.word_positions)
                    window_labels[k] = labels[offset:offset + n]
                    window_scores[k] = scores[offset:offset + n]
                    offset += n
                if progress is not None:
                    progress(batch.stop, len(windows))
        return self._merge(word_lists, windows, window_labels, window_scores)

    @staticmethod
    def _batches(lengths: list[int], batch_size: int, waste: float = 0.1) -> list[range]:
        """Cut windows sorted longest first into batches of at most ``batch_size`` whose padding
        stays under ``waste`` of the batch: compute grows with padded tokens, so a batch of 64
        sentences from 100 down to 30 sub-tokens would spend most of its time on padding."""
        batches = []
        begin = 0
        while begin < len(lengths):
            longest = lengths[begin]
            end, total = begin + 1, lengths[begin]
            while end < len(lengths) and end - begin < batch_size:
                if (end + 1 - begin) * longest - (total + lengths[end]) > waste * (end + 1 - begin) * longest:
                    break
                total += lengths[end]
                end += 1
            batches.append(range(begin, end))
            begin = end
        return batches

    @staticmethod
    def _merge(word_lists, windows, window_labels, window_scores) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per sentence, take each word's prediction from the window giving it most context."""
        results = [(np.zeros(len(words), dtype=np.int64), np.zeros(len(words), dtype=np.float32)) for words in word_lists]
        margins = [np.full(len(words), -1, dtype=np.int64) for words in word_lists]
        for window, labels, scores in zip(windows, window_labels, window_scores):
            index = np.arange(window.first_word, window.end_word)
            # context on the poorer side; the first and last window have no edge on the outer side
            left = index - window.first_word if window.first_word > 0 else np.full(len(index), 1 << 40)
            right = window.end_word - 1 - index if window.end_word < len(word_lists[window.sentence]) else np.full(len(index), 1 << 40)
            margin = np.minimum(left, right)
            better = margin > margins[window.sentence][index]
            target_labels, target_scores = results[window.sentence]
            target_labels[index[better]] = labels[better]
            target_scores[index[better]] = scores[better]
            margins[window.sentence][index[better]] = margin[better]
        return results


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
