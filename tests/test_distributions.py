"""Per-word label distributions (``Tagger.predict(..., distributions=True)``, ``tag_words``,
``evaluate_sentences``): every row a distribution whose arg-max is the label and whose maximum is
the score, taken from the window whose label is kept, pooled over all sub-tokens of a multi-piece
word; checked against a slow reference that runs every window alone. Real tokenizer, real (random,
contextual) tiny BERT from ``tests/test_tagger.py``.
"""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from nerlib.data.conll import ConllSentence  # noqa: E402
from nerlib.data.labels import split_tag  # noqa: E402
from nerlib.evaluation.calibration import type_probabilities  # noqa: E402
from nerlib.evaluation.scoring import evaluate_sentences  # noqa: E402
from nerlib.modeling.encoding import encode_words, sentence_windows  # noqa: E402
from nerlib.tagging.tagger import Tagger  # noqa: E402
from tests.test_tagger import FILLER, KEYWORDS, save_random_model  # noqa: E402

VOCABULARY = [w for w in [*KEYWORDS, *FILLER] if w not in '.!?"()']


@pytest.fixture(scope="module")
def random_dir(tmp_path_factory):
    return save_random_model(tmp_path_factory.mktemp("random"))


def _sentence(seed: int, n_words: int) -> list[str]:
    """Words of one sentence, a third of them glued from two or three words (several sub-tokens)."""
    rng = random.Random(seed)
    words = []
    for _ in range(n_words):
        parts = rng.choice([1, 1, 2, 3])
        words.append("".join(rng.choice(VOCABULARY) for _ in range(parts)))
    return words


def _reference(tagger: Tagger, words: list[str], pooling: str) -> np.ndarray:
    """Each word's distribution, the obvious way: every window run alone (no batch, no padding),
    a word's sub-tokens pooled by the rule (first, or the mean of their log-probabilities), and
    the window where the word's poorer side has the most context kept (the earlier on a tie)."""
    windows, _ = sentence_windows(encode_words(tagger.tokenizer, [words]), max_length=tagger.max_length,
                                  prefix=tagger._prefix, suffix=tagger._suffix, overlap=tagger.overlap)
    best: dict[int, tuple[float, np.ndarray]] = {}
    for window in windows:
        ids = torch.tensor([window.input_ids])
        with torch.inference_mode():
            log_probs = torch.log_softmax(tagger.model(input_ids=ids, attention_mask=torch.ones_like(ids)).logits[0]
                                          .double(), dim=-1)
        ends = [*window.word_positions[1:], window.target_end]
        for k, (first, end) in enumerate(zip(window.word_positions, ends)):
            pooled = log_probs[first] if pooling == "first" else log_probs[first:end].mean(0)
            word = window.first_word + k
            left = word - window.first_word if window.first_word > 0 else math.inf
            right = window.end_word - 1 - word if window.end_word < len(words) else math.inf
            margin = min(left, right)
            if word not in best or margin > best[word][0]:
                best[word] = (margin, torch.softmax(pooled, -1).numpy())
    assert len(windows) > 3  # the sentence really is cut into overlapping windows
    return np.stack([best[w][1] for w in range(len(words))])


@pytest.mark.parametrize("pooling", ["first", "mean"])
def test_distributions_come_from_the_kept_window_and_agree_with_label_and_score(random_dir, pooling):
    tagger = Tagger.from_pretrained(random_dir, device="cpu", dtype="float32", max_length=12, overlap=5,
                                    word_pooling=pooling)
    sentences = [_sentence(0, 40), _sentence(1, 3), [], _sentence(2, 25)]
    plain = tagger.predict(sentences, batch_size=3)
    full = tagger.predict(sentences, batch_size=3, distributions=True)
    assert len(full) == len(sentences)
    for words, (ids, scores), (ids_d, scores_d, probabilities) in zip(sentences, plain, full):
        assert probabilities.dtype == np.float32 and probabilities.shape == (len(words), len(tagger.labels))
        np.testing.assert_array_equal(ids_d, ids)  # asking for distributions changes nothing else
        np.testing.assert_array_equal(scores_d, scores)
        if not words:
            continue
        np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
        np.testing.assert_array_equal(probabilities.argmax(axis=1), ids)
        # the score: the probability of the arg-max label's type, P(B-X) + P(I-X) (P(O) for O)
        by_type, types = type_probabilities(probabilities, tagger.labels)
        kept_type = [types.index(split_tag(tagger.labels[i])[1] or "O") for i in ids]
        np.testing.assert_allclose(scores, by_type[np.arange(len(ids)), kept_type], rtol=1e-5, atol=1e-6)
        assert (scores >= probabilities.max(axis=1) - 1e-6).all()
    # multi-piece words and overlapping windows: the distribution of the window whose label is kept
    encoded = encode_words(tagger.tokenizer, [sentences[0]])[0]
    assert len(encoded.ids) > len(sentences[0]) + 10  # many words have several pieces
    expected = _reference(tagger, sentences[0], pooling)
    np.testing.assert_allclose(full[0][2], expected, atol=1e-5)
    np.testing.assert_array_equal(full[0][0], expected.argmax(axis=1))


def test_every_window_disagrees_somewhere_so_the_reference_can_tell(random_dir):
    """The window choice matters: another window's distribution differs for many shared words."""
    tagger = Tagger.from_pretrained(random_dir, device="cpu", dtype="float32", max_length=12, overlap=5)
    words = _sentence(0, 40)
    windows, _ = sentence_windows(encode_words(tagger.tokenizer, [words]), max_length=12, prefix=tagger._prefix,
                                  suffix=tagger._suffix, overlap=tagger.overlap)
    kept = tagger.predict([words], distributions=True)[0][2]
    differing = 0
    for window in windows:
        ids = torch.tensor([window.input_ids])
        with torch.inference_mode():
            probs = torch.softmax(tagger.model(input_ids=ids).logits[0].float(), -1).numpy()
        for k, position in enumerate(window.word_positions):
            differing += not np.allclose(probs[position], kept[window.first_word + k], atol=1e-4)
    assert differing >= 20


def test_tag_words_and_evaluation_carry_the_distributions(random_dir):
    tagger = Tagger.from_pretrained(random_dir, device="cpu", dtype="float32", max_length=12, overlap=5)
    sentences = [_sentence(3, 30), ["Paris"], []]
    tagged = tagger.tag_words(sentences, distributions=True)
    expected = tagger.predict(sentences, distributions=True)
    for result, (_, scores, probabilities) in zip(tagged, expected):
        np.testing.assert_array_equal(result.probabilities, probabilities)
        assert [w.score for w in result.words] == pytest.approx(scores.tolist())
    assert tagger.tag_words(sentences)[0].probabilities is None  # not asked: not kept
    assert tagger.tag_many(["", "  "], distributions=True)[0].probabilities.shape == (0, len(tagger.labels))
    conll = [ConllSentence(tokens=words, ner_tags=["O"] * len(words)) for words in sentences[:2]]
    result = evaluate_sentences(tagger, conll, distributions=True)
    assert result.labels == tagger.labels
    assert [p.shape for p in result.probabilities] == [(30, 9), (1, 9)]
    assert [len(g) for g in result.gold] == [30, 1]
    np.testing.assert_array_equal(result.probabilities[0], expected[0][2])
    assert evaluate_sentences(tagger, conll).probabilities is None
