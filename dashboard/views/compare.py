"""Compare page: two runs on one split: F1 difference with its 95% interval and p-value, the
partial-match scores, and the sentences where the runs differ, in colour, filterable by type.

Deep link: ``/compare?a=RUN&b=RUN&split=test&n=all&types=PER,LOC``.
"""

import html

import streamlit as st

from dashboard import loaders, session, widgets
from nerlib.evaluation.comparison import DIFF_CATEGORIES, CompareError
from nerlib.runs.checkpoints import CheckpointError
from nerlib.views import tables
from nerlib.views.guards import code_span, escape_markdown
from nerlib.views.spans import DisplaySpan, render_runs_comparison

CATEGORY_NAMES = {"only_a_right": "only A right", "only_b_right": "only B right",
                  "both_wrong_differently": "both wrong, differently", "both_wrong_same": "both wrong, the same",
                  "both_right": "both right"}

st.title("Compare")

runs = tables.comparable_runs(loaders.all_runs())
default = tables.best_two_runs(runs)
if default is None:
    st.info(f"Comparing needs two runs with a checkpoint in `{loaders.runs_dir()}`; "
            f"{len(runs)} found. Train another run (e.g. the same options with another `--seed`).",
            icon=":material/info:")
    st.stop()
names = [run.name for run in runs]
folders = {run.name: str(run.path) for run in runs}

SIZES = {"all": None, "1000": 1000, "200": 200}
# runs on one row, split and sentences on the next: four controls in one row cut the segmented
# controls' options beside the open sidebar of an 800 px window
c1, c2 = st.columns(2)
c3, c4 = st.columns(2)
run_a = c1.selectbox("Run A", names, index=names.index(default[0]), key=session.linked("a", "compare_a", choices=names, parse=widgets.known_run(names)))
run_b = c2.selectbox("Run B", names, index=names.index(default[1]), key=session.linked("b", "compare_b", choices=names, parse=widgets.known_run(names)))
split = c3.segmented_control("Split", ["validation", "test"], default="test", required=True,
                             key=session.linked("split", "compare_split", choices=["validation", "test"]))
size = c4.segmented_control("Sentences (first N)", list(SIZES), default="all", required=True,
                            key=session.linked("n", "compare_size", choices=list(SIZES)), format_func=lambda n: n if n == "all" else f"{int(n):,}",
                            help="Each run tags once per choice (or its saved predictions are read); then cached.")

try:
    comparison = loaders.comparison(folders[run_a], folders[run_b], split, SIZES[size])
except (CompareError, CheckpointError, OSError, ValueError, ImportError) as error:
    st.error(f"Cannot compare {code_span(run_a)} with {code_span(run_b)} on {split}: {escape_markdown(error)}",
             icon=":material/error:")
    st.stop()

for note in comparison.notes:
    st.warning(escape_markdown(note), icon=":material/warning:")
overall = comparison.overall()
cols = widgets.metric_columns(4)
cols[0].metric("F1 A", "n/a" if overall["f1_a"] != overall["f1_a"] else f"{overall['f1_a']:.2%}")
cols[1].metric("F1 B", "n/a" if overall["f1_b"] != overall["f1_b"] else f"{overall['f1_b']:.2%}")
low, high = overall["ci_low"], overall["ci_high"]
cols[2].metric("B - A", "n/a" if overall["difference"] != overall["difference"] else f"{100 * overall['difference']:+.2f} pts",
               help="F1(B) - F1(A) in percentage points; below: its 95% paired-bootstrap interval")
cols[2].caption("95% CI n/a" if low != low else f"95% CI [{100 * low:+.2f}, {100 * high:+.2f}]")
cols[3].metric("p-value", "n/a" if overall["p_value"] != overall["p_value"] else f"{overall['p_value']:.3f}",
               help="approximate randomization: the share of random swaps of A's and B's sentences that give a "
                    "difference at least this large")
st.caption(f"A: {escape_markdown(comparison.run_a)} · B: {escape_markdown(comparison.run_b)} · "
           f"{comparison.sentences:,} {split} sentences; {comparison.resamples:,} resamples over "
           f"{comparison.units:,} {comparison.unit_kind} (seed {comparison.seed}).")

scores = tables.comparison_scores(comparison.scores)
# F1 columns by default so the table fits an 800 px window; precision and recall on demand
with_pr = st.toggle("Precision and recall columns", key=session.keep("compare_show_pr"))
shown = [c for c in scores.columns if with_pr or c[:2] not in ("P ", "R ")]
st.dataframe(scores, hide_index=True, key="compare_scores", column_order=shown,
             height=tables.table_height(len(scores)),
             column_config={"type": st.column_config.TextColumn(pinned=True),
                            "95% CI": st.column_config.TextColumn(help="95% paired-bootstrap interval of B - A, points"),
                            **{c: st.column_config.NumberColumn(format="%.2f")
                               for c in scores.columns if c not in ("type", "support", "95% CI", "p")}})
st.caption("Percent. Seed sd: the standard deviation of the test F1 recorded by the runs whose options differ "
           f"only in the seed (A: {len(comparison.spread_runs_a)} runs, B: {len(comparison.spread_runs_b)} runs); "
           "None (no spread) with fewer than two.")

st.subheader("Configuration and data")
if run_a == run_b:
    st.info("A and B are the same run: pick two different runs to see how they differ.", icon=":material/info:")
else:
    by_name = {run.name: run for run in runs}
    widgets.config_diff(by_name[run_a], by_name[run_b], key="compare_config")

types = [t for t in comparison.scores["type"] if t != "ALL"]
wanted_types = st.multiselect("Entity types", types, key=session.linked("types", "compare_types", choices=types, many=True),
                              help="Filter the partial-match table and the sentences to these types.")

st.subheader("Partial match")
partial = comparison.partial
if not partial.empty and wanted_types:
    partial = partial[partial["type"].isin(["ALL", *wanted_types])]
# possible (gold) and actual (predicted) are sums of the counts: on demand, so the table fits 800 px
with_totals = st.toggle("Totals (possible, actual)", key=session.linked("totals", "compare_partial_totals",
                                                                       parse=session.true_or_false))
st.dataframe(partial, hide_index=True, key="compare_partial", height=tables.table_height(len(partial)),
             column_order=[c for c in partial.columns if with_totals or c not in ("possible", "actual")],
             column_config={**widgets.score_columns(),
                            **{c: st.column_config.NumberColumn(width=62) for c in partial.columns
                               if c not in ("run", "scheme", "type", "precision", "recall", "f1")},
                            "run": st.column_config.TextColumn(width=40, pinned=True),
                            "scheme": st.column_config.TextColumn(width=70, pinned=True)})
st.caption("nervaluate's schemes: strict (type and boundaries), exact (boundaries), partial (overlap counts half), "
           "ent_type (type, some overlap).")

st.subheader("Sentences")
counts = comparison.diff_counts()
categories = st.multiselect("Show", list(DIFF_CATEGORIES), default=list(DIFF_CATEGORIES[:3]),
                            format_func=lambda c: f"{CATEGORY_NAMES[c]} ({counts[c]:,})",
                            key=session.linked("show", "compare_categories", choices=list(DIFF_CATEGORIES), many=True))
rows = tables.filter_diff(comparison.diff, categories, wanted_types)
if rows.empty:
    st.success("No sentence of these kinds.", icon=":material/check_circle:")
else:
    per_page = 20
    pages = (len(rows) + per_page - 1) // per_page
    page = widgets.pager(pages, key=f"compare_page_{run_a}_{run_b}_{split}_{categories}_{wanted_types}")
    st.caption(f"{len(rows):,} sentences · page {page} of {pages}")
    widgets.legend()
    blocks = []
    for row in rows.iloc[(page - 1) * per_page: page * per_page].itertuples(index=False):
        spans = {name: [DisplaySpan(s["start"], s["end"], s["label"]) for s in found]
                 for name, found in (("gold", row.gold), ("A", row.a), ("B", row.b))}
        header = f"#{row.sentence} · line {row.line} · {CATEGORY_NAMES[row.category]}"
        blocks.append(f'<div style="opacity:0.65;font-size:0.75rem;margin-top:0.9em">{html.escape(header)}</div>'
                      + render_runs_comparison(row.words, spans["gold"], {"A": spans["A"], "B": spans["B"]},
                                               include_style=not blocks))
    st.html("".join(blocks))
