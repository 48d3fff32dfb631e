"""The tagger's records and label decoding: cases that kill the mutants `bench/mutation.py` found
surviving in nerlib.tagging.decoding. Expected answers are written by hand.
"""

from __future__ import annotations

import json

from nerlib.tagging.decoding import Entity, TaggedText, TaggedWord


def test_entity_to_dict_rounds_the_score_to_four_decimals():
    entity = Entity(text="Paris", label="LOC", start=3, end=8, score=0.123456789)
    assert entity.to_dict() == {"text": "Paris", "label": "LOC", "start": 3, "end": 8, "score": 0.1235}


def test_tagged_text_to_dict_leaves_words_out_unless_asked():
    tagged = TaggedText(text="in Paris",
                        words=[TaggedWord("in", 0, 2, "O", 0.99999), TaggedWord("Paris", 3, 8, "B-LOC", 0.876543)],
                        entities=[Entity("Paris", "LOC", 3, 8, 0.876543)])
    plain = tagged.to_dict()
    assert plain == {"text": "in Paris", "entities": [{"text": "Paris", "label": "LOC", "start": 3, "end": 8,
                                                       "score": 0.8765}]}
    full = tagged.to_dict(words=True)
    assert full["words"] == [
        {"text": "in", "start": 0, "end": 2, "label": "O", "score": 1.0},
        {"text": "Paris", "start": 3, "end": 8, "label": "B-LOC", "score": 0.8765},
    ]
    assert full["text"] == "in Paris" and full["entities"] == plain["entities"]
    json.dumps(full)  # JSON-ready


def test_empty_and_zero_labels_are_o():
    from nerlib.tagging.decoding import normalize_label

    assert normalize_label("") == "O"
    assert normalize_label("0") == "O"
    assert normalize_label("O") == "O"
    assert normalize_label("MISC") == "I-MISC"


def test_repair_returns_an_object_array_of_label_strings():
    import numpy as np

    from nerlib.tagging.decoding import LabelDecoder

    labels, spans = LabelDecoder(["O", "B-PER", "I-PER"]).repair(np.array([2, 0]), np.array([0, 2]))
    assert labels.dtype == object and labels.tolist() == ["B-PER", "O"]
    assert spans == [(0, 1, "PER")]


def test_any_type_name_works_even_one_like_a_placeholder():
    import numpy as np

    from nerlib.tagging.decoding import LabelDecoder

    decoder = LabelDecoder(["O", "B-XXXX", "I-XXXX"])
    labels, spans = decoder.repair(np.array([2, 2, 0, 1]), np.array([0, 4]))
    assert labels.tolist() == ["B-XXXX", "I-XXXX", "O", "B-XXXX"]
    assert spans == [(0, 2, "XXXX"), (3, 4, "XXXX")]
