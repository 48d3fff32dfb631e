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

from nerlib.labels import entity_spans, split_tag, to_iob2
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


@dataclass
class _Window:
    text_index: int
    first_word: int  # words [first_word, end_word) of the text
    end_word: int
    input_ids: list[int]
    word_positions: list[int]  # position of each word's first sub-token in input_ids



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
        self._prefix, self._suffix = self._special_tokens()
        specials = len(self._prefix) + len(self._suffix)
        self.max_length = max_length or self._model_window()
        self.capacity = self.max_length - specials  # sub-tokens of words per window
        if self.capacity < 2:
            raise ValueError(f"max_length={self.max_length} leaves no room next to {specials} special tokens")
        self.overlap = min(overlap if overlap is not None else min(128, self.capacity // 4), self.capacity - 1)
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        self.unk_id = tokenizer.unk_token_id if tokenizer.unk_token_id is not None else self.pad_id
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

    def _special_tokens(self) -> tuple[list[int], list[int]]:
        """Token ids the tokenizer puts before and after one sequence (``[CLS]``/``[SEP]``...)."""
        encoding = self.tokenizer(["x"], is_split_into_words=True, add_special_tokens=True)
        word_ids = encoding.word_ids()
        ids = encoding["input_ids"]
        positions = [i for i, w in enumerate(word_ids) if w is not None]
        return list(ids[: positions[0]]), list(ids[positions[-1] + 1 :])

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
        in order. Empty or whitespace-only texts give no words and no entities. ``progress`` is
        called as ``progress(done, total)`` (windows) after every batch, e.g. for a progress bar."""
        texts = list(texts)
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(f"texts[{i}] is {type(text).__name__}, expected str")
        word_lists = [split_words(text) for text in texts]
        return self._tag(texts, word_lists, batch_size, progress)

    def tag_words(self, word_lists: Iterable[Sequence[str]], batch_size: int | None = None,
                  progress: Callable[[int, int], None] | None = None) -> list[TaggedText]:
        """Tag pre-split sentences (e.g. CoNLL tokens). Each result's ``text`` is the words joined by
        single spaces, with offsets into that text; ``labels`` has one label per given word."""
        texts, words = [], []
        for i, tokens in enumerate(word_lists):
            tokens = list(tokens)
            bad = [t for t in tokens if not isinstance(t, str) or not t or any(c.isspace() for c in t)]
            if bad:
                raise ValueError(f"sentence {i}: words must be non-empty strings without spaces, got {bad[:3]!r}")
            text, split = words_from_tokens(tokens)
            texts.append(text)
            words.append(split)
        return self._tag(texts, words, batch_size, progress)

    def predict(self, word_lists: Sequence[Sequence[str]], batch_size: int | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
        """Return raw ``(label_ids, scores)`` arrays per sentence of words (no IOB repair)."""
        return self._predict([list(w) for w in word_lists], batch_size or self.batch_size)

    # ---------------------------------------------------------------------------------------
    # internals

    def _tag(self, texts: list[str], word_lists: list[list[Word]], batch_size: int | None,
             progress: Callable[[int, int], None] | None = None) -> list[TaggedText]:
        predictions = self._predict([[w.text for w in words] for words in word_lists], batch_size or self.batch_size,
                                    progress)
        results = []
        for text, words, (label_ids, scores) in zip(texts, word_lists, predictions):
            labels = to_iob2([self.labels[i] for i in label_ids.tolist()])
            score_list = scores.tolist()
            tagged = [
                TaggedWord(w.text, w.start, w.end, label, score)
                for w, label, score in zip(words, labels, score_list)
            ]
            entities = []
            for span in entity_spans(labels):
                start, end = words[span.start].start, words[span.end - 1].end
                entities.append(Entity(
                    text=text[start:end], label=span.label, start=start, end=end,
                    score=float(sum(score_list[span.start:span.end]) / len(span)),
                ))
            results.append(TaggedText(text=text, words=tagged, entities=entities))
        return results

    def _encode(self, word_lists: list[list[str]]) -> list[tuple[list[int], np.ndarray]]:
        """Sub-token ids of each sentence and the index of each word's first sub-token."""
        encoded: list[tuple[list[int], np.ndarray]] = [([], np.zeros(1, dtype=np.int64))] * len(word_lists)
        todo = [i for i, words in enumerate(word_lists) if words]
        if not todo:
            return encoded
        batch = self.tokenizer(
            [word_lists[i] for i in todo], is_split_into_words=True, add_special_tokens=False,
            truncation=False, verbose=False,
        )
        for i, encoding in zip(todo, batch.encodings):
            n_words = len(word_lists[i])
            ids = encoding.ids
            word_ids = np.array([-1 if w is None else w for w in encoding.word_ids], dtype=np.int64)
            counts = np.bincount(word_ids[word_ids >= 0], minlength=n_words)
            if (counts == 0).any():
                # A word the tokenizer drops entirely (a control character, say) still needs a
                # position for its prediction: give it an unknown token.
                ids, word_ids = self._fill_empty_words(ids, word_ids, counts)
                counts = np.bincount(word_ids, minlength=n_words)
            starts = np.zeros(n_words + 1, dtype=np.int64)
            np.cumsum(counts, out=starts[1:])
            encoded[i] = (list(ids), starts)
        return encoded

    def _fill_empty_words(self, ids: list[int], word_ids: np.ndarray, counts: np.ndarray):
        new_ids: list[int] = []
        new_word_ids: list[int] = []
        by_word: dict[int, list[int]] = {}
        for token, word in zip(ids, word_ids.tolist()):
            if word >= 0:
                by_word.setdefault(word, []).append(token)
        for word in range(len(counts)):
            tokens = by_word.get(word) or [self.unk_id]
            new_ids.extend(tokens)
            new_word_ids.extend([word] * len(tokens))
        return new_ids, np.array(new_word_ids, dtype=np.int64)

    def _windows(self, text_index: int, ids: list[int], starts: np.ndarray) -> list[_Window]:
        """Cut one sentence into windows of whole words that fit the model, overlapping."""
        n_words = len(starts) - 1
        capacity, overlap = self.capacity, self.overlap
        windows = []
        first = 0
        while True:
            # the furthest end such that words [first, end) fit
            end = int(np.searchsorted(starts, starts[first] + capacity, side="right")) - 1
            end = max(min(end, n_words), first + 1)  # one over-long word is cut to the window
            token_start = int(starts[first])
            token_ids = ids[token_start:int(starts[end])][:capacity]
            positions = [int(p) - token_start + len(self._prefix) for p in starts[first:end]]
            windows.append(_Window(text_index, first, end, self._prefix + token_ids + self._suffix, positions))
            if end >= n_words:
                return windows
            # start the next window so that about `overlap` sub-tokens are shared, always moving on
            next_first = int(np.searchsorted(starts, starts[end] - overlap, side="left"))
            first = max(next_first, first + 1)

    def _predict(self, word_lists: list[list[str]], batch_size: int,
                 progress: Callable[[int, int], None] | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
        import torch

        encoded = self._encode(word_lists)
        windows: list[_Window] = []
        for i, (ids, starts) in enumerate(encoded):
            if word_lists[i]:
                windows.extend(self._windows(i, ids, starts))
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
            right = window.end_word - 1 - index if window.end_word < len(word_lists[window.text_index]) else np.full(len(index), 1 << 40)
            margin = np.minimum(left, right)
            better = margin > margins[window.text_index][index]
            target_labels, target_scores = results[window.text_index]
            target_labels[index[better]] = labels[better]
            target_scores[index[better]] = scores[better]
            margins[window.text_index][index[better]] = margin[better]
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
