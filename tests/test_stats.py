"""Dataset statistics on a small made-up fixture with known values, and on CoNLL++."""

from nerlib.data.conllpp import load_conll, load_conllpp
from nerlib.data.statistics import dataset_statistics


def test_statistics_on_fixture(tmp_path):
    (tmp_path / "train.txt").write_text(
        "-DOCSTART- O\n\nAnna B-PER\nKarr I-PER\nin O\nOslo B-LOC\n\nOslo B-LOC\n\n"
        "-DOCSTART- O\n\nAnna B-PER\nKarr I-PER\n", encoding="utf-8")
    (tmp_path / "test.txt").write_text("Oslo B-LOC\nand O\nBo B-PER\n\nAcme B-ORG\n", encoding="utf-8")
    stats = dataset_statistics(load_conll(tmp_path, with_documents=True), top_n=1)
    splits = stats.splits.set_index("split")
    assert splits.loc["train", "sentences"] == 3 and splits.loc["train", "tokens"] == 7
    assert splits.loc["train", "documents"] == 2 and splits.loc["train", "entities"] == 4
    counts = stats.entity_counts.set_index(["split", "type"])["entities"]
    assert counts[("train", "PER")] == 2 and counts[("train", "LOC")] == 2 and counts[("test", "ORG")] == 1
    lengths = stats.entity_lengths.set_index(["split", "type", "length"])["count"]
    assert lengths[("train", "PER", 2)] == 2 and lengths[("train", "LOC", 1)] == 2
    assert stats.sentence_lengths.query("split == 'train'").set_index("length")["count"].to_dict() == {1: 1, 2: 1, 4: 1}
    top = stats.top_entities
    assert top.query("type == 'PER'").iloc[0].to_dict() == {"type": "PER", "text": "Anna Karr", "count": 2}
    assert len(top.query("type == 'LOC'")) == 1  # top_n=1
    unseen = stats.unseen.set_index("type")
    assert unseen.loc["LOC", "share_unseen"] == 0.0
    assert unseen.loc["PER", "unseen_in_train"] == 1 and unseen.loc["ORG", "share_unseen"] == 1.0
    assert unseen.loc["ALL", "test_entities"] == 3 and unseen.loc["ALL", "unseen_in_train"] == 2


def test_statistics_on_conllpp(conllpp_dir):
    stats = dataset_statistics(load_conllpp(conllpp_dir, with_documents=True))
    splits = stats.splits.set_index("split")
    assert splits.loc["train", "entities"] == 23499
    assert splits.loc["test", "documents"] == 231
    assert set(stats.entity_counts["type"]) == {"PER", "ORG", "LOC", "MISC"}
    share = stats.unseen.set_index("type").loc["ALL", "share_unseen"]
    assert 0.3 < share < 0.7
