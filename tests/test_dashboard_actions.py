"""The actions of issue 27's point 7 in the real app (Streamlit AppTest, nothing of ours mocked):
fixing a span on the Tagger and downloading the fixed result, the Dataset search (entity by text
and type, highlighted hits, subset statistics, document and token views, a hostile query) and an
upload that lists every problem."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest
from test_dashboard import APP, TIMEOUT, assert_ok, html_text, open_page, table, with_tiny_run  # noqa: F401
from test_dashboard_honest import downloaded, kept_media  # noqa: F401

pytestmark = pytest.mark.timeout(900)

TEXT = "Peter Okafor met officials of the African Union in Brussels ."
AFRICAN_UNION = (TEXT.index("African"), TEXT.index("Union") + len("Union"))  # words 6-8


def downloads(at, media) -> tuple[dict, list[list[str]]]:
    """(the JSON download, the CoNLL download as rows of columns)."""
    as_json = json.loads(downloaded(at, media, "Download JSON").decode("utf-8"))
    as_conll = downloaded(at, media, "Download CoNLL").decode("utf-8").rstrip("\n").split("\n")
    return as_json, [line.split(" ") for line in as_conll]


# --------------------------------------------------------------------------- tagger


@pytest.mark.slow  # trains the tiny run (shared with the other dashboard tests)
def test_a_fixed_span_is_shown_and_carried_into_both_downloads(with_tiny_run, kept_media):  # noqa: F811
    at = open_page("tagger")
    at.text_area(key="tagger_text").set_value(TEXT).run()
    model_json, model_conll = downloads(at, kept_media)
    assert "corrected" not in model_json  # no fix yet: the model's line as `nerlib tag` writes it

    # Mark words the model may have missed or split: "african union" (case ignored) as ORG.
    at.text_input(key="tagger_fix_phrase").set_value("african union").run()
    at.selectbox(key="tagger_fix_mark_label").set_value("ORG").run()
    at.button(key="tagger_fix_mark").click().run()
    assert_ok(at)
    shown = table(at, "entity").set_index("entity")
    assert shown.loc["African Union", "type"] == "ORG" and shown.loc["African Union", "fixed"]
    as_json, as_conll = downloads(at, kept_media)
    assert as_json["corrected"] is True and as_json["edits"] == [{"start": 6, "end": 8, "label": "ORG"}]
    union = next(e for e in as_json["entities"] if e["text"] == "African Union")
    assert (union["label"], union["start"], union["end"], union["score"], union["corrected"]) == (
        "ORG", *AFRICAN_UNION, None, True)
    assert as_conll[6:8] == [["African", "B-ORG"], ["Union", "I-ORG"]]
    assert at.query_params["fix"] == "6-8:ORG"

    # Pick that entity and drop it: gone from the page and from both downloads.
    at.pills(key="tagger_fix_span").set_value(f"{AFRICAN_UNION[0]}-{AFRICAN_UNION[1]}").run()
    at.selectbox(key="tagger_fix_label").set_value("no entity (drop)").run()
    at.button(key="tagger_fix_apply").click().run()
    assert_ok(at)
    assert "African Union" not in table(at, "entity")["entity"].tolist()
    as_json, as_conll = downloads(at, kept_media)
    assert all(e["text"] not in ("African Union", "African", "Union") for e in as_json["entities"])
    assert as_conll[6:8] == [["African", "O"], ["Union", "O"]] and len(as_json["edits"]) == 2

    # Change the type of the model's first entity.
    first = model_json["entities"][0]
    new_type = "MISC" if first["label"] != "MISC" else "LOC"
    at.pills(key="tagger_fix_span").set_value(f"{first['start']}-{first['end']}").run()
    at.selectbox(key="tagger_fix_label").set_value(new_type).run()
    at.button(key="tagger_fix_apply").click().run()
    assert_ok(at)
    as_json, as_conll = downloads(at, kept_media)
    changed = next(e for e in as_json["entities"] if e["start"] == first["start"])
    assert (changed["label"], changed["corrected"], changed["score"]) == (new_type, True, None)
    assert as_conll[0][1] == f"B-{new_type}"

    # Undo the last fix, then all: back to the model's result, exactly.
    at.button(key="tagger_fix_undo").click().run()
    as_json, _ = downloads(at, kept_media)
    assert len(as_json["edits"]) == 2 and as_json["entities"][0]["label"] == first["label"]
    at.button(key="tagger_fix_reset").click().run()
    assert_ok(at)
    assert downloads(at, kept_media) == (model_json, model_conll)
    assert "fix" not in at.query_params


@pytest.mark.slow
def test_fixes_reopen_from_a_link_and_a_bad_one_is_said(with_tiny_run):  # noqa: F811
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params["text"] = TEXT
    at.query_params["fix"] = "6-8:ORG,9-10:-"
    at.switch_page("views/tagger.py").run()  # a link opens its own page
    assert_ok(at)
    shown = table(at, "entity")
    assert ("African Union", "ORG", True) in set(zip(shown["entity"], shown["type"], shown["fixed"]))
    assert "Brussels" not in shown["entity"].tolist()
    assert any("2 fixes" in c.value for c in at.caption)

    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params["text"] = TEXT
    at.query_params["fix"] = "6-99:ORG"
    at.switch_page("views/tagger.py").run()
    assert_ok(at)
    assert any("cannot be applied" in w.value and "outside the 11 words" in w.value for w in at.warning)
    assert not table(at, "entity")["fixed"].any()


# --------------------------------------------------------------------------- dataset


def test_dataset_entity_search_statistics_document_and_tokens(conllpp_dir, empty_runs):  # noqa: F811
    from nerlib.data.conll import read_conll_file
    from nerlib.data.labels import entity_spans

    sentences = read_conll_file(conllpp_dir / "conllpp_train.txt").sentences
    found = [i for i, s in enumerate(sentences)
             if any(span.label == "LOC" and [t.lower() for t in s.tokens[span.start:span.end]] == ["germany"]
                    for span in entity_spans(s.ner_tags))]

    at = open_page("dataset")
    at.segmented_control(key="dataset_view").set_value("Examples").run()
    at.text_input(key="browse_entity").set_value("Germany").run()
    at.selectbox(key="browse_entity_type").set_value("ORG").run()
    assert_ok(at)
    assert any("No sentence matches" in w.value for w in at.warning)  # Germany is never an ORG in CoNLL++
    at.selectbox(key="browse_entity_type").set_value("LOC").run()
    assert_ok(at)
    assert any(c.value.startswith(f"{len(found):,} sentences · page 1") for c in at.caption)
    stats = next(m.value for m in at.markdown if "These sentences" in m.value).replace("\\", "")
    assert f"{len(found):,} of {len(sentences):,} sentences" in stats
    assert f"{sum(len(sentences[i]) for i in found):,} tokens" in stats
    page = html_text(at)
    assert '<mark class="hit">Germany</mark>' in page and f"#{found[0]} · document" in page

    # A closer look at the second sentence of the page: its document around it, and its tokens.
    focus = at.selectbox(key="browse_focus")
    assert focus.value == found[0]
    focus.set_value(found[1]).run()
    assert_ok(at)
    document = html_text(at).split("A closer look")[-1] if "A closer look" in html_text(at) else html_text(at)
    marked = document.split('class="nerd-found"')[1]
    assert f"#{found[1]} · document" in marked[:300] and "found here" in marked[:400]
    same_document = [i for i in range(found[1] - 2, found[1] + 3)
                     if 0 <= i < len(sentences) and sentences[i].document == sentences[found[1]].document]
    assert all(f"#{i} · document" in document for i in same_document)
    tokens = table(at, "POS")
    assert tokens["token"].tolist() == sentences[found[1]].tokens
    assert tokens["POS"].tolist() == sentences[found[1]].pos_tags
    assert tokens["chunk"].tolist() == sentences[found[1]].chunk_tags
    assert tokens["NER"].tolist() == sentences[found[1]].ner_tags
    assert (at.query_params["entity"], at.query_params["entity_type"], at.query_params["sentence"]) == (
        "Germany", "LOC", str(found[1]))

    # The link reopens the same search and the same sentence.
    again = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    for name, value in at.query_params.items():  # the whole link the page wrote (its view included)
        again.query_params[name] = value
    again.run()
    assert_ok(again)
    assert again.segmented_control(key="dataset_view").value == "Examples"
    assert again.text_input(key="browse_entity").value == "Germany"
    assert again.selectbox(key="browse_entity_type").value == "LOC"
    assert again.selectbox(key="browse_focus").value == found[1]


def test_a_hostile_query_is_escaped_and_highlighted(conllpp_dir, empty_runs):  # noqa: F811
    at = open_page("dataset")
    at.segmented_control(key="dataset_source").set_value("Upload a CoNLL file").run()
    evil = "<script>alert(1)</script> B-ORG\nsaid O\n<img NNP\n\n"
    at.get("file_uploader")[0].set_value(("evil.txt", evil.replace("<img NNP", "<img O").encode(), "text/plain"))
    at.run()
    at.segmented_control(key="dataset_view").set_value("Examples").run()
    at.text_input(key="browse_query").set_value("<script>alert(1)</script>").run()
    at.text_input(key="browse_entity").set_value("<script>alert(1)</script>").run()
    assert_ok(at)
    page = html_text(at)
    assert "<script" not in page.lower() and "<img" not in page.lower()
    assert '<mark class="hit">&lt;script&gt;alert(1)&lt;/script&gt;</mark>' in page
    assert table(at, "POS")["token"].tolist()[0] == "<script>alert(1)</script>"  # a table cell, not markup


# --------------------------------------------------------------------------- uploads


def test_an_upload_lists_every_problem_with_its_line(conllpp_dir, empty_runs):  # noqa: F811
    from test_conll_problems import EXPECTED, PLANTED

    at = open_page("dataset")
    at.segmented_control(key="dataset_source").set_value("Upload a CoNLL file").run()
    at.get("file_uploader")[0].set_value(("planted.txt", PLANTED.encode(), "text/plain"))
    at.run()
    assert_ok(at)
    (error,) = at.error
    assert "planted.txt" in error.value and "5 problems in 13 lines" in error.value
    for line in EXPECTED:
        assert f"line {line}:" in error.value
    assert "more" not in error.value

    many = "Paris B-LOC\n" + "".join(f"w{i} BAD\n" for i in range(45))  # lines 2-46
    at.get("file_uploader")[0].set_value(("many.txt", many.encode(), "text/plain"))
    at.run()
    assert_ok(at)
    (error,) = at.error
    assert "45 problems" in error.value and "the first 20 below" in error.value and "25 more" in error.value
    assert "line 21:" in error.value and "line 22:" not in error.value
