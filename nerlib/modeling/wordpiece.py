"""Training a small BERT-style WordPiece tokenizer from words (no hub needed).

Used for from-scratch models (fully offline training) and for tests that need a real fast
tokenizer with ``word_ids()``.

The vocabulary is learnt here, not with ``tokenizers.trainers.WordPieceTrainer``: that trainer
breaks ties between equally frequent merges by hash-map order, so the same words and seed gave a
different vocabulary on every call (and a different model). :func:`learn_wordpiece_vocab` runs the
same algorithm (byte-pair-style merges of ``##``-continued characters, most frequent pair first)
with ties broken by the pieces' text, so the same words always give the same vocabulary.
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
from transformers import PreTrainedTokenizerFast

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
PREFIX = "##"  # marks a piece that continues a word


def learn_wordpiece_vocab(word_counts: dict[str, int], vocab_size: int, min_frequency: int = 2,
                          special_tokens: Sequence[str] = SPECIAL_TOKENS) -> list[str]:
    """Learn a WordPiece vocabulary from word counts, deterministically.

    Equal counts are broken by the pieces' text, so the same counts always give the same vocabulary.

    Parameters
    ----------
    word_counts:
        Word -> number of occurrences (empty words are ignored).
    vocab_size:
        The most entries the vocabulary gets (special tokens and the alphabet included).
    min_frequency:
        Merging stops when no pair of pieces occurs this many times any more.
    special_tokens:
        Tokens placed first, in order.

    Returns
    -------
    list of str
        Special tokens, then every character seen as a word start and as a ``##`` continuation
        (sorted), then merged pieces in merge order; at most ``vocab_size`` entries, or fewer when
        merging stopped at ``min_frequency``.

    >>> vocab = learn_wordpiece_vocab({"low": 5, "lower": 2, "newest": 6}, vocab_size=20, special_tokens=())
    >>> vocab[:8]  # the alphabet
    ['##e', '##o', '##r', '##s', '##t', '##w', 'l', 'n']
    >>> vocab[8:]  # merges, most frequent pair first: "##w ##e" occurs 2 + 6 times
    ['##we', 'lo', '##ewe', '##ewes', '##ewest', 'newest', 'low', '##wer', 'lower']
    """
    words = sorted(word for word in word_counts if word)
    counts = [word_counts[word] for word in words]
    pieces = [[word[0], *(PREFIX + char for char in word[1:])] for word in words]
    alphabet = sorted({piece for split in pieces for piece in split})
    vocab = list(dict.fromkeys([*special_tokens, *alphabet]))
    known = set(vocab)

    pair_counts: dict[tuple[str, str], int] = defaultdict(int)
    where: dict[tuple[str, str], set[int]] = defaultdict(set)  # pair -> indices of words holding it
    for index, split in enumerate(pieces):
        for pair in zip(split, split[1:]):
            pair_counts[pair] += counts[index]
            where[pair].add(index)
    # A max-heap by count, ties by text; entries go stale as counts change and are skipped on pop.
    heap = [(-count, pair) for pair, count in pair_counts.items()]
    heapq.heapify(heap)
    while len(vocab) < vocab_size and heap:
        negative, pair = heapq.heappop(heap)
        if pair_counts.get(pair, 0) != -negative:
            continue
        if -negative < min_frequency:
            break
        merged = pair[0] + pair[1][len(PREFIX):]
        if merged not in known:
            known.add(merged)
            vocab.append(merged)
        changed: set[tuple[str, str]] = set()
        for index in sorted(where.pop(pair, ())):
            split, count = pieces[index], counts[index]
            for old in zip(split, split[1:]):
                pair_counts[old] -= count
                where[old].discard(index)
                changed.add(old)
            new_split, position = [], 0
            while position < len(split):
                if position + 1 < len(split) and (split[position], split[position + 1]) == pair:
                    new_split.append(merged)
                    position += 2
                else:
                    new_split.append(split[position])
                    position += 1
            pieces[index] = new_split
            for new in zip(new_split, new_split[1:]):
                pair_counts[new] += count
                where[new].add(index)
                changed.add(new)
        pair_counts.pop(pair, None)
        for other in changed:
            if pair_counts.get(other, 0) > 0:
                heapq.heappush(heap, (-pair_counts[other], other))
            else:
                pair_counts.pop(other, None)
    return vocab


def train_wordpiece_tokenizer(
    word_sequences: Iterable[Sequence[str]],
    vocab_size: int = 8000,
    lowercase: bool = False,
    model_max_length: int = 512,
    min_frequency: int = 2,
) -> PreTrainedTokenizerFast:
    """A fast BERT-style tokenizer trained on ``word_sequences``.

    The same words always give the same vocabulary (see the module docstring). It splits on
    whitespace and punctuation, adds ``[CLS] ... [SEP]``, and supports
    ``is_split_into_words=True`` with ``word_ids()``, like ``bert-base-cased``'s tokenizer.
    Save it with ``save_pretrained`` next to a model.

    Parameters
    ----------
    word_sequences:
        Sentences as word lists, e.g. the training split's ``tokens`` column.
    vocab_size:
        The most vocabulary entries (see :func:`learn_wordpiece_vocab`).
    lowercase:
        Fold case and strip accents, like an uncased BERT; False keeps both (NFC only), since
        both are strong NER cues.
    model_max_length:
        The tokenizer's ``model_max_length``.
    min_frequency:
        The least count of a pair of pieces that is still merged.

    Returns
    -------
    PreTrainedTokenizerFast
        The tokenizer, with ``[PAD]``, ``[UNK]``, ``[CLS]``, ``[SEP]`` and ``[MASK]``.

    >>> tokenizer = train_wordpiece_tokenizer([["Paris", "is", "nice"]] * 3, vocab_size=60)
    >>> tokenizer(["Paris", "is", "lovely"], is_split_into_words=True).word_ids()
    [None, 0, 1, 2, None]
    >>> tokenizer.tokenize("Paris is lovely")  # "v" and "y" were never seen
    ['Paris', 'is', '[UNK]']
    """
    # Cased models keep accents and case (both are strong NER cues); uncased ones fold both, like BERT.
    normalizer = (
        normalizers.Sequence([normalizers.NFD(), normalizers.Lowercase(), normalizers.StripAccents()])
        if lowercase else normalizers.NFC()
    )
    pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    word_counts: Counter[str] = Counter()
    for words in word_sequences:
        text = normalizer.normalize_str(" ".join(words))
        word_counts.update(piece for piece, _ in pre_tokenizer.pre_tokenize_str(text))
    vocab = learn_wordpiece_vocab(word_counts, vocab_size, min_frequency)

    tokenizer = Tokenizer(models.WordPiece({token: i for i, token in enumerate(vocab)}, unk_token="[UNK]",
                                           continuing_subword_prefix=PREFIX))
    tokenizer.normalizer = normalizer
    tokenizer.pre_tokenizer = pre_tokenizer
    cls_id, sep_id = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)],
    )
    tokenizer.decoder = decoders.WordPiece(prefix=PREFIX)
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]",
        model_max_length=model_max_length,
        do_lower_case=lowercase,
    )
