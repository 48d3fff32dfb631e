"""Tagger page: pick a checkpoint, type text, see entities with labels and confidence."""

import pandas as pd
import streamlit as st

from dashboard import state
from nerlib.checkpoint import CheckpointError
from nerlib.display import render_text

SAMPLE = (
    "Maria Schneider, chief engineer at Siemens, flew from Munich to Boston on Tuesday to meet "
    "officials of the World Health Organization.\n"
    "On Friday she watched the Celtics beat the Chicago Bulls at TD Garden with her colleague "
    "Rahul Mehta of Infosys."
)

st.title("Tagger")

source = state.checkpoint_picker("tagger")
if source is None:
    st.stop()

try:
    model = state.tagger(source)
except (CheckpointError, OSError, ValueError) as error:
    st.error(f"Cannot load `{source}`: {error}", icon=":material/error:")
    st.stop()

text = st.text_area("Text", value=SAMPLE, height=150, key="tagger_text",
                    help="Any length: long texts are tagged in overlapping windows.")
c1, c2 = st.columns([3, 1])
min_score = c1.slider("Minimum confidence", 0.0, 1.0, 0.0, 0.05, key="tagger_min_score")
show_scores = c2.toggle("Show confidence", value=True, key="tagger_show_scores")

if not text.strip():
    st.info("Type or paste some text.")
    st.stop()

tagged = state.tag_text(source, text, model)
entities = [e for e in tagged.entities if e.score >= min_score]
hidden = len(tagged.entities) - len(entities)

state.legend()
st.html(render_text(text, entities, show_score=show_scores))
st.caption(
    f"{len(tagged.words):,} words · {len(entities)} entities"
    + (f" ({hidden} below {min_score:.2f} hidden)" if hidden else "")
    + f" · model `{getattr(model, 'source', '') or source}`"
)

st.dataframe(
    pd.DataFrame(
        [{"entity": e.text, "type": e.label, "confidence": e.score, "start": e.start, "end": e.end}
         for e in entities],
        columns=["entity", "type", "confidence", "start", "end"],
    ),
    hide_index=True, key="tagger_entities",
    column_config={"confidence": st.column_config.ProgressColumn(min_value=0.0, max_value=1.0, format="%.3f")},
)

with st.expander("Word-level labels"):
    st.dataframe(
        pd.DataFrame([{"word": w.text, "label": w.label, "confidence": w.score, "start": w.start, "end": w.end}
                      for w in tagged.words], columns=["word", "label", "confidence", "start", "end"]),
        hide_index=True, key="tagger_words",
        column_config={"confidence": st.column_config.NumberColumn(format="%.3f")},
    )
