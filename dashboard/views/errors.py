"""Errors page: confusion matrix, error kinds per type, and the worst sentences (gold vs predicted)."""

import html

import streamlit as st

from dashboard import charts, loaders, session, widgets
from dashboard.views import calibration as calibration_view
from nerlib.evaluation.scoring import ERROR_KINDS
from nerlib.runs.checkpoints import CheckpointError
from nerlib.views import tables
from nerlib.views.guards import code_span, escape_markdown
from nerlib.views.spans import DisplaySpan, render_comparison

st.title("Errors")

source = widgets.checkpoint_picker("errors", share=True)
if source is None:
    st.stop()

c1, c2 = st.columns(2)
widgets.url_choice("split", "errors_split", ["validation", "test"])
split = c1.segmented_control("Split", ["validation", "test"], default="validation", required=True,
                             key=session.keep("errors_split"))
session.to_url(split=split)
sizes = {"first 500 sentences": 500, "first 1,000 sentences": 1000, "all sentences": None}
size = c2.segmented_control("Sentences", list(sizes), default="first 500 sentences", required=True,
                            key=session.linked("n", "errors_size", choices=list(sizes)), help="The model runs once per choice; results are cached.")

try:
    result = loaders.evaluation(source, split, sizes[size])
except (CheckpointError, OSError, ValueError) as error:
    st.error(f"Cannot evaluate {code_span(source)} on {split}: {escape_markdown(error)}", icon=":material/error:")
    st.stop()

metrics = result.metrics
coverage = widgets.evaluation_coverage(split, len(result.sentences))
cols = st.columns(5)
cols[0].metric(f"{split} F1", f"{metrics.f1:.2%}", help=coverage.describe("F1"))
cols[1].metric("Precision", f"{metrics.precision:.2%}")
cols[2].metric("Recall", f"{metrics.recall:.2%}")
cols[3].metric("Token accuracy", f"{metrics.token_accuracy:.2%}")
cols[4].metric("Errors", f"{len(result.errors):,}")
st.caption(f"Every figure here: {coverage.describe('scores')}"
           + (" (a slice, not the whole split)" if coverage.is_slice else "")
           + f", evaluated in {result.seconds:.1f} s (then cached).")

left, right = st.columns([3, 2])
normalize = left.toggle("Colour by share of the gold row", value=True, key=session.linked("normalize", "errors_normalize", parse=session.true_or_false))
inputs = (source, loaders.checkpoint_stamp(source), split, size)
left.plotly_chart(loaders.figure("confusion", (*inputs, normalize),
                               lambda: charts.confusion_figure(result.confusion, normalize=normalize)),
                  key="chart_confusion")
right.plotly_chart(loaders.figure("error_kinds", inputs,
                                lambda: charts.error_kinds_figure(tables.error_kind_counts(result.errors))),
                   key="chart_error_kinds")
right.dataframe(result.table(), key="errors_type_table", hide_index=True,
                column_config={c: st.column_config.NumberColumn(format="%.3f")
                               for c in ("precision", "recall", "f1")})
subsets = metrics.seen_unseen_table()
if not subsets.empty:
    right.dataframe(subsets, key="errors_seen_unseen_table", hide_index=True,
                    column_config={c: st.column_config.NumberColumn(format="%.3f")
                                   for c in ("precision", "recall", "f1")})
    right.caption("Seen: the entity's words occur as an entity in the CoNLL++ training split; unseen: they do not.")

with st.expander("Confidence and calibration"):  # drawn only when asked: it adds four charts
    if st.toggle("Show reliability, threshold and precision-recall curves", key=session.linked("calibration", "errors_calibration", parse=session.true_or_false)):
        calibration_view.render(result, split, loaders.tagger(source).temperature)

st.subheader("Worst sentences")
c1, c2, c3 = st.columns([2, 2, 1])
kinds = c1.multiselect("Error kinds", list(ERROR_KINDS), key=session.linked("kinds", "errors_kinds", choices=list(ERROR_KINDS), many=True),
                       format_func=lambda k: k.replace("_", " "))
types = sorted(set(result.errors["gold_label"].dropna()) | set(result.errors["pred_label"].dropna()))
wanted_types = c2.multiselect("Entity types", types, key=session.linked("types", "errors_types", choices=types, many=True))
per_page = c3.selectbox("Per page", [10, 25, 50], key=session.linked("per_page", "errors_per_page", choices=[10, 25, 50]))

errors = result.errors
if kinds:
    errors = errors[errors["kind"].isin(kinds)]
if wanted_types:
    errors = errors[errors["gold_label"].isin(wanted_types) | errors["pred_label"].isin(wanted_types)]
counts = errors.groupby("sentence").size().sort_values(ascending=False, kind="stable")

if counts.empty:
    st.success("No sentence has errors of this kind.", icon=":material/check_circle:")
else:
    pages = (len(counts) + per_page - 1) // per_page
    page = widgets.pager(pages, key=f"errors_page_{split}_{size}_{kinds}_{wanted_types}_{per_page}")
    st.caption(f"{len(counts):,} sentences with errors · page {page} of {pages} · most errors first")
    widgets.legend()
    blocks = []
    for sentence, n in counts.iloc[(page - 1) * per_page : page * per_page].items():
        row = result.sentences.iloc[sentence]
        gold = [DisplaySpan(s["start"], s["end"], s["label"]) for s in row["gold"]]
        pred = [DisplaySpan(s["start"], s["end"], s["label"]) for s in row["predicted"]]
        kinds_here = ", ".join(k.replace("_", " ") for k in errors[errors["sentence"] == sentence]["kind"])
        header = f"#{sentence} · line {row['line']} · {n} error{'s' if n != 1 else ''}: {kinds_here}"
        blocks.append(f'<div style="opacity:0.65;font-size:0.75rem;margin-top:0.9em">{html.escape(header)}</div>'
                      + render_comparison(result.tokens[sentence], gold, pred, include_style=not blocks))
    st.html("".join(blocks))

with st.expander("All errors (table)"):
    st.dataframe(errors, hide_index=True, key="errors_table")
    st.download_button("Download predictions (CoNLL: word gold predicted)", result.conll_predictions,
                       file_name=f"predictions-{split}.conll", key="errors_download")
