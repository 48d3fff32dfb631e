"""The CoNLL reader on made-up files: documents, sentence ends, formats, schemes and errors."""

from pathlib import Path

import pytest

from nerlib.data.conll import ConllFormatError, format_conll, read_conll, read_conll_file


def write(tmp_path: Path, text: str, name: str = "sample.txt") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


FOUR_COLUMNS = """-DOCSTART- -X- -X- O

Anna NNP B-NP B-PER
Okafor NNP I-NP I-PER
visits VBZ B-VP O
Lagos NNP B-NP B-LOC
. . O O

Zed NNP B-NP B-ORG
Corp NNP I-NP I-ORG

-DOCSTART- -X- -X- O

Hello UH B-INTJ O
Velmora NNP B-NP B-LOC
"""


def test_documents_sentences_and_columns(tmp_path):
    path = write(tmp_path, FOUR_COLUMNS)
    read = read_conll_file(path)
    sentences = read.sentences
    assert [s.tokens for s in sentences] == [
        ["Anna", "Okafor", "visits", "Lagos", "."], ["Zed", "Corp"], ["Hello", "Velmora"],
    ]
    assert [s.document for s in sentences] == [0, 0, 1]
    assert read.documents == 2 and read.columns == 4 and read.scheme == "IOB2"
    assert sentences[0].pos_tags == ["NNP", "NNP", "VBZ", "NNP", "."]
    assert sentences[0].chunk_tags == ["B-NP", "I-NP", "B-VP", "B-NP", "O"]
    assert sentences[0].ner_tags == ["B-PER", "I-PER", "O", "B-LOC", "O"]
    assert [s.line for s in sentences] == [3, 9, 14]
    assert sentences[0].source == str(path)


def test_trailing_sentence_without_blank_line_is_kept(tmp_path):
    sentences = read_conll(write(tmp_path, "A NNP B-NP B-PER\nb NN I-NP O"))
    assert len(sentences) == 1 and sentences[0].tokens == ["A", "b"]


def test_crlf_bom_and_blank_lines_with_spaces(tmp_path):
    path = tmp_path / "win.txt"
    path.write_bytes("\ufeffA NNP B-NP B-PER\r\n   \r\nB NNP B-NP B-LOC\r\n".encode("utf-8"))
    assert [s.tokens for s in read_conll(path)] == [["A"], ["B"]]


def test_two_columns_and_tabs(tmp_path):
    two = read_conll(write(tmp_path, "Mara B-PER\nsings O\n\nOslo B-LOC\n", "two.txt"))
    assert two[0].ner_tags == ["B-PER", "O"] and two[0].pos_tags is None and two[0].chunk_tags is None
    tabs = read_conll(write(tmp_path, "New\tNNP\tB-LOC\nKarth\tNNP\tI-LOC\n", "tabs.tsv"))
    assert tabs[0].tokens == ["New", "Karth"] and tabs[0].pos_tags == ["NNP", "NNP"]
    assert tabs[0].ner_tags == ["B-LOC", "I-LOC"]


def test_iob1_is_converted_to_iob2(tmp_path):
    # IOB1: entities start with I-, B- only separates two adjacent entities of one type.
    text = "Anna I-PER\nMay I-PER\nand O\nIra I-PER\nBo B-PER\nin O\nRome I-LOC\n"
    read = read_conll_file(write(tmp_path, text))
    assert read.scheme == "IOB1"
    assert read.sentences[0].ner_tags == ["B-PER", "I-PER", "O", "B-PER", "B-PER", "O", "B-LOC"]


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("A NNP B-NP B-PER\nB NNP B-PER\n", 2, "expected 4 columns"),
        ("A NNP B-NP B-PER\n\nlonely\n", 3, "expected a token and a tag"),
        ("A NNP B-NP B-PER\nB NNP B-NP X-PER\n", 2, "not an IOB tag"),
        ("A NNP B-NP PER\n", 1, "not an IOB tag"),
    ],
)
def test_malformed_line_names_file_and_line(tmp_path, text, line, reason):
    path = write(tmp_path, text)
    with pytest.raises(ConllFormatError) as caught:
        read_conll(path)
    assert caught.value.line == line
    assert caught.value.path == str(path)
    assert reason in str(caught.value)
    assert f"{path}, line {line}" in str(caught.value)


def test_not_utf8_is_a_format_error(tmp_path):
    path = tmp_path / "latin.txt"
    path.write_bytes(b"Caf\xe9 B-LOC\n")
    with pytest.raises(ConllFormatError, match="not UTF-8"):
        read_conll(path)


def test_missing_file():
    with pytest.raises(FileNotFoundError, match="CoNLL file not found: /nonexistent/file.txt"):
        read_conll("/nonexistent/file.txt")


def test_format_conll_round_trip(tmp_path):
    text = format_conll([[("Anna", "B-PER", "B-PER"), ("sings", "O", "B-LOC")], [("Oslo", "B-LOC", "B-LOC")]])
    assert text == "Anna B-PER B-PER\nsings O B-LOC\n\nOslo B-LOC B-LOC\n\n"
    sentences = read_conll(write(tmp_path, text))
    assert [s.tokens for s in sentences] == [["Anna", "sings"], ["Oslo"]]
