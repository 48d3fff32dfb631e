"""``python -m nerlib localize``: a CoNLL file's entities rewritten, tags re-projected, valid CoNLL out.

Runs the real command (in process, through `nerlib.cli.main`) on the offline GloVe with a small
CoNLL file written here, and reads the output with our reader and seqeval's strict IOB2 scheme.
"""

from __future__ import annotations

import io
import json

import pytest

from nerlib.cli import main
from nerlib.data.conll import read_conll_file

CONLL = """-DOCSTART- -X- -X- O

Olivia NNP B-NP B-PER
Parker NNP I-NP I-PER
met VBD B-VP O
the DT B-NP O
Associated NNP I-NP B-ORG
Press NNP I-NP I-ORG
in IN B-PP O
Eugene NNP B-NP B-LOC
, , O O
Oregon NNP B-NP B-LOC
. . O O

The DT B-NP O
New NNP I-NP B-ORG
York NNP I-NP I-ORG
Yankees NNPS I-NP I-ORG
beat VBD B-VP O
Boston NNP B-NP B-LOC
on IN B-PP O
Thanksgiving NNP B-NP B-MISC
; : O O
Parker NNP B-NP B-PER
watched VBD B-VP O
in IN B-PP O
Paris NNP B-NP B-LOC
. . O O
"""


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), stdout=out), out.getvalue()


@pytest.fixture(scope="module")
def localized(tmp_path_factory):
    folder = tmp_path_factory.mktemp("localize")
    source = folder / "in.conll"
    source.write_text(CONLL, encoding="utf8")
    output, report = folder / "out.conll", folder / "report.tsv"
    code, printed = run("localize", str(source), "--to", "IN", "--output", str(output), "--report", str(report),
                        "--seed", "3")
    return code, printed, source, output, report


def test_output_is_valid_conll_with_reprojected_iob2_tags(localized):
    from seqeval.metrics import f1_score
    from seqeval.scheme import IOB2, Entities

    code, printed, source, output, _ = localized
    assert code == 0 and "entities replaced" in printed and "USA -> India, seed 3" in printed
    original, new = read_conll_file(source), read_conll_file(output)
    assert new.scheme == "IOB2" and new.columns == 4 and len(new.sentences) == len(original.sentences) == 2
    tags = [s.ner_tags for s in new.sentences]
    Entities(tags, IOB2)  # raises on an I- without its B-
    assert f1_score(tags, tags, mode="strict", scheme=IOB2) == 1.0
    # same number of entities of each type, each now spelled with the replacement's words
    for before, after in zip(original.sentences, new.sentences):
        assert [t[2:] for t in before.ner_tags if t.startswith("B-")] == [t[2:] for t in after.ner_tags
                                                                          if t.startswith("B-")]


def test_multiword_replacements_get_b_and_i_and_untouched_lines_are_byte_identical(localized):
    _, _, source, output, report = localized
    old_lines = source.read_text(encoding="utf8").splitlines()
    new_lines = output.read_text(encoding="utf8").splitlines()
    untouched = [line for line in old_lines if line.endswith(" O") or not line or line.startswith("-DOCSTART-")]
    for line in untouched:
        if line != "The DT B-NP O":  # the article an article-less team drops
            assert line in new_lines, line
    words = [line.split()[0] for line in new_lines if line and not line.startswith("-DOCSTART-")]
    text = " ".join(words)
    assert "Press Trust of India" in text and "Associated" not in text
    press = new_lines.index("Press NNP I-NP B-ORG")  # four words: B- then three I-
    assert new_lines[press + 1 : press + 4] == ["Trust NNP I-NP I-ORG", "of NNP I-NP I-ORG", "India NNP I-NP I-ORG"]
    assert "Paris NNP B-NP B-LOC" in new_lines  # a place outside the source stays
    rows = report.read_text(encoding="utf8").splitlines()
    assert rows[0].split("\t") == ["line", "type", "original", "replacement", "changed", "reason"]
    assert any("Paris" in row and "outside the source" in row for row in rows)
    people = [line.split() for line in new_lines if line.endswith("-PER")]
    assert people[1][3] == "I-PER" and people[2][3] == "B-PER"
    assert people[2][0] == people[1][0]  # "Parker" alone later: the same surname as in "Olivia Parker"


def test_tags_outside_the_runs_label_set_are_an_error_with_file_and_line(tmp_path, capsys):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    labels = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
    (run_dir / "config.json").write_text(json.dumps({"id2label": dict(enumerate(labels))}), encoding="utf8")
    source = tmp_path / "in.conll"
    source.write_text(CONLL, encoding="utf8")
    code, _ = run("localize", str(run_dir), str(source), "--to", "India", "--output", str(tmp_path / "out.conll"))
    error = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(error) == 1
    assert error[0] == f"error: {source}, line 7: tag 'B-ORG' is outside the model's labels (types LOC, PER)"
    assert not (tmp_path / "out.conll").exists()


def test_unsupported_country_lists_the_supported_ones(tmp_path, capsys):
    source = tmp_path / "in.conll"
    source.write_text(CONLL, encoding="utf8")
    code, _ = run("localize", str(source), "--to", "Atlantis", "--output", str(tmp_path / "out.conll"))
    error = capsys.readouterr().err.strip()
    assert code == 1 and error.startswith("error: unsupported country 'Atlantis': supported are USA, UK, India")
