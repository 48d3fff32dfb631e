"""Errors page: confusion matrix, error kinds per type, and the worst sentences (gold vs predicted).

Scores come from the run's saved predictions of its best checkpoint when they hold the sentences
asked for (instant, no model), else from the model, once, under a progress bar (docs/dashboard.md).
"""

import dataclasses
import html

import streamlit as st

from dashboard import charts, loaders, session, widgets
from dashboard.views import calibration as calibration_view
from nerlib.evaluation.scoring import ERROR_KINDS
from nerlib.runs.checkpoints import CheckpointError
from nerlib.views import confidence, tables
from nerlib.views.guards import code_span, escape_markdown
from nerlib.views.spans import DisplaySpan, render_comparison

# the error table's columns, narrow enough for an 800 px window (the offsets in its column menu)
ERROR_TABLE_COLUMNS = {"sentence": st.column_config.NumberColumn(width=70, pinned=True),
                       "line": st.column_config.NumberColumn(width=60), "kind": st.column_config.TextColumn(width=130),
                       "gold_label": st.column_config.TextColumn("gold", width=55),
                       "pred_label": st.column_config.TextColumn("predicted", width=75),
                       **{c: st.column_config.TextColumn(c.replace("_", " "), width=150) for c in ("gold_text", "pred_text")}}

st.title("Errors")

source = widgets.checkpoint_picker("errors", share=True)
if source is None:
    st.stop()

c1, c2 = st.columns([1, 2])
widgets.url_choice("split", "errors_split", ["validation", "test"])
split = c1.segmented_control("Split", ["validation", "test"], default="validation", required=True,
                             key=session.keep("errors_split"))
session.to_url(split=split)
# The run's saved predictions of its best checkpoint (written by training) are read instead of
# tagging when they hold the sentences asked for; the default is the most they hold.
saved = loaders.saved_predictions_coverage(source, split)
sizes = {"first 500 sentences": 500, "first 1,000 sentences": 1000, "all sentences": None}
default = "first 500 sentences"
if saved is not None and saved.sentences:
    covered = [label for label, n in sizes.items()
               if (n is None and not saved.is_slice) or (n is not None and n <= saved.sentences)]
    if not covered:
        sizes = {f"first {saved.sentences:,} sentences": saved.sentences, **sizes}
        covered = [next(iter(sizes))]
    default = covered[-1]
else:
    covered = []
size = c2.segmented_control("Sentences", list(sizes), default=default, required=True,
                            key=session.linked("n", "errors_size", choices=list(sizes)),
                            # "first 500 sentences" shown as "500" (the label says sentences), so the
                            # options fit beside the split in a narrow window
                            format_func=lambda label: label.removeprefix("first ").removesuffix(" sentences")
                            + (" · saved" if label in covered else ""),
                            help="The split's first 500 or 1,000 sentences, or all of it. "
                                 "'saved': the run's saved predictions of its best checkpoint hold these "
                                 "sentences, read at once; the others are scored by the model once, then kept.")
threshold = st.columns(2)[0].slider(
    "Minimum confidence", 0.0, 1.0, 0.0, 0.05,
    key=session.linked("threshold", "errors_threshold", parse=session.number_between(0.0, 1.0, float)),
    help="Predicted entities scored below this are dropped (their words count as O) before the scores "
         "and errors on this page are counted, as `python -m nerlib evaluate --threshold` does; above 0 "
         "the model scores the sentences once (saved predictions hold no scores). "
         + confidence.score_help(loaders.calibration_record(source)))

try:
    result = loaders.saved_evaluation(source, split, sizes[size]) if size in covered else None
    if result is None:
        if size in covered:  # the file is there but is another checkpoint's, or other sentences'
            why = f"the run's saved predictions of {split} are not this checkpoint's on these sentences"
        elif saved is not None:
            why = f"the run's saved predictions hold {saved.sentences_text} of {split}"
        else:
            why = f"this checkpoint has no saved predictions of {split}"
        st.caption(f"Scored afresh by the model ({why}).")
        result = loaders.evaluation(source, split, sizes[size])
    everything = result  # every predicted entity: the calibration view's input
    if threshold > 0:
        if result.word_scores is None:
            st.caption(f"A minimum confidence needs each entity's score, which saved predictions do not hold: "
                       f"the model scores the same {len(result.sentences):,} sentences once.")
        everything = loaders.evaluation(source, split, sizes[size]) if result.word_scores is None else result
        result = loaders.thresholded_evaluation(source, split, sizes[size], threshold)
except (CheckpointError, OSError, ValueError) as error:
    st.error(f"Cannot evaluate {code_span(source)} on {split}: {escape_markdown(error)}", icon=":material/error:")
    st.stop()

metrics = result.metrics
if result.saved_from:
    coverage = dataclasses.replace(saved, sentences=len(result.sentences))
    origin = (f"from the run's saved predictions of checkpoint {escape_markdown(result.saved_from)}, "
              f"{len(result.sentences):,} sentences, read in {result.seconds:.1f} s (no model run)")
else:
    coverage = widgets.evaluation_coverage(split, len(result.sentences))
    origin = f"scored afresh by the model in {result.seconds:.1f} s (then kept)"
cols = widgets.metric_columns(5)
cols[0].metric(f"{split} F1", f"{metrics.f1:.2%}", help=coverage.describe("F1"))
cols[1].metric("Precision", f"{metrics.precision:.2%}", help=coverage.describe("precision"))
cols[2].metric("Recall", f"{metrics.recall:.2%}", help=coverage.describe("recall"))
cols[3].metric("Token accuracy", f"{metrics.token_accuracy:.2%}", help=coverage.describe("token accuracy"))
cols[4].metric("Errors", f"{len(result.errors):,}", help=coverage.describe("entity errors"))
st.caption(f"Every figure here: {coverage.describe('scores')}"
           + (" (a slice, not the whole split)" if coverage.is_slice else "") + f"; {origin}.")
if threshold > 0:
    predicted = int(everything.sentences["n_predicted"].sum())
    st.caption(f"Minimum confidence {threshold:.2f}: {result.dropped:,} of {predicted:,} predicted entities scored "
               f"below it dropped (their words count as O) before anything here was counted; F1 on the rest "
               f"{metrics.f1:.2%} (precision {metrics.precision:.2%}, recall {metrics.recall:.2%}), against "
               f"{everything.metrics.f1:.2%} with every entity.")

left, right = st.columns([3, 2])
normalize = left.toggle("Colour by share of the gold row", value=True, key=session.linked("normalize", "errors_normalize",
                                                                              parse=session.true_or_false))
inputs = (source, loaders.checkpoint_stamp(source), split, size, result.saved_from, threshold)
left.plotly_chart(loaders.figure("confusion", (*inputs, normalize),
                               lambda: charts.confusion_figure(result.confusion, normalize=normalize)),
                  key="chart_confusion")
right.plotly_chart(loaders.figure("error_kinds", inputs,
                                lambda: charts.error_kinds_figure(tables.error_kind_counts(result.errors))),
                   key="chart_error_kinds")
type_table = result.table()
# the score tables take the page's width (a half-width column scrolls in a narrow window)
st.dataframe(type_table, key="errors_type_table", hide_index=True, height=tables.table_height(len(type_table)),
             column_config=widgets.score_columns())
subsets = metrics.seen_unseen_table()
if not subsets.empty:
    st.dataframe(subsets, key="errors_seen_unseen_table", hide_index=True, height=tables.table_height(len(subsets)),
                 column_config=widgets.score_columns())
    st.caption("Seen: the entity's words occur as an entity in the CoNLL++ training split; unseen: they do not.")

with st.expander("Confidence and calibration"):  # drawn only when asked: it adds four charts
    if st.toggle("Show reliability, threshold and precision-recall curves", key=session.linked("calibration", "errors_calibration",
                                                                                              parse=session.true_or_false)):
        if everything.probabilities is None:  # saved predictions hold labels, not each word's distribution
            st.caption(f"These curves need each word's label distribution, which saved predictions do not "
                       f"hold: the model scores the same {len(result.sentences):,} sentences once.")
            result_with_distributions = loaders.evaluation(source, split, sizes[size])
        else:
            result_with_distributions = everything
        calibration_view.render(result_with_distributions, split, loaders.tagger(source).temperature, threshold)

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
    page = widgets.pager(pages, key=f"errors_page_{split}_{size}_{threshold}_{kinds}_{wanted_types}_{per_page}")
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
    widgets.key_columns_table(errors, ["sentence", "line", "kind", "gold_label", "gold_text", "pred_label", "pred_text"],
                              key="errors_table", column_config=ERROR_TABLE_COLUMNS)
    st.download_button("Download predictions (CoNLL: word gold predicted)", result.conll_predictions,
                       file_name=f"predictions-{split}.conll", key="errors_download")
