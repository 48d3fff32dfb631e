"""Dataset page: split sizes, entity statistics and an example browser (conllpp or an upload)."""

import streamlit as st

from dashboard import charts, loaders, session, widgets
from nerlib.data.conll import ConllFormatError
from nerlib.data.conllpp import DATA_DIR_ENV, ChecksumError, DataNotFoundError
from nerlib.data.labels import ENTITY_TYPES
from nerlib.views import tables
from nerlib.views.guards import code_span, escape_markdown
from nerlib.views.search import (
    SentenceQuery,
    document_context,
    filter_sentences,
    render_sentences,
    subset_statistics,
    token_table,
)

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
    problems = loaders.upload_problems(upload) if upload is not None else None
    if problems:  # an upload: every problem, not only the first (the first 20 with their lines)
        listed = "\n".join(f"- {'' if p.line is None else f'line {p.line}: '}{escape_markdown(p.reason)}"
                            for p in problems.first)
        more = f"\n\n... and {problems.more:,} more." if problems.more else ""
        first = f" (the first {len(problems.first)} below)" if problems.more else ""
        st.error(f"{code_span(upload.name)} cannot be read as CoNLL: {escape_markdown(problems.summary())}"
                 f"{first}:\n\n{listed}{more}", icon=":material/error:")
    else:
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
    top_columns = [t for t in types_present if t in top_table.columns]
    st.dataframe(top_table[top_columns], key="top_entities", height=tables.table_height(len(top_table)),
                 column_config={"_index": st.column_config.NumberColumn("#", width=40),
                                **{t: st.column_config.TextColumn(width=150) for t in top_columns}})
    st.dataframe(stats.splits, hide_index=True, key="split_table", height=tables.table_height(len(stats.splits)))

else:
    widgets.legend(types_present or None)
    c1, c2, c3, c4 = st.columns([1, 2, 2, 1])
    split = c1.selectbox("Split", splits, key=session.linked("split", "browse_split", choices=splits))
    wanted_types = c2.multiselect("Containing entity type", types_present, key=session.linked("types", "browse_types", choices=types_present, many=True))
    query = c3.text_input("Search text", key=session.linked("q", "browse_query"), placeholder="e.g. Germany")
    per_page = c4.selectbox("Per page", [10, 25, 50], key=session.linked("per_page", "browse_per_page", choices=[10, 25, 50]))

    # Entity search: an entity's whole text, of one type or any ("Germany" as ORG).
    entity_types = ["any type", *types_present]
    session.from_url("entity", "browse_entity")
    session.from_url("entity_type", "browse_entity_type", choices=entity_types)
    e1, e2, _ = st.columns([3, 2, 3])
    entity_text = e1.text_input("Entity", key=session.keep("browse_entity"), placeholder="e.g. Germany",
                                max_chars=200, help="An entity's whole text (case ignored), e.g. Germany as LOC.")
    entity_type = e2.selectbox("as", entity_types, key=session.keep("browse_entity_type", entity_types))
    session.to_url(entity=entity_text.strip() or None,
                   entity_type=entity_type if entity_text.strip() and entity_type != "any type" else None)
    search = SentenceQuery(text=query, types=tuple(wanted_types), entity=entity_text,
                           entity_type=None if entity_type == "any type" else entity_type)

    index = loaders.search_index(source_key, split, dataset_dict)
    matches = filter_sentences(index, search)

    if not matches:
        st.warning("No sentence matches these filters.")
    else:
        pages = (len(matches) + per_page - 1) // per_page
        filter_key = abs(hash((split, tuple(wanted_types), query, per_page, entity_text, entity_type))) % 10**8
        results, beside = st.columns([3, 1])
        with results:
            page = widgets.pager(pages, key=f"browse_page_{filter_key}")
            st.caption(f"{len(matches):,} sentences · page {page} of {pages}")
        dataset = dataset_dict[split]
        shown = matches[(page - 1) * per_page : page * per_page]
        results.html(render_sentences(dataset, shown, search))

        # Statistics of the filtered subset, beside the results.
        subset = subset_statistics(index, matches)
        beside.markdown("**These sentences**  \n" + "  \n".join(escape_markdown(line) for line in subset.lines()))
        beside.caption(f"The {subset.sentences:,} matching sentences of the {subset.of_sentences:,} in "
                       f"{code_span(split)}.")

        # One sentence closer: its document around it, and its tokens with POS, chunk and IOB tags.
        st.subheader("A closer look")
        session.from_url("sentence", "browse_focus", choices=shown, convert=int)
        session.from_url("around", "browse_around", choices=range(21), convert=int)
        f1, f2 = st.columns([2, 1])
        focus = f1.selectbox(
            "Sentence", shown, key=session.keep("browse_focus", shown),
            format_func=lambda n: f"#{n}: " + " ".join(dataset[n]["tokens"][:12])
            + (" ..." if len(dataset[n]["tokens"]) > 12 else ""),
            help="One of the sentences on this page.")
        around = f2.number_input("Sentences around it", 0, 20, 2, key=session.keep("browse_around"),
                                 help="How many sentences of its document to show before and after it.")
        session.to_url(sentence=str(focus), around=str(around))
        in_document, tokens = st.tabs(["Document around it", "Tokens"])
        context = document_context(index, focus, around=int(around))
        in_document.caption(f"Sentences {context[0]}-{context[-1]} of the same document (between its "
                            "-DOCSTART- lines); the sentence found is marked.")
        in_document.html('<div class="nerd-document">' + render_sentences(dataset, context, search, focus=focus)
                         + "</div>")
        tokens.dataframe(token_table(dataset, focus), hide_index=True, key="browse_tokens")
