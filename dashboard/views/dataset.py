"""Dataset page: split sizes, entity statistics and an example browser (conllpp or an upload)."""

import html

import streamlit as st

from dashboard import charts, loaders, session, widgets
from nerlib.data.conll import ConllFormatError
from nerlib.data.conllpp import DATA_DIR_ENV, ChecksumError, DataNotFoundError
from nerlib.data.labels import ENTITY_TYPES, entity_spans
from nerlib.views.guards import code_span, escape_markdown
from nerlib.views.spans import render_words

st.title("Dataset")

source = st.segmented_control(
    "Data", ["CoNLL++ (conllpp)", "Upload a CoNLL file"], default="CoNLL++ (conllpp)",
    required=True, key=session.keep("dataset_source"),
)
upload = None
if source == "Upload a CoNLL file":
    upload = st.file_uploader(
        "CoNLL file (token first, NER tag last; space- or tab-separated; IOB1 or IOB2)",
        key="dataset_upload",
    )
    if upload is None:
        st.info("Choose a file to see its statistics and browse its sentences.")
        st.stop()

try:
    source_key, dataset_dict = loaders.load_source("conllpp" if upload is None else "upload", upload)
except ConllFormatError as error:  # the upload's name (or the CoNLL++ file) and the line
    where = f", line {error.line}" if error.line is not None else ""
    st.error(f"{code_span(error.path)} cannot be read as CoNLL{where}: {escape_markdown(error.reason)}",
             icon=":material/error:")
    st.stop()
except (DataNotFoundError, ChecksumError) as error:
    st.error(
        f"CoNLL++ is not available: {escape_markdown(error)}\n\nPoint `{DATA_DIR_ENV}` at a folder holding "
        "`conllpp_train.txt`, `conllpp_dev.txt` and `conllpp_test.txt`, or upload a file.",
        icon=":material/error:",
    )
    st.stop()
except (ValueError, UnicodeDecodeError) as error:
    st.error(f"{code_span(upload.name) if upload else 'The data'} cannot be read: {escape_markdown(error)}",
             icon=":material/error:")
    st.stop()

top_n = 15
stats = loaders.statistics(source_key, dataset_dict, top_n)
splits = list(dataset_dict)

# --- sizes
columns = st.columns(len(stats.splits) or 1)
for column, row in zip(columns, stats.splits.itertuples()):
    column.metric(
        row.split, f"{row.sentences:,} sentences",
        help=f"{row.tokens:,} tokens, {row.entities:,} entities"
        + (f", {int(row.documents):,} documents" if row.documents == row.documents and row.documents else ""),
    )
    column.caption(f"{row.tokens:,} tokens · {row.entities:,} entities")

types_present = [t for t in ENTITY_TYPES if t in set(stats.entity_counts["type"])]
types_present += sorted(set(stats.entity_counts["type"]) - set(types_present))

# One view at a time: the browser draws only what is shown, so switching stays fast.
view = st.segmented_control("Show", ["Statistics", "Examples"], default="Statistics", required=True,
                            key=session.linked("view", "dataset_view", choices=["Statistics", "Examples"]), label_visibility="collapsed")

if view == "Statistics":
    left, right = st.columns(2)
    left.plotly_chart(loaders.figure("entity_counts", (source_key,),
                                     lambda: charts.entity_counts_figure(stats.entity_counts)),
                      key="chart_entity_counts")
    right.plotly_chart(loaders.figure("sentence_lengths", (source_key,),
                                      lambda: charts.sentence_lengths_figure(stats.sentence_lengths)),
                       key="chart_sentence_lengths")
    left, right = st.columns(2)
    length_split = left.selectbox("Entity lengths of split", splits, key=session.linked("lengths", "entity_length_split", choices=splits))
    left.plotly_chart(loaders.figure("entity_lengths", (source_key, length_split),
                                     lambda: charts.entity_lengths_figure(stats.entity_lengths, length_split)),
                      key="chart_entity_lengths")
    if len(stats.unseen):
        right.plotly_chart(loaders.figure("unseen", (source_key,), lambda: charts.unseen_figure(stats.unseen)),
                           key="chart_unseen")
        share = stats.unseen.set_index("type").loc["ALL", "share_unseen"]
        right.caption(f"{share:.1%} of test entities never occur with the same type in train.")
    else:
        right.info("Unseen-entity share needs a train and a test split.")

    st.subheader("Most frequent entities" + (" in train" if "train" in splits else ""))
    top = stats.top_entities.assign(rank=stats.top_entities.groupby("type").cumcount() + 1)
    top["entity"] = top["text"] + "  (" + top["count"].map("{:,}".format) + ")"
    top_table = top.pivot(index="rank", columns="type", values="entity")
    st.dataframe(top_table[[t for t in types_present if t in top_table.columns]], key="top_entities")
    st.dataframe(stats.splits, hide_index=True, key="split_table")

else:
    widgets.legend(types_present or None)
    c1, c2, c3, c4 = st.columns([1, 2, 2, 1])
    split = c1.selectbox("Split", splits, key=session.linked("split", "browse_split", choices=splits))
    wanted_types = c2.multiselect("Containing entity type", types_present, key=session.linked("types", "browse_types", choices=types_present, many=True))
    query = c3.text_input("Search text", key=session.linked("q", "browse_query"), placeholder="e.g. Germany")
    per_page = c4.selectbox("Per page", [10, 25, 50], key=session.linked("per_page", "browse_per_page", choices=[10, 25, 50]))

    index = loaders.sentence_index(source_key, split, dataset_dict)
    mask = index["entities"] >= 0
    for entity_type in wanted_types:
        mask &= index["types"].str.split().apply(lambda ts, t=entity_type: t in ts)
    if query.strip():
        mask &= index["text"].str.contains(query.strip().lower(), regex=False)
    matches = index.index[mask].tolist()

    if not matches:
        st.warning("No sentence matches these filters.")
    else:
        pages = (len(matches) + per_page - 1) // per_page
        filter_key = abs(hash((split, tuple(wanted_types), query, per_page))) % 10**8
        page = widgets.pager(pages, key=f"browse_page_{filter_key}")
        st.caption(f"{len(matches):,} sentences · page {page} of {pages}")
        dataset = dataset_dict[split]
        names = dataset.features["ner_tags"].feature.names
        rows = dataset.select(matches[(page - 1) * per_page : page * per_page])
        blocks = []
        for number, example in zip(matches[(page - 1) * per_page :], rows):
            spans = entity_spans([names[t] for t in example["ner_tags"]])
            where = f"#{number}" + (f" · document {example['document']}" if "document" in example else "")
            blocks.append(
                f'<div style="opacity:0.6;font-size:0.75rem;margin-top:0.6em">{html.escape(where)}</div>'
                + render_words(example["tokens"], spans, include_style=not blocks)
            )
        st.html("".join(blocks))
