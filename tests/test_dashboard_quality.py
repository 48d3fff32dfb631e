"""Streamlit AppTest of the Data quality page: a saved report of a copy of the tiny trained run,
the review loop (accept, keep, edit), a reload, the export, escaping and a broken review file.

The report is made by the real scorer (:func:`nerlib.quality.scores.find_sentence_issues`) on
constructed class distributions, so which sentences are flagged is known; nothing is mocked.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from nerlib.views.guards import escape_markdown

pytest.importorskip("cleanlab")

REPO = Path(__file__).resolve().parent.parent
APP = REPO / "dashboard" / "streamlit_app.py"
LABELS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"]
WORDS = ["Ada", "met", "Acme", "in", "Rome", "."]
TAGS = ["B-PER", "O", "B-ORG", "O", "B-LOC", "O"]
WRONG_TYPE, MISSED = 7, 23  # the two mislabelled sentences

pytestmark = pytest.mark.timeout(900)


def make_reviewable_run(tiny_run: Path, runs_dir: Path) -> tuple[Path, Path]:
    """A copy of the tiny run with a saved label-issues report on a 42-sentence source file whose
    sentences 7 (Rome ORG, should be LOC; its second word is ``<script>``) and 23 (Ada O, should be
    PER) are mislabelled. Returns ``(run folder, source file)``."""
    from nerlib.quality.issues import IssueReport, save_report
    from nerlib.quality.review import file_sha256
    from nerlib.quality.scores import find_sentence_issues

    run = runs_dir / "tiny"
    shutil.copytree(tiny_run, run, ignore=shutil.ignore_patterns("quality"))
    tokens = [list(WORDS) for _ in range(42)]
    tokens[WRONG_TYPE][1] = "<script>"
    given = [list(TAGS) for _ in range(42)]
    given[WRONG_TYPE][4] = "B-ORG"
    given[MISSED][0] = "O"
    source = runs_dir.parent / "data" / "news.txt"
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_bytes(b"-DOCSTART- O\n\n" + b"".join(
        b"".join(f"{w} {t}\n".encode() for w, t in zip(words, tags)) + b"\n" for words, tags in zip(tokens, given)))
    sure = np.full((len(WORDS), len(LABELS)), 0.005)
    for i, tag in enumerate(TAGS):
        sure[i, LABELS.index(tag)] = 0.96
    issues = find_sentence_issues(tokens, given, [sure] * 42, LABELS, lines=[3 + 7 * i for i in range(42)])
    report = IssueReport(issues=issues, source=str(source), source_path=source, source_sha256=file_sha256(source),
                         labels=LABELS, model=str(run))
    save_report(report, run)
    return run, source


@pytest.fixture
def reviewable(tiny_run, tmp_path, monkeypatch):
    runs_dir = tmp_path / "runs"
    runs_dir.mkdir()
    run, source = make_reviewable_run(Path(tiny_run), runs_dir)
    monkeypatch.setenv("NERLIB_RUNS_DIR", str(runs_dir))
    return run, source


def open_quality() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=300)
    at.run()
    at.switch_page("views/quality.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def html_text(at: AppTest) -> str:
    return "\n".join(element.value for element in at.html)


def test_review_loop_survives_a_reload_and_exports_exactly_the_accepted_change(reviewable):
    run, source = reviewable
    at = open_quality()
    assert metric(at, "Flagged sentences") == "2" and metric(at, "Reviewed") == "0 / 2"
    shown = html_text(at)
    assert f"sentence #{WRONG_TYPE}" in shown and ">given<" in shown and ">suggested<" in shown
    assert any(m.value == "- " + escape_markdown("Rome ORG -> LOC (wrong type)") for m in at.markdown)

    at.button(key="quality_accept").click().run()       # sentence 7: accept LOC
    assert not at.exception
    assert metric(at, "Reviewed") == "1 / 2"
    assert f"sentence #{MISSED}" in html_text(at)          # the next flagged sentence comes up
    at.button(key="quality_keep").click().run()         # sentence 23: keep the given O
    assert metric(at, "Reviewed") == "2 / 2" and metric(at, "Corrections") == "1"

    again = open_quality()                              # a reload: a new session reads the review file
    assert metric(again, "Reviewed") == "2 / 2"
    again.button(key="quality_export").click().run()
    assert not again.exception
    corrected = run / "quality" / "news.corrected.txt"
    before, after = source.read_bytes().splitlines(keepends=True), corrected.read_bytes().splitlines(keepends=True)
    changed = [(b, a) for b, a in zip(before, after) if b != a]
    assert len(before) == len(after) and changed == [(b"Rome B-ORG\n", b"Rome B-LOC\n")]
    assert before.index(b"Rome B-ORG\n") == 2 + 7 * WRONG_TYPE + 4  # sentence 7's fifth word


def test_edit_by_hand_and_filters(reviewable):
    run, source = reviewable
    at = open_quality()
    at.multiselect(key="quality_kinds").set_value(["missed"]).run()
    assert f"sentence #{MISSED}" in html_text(at) and f"sentence #{WRONG_TYPE}" not in html_text(at)
    at.text_input(key=f"quality_edit_{MISSED}").input("B-PER O B-ORG O B-LOC B-MISC").run()
    at.button(key="quality_save_edit").click().run()
    assert not at.exception
    from nerlib.quality.review import ReviewFile, review_path

    state = ReviewFile(review_path(run, source), source).state()
    assert state.current[MISSED].decision == "edit" and state.current[MISSED].tags[-1] == "B-MISC"
    at.multiselect(key="quality_kinds").set_value([]).run()
    assert metric(at, "Reviewed") == "1 / 2"


def test_user_text_is_escaped(reviewable):
    markup = html_text(open_quality())
    assert f"sentence #{WRONG_TYPE}" in markup
    assert "&lt;script&gt;" in markup and "<script>" not in markup


def test_a_broken_review_file_is_reported_with_its_line(reviewable):
    run, source = reviewable
    from nerlib.quality.review import ReviewFile, review_path

    path = review_path(run, source)
    ReviewFile(path, source).record(WRONG_TYPE, "accept", ["B-PER", "O", "B-ORG", "O", "B-LOC", "O"])
    with open(path, "a") as handle:
        handle.write("not json\n")
    at = open_quality()
    assert any("line 2" in e.value and "not a JSON line" in e.value for e in at.error)
    assert b"Rome B-ORG" in source.read_bytes()
