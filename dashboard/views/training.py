"""Training page: runs, per-entity curves, loss/learning-rate, checkpoint comparison, config."""

import pandas as pd
import streamlit as st

from dashboard import charts, loaders, quickrun, session, widgets
from nerlib.evaluation.metrics import seen_unseen_by_run
from nerlib.runs.lr_finder import list_lr_finds
from nerlib.views import tables
from nerlib.views.guards import code_span, escape_markdown

st.title("Training")

runs = loaders.all_runs()

if not runs:
    st.info(
        f"No training runs in `{loaders.runs_dir()}` yet. Start one from a terminal in the "
        "repository root (or point `NERLIB_RUNS_DIR` at a folder of runs):",
        icon=":material/info:",
    )
    st.code(quickrun.QUICK_COMMAND_TEXT, language="bash")
    quickrun.start_button(key="start_quick_run_training")
    st.stop()

names = [run.name for run in runs]
by_name = {run.name: run for run in runs}
# A damaged run is listed (so it can be found and repaired) but never hides the healthy ones: the
# page opens on the newest healthy run, and every damaged one is named with why (file, line, field).
healthy = [run.name for run in runs if not run.damaged]
damaged = [run for run in runs if run.damaged]
if damaged:
    with st.expander(f"{len(damaged)} damaged run{'s' if len(damaged) != 1 else ''} (not readable; "
                     f"{len(healthy)} healthy)", expanded=not healthy, icon=":material/warning:"):
        for run in damaged:
            st.warning(f"{code_span(run.name)}: {escape_markdown(run.damaged)}", icon=":material/warning:")
chosen = st.multiselect("Runs", names, default=(healthy or names)[:1], key=session.linked("runs", "training_runs", choices=names, many=True, parse=widgets.known_run(names)),
                        help="Newest first. Pick several to compare them.")
if not chosen:
    st.warning("Pick at least one run.")
    st.stop()
selected = [by_name[name] for name in chosen]
widgets.refresh_while_training(selected)

# --- overview table: every F1 names its split and sentences; a slice's test F1 is never the headline
# two tables of one frame (scores, then set-up) so that every column shows in a narrow window
overview = pd.DataFrame([widgets.run_overview(run) for run in selected])
score_columns = ["run", "best val F1", "val scored on", "test F1", "test F1 on a slice", "test scored on",
                 "test unseen F1"]
score_columns = [c for c in score_columns if c == "run" or overview[c].notna().any()]  # no all-empty column
overview_columns = {**widgets.RUN_OVERVIEW_COLUMNS, "run": st.column_config.TextColumn(pinned=True)}
st.dataframe(overview, hide_index=True, key="training_overview", column_order=score_columns,
             height=tables.table_height(len(overview)), column_config=overview_columns)
st.dataframe(overview, hide_index=True, key="training_setup", height=tables.table_height(len(overview)),
             column_order=widgets.RUN_SETUP_COLUMNS, column_config=overview_columns)
widgets.run_models_caption(overview)

for run in selected:
    if run.damaged:  # listed so it can be found and repaired, but it has nothing to show
        st.warning(f"{code_span(run.name)} is damaged: {escape_markdown(run.damaged)}", icon=":material/warning:")
    for note in run.notes:  # what a readable run passed over: a skipped checkpoint, a torn last line
        st.info(f"{code_span(run.name)}: {escape_markdown(note)}", icon=":material/info:")
    if run.status == "running" and run.progress is not None:
        p = run.progress
        eta = f", about {p.eta_s / 60:.0f} min left" if p.eta_s else ""
        st.progress(p.fraction, text=f"`{run.name}`: {p.phase}, step {p.step:,}/{p.total_steps:,}, "
                                     f"epoch {p.epoch:.2f}/{p.num_epochs}{eta}")

# --- curves
c1, c2, c3 = st.columns([2, 1, 1])
metric = c1.segmented_control("Metric", ["f1", "precision", "recall"], default="f1", required=True,
                              key=session.linked("metric", "training_metric", choices=["f1", "precision", "recall"]))
x_axis = c2.segmented_control("x axis", ["epoch", "step"], default="epoch", required=True, key=session.linked("x", "training_x", choices=["epoch", "step"]))
split = c3.selectbox("Split", ["validation", "test"], key=session.linked("split", "training_split", choices=["validation", "test"]))
curves = tables.curves_frame(selected, metric, split)
widgets.coverage_caption(selected, split, metric)
if curves.empty:
    st.info(f"No {split} evaluations recorded yet for the chosen runs.")
elif len(selected) == 1:
    st.plotly_chart(
        charts.curves_figure(curves, x_axis, "value", "type", f"{split} {metric} per entity type",
                             y_format=".0%", y_label=metric),
        key="chart_curves",
    )
else:
    st.plotly_chart(
        charts.curves_figure(curves, x_axis, "value", "run", f"{split} {metric} per entity type",
                             facet="type", y_format=".0%", y_label=metric),
        key="chart_curves",
    )

frames = [run.metrics[run.metrics["split"] == "validation"].assign(run=run.name) for run in selected]
history = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
loss_columns = {"train_loss": "train", "loss": "validation"}
losses = history.melt(id_vars=["run", x_axis], value_vars=[c for c in loss_columns if c in history.columns],
                      var_name="loss", value_name="value").dropna(subset=["value"])
losses["loss"] = losses["loss"].map(loss_columns)
left, right = st.columns(2)
if not losses.empty:
    left.plotly_chart(charts.curves_figure(losses, x_axis, "value", "run", "Loss (train and validation)",
                                           y_label="loss", dash="loss"),
                      key="chart_loss")
# the planned schedule from run.json (a one-evaluation run would otherwise draw one dot at its last rate)
schedule = pd.concat([tables.learning_rate_schedule(run) for run in selected], ignore_index=True)
recorded = history.dropna(subset=["learning_rate"]) if "learning_rate" in history else pd.DataFrame()
if not schedule.empty or not recorded.empty:
    right.plotly_chart(charts.learning_rate_figure(schedule, recorded, x_axis), key="chart_lr")

# --- seen and unseen entities: the test line, else the latest validation line
st.subheader("Seen and unseen entities")
latest = {run.name: run.test_metrics or (run.validation_metrics[-1] if run.validation_metrics else None)
          for run in selected}
subsets = seen_unseen_by_run(latest)
if subsets.empty:
    st.caption("No seen/unseen scores recorded for these runs (runs trained before they existed).")
else:
    st.caption("Gold entities whose surface form occurs as an entity in the training split (seen) and "
               "those that do not (unseen): the unseen score says how the model does on tomorrow's news. "
               "Test scores where the run has them, else the latest validation.")
    widgets.coverage_caption(selected, None, "scores", warn=False)
    st.dataframe(subsets, hide_index=True, key="seen_unseen_table", height=tables.table_height(len(subsets)),
                 column_config={**widgets.score_columns(), "run": st.column_config.TextColumn(pinned=True)})

# --- checkpoints
st.subheader("Checkpoints")
table = tables.checkpoint_table(selected)
if table.empty:
    st.info("No complete checkpoint yet.")
else:
    st.dataframe(table, hide_index=True, key="checkpoint_table", height=tables.table_height(len(table)),
                 column_config={"checkpoint": st.column_config.TextColumn(pinned=True),
                                **{c: st.column_config.NumberColumn(format="%.4f")
                                   for c in table.columns if c.endswith("F1") or c.endswith("_f1")}})
    widgets.coverage_caption(selected, "validation", "F1", warn=False)  # the delta below warns
    labels = table["checkpoint"].tolist()
    # two different checkpoints, the best two by the ranking; again whenever other runs are picked
    # ("compare_a" is also the Compare page's run picker: a run name there is no checkpoint label here)
    pair = tables.default_checkpoint_pair(selected) or (labels[0], labels[-1])
    if (st.session_state.get("_compare_pair_runs") != chosen or st.session_state.get("compare_a") not in labels
            or st.session_state.get("compare_b") not in labels):
        st.session_state["_compare_pair_runs"] = list(chosen)
        st.session_state["compare_a"], st.session_state["compare_b"] = pair
    if len(labels) >= 2:
        c1, c2 = st.columns(2)
        first = c1.selectbox("Compare", labels, key=session.linked("a", "compare_a", choices=labels),
                             help="Default: the best checkpoints of the best two runs (by the rule of the "
                                  "checkpoint pickers); with one run, its best and its earliest other checkpoint.")
        second = c2.selectbox("with", labels, key=session.linked("b", "compare_b", choices=labels))
        widgets.checkpoint_delta(selected, first, second)

# --- learning-rate finder results in the runs folder (python -m training.lr_find)
finds = list_lr_finds(loaders.runs_dir())
if finds:
    st.subheader("Learning-rate finder")
    by_folder = {f.path.name: f for f in finds}
    picked = by_folder[st.selectbox("Sweep", list(by_folder), key=session.linked("sweep", "lr_find_pick", choices=list(by_folder)))]
    st.plotly_chart(charts.lr_find_figure(picked.frame(), picked.suggestion, picked.preset_learning_rate,
                                          title=f"{picked.model}: loss against learning rate"),
                    key="chart_lr_find")
    suggestion = f"{picked.suggestion:.2e}" if picked.suggestion else "none"
    st.caption(f"{len(picked.points)} steps from {picked.start_lr:g} ({picked.stopped}); suggested peak "
               f"learning rate {suggestion}" + (f", the preset's {picked.preset_learning_rate:g}"
                                                if picked.preset_learning_rate else "") + ".")

# --- config: how two runs differ first, then each run's whole run.json
st.subheader("Configuration and environment")
if len(selected) >= 2:
    c1, c2 = st.columns(2)
    diff_a = c1.selectbox("Configuration of", chosen, index=0, key="config_diff_a")
    diff_b = c2.selectbox("against", chosen, index=1, key="config_diff_b")
    if diff_a == diff_b:
        st.info("Pick two different runs to see how they differ.")
    else:
        widgets.config_diff(by_name[diff_a], by_name[diff_b], key="training_config_diff")
for run in selected:
    with st.expander(run.name):
        st.json(run.config, expanded=1)
