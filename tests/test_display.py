"""nerlib.views.spans: coloured span HTML, escaping, palette, comparison and replacement views."""

import html
import re
from html.parser import HTMLParser

import pytest

from nerlib.data.labels import ENTITY_TYPES, Span, entity_spans
from nerlib.views.spans import (
    FALLBACK_COLOR,
    PALETTE,
    DisplaySpan,
    entity_color,
    render_comparison,
    render_legend,
    render_replacements,
    render_text,
    render_words,
)


class _Collector(HTMLParser):
    """Collects tags and visible text so tests check structure, not string layout."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if not self._in_style:
            self.text.append(data)


def parse(markup: str) -> _Collector:
    collector = _Collector()
    collector.feed(markup)
    collector.close()
    return collector


def marks(markup: str) -> list[dict]:
    return [attrs for tag, attrs in parse(markup).tags if tag == "mark"]


def test_palette_covers_every_entity_type_with_distinct_colours():
    assert set(ENTITY_TYPES) <= set(PALETTE)
    assert len(set(PALETTE.values())) == len(PALETTE)
    assert entity_color("B-LOC") == entity_color("I-LOC") == entity_color("LOC") == PALETTE["LOC"]
    assert entity_color("") == FALLBACK_COLOR  # unknown types: see test_unknown_types_get_stable_distinct_colours


def test_render_words_marks_spans_with_type_colour_and_label():
    words = ["Angela", "Merkel", "visited", "Paris", "."]
    spans = entity_spans(["B-PER", "I-PER", "O", "B-LOC", "O"])
    markup = render_words(words, spans)
    found = marks(markup)
    assert [m["data-label"] for m in found] == ["PER", "LOC"]
    assert PALETTE["PER"] in found[0]["style"] and PALETTE["LOC"] in found[1]["style"]
    text = "".join(parse(markup).text)
    assert "Angela Merkel" in text and "visited" in text and text.rstrip().endswith(".")


def test_user_text_is_escaped_everywhere():
    evil = "<script>alert(1)</script>"
    words = [evil, "&", '"quoted"', "<b>bold</b>"]
    markup = render_words(words, [Span("ORG", 0, 1)], show_score=True)
    assert "<script>" not in markup and "<b>" not in markup
    assert html.escape(evil) in markup
    assert [tag for tag, _ in parse(markup).tags if tag in ("script", "b")] == []
    # the visible text is exactly the user's text
    assert evil in "".join(parse(markup).text)

    text = f"Hi {evil} there"
    start = text.index("<script>")
    markup = render_text(text, [DisplaySpan(start, start + len(evil), "PER", score=0.5)], show_score=True)
    assert "<script>" not in markup and evil in "".join(parse(markup).text)

    markup = render_replacements(text, [DisplaySpan(0, 2, "LOC", replacement='"><img src=x onerror=1>')])
    assert "<img" not in markup
    assert [tag for tag, _ in parse(markup).tags if tag == "img"] == []

    markup = render_text("Paris", [DisplaySpan(0, 5, "LOC", note='kept: "<u>x</u>"')])
    assert "<u>" not in markup and 'kept: "<u>x</u>"' in marks(markup)[0]["title"]

    markup = render_legend(["<i>X</i>"])
    assert "<i>" not in markup


def test_hover_title_has_type_and_confidence():
    markup = render_text("Paris is nice", [DisplaySpan(0, 5, "LOC", score=0.9731)], show_score=True)
    (mark,) = marks(markup)
    assert mark["title"].startswith("LOC") and "97.3%" in mark["title"]
    assert "0.97" in "".join(parse(markup).text)


def test_render_text_keeps_whitespace_and_newlines_outside_spans():
    text = "Line one  in Berlin\nLine two"
    start = text.index("Berlin")
    markup = render_text(text, [DisplaySpan(start, start + 6, "LOC")])
    visible = "".join(parse(markup).text)
    assert visible.replace("LOC", "") == text


def test_overlapping_and_out_of_range_spans_are_dropped_not_broken():
    words = ["a", "b", "c"]
    markup = render_words(words, [Span("PER", 0, 2), Span("ORG", 1, 3), Span("LOC", 2, 9), Span("MISC", 2, 2)])
    assert [m["data-label"] for m in marks(markup)] == ["PER"]
    assert "".join(parse(markup).text).replace("PER", "").split() == words


def test_replacement_shows_original_and_new_text():
    text = "I flew from Berlin to Paris ."
    b, p = text.index("Berlin"), text.index("Paris")
    spans = [DisplaySpan(b, b + 6, "LOC", replacement="Kyoto"), DisplaySpan(p, p + 5, "LOC")]
    markup = render_replacements(text, spans)
    visible = "".join(parse(markup).text)
    assert re.search(r"Berlin\s*\u2192\s*Kyoto", visible)
    found = marks(markup)
    assert "Berlin \u2192 Kyoto" in found[0]["title"]
    assert "\u2192" not in found[1]["title"]


def test_comparison_outlines_mismatches_only():
    words = ["John", "lives", "in", "New", "York"]
    gold = entity_spans(["B-PER", "O", "O", "B-LOC", "I-LOC"])
    pred = entity_spans(["B-PER", "O", "O", "B-ORG", "I-ORG"])
    markup = render_comparison(words, gold, pred)
    found = marks(markup)
    assert len(found) == 4
    classes = [m["class"] for m in found]
    assert classes == ["ent", "ent missed", "ent", "ent wrong"]
    assert "gold" in "".join(parse(markup).text) and "pred" in "".join(parse(markup).text)


def test_legend_lists_every_type_in_its_colour():
    markup = render_legend()
    chips = [attrs for tag, attrs in parse(markup).tags if tag == "span"]
    assert len(chips) == len(ENTITY_TYPES)
    for chip, entity_type in zip(chips, ENTITY_TYPES):
        assert PALETTE[entity_type] in chip["style"]


@pytest.mark.parametrize("include_style", [True, False])
def test_style_is_optional(include_style):
    markup = render_words(["x"], [])
    assert markup.startswith("<style>")
    assert ("<style>" in render_words(["x"], [], include_style=include_style)) is include_style


def test_unknown_types_get_stable_distinct_colours():
    import subprocess
    import sys

    ontonotes = ["PERSON", "NORP", "FAC", "GPE", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW", "LANGUAGE", "DATE",
                 "TIME", "PERCENT", "MONEY", "QUANTITY", "ORDINAL", "CARDINAL"]
    colours = [entity_color(t) for t in ontonotes]
    assert len(set(colours)) == len(ontonotes)  # distinct from each other
    assert not set(colours) & {FALLBACK_COLOR, *PALETTE.values()}  # never grey, never a CoNLL type's colour
    assert entity_color("B-DATE") == entity_color("I-DATE") == entity_color("DATE")
    assert all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in colours)
    # stable: another interpreter (another hash seed) gives the same colours
    other = subprocess.run([sys.executable, "-c", "from nerlib.views.spans import entity_color; "
                            f"print(' '.join(entity_color(t) for t in {ontonotes!r}))"],
                           capture_output=True, text=True, check=True, env={**__import__("os").environ,
                                                                           "PYTHONHASHSEED": "123"})
    assert other.stdout.split() == colours
    (mark,) = marks(render_text("on Friday", [DisplaySpan(3, 9, "DATE")]))
    assert entity_color("DATE") in mark["style"]


def test_parse_marked_gives_plain_text_and_offsets():
    from nerlib.views.spans import parse_marked

    text, entities = parse_marked("I met [Mitchell](PER) in [New York](LOC) <b>[x](ORG [y]")
    assert text == "I met Mitchell in New York <b>[x](ORG [y]"
    assert [(text[s:e], label) for s, e, label in entities] == [("Mitchell", "PER"), ("New York", "LOC")]
    assert parse_marked("plain") == ("plain", [])
