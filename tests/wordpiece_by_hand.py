"""Test helper: a fast WordPiece tokenizer over a hand-written vocabulary, so that every sub-token
count is known without training one (the mutation tests run it once per mutant)."""

from __future__ import annotations

from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
from transformers import PreTrainedTokenizerFast

# "John" is two pieces (Jo ##hn), "Johnny" three (Jo ##hn ##ny); every other word one.
VOCAB = {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "the": 4, "Jo": 5, "##hn": 6, "ran": 7, "Paris": 8,
         "##ny": 9, "in": 10, "Rome": 11}
CLS, SEP = VOCAB["[CLS]"], VOCAB["[SEP]"]


def hand_tokenizer(model_max_length: int = 512) -> PreTrainedTokenizerFast:
    """The tokenizer: ``[CLS] ... [SEP]`` around one sequence, ``[UNK]`` for unknown words, nothing
    for a word of control characters."""
    inner = Tokenizer(models.WordPiece(VOCAB, unk_token="[UNK]"))
    # as BERT's: control characters are removed, so a word of only those has no sub-token at all
    inner.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=False, strip_accents=False,
                                                  lowercase=False)
    inner.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    inner.post_processor = processors.TemplateProcessing(single="[CLS] $A [SEP]",
                                                         special_tokens=[("[CLS]", CLS), ("[SEP]", SEP)])
    return PreTrainedTokenizerFast(tokenizer_object=inner, unk_token="[UNK]", cls_token="[CLS]", sep_token="[SEP]",
                                   pad_token="[PAD]", model_max_length=model_max_length)
