"""Tagger page: pick a checkpoint, type text, see entities with labels and confidence.

The checkpoint and the text travel in the link (``?checkpoint=<run> / best&text=...``); every
choice is kept across page switches.
"""

import pandas as pd
import streamlit as st

from dashboard import fixes, loaders, session, widgets
from dashboard.session import MAX_URL_TEXT
from nerlib.data.labels import ENTITY_TYPES
from nerlib.runs.checkpoints import CheckpointError
from nerlib.views import confidence, tables
from nerlib.views.guards import MAX_TEXT_CHARS, TextTooLongError, check_text_size, code_span, escape_markdown
from nerlib.views.spans import render_text

SAMPLE = (
    "Maria Schneider, chief engineer at Siemens, flew from Munich to Boston on Tuesday to meet "
    "officials of the World Health Organization.\n"
    "On Friday she watched the Celtics beat the Chicago Bulls at TD Garden with her colleague "
    "Rahul Mehta of Infosys."
)

st.title("Tagger")

source = widgets.checkpoint_picker("tagger", share=True)
if source is None:
    st.stop()

try:
    model = loaders.tagger(source)
except (CheckpointError, OSError, ValueError) as error:
    st.error(f"Cannot load {code_span(source)}: {escape_markdown(error)}", icon=":material/error:")
    st.stop()

text = st.text_area("Text", value=SAMPLE, height=150, key=session.linked("text", "tagger_text", max_chars=MAX_URL_TEXT),
                    help=f"Up to {MAX_TEXT_CHARS:,} characters; long texts are tagged in overlapping windows.")
try:  # bounded work per request: longer texts belong to the command line (python -m nerlib tag)
    check_text_size(text)
except TextTooLongError as error:
    st.error(f"Text too long: {error}", icon=":material/error:")
    st.stop()
if len(text) > MAX_URL_TEXT:
    st.caption(f"The link (Copy link) holds texts up to {MAX_URL_TEXT:,} characters; this one has "
               f"{len(text):,}, so the link opens without it.")

# The model's own entity types (CoNLL order first), so a checkpoint with other types works too.
model_types = sorted({label[2:] for label in model.labels if label[:2] in ("B-", "I-")},
                     key=lambda t: (ENTITY_TYPES.index(t) if t in ENTITY_TYPES else len(ENTITY_TYPES), t))
# the type chips get the page's width and the slider and toggle a row of their own, so that no
# chip or label is cut beside the open sidebar of an 800 px window
types = st.multiselect("Entity types", model_types, default=model_types,
                       key=session.linked("types", "tagger_types", choices=model_types, many=True),
                       help="Only these types are drawn and listed.")
c1, c2 = st.columns([3, 2], vertical_alignment="center")
min_score = c1.slider("Minimum confidence", 0.0, 1.0, 0.0, 0.05,
                      key=session.linked("min_score", "tagger_min_score",
                                         parse=session.number_between(0.0, 1.0, float)),
                      help=confidence.threshold_help(model.calibration))
show_scores = c2.toggle("Show confidence", value=True,
                        key=session.linked("scores", "tagger_show_scores", parse=session.true_or_false),
                        help=confidence.score_help(model.calibration))

if not text.strip():
    st.info("Type or paste some text.")
    st.stop()

tagged = loaders.tag_text(source, text)
# The visitor's fixes (section "Fix a span" below) apply to the model's result before it is drawn
# and downloaded; a hand-made entity has no score and always passes the confidence filter.
fixed = fixes.corrected(tagged, text)
entities = [e for e in fixed.entities if (e.score is None or e.score >= min_score) and e.label in types]
hidden = len(fixed.entities) - len(entities)

widgets.legend(types or None)
st.html(render_text(text, entities, show_score=show_scores))
st.caption(
    f"{len(tagged.words):,} words · {len(entities)} entities"
    + (f" ({hidden} hidden by the type and confidence filters)" if hidden else "")
    + f" · model `{getattr(model, 'source', '') or source}`"
)

fixes.fix_a_span(fixed, model_types)
widgets.tagged_downloads(fixed, key="tagger")

st.dataframe(
    pd.DataFrame(
        [{"entity": e.text, "type": e.label, "confidence": e.score, "start": e.start, "end": e.end,
          "fixed": e.corrected} for e in entities],
        columns=["entity", "type", "confidence", "start", "end", "fixed"],
    ),
    hide_index=True, key="tagger_entities",
    height=tables.table_height(len(entities)),
    column_config={"entity": st.column_config.TextColumn(pinned=True),
                   "type": st.column_config.TextColumn(width=60),
                   **{c: st.column_config.NumberColumn(width=55, help="character offset") for c in ("start", "end")},
                   "fixed": st.column_config.CheckboxColumn(width=55, help="changed or added by you"),
                   "confidence": st.column_config.ProgressColumn(
                       "probability right" if model.calibration is not None else "confidence (uncalibrated)",
                       min_value=0.0, max_value=1.0, format="%.3f", help=confidence.score_help(model.calibration),
                       width=130)},
)

with st.expander("Word-level labels"):
    st.dataframe(
        pd.DataFrame([{"word": w.text, "label": w.label, "confidence": w.score, "start": w.start, "end": w.end}
                      for w in fixed.words], columns=["word", "label", "confidence", "start", "end"]),
        hide_index=True, key="tagger_words", height=tables.table_height(len(fixed.words)),
        column_config={"confidence": st.column_config.NumberColumn(format="%.3f")},
    )
