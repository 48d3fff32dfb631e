"""Text: raw text -> words and sentences, each with its exact character offsets.

- `words`: split text into words the way CoNLL tokenizes (``split_words``, ``word_spans``).
- `sentences`: sentence boundaries over those words (``sentence_ranges``).

May import: `nerlib.settings`, `nerlib.data`.
"""
