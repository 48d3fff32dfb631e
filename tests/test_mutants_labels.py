"""IOB tags: cases that kill the mutants `bench/mutation.py` found surviving in nerlib.data.labels.

Expected answers are written by hand from the IOB1/IOB2 definitions (see docs/data.md).
"""

import pytest

from nerlib.data.labels import is_iob1, split_tag


def test_split_tag_keeps_a_hyphenated_type_whole():
    assert split_tag("B-MISC-EVENT") == ("B", "MISC-EVENT")
    assert split_tag("I-X-Y") == ("I", "X-Y")


@pytest.mark.parametrize("tag", ["B-", "I-", "X-PER", "b-PER", "BPER", ""])
def test_split_tag_rejects_a_missing_type_or_an_unknown_prefix(tag):
    with pytest.raises(ValueError, match="not an IOB tag"):
        split_tag(tag)


def test_is_iob1_answers_a_real_bool():
    assert is_iob1(["O", "O"]) is False
    assert is_iob1([]) is False
    assert is_iob1(["I-PER", "O"]) is True


def test_a_b_tag_after_o_means_iob2_even_after_an_iob1_looking_start():
    # I-PER opens an entity as IOB1 does, but B-LOC after O is something IOB1 never writes.
    assert is_iob1(["I-PER", "O", "B-LOC"]) is False


def test_a_b_tag_after_another_type_means_iob2():
    # IOB1 writes B- only between two adjacent entities of the same type.
    assert is_iob1(["I-PER", "B-LOC"]) is False
    assert is_iob1(["I-PER", "B-PER"]) is True
