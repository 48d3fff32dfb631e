"""Training a small BERT-style WordPiece tokenizer from words (no hub needed).

Used for from-scratch models (fully offline training) and for tests that need a real fast
tokenizer with ``word_ids()``.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
from transformers import PreTrainedTokenizerFast

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")


def train_wordpiece_tokenizer(
    word_sequences: Iterable[Sequence[str]],
    vocab_size: int = 8000,
    lowercase: bool = False,
    model_max_length: int = 512,
    min_frequency: int = 2,
) -> PreTrainedTokenizerFast:
    """Return a fast BERT-style tokenizer trained on ``word_sequences`` (e.g. the training split's
    ``tokens`` column).

    It splits on whitespace and punctuation, adds ``[CLS] ... [SEP]``, and supports
    ``is_split_into_words=True`` with ``word_ids()``, like ``bert-base-cased``'s tokenizer.
    Save it with ``save_pretrained`` next to a model.
    """
    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    # Cased models keep accents and case (both are strong NER cues); uncased ones fold both, like BERT.
    tokenizer.normalizer = (
        normalizers.Sequence([normalizers.NFD(), normalizers.Lowercase(), normalizers.StripAccents()])
        if lowercase else normalizers.NFC()
    )
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    trainer = trainers.WordPieceTrainer(
        vocab_size=vocab_size, min_frequency=min_frequency, special_tokens=list(SPECIAL_TOKENS)
    )
    tokenizer.train_from_iterator((" ".join(words) for words in word_sequences), trainer=trainer)
    cls_id, sep_id = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)],
    )
    tokenizer.decoder = decoders.WordPiece(prefix="##")
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]",
        model_max_length=model_max_length,
        do_lower_case=lowercase,
    )
