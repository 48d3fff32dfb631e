"""Tagger: offsets, IOB repair, windowing of long texts, batching, empty input.

Models are real BERTs built from a config with a real WordPiece tokenizer (nerlib.modeling.wordpiece):

- ``keyword model``: a BERT whose layers are switched off (zero output projections, zero position
  embeddings), so every word's label depends only on its own first sub-token; chosen words get
  chosen labels. Its right answers are known exactly, which lets the tests check windowing and
  merging word by word.
- ``random model``: an untrained, contextual tiny BERT (labels arbitrary but deterministic).

Other test files import the builders from here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from nerlib.data.labels import NER_LABELS, id2label, label2id  # noqa: E402
from nerlib.modeling.wordpiece import train_wordpiece_tokenizer  # noqa: E402
from nerlib.tagging.tagger import Entity, TaggedText, Tagger, normalize_label  # noqa: E402

# Made-up vocabulary: the keyword model's label for each word; every other word is O.
KEYWORDS = {
    "Merkel": "B-PER", "Angela": "B-PER", "Smith": "I-PER", "Jones": "I-PER",
    "Paris": "B-LOC", "Berlin": "B-LOC", "York": "I-LOC", "Acme": "B-ORG", "Corp.": "I-ORG",
    "Olympics": "B-MISC", "Xi": "I-PER", "Nairobi": "I-LOC",
}
FILLER = ("the", "a", "visited", "met", "in", "and", "said", "on", "with", "of", "to", "from", "New",
          "York", ".", ",", '"', "(", ")", "'s", "today", "report", "Zürich", "naïve", "café", "-", "--")


def _training_words() -> list[list[str]]:
    words = list(KEYWORDS) + list(FILLER)
    return [words, list(reversed(words)), words[::2], words[1::2]] * 3


def build_tokenizer(model_max_length: int = 512):
    """A real fast WordPiece tokenizer trained on the made-up words (cased)."""
    return train_wordpiece_tokenizer(_training_words(), vocab_size=300, min_frequency=1,
                                     model_max_length=model_max_length)


def _config(tokenizer, max_position_embeddings: int = 512, labels=NER_LABELS, hidden: int = 32):
    from transformers import BertConfig

    return BertConfig(
        vocab_size=len(tokenizer), hidden_size=hidden, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=2 * hidden, max_position_embeddings=max_position_embeddings,
        id2label=id2label(labels), label2id=label2id(labels),
    )


def save_random_model(folder: Path, max_position_embeddings: int = 512, model_max_length: int = 512, seed: int = 0) -> Path:
    """Save an untrained contextual tiny BERT token classifier and its tokenizer into ``folder``."""
    from transformers import BertForTokenClassification

    tokenizer = build_tokenizer(model_max_length)
    torch.manual_seed(seed)
    model = BertForTokenClassification(_config(tokenizer, max_position_embeddings))
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return Path(folder)


def build_keyword_model(keywords: dict[str, str] = KEYWORDS, max_position_embeddings: int = 512):
    """A context-free BERT token classifier: a word's label is ``keywords.get(word, "O")``.

    Returns ``(model, tokenizer)``. Every layer's output projection is zero, so each layer is the
    identity after its LayerNorm; position and segment embeddings are zero; the embedding of a
    keyword's first sub-token points at its label's classifier row.
    """
    from transformers import BertForTokenClassification

    tokenizer = build_tokenizer()
    hidden = 32
    model = BertForTokenClassification(_config(tokenizer, max_position_embeddings, hidden=hidden))
    with torch.no_grad():
        for layer in model.bert.encoder.layer:
            for linear in (layer.attention.output.dense, layer.output.dense):
                linear.weight.zero_()
                linear.bias.zero_()
        embeddings = model.bert.embeddings
        embeddings.position_embeddings.weight.zero_()
        embeddings.token_type_embeddings.weight.zero_()
        embeddings.word_embeddings.weight.zero_()
        model.classifier.weight.zero_()
        model.classifier.bias.zero_()
        model.classifier.bias[0] = 1.0  # all-zero hidden state -> O
        for label_id in range(len(NER_LABELS)):
            model.classifier.weight[label_id, label_id] = 10.0
        for word, label in keywords.items():
            first = tokenizer(word, add_special_tokens=False)["input_ids"][0]
            embeddings.word_embeddings.weight[first, NER_LABELS.index(label)] = 10.0
    model.eval()
    return model, tokenizer


def save_keyword_model(folder: Path, keywords: dict[str, str] = KEYWORDS) -> Path:
    """Save the keyword model (see :func:`build_keyword_model`) into ``folder``."""
    model, tokenizer = build_keyword_model(keywords)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return Path(folder)


def seqeval_reading(tags: list[str]) -> tuple[list[str], list[tuple[int, int, str]]]:
    """An independent reference for the conlleval reading of ``tags``: the entities seqeval finds
    (``(start, end, type)``, end exclusive) and the IOB2 labels that spell exactly those entities.
    Tests compare the tagger's repair with it instead of with nerlib's own ``to_iob2``."""
    from seqeval.metrics.sequence_labeling import get_entities

    entities = [(start, end + 1, label) for label, start, end in get_entities(list(tags))]
    labels = ["O"] * len(tags)
    for start, end, label in entities:
        labels[start:end] = [f"B-{label}"] + [f"I-{label}"] * (end - start - 1)
    return labels, entities


def expected_labels(words: list[str]) -> list[str]:
    """What the keyword model must output for ``words``, after conlleval IOB repair (read by seqeval)."""
    return seqeval_reading([KEYWORDS.get(w, "O") for w in words])[0]


@pytest.fixture(scope="module")
def keyword_tagger():
    model, tokenizer = build_keyword_model()
    return Tagger(model, tokenizer, device="cpu")


@pytest.fixture(scope="module")
def random_dir(tmp_path_factory):
    return save_random_model(tmp_path_factory.mktemp("random"))


def check_offsets(text: str, tagged: TaggedText) -> None:
    assert tagged.text == text
    for word in tagged.words:
        assert text[word.start:word.end] == word.text
        assert 0.0 <= word.score <= 1.0
    for entity in tagged.entities:
        assert isinstance(entity, Entity)
        assert text[entity.start:entity.end] == entity.text
        assert 0.0 <= entity.score <= 1.0
    starts = [w.start for w in tagged.words]
    assert starts == sorted(starts)


def test_keyword_model_finds_its_entities(keyword_tagger):
    text = "Angela Merkel visited Paris and Acme Corp. on Olympics day."
    tagged = keyword_tagger.tag(text)
    check_offsets(text, tagged)
    assert [(e.text, e.label) for e in tagged.entities] == [
        ("Angela", "PER"), ("Merkel", "PER"), ("Paris", "LOC"), ("Acme Corp.", "ORG"), ("Olympics", "MISC"),
    ]
    paris = tagged.entities[2]
    assert (paris.start, paris.end) == (text.index("Paris"), text.index("Paris") + 5)
    assert paris.score > 0.99


def test_offsets_exact_on_tricky_text(keyword_tagger):
    text = ("  Paris,Paris  (Paris)\n\n\"Berlin\"\tBerlin's  Zürich naïve café -- Paris\r\n"
            "Paris… Paris!  Paris\u00a0Paris  ")
    tagged = keyword_tagger.tag(text)
    check_offsets(text, tagged)
    paris = [e for e in tagged.entities if e.text == "Paris"]
    # every occurrence of the repeated word gets its own, correct offsets
    assert [e.start for e in paris] == [i for i in range(len(text)) if text.startswith("Paris", i)]
    assert [e.text for e in tagged.entities if e.label == "LOC"].count("Berlin") == 2


def test_iob_repair_like_conlleval(keyword_tagger):
    # Xi is I-PER, Nairobi is I-LOC, Smith/Jones I-PER, York I-LOC
    tagged = keyword_tagger.tag("Xi met Angela Smith Jones in Nairobi York ; Paris Xi")
    assert [(e.text, e.label) for e in tagged.entities] == [
        ("Xi", "PER"),                 # I- after O starts an entity
        ("Angela Smith Jones", "PER"),  # B- I- I- is one entity
        ("Nairobi York", "LOC"),        # I- I- after O is one entity
        ("Paris", "LOC"),
        ("Xi", "PER"),                 # I- after another type starts a new entity
    ]
    assert tagged.words[0].label == "B-PER"  # word labels are repaired too
    two = keyword_tagger.tag("Angela Merkel")
    assert [e.text for e in two.entities] == ["Angela", "Merkel"]  # B- B- is two entities


def test_normalize_label():
    assert normalize_label("S-PER") == "B-PER"
    assert normalize_label("E-LOC") == "I-LOC"
    assert normalize_label("PER") == "I-PER"
    assert normalize_label("O") == "O"
    assert normalize_label("B-ORG") == "B-ORG"


def test_empty_and_whitespace_input(keyword_tagger):
    for text in ["", " ", "\n\t \r\n", "\u200b"]:
        tagged = keyword_tagger.tag(text)
        assert tagged.entities == [] and tagged.words == [] and tagged.text == text
    results = keyword_tagger.tag_many(["Paris", "", "  ", "Berlin"])
    assert [[e.text for e in r.entities] for r in results] == [["Paris"], [], [], ["Berlin"]]
    assert keyword_tagger.tag_many([]) == []


def test_long_text_windows_keep_entities_on_both_sides_of_every_edge():
    model, tokenizer = build_keyword_model()
    small = Tagger(model, tokenizer, device="cpu", max_length=12, overlap=3)
    large = Tagger(model, tokenizer, device="cpu")
    words = []
    pattern = ["Angela", "Merkel", "visited", "New", "York", "and", "Acme", "Corp.", "with", "Xi", "Smith", "."]
    for i in range(25):
        words.extend(pattern[i % 5:] + pattern[: i % 5])  # shift entities across window edges
    text = " ".join(words)
    n_tokens = len(tokenizer(text, add_special_tokens=False)["input_ids"])
    assert n_tokens > 10 * small.capacity  # many windows
    windowed = small.tag(text)
    check_offsets(text, windowed)
    assert windowed.labels == expected_labels(words)
    assert windowed.labels == large.tag(text).labels
    assert len(windowed.entities) == len(large.tag(text).entities)


@pytest.mark.parametrize("overlap", [0, 1, 5])
def test_windowing_with_a_contextual_model_labels_every_word_once(random_dir, overlap):
    tagger = Tagger.from_pretrained(random_dir, device="cpu", max_length=10, overlap=overlap)
    text = " ".join(["Angela Merkel visited Zürich , Paris and New York today ."] * 8)
    tagged = tagger.tag(text)
    check_offsets(text, tagged)
    assert [w.text for w in tagged.words] == text.split()
    # windows of a long text are batched with other texts without changing anything
    batched = tagger.tag_many(["Paris", text, ""], batch_size=3)
    assert batched[1].labels == tagged.labels


def _best_window_reference(model, windows, n_words: int, margin_of=min):
    """The slow, obvious merge: run the model on every window alone (no batch, no padding), then give
    each word the first-sub-token arg-max and its type's probability (``P(B-X) + P(I-X)``, the
    tagger's word score) of the window where its margin (the words
    left and right of it inside the window, ``margin_of`` the two; a sentence's first and last window
    have no edge on their outer side) is largest, the earlier window on a tie. Returns
    ``(labels, scores, per_window_labels)``."""
    import math

    per_window = []
    for window in windows:
        ids = torch.tensor([window.input_ids])
        with torch.inference_mode():
            logits = model(input_ids=ids, attention_mask=torch.ones_like(ids)).logits[0]
        probabilities = torch.softmax(logits[window.word_positions].float(), dim=-1)
        labels = probabilities.argmax(dim=-1).tolist()
        names = [normalize_label(model.config.id2label[i]) for i in range(probabilities.shape[1])]
        types = [name.partition("-")[2] or "O" for name in names]
        scores = [sum(float(p) for p, t in zip(row, types) if t == types[label])
                  for row, label in zip(probabilities, labels)]
        per_window.append((labels, scores))
    labels, scores = [], []
    for word in range(n_words):
        best = None
        for window, (window_labels, window_scores) in zip(windows, per_window):
            if not window.first_word <= word < window.end_word:
                continue
            left = word - window.first_word if window.first_word > 0 else math.inf
            right = window.end_word - 1 - word if window.end_word < n_words else math.inf
            margin = margin_of(left, right)
            if best is None or margin > best[0]:
                k = word - window.first_word
                best = (margin, window_labels[k], window_scores[k])
        labels.append(best[1])
        scores.append(best[2])
    return labels, scores, per_window


@pytest.mark.parametrize("overlap", [5, 8])
def test_each_word_of_a_long_sentence_takes_the_window_where_it_has_most_context_on_both_sides(random_dir, overlap):
    """A contextual model (an untrained tiny BERT) gives a word different labels in different
    windows; the tagger must pick, for every word, the window where its poorer side has the most
    context, as the slow per-word reference does; with half and with most of the window (10
    sub-tokens) shared between neighbours."""
    import random

    from nerlib.modeling.encoding import encode_words, sentence_windows

    tagger = Tagger.from_pretrained(random_dir, device="cpu", dtype="float32", max_length=12, overlap=overlap)
    rng = random.Random(0)
    vocabulary = [w for w in [*KEYWORDS, *FILLER] if w not in '.!?"()']
    words = [rng.choice(vocabulary) for _ in range(80)]  # one sentence: no sentence punctuation
    windows, _ = sentence_windows(encode_words(tagger.tokenizer, [words]), max_length=12, prefix=tagger._prefix,
                                  suffix=tagger._suffix, overlap=tagger.overlap)
    assert len(windows) > 10
    labels, scores, per_window = _best_window_reference(tagger.model, windows, len(words))
    # the windows disagree, and the richer side's context would pick other labels: the check can tell
    votes = [{per_window[j][0][word - w.first_word] for j, w in enumerate(windows) if w.first_word <= word < w.end_word}
             for word in range(len(words))]
    assert sum(len(v) > 1 for v in votes) >= 20
    richer_side, _, _ = _best_window_reference(tagger.model, windows, len(words), margin_of=max)
    assert sum(a != b for a, b in zip(labels, richer_side)) >= 20
    predicted_labels, predicted_scores = tagger.predict([words], batch_size=1)[0]
    assert predicted_labels.tolist() == labels
    assert predicted_scores.tolist() == pytest.approx(scores, abs=1e-6)
    tagged = tagger.tag_words([words], batch_size=1)[0]  # the words and their scores reach the result
    assert [w.score for w in tagged.words] == pytest.approx(scores, abs=1e-6)
    assert [w.label for w in tagged.words] == seqeval_reading([tagger.labels[i] for i in labels])[0]


def test_word_longer_than_the_window_is_cut_not_lost(keyword_tagger):
    model, tokenizer = build_keyword_model()
    tagger = Tagger(model, tokenizer, device="cpu", max_length=8, overlap=2)
    text = "Paris " + "-".join(["café"] * 30) + " Berlin"
    tagged = tagger.tag(text)
    check_offsets(text, tagged)
    assert len(tagged.words) == 3
    assert [e.text for e in tagged.entities] == ["Paris", "Berlin"]


def test_tag_many_matches_tag_one_by_one(random_dir):
    tagger = Tagger.from_pretrained(random_dir, device="cpu")
    texts = ["Angela Merkel visited Paris.", "", "Acme Corp. said New York's report was naïve --",
             "Xi", "the the the the the the the the the the the the the the the"]
    together = tagger.tag_many(texts, batch_size=2)
    for text, result in zip(texts, together):
        single = tagger.tag(text)
        assert result.labels == single.labels
        assert [w.score for w in result.words] == pytest.approx([w.score for w in single.words], abs=1e-4)
        check_offsets(text, result)


def test_tag_words_keeps_given_words(keyword_tagger):
    sentences = [["Angela", "Merkel", "'s", "visit", "to", "Paris"], ["U.S.-led", "Xi"], []]
    results = keyword_tagger.tag_words(sentences)
    assert [len(r.words) for r in results] == [6, 2, 0]
    assert results[0].labels == ["B-PER", "B-PER", "O", "O", "O", "B-LOC"]
    assert results[1].labels == ["O", "B-PER"]  # I-PER after O starts an entity
    assert results[0].text == "Angela Merkel 's visit to Paris"
    check_offsets(results[0].text, results[0])
    with pytest.raises(ValueError, match="without spaces"):
        keyword_tagger.tag_words([["New York"]])


def test_to_dict_is_json_ready(keyword_tagger):
    import json

    data = keyword_tagger.tag("Paris café").to_dict(words=True)
    assert json.loads(json.dumps(data))["entities"][0]["label"] == "LOC"
    assert set(data["entities"][0]) == {"text", "label", "start", "end", "score"}
    assert len(data["words"]) == 2


@pytest.mark.parametrize("options", [{"quantize": True}, {"dtype": torch.bfloat16}, {"dtype": "bfloat16"},
                                     {"dtype": "float16"}], ids=["int8", "torch.bfloat16", "bfloat16", "float16"])
def test_from_pretrained_with_faster_numerics(random_dir, options):
    """``dtype`` loads the weights in that precision and the forward pass runs in it; ``quantize``
    replaces every ``nn.Linear`` with a dynamically quantized int8 one (per-channel scales) that the
    forward pass goes through. Either way the scores move away from float32's, but by little: the
    untrained model's probabilities (about 1/9 each) stay within 0.005 of float32's (bfloat16 keeps 8
    bits of mantissa, a relative error of about 0.4% per operation)."""
    from torch.ao.nn.quantized.dynamic import Linear as QuantizedLinear

    text = "Angela Merkel visited Paris and Acme Corp. on Olympics day with Xi Smith in New York ."
    exact = Tagger.from_pretrained(random_dir, device="cpu", dtype="float32")
    assert exact.model.dtype == torch.float32
    linears = sum(isinstance(m, torch.nn.Linear) for m in exact.model.modules())
    tagger = Tagger.from_pretrained(random_dir, device="cpu", **options)
    ran = []
    if options.get("quantize"):
        quantized = [m for m in tagger.model.modules() if isinstance(m, QuantizedLinear)]
        assert len(quantized) == linears > 0
        assert not any(type(m) is torch.nn.Linear for m in tagger.model.modules())  # none left in float
        assert {m.weight().dtype for m in quantized} == {torch.qint8}
        assert {m.weight().qscheme() for m in quantized} == {torch.per_channel_affine}
        assert {p.dtype for p in tagger.model.parameters()} == {torch.float32}  # embeddings, LayerNorms
        quantized[-1].register_forward_hook(lambda module, args, output: ran.append(output.dtype))
        expected_dtype = torch.float32  # int8 weights, float32 activations in and out
    else:
        expected_dtype = getattr(torch, options["dtype"]) if isinstance(options["dtype"], str) else options["dtype"]
        assert {p.dtype for p in tagger.model.parameters()} == {expected_dtype}
        tagger.model.classifier.register_forward_hook(lambda module, args, output: ran.append(output.dtype))
    tagged = tagger.tag(text)
    assert ran == [expected_dtype]  # one forward pass, through the converted layers
    check_offsets(text, tagged)
    reference = exact.tag(text)
    assert [(w.text, w.start, w.end) for w in tagged.words] == [(w.text, w.start, w.end) for w in reference.words]
    differences = [abs(a.score - b.score) for a, b in zip(tagged.words, reference.words)]
    assert max(differences) < 0.005
    assert max(differences) > 1e-7  # really another precision: float32 again would give the same scores


def test_float16_overflow_is_tagged_again_in_float32():
    import copy

    model, tokenizer = build_keyword_model()
    with torch.no_grad():
        model.classifier.weight.mul_(3000.0)  # a keyword's logit becomes ~1.7e5: past float16's 65,504
    text = "Angela Merkel visited Paris ."
    expected = Tagger(copy.deepcopy(model), tokenizer, device="cpu").tag(text)
    assert [e.label for e in expected.entities] == ["PER", "PER", "LOC"]  # Merkel is B-PER in the keyword model
    half = Tagger(model.half(), tokenizer, device="cpu")
    with pytest.warns(RuntimeWarning, match="float16 overflowed"):
        tagged = half.tag(text)
    assert [(e.label, e.start, e.end) for e in tagged.entities] == [(e.label, e.start, e.end) for e in expected.entities]
    assert all(w.score == w.score for w in tagged.words)  # no NaN left
    assert half.model.dtype == torch.float32


def test_rejects_non_string_input(keyword_tagger):
    with pytest.raises(TypeError, match=r"texts\[1\] is NoneType, expected str"):
        keyword_tagger.tag_many(["ok", None])


def test_progress_reports_every_batch(keyword_tagger):
    calls = []
    keyword_tagger.tag_many(["Paris"] * 5 + ["Berlin and Paris today"] * 3, batch_size=2,
                            progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (8, 8)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    assert all(b - a <= 2 for a, b in zip([0] + [d for d, _ in calls], [d for d, _ in calls]))


def test_word_the_tokenizer_drops_still_gets_a_label():
    from tokenizers import normalizers

    model, tokenizer = build_keyword_model()
    # BERT's own normalizer deletes control characters, so such a word has no sub-token at all
    tokenizer.backend_tokenizer.normalizer = normalizers.BertNormalizer(clean_text=True, lowercase=False,
                                                                        strip_accents=False)
    assert tokenizer(["\x07"], is_split_into_words=True, add_special_tokens=False)["input_ids"] == []
    tagger = Tagger(model, tokenizer, device="cpu")
    text = "Paris \x07 Berlin"
    tagged = tagger.tag(text)
    check_offsets(text, tagged)
    assert [w.label for w in tagged.words] == ["B-LOC", "O", "B-LOC"]


def test_label_repair_for_many_texts_reads_entities_like_seqeval(keyword_tagger):
    """The array-based repair in ``LabelDecoder.repair`` reads the entities seqeval reads (conlleval
    rules) per text, on random label sequences (IOB1 and IOB2 mixed, empty texts included)."""
    import random

    import numpy as np

    from nerlib.tagging.decoding import LabelDecoder

    decoder = LabelDecoder(keyword_tagger.labels)
    rng = random.Random(3)
    for _ in range(50):
        texts = [[rng.randrange(len(keyword_tagger.labels)) for _ in range(rng.choice([0, 1, 2, 5, 12]))]
                 for _ in range(rng.randint(1, 6))]
        offsets = np.cumsum([0] + [len(t) for t in texts])
        if offsets[-1] == 0:
            continue
        labels, spans = decoder.repair(np.array([i for t in texts for i in t], dtype=np.int64), offsets)
        expected_labels, expected_spans = [], []
        for begin, ids in zip(offsets, texts):
            repaired, entities = seqeval_reading([keyword_tagger.labels[i] for i in ids])
            expected_labels.extend(repaired)
            expected_spans.extend((int(begin) + start, int(begin) + end, label) for start, end, label in entities)
        assert labels.tolist() == expected_labels
        assert spans == expected_spans
    # and one case written out: I- after O, a type change inside I-, B- B-
    labels, spans = decoder.repair(np.array([keyword_tagger.labels.index(t) for t in
                                             ["I-PER", "I-PER", "I-LOC", "O", "B-ORG", "B-ORG", "I-ORG"]]),
                                   np.array([0, 7]))
    assert labels.tolist() == ["B-PER", "I-PER", "B-LOC", "O", "B-ORG", "B-ORG", "I-ORG"]
    assert spans == [(0, 2, "PER"), (2, 3, "LOC"), (4, 5, "ORG"), (5, 7, "ORG")]


def test_auto_dtype_follows_the_device_capability():
    from nerlib.modeling.device import DeviceCapability, choose_dtype, native_bfloat16

    assert choose_dtype(DeviceCapability("cuda", capability=(9, 0))) == "float16"   # H100 / H200
    assert choose_dtype(DeviceCapability("cuda", capability=(8, 0))) == "float16"   # A100
    assert choose_dtype(DeviceCapability("cuda", capability=(7, 5))) == "float32"   # T4: not measured
    assert choose_dtype(DeviceCapability("cpu", cpu_bf16=True)) == "bfloat16"       # AVX512-BF16 / AMX
    assert choose_dtype(DeviceCapability("cpu")) == "float32"
    assert choose_dtype(DeviceCapability("mps")) == "float32"
    # training's autocast follows native bfloat16, not the tagging choice
    assert native_bfloat16(DeviceCapability("cuda", capability=(9, 0)))
    assert not native_bfloat16(DeviceCapability("cuda", capability=(7, 5)))
    assert native_bfloat16(DeviceCapability("cpu", cpu_bf16=True)) and not native_bfloat16(DeviceCapability("cpu"))
    probed = DeviceCapability.probe("cpu")
    assert probed.type == "cpu" and probed.capability is None


def test_attention_kernels_are_looked_up_at_call_time(keyword_tagger, monkeypatch):
    """bench/tagger.py compares against unrestricted attention by replacing
    ``nerlib.tagging.settings.attention_kernels``; the forward passes must see the replacement."""
    import contextlib

    import nerlib.tagging.settings

    devices = []

    def spy(device):
        devices.append(device)
        return contextlib.nullcontext()

    monkeypatch.setattr(nerlib.tagging.settings, "attention_kernels", spy)
    assert [e.text for e in keyword_tagger.tag("Paris").entities] == ["Paris"]
    assert devices == [keyword_tagger.device]


def test_short_texts_of_many_lengths_share_forward_passes_with_the_same_results(keyword_tagger, monkeypatch):
    # a served batch: texts of 1 to 24 words; with a padding share only, nearly one pass per length
    texts = [" ".join(["Paris"] + ["visited"] * n) for n in range(24)]
    passes = []
    forward = keyword_tagger.model.forward
    monkeypatch.setattr(keyword_tagger.model, "forward", lambda **inputs: passes.append(1) or forward(**inputs))
    monkeypatch.setattr(keyword_tagger, "pass_tokens", 0)
    apart = [t.to_dict(words=True) for t in keyword_tagger.tag_many(texts)]
    apart_passes, passes[:] = len(passes), []
    monkeypatch.setattr(keyword_tagger, "pass_tokens", 125)
    together = [t.to_dict(words=True) for t in keyword_tagger.tag_many(texts)]
    assert 2 <= len(passes) < apart_passes / 2  # 1-24 words: fewer passes, yet not one padded to 24 words
    assert [[(w["label"], w["start"]) for w in r["words"]] for r in together] == \
        [[(w["label"], w["start"]) for w in r["words"]] for r in apart]
    assert [r["entities"][0]["text"] for r in together] == ["Paris"] * 24


def test_batch_defaults_depend_on_the_device():
    model, tokenizer = build_keyword_model()
    tagger = Tagger(model, tokenizer, device="cpu")
    assert (tagger.batch_size, tagger.max_tokens, tagger.padding, tagger.pass_tokens) == (64, None, 0.1, 125)
    assert Tagger(model, tokenizer, device="cpu", max_tokens=512, batch_size=8).max_tokens == 512
