"""Widgets shared by the dashboard pages: the checkpoint picker, legend, pager, sidebar status and
the refresh-while-training fragment. Each takes a ``key`` prefix for its widgets (as
spacy-streamlit's ``visualize_*(..., key=...)`` do), reads data through ``dashboard.loaders`` and
tables through ``nerlib.views.tables``; nothing here is cached itself.

Import order (no cycle): ``loaders`` and ``quickrun`` import only ``nerlib``; ``widgets`` imports
both; pages import all three and ``session``.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboard import loaders, quickrun, session
from nerlib.runs.coverage import Coverage, record_coverage, run_data_dir, split_size
from nerlib.runs.folder import Run
from nerlib.runs.ranking import RULE, rank_runs
from nerlib.settings import RUNS_DIR_ENV
from nerlib.views import tables
from nerlib.views.guards import PathNotAllowedError, check_visitor_checkpoint, code_span, escape_markdown
from nerlib.views.spans import render_legend
from nerlib.views.tables import checkpoint_choices

CHECKPOINT_KINDS = ["From runs", "Local folder", "Hub id"]
#: The run checkpoint last chosen on any page: every checkpoint picker opens on it.
SHARED_CHECKPOINT = "shared_run_checkpoint"


def legend(labels=None) -> None:
    """Draw the shared entity colour legend (``labels``: the types to show; default the four
    CoNLL types)."""
    st.html(render_legend(labels) if labels else render_legend())


def pager(num_pages: int, key: str, param: str | None = "page") -> int:
    """A page picker (1-based): ``st.pagination`` where this Streamlit has it, else a number box.
    Its page number is the query parameter ``param`` of the page's link (None: not linked)."""
    if num_pages <= 1:
        if param:
            session.to_url(**{param: None})
        return 1
    if param:
        key = session.linked(param, key, parse=session.number_between(1, num_pages))
    if hasattr(st, "pagination"):
        return st.pagination(num_pages, key=key)
    return int(st.number_input("Page", min_value=1, max_value=num_pages, value=1, step=1, key=key))


def sidebar_status() -> None:
    """Sidebar footer shared by all pages: where runs come from and how many exist."""
    runs = loaders.all_runs()
    with st.sidebar:
        st.caption(
            f"{len(runs)} run{'s' if len(runs) != 1 else ''} in `{loaders.runs_dir()}` "
            f"(set `{RUNS_DIR_ENV}` to change)"
        )
        if not runs and not quickrun.running():
            st.caption("No trained model yet: the Training, Tagger and Errors pages need one.")
            quickrun.start_button(key="sidebar_quick_run")


def _checkpoint_from_url(key: str, choices: dict[str, Path]) -> None:
    """Fill the picker from a shared link's ``checkpoint`` parameter (first visit only): a run
    checkpoint label (``tiny / best``, with or without the ``(epoch-2)`` suffix), else an existing
    folder, else a hub id."""
    value = session.url_value("checkpoint")
    if not value:
        return
    label = value if value in choices else next((c for c in choices if c.split(" (")[0] == value), None)
    if label is None and " / " in value:  # a run checkpoint label ("<run> / <checkpoint>") this server lacks
        _say_unknown_run(value)
        return
    if label is not None:
        st.session_state[f"{key}_kind"], st.session_state[f"{key}_run_checkpoint"] = CHECKPOINT_KINDS[0], label
        st.session_state[SHARED_CHECKPOINT] = label
    elif _allowed_folder(value) and Path(value).expanduser().is_dir():  # never probe paths outside the roots
        st.session_state[f"{key}_kind"], st.session_state[f"{key}_folder"] = CHECKPOINT_KINDS[1], value
    else:
        st.session_state[f"{key}_kind"], st.session_state[f"{key}_hub"] = CHECKPOINT_KINDS[2], value


def _say_unknown_run(value: str) -> None:
    """Say on the page that a link names a run checkpoint this server does not have, and which runs
    it has (the picker stays on its default instead of treating the label as a Hub id)."""
    run_name, _, checkpoint = value.partition(" / ")
    runs = loaders.all_runs()
    by_name = {run.name: run for run in runs}
    if run_name in by_name:
        problem = f"run {code_span(run_name)} has no checkpoint {code_span(checkpoint)}"
    else:
        problem = f"no run named {code_span(run_name)} in `{loaders.runs_dir()}`"
    have = ", ".join(code_span(run.name) for run in runs[:20]) or "none"
    more = f" and {len(runs) - 20} more" if len(runs) > 20 else ""
    st.warning(f"The link asks for {code_span(value)}: {problem}. Runs here: {have}{more}. "
               "Showing the default checkpoint instead.", icon=":material/link_off:")


def known_run(names: list[str]):
    """A ``parse`` for :func:`dashboard.session.linked` of a run picker: a name that is not one of
    ``names`` is said as "no run named X in RUNS_DIR", with the runs there."""
    def parse(text: str) -> str:
        if text in names:
            return text
        have = ", ".join(code_span(name) for name in names[:20]) or "none"
        more = f" and {len(names) - 20} more" if len(names) > 20 else ""
        raise ValueError(f"no run named {code_span(text)} in `{loaders.runs_dir()}` (runs here: {have}{more})")
    return parse


def url_choice(param: str, key: str, choices: list[str]) -> None:
    """:func:`dashboard.session.linked` for a widget with fixed ``choices`` (its first choice the
    default): a link's value that is not one of them is said on the page, never replaced silently.
    Call before the widget is drawn."""
    session.linked(param, key, choices=choices)


# The address bar holds the whole view (dashboard.session.page_links); the button copies it. An
# st.components.v2 component (the installed Streamlit deprecates components.v1.html, to be removed
# after 2026-06-01, and logs so on every run; st.iframe, its named successor, would keep the frame):
# its script runs in the page itself, so the click is a user gesture of the page and reads the page's
# own address; execCommand covers a page served over plain http to another machine, where browsers
# offer no navigator.clipboard. Trusted constant markup only (a component's html, css and js are not
# sanitized).
COPY_LINK_HTML = """<button type="button" id="nerd-copy-link"
 title="Copy the address of this view: it opens the same page, choices, filters and text for whoever follows it"
>Copy link</button><span id="nerd-copy-link-said" role="status"></span>"""

COPY_LINK_CSS = """
button { font: inherit; font-size: 14px; padding: 0.3rem 0.75rem; border-radius: 0.5rem; cursor: pointer;
         border: 1px solid var(--st-border-color, rgba(49, 51, 63, 0.2));
         background: var(--st-background-color, #fff); color: var(--st-text-color, inherit); }
button:hover { border-color: var(--st-primary-color, #5b4bdb); color: var(--st-primary-color, #5b4bdb); }
span { font-size: 0.8rem; opacity: 0.7; margin-left: 0.5em; }
"""

COPY_LINK_JS = """
export default function ({ parentElement }) {
  const button = parentElement.querySelector("#nerd-copy-link");
  const said = parentElement.querySelector("#nerd-copy-link-said");
  const byHand = (url) => {
    const box = document.createElement("textarea");
    box.value = url; box.setAttribute("readonly", ""); box.style.position = "fixed"; box.style.opacity = "0";
    document.body.appendChild(box); box.select();
    const done = document.execCommand("copy");
    box.remove();
    return done;
  };
  button.onclick = async () => {  // assigned, not added: a new render never doubles it
    const url = window.location.href;
    let done = false;
    try { await navigator.clipboard.writeText(url); done = true; } catch (error) { done = byHand(url); }
    if (!done) window.prompt("Copy this link:", url);
    said.textContent = done ? "Copied" : "";
    setTimeout(() => { said.textContent = ""; }, 4000);
  };
}
"""

_copy_link = st.components.v2.component("nerd_copy_link", html=COPY_LINK_HTML, css=COPY_LINK_CSS, js=COPY_LINK_JS)


def copy_link_button() -> None:
    """A "Copy link" button (drawn in the sidebar for every page by the entry script): it copies the
    address bar, which holds the page and its whole state (:func:`dashboard.session.page_links`)."""
    with st.sidebar:
        _copy_link(key="nerd_copy_link", width="content")


def checkpoint_picker(key: str, allow_other: bool = True, share: bool = False) -> str | None:
    """Let the user choose a checkpoint: from the runs (default: the best healthy run's best, see
    :data:`nerlib.runs.ranking.RULE`, each shown with its validation F1 and the sentences it was
    computed on), a local folder, or a hub id. Returns the source string for
    ``Tagger.from_pretrained``, or None (with an explanation and the quick-run button drawn) when
    nothing is available yet.

    The run checkpoint chosen on one page is the default on every other page
    (:data:`SHARED_CHECKPOINT`); with ``share`` it is also read from and written to the
    ``checkpoint`` query parameter (the run checkpoint label, folder or hub id).
    """
    runs = loaders.all_runs()
    choices = checkpoint_choices(runs)
    page_key = f"{key}_run_checkpoint"
    # Another page's newer choice becomes this page's value (a change made here, not yet shared,
    # is left alone: this page saw the shared value it would overwrite it with).
    shared, seen_key = st.session_state.get(SHARED_CHECKPOINT), f"_{key}_shared_seen"
    if shared in choices and shared != st.session_state.get(seen_key):
        st.session_state[page_key] = shared
    if share:
        _checkpoint_from_url(key, choices)
    kind = "From runs"
    if allow_other:
        kind = st.segmented_control("Checkpoint", CHECKPOINT_KINDS, default="From runs", required=True,
                                    key=session.keep(f"{key}_kind"))
    if kind == "From runs":
        if not choices:
            st.info(
                f"No trained checkpoint in `{loaders.runs_dir()}` yet. Train one from a terminal in "
                "the repository root, or start a quick CPU run here:", icon=":material/info:")
            st.code(quickrun.QUICK_COMMAND_TEXT, language="bash")
            quickrun.start_button(key=f"{key}_quick_run")
            return None
        labels = list(choices)
        scores = checkpoint_scores(runs, choices)
        best = best_checkpoint_label(runs, choices)
        label = st.selectbox("Run checkpoint", labels, index=labels.index(best) if best in labels else 0,
                             key=session.keep(page_key, choices),
                             format_func=lambda option: f"{option} · {scores[option]}" if option in scores else option,
                             help=RULE)
        st.session_state[SHARED_CHECKPOINT] = st.session_state[seen_key] = label
        st.caption(f"{code_span(label)}: {scores.get(label, 'no validation score')}"
                   + (" · the best run by the default rule" if label == best else ""))
        if share:
            session.to_url(checkpoint=label.split(" (")[0])
        return str(choices[label])
    if kind == "Local folder":
        source = st.text_input("Checkpoint folder (saved with save_pretrained, or a run folder)",
                               key=session.keep(f"{key}_folder")).strip()
    else:
        source = st.text_input("Hugging Face Hub id", placeholder="dslim/bert-base-NER",
                               key=session.keep(f"{key}_hub")).strip()
    if share:
        session.to_url(checkpoint=source or None)
    if not source:
        return None
    try:  # folders inside the configured roots only; the message never says whether a path exists
        return check_visitor_checkpoint(source, local=kind == "Local folder")
    except PathNotAllowedError as error:
        st.error(escape_markdown(error), icon=":material/error:")
        return None


def checkpoint_scores(runs: list[Run], choices: dict[str, Path]) -> dict[str, str]:
    """Label -> ``validation F1 0.3608 on the first 200 of 3,250 sentences`` for each checkpoint of
    ``choices`` that was validated."""
    found: dict[Path, tuple[Run, float | None]] = {}
    for run in runs:
        for checkpoint in [*run.checkpoints, *([run.best] if run.best else [])]:
            found[checkpoint.path] = (run, checkpoint.f1)
    scores = {}
    for label, path in choices.items():
        run, f1 = found.get(path, (None, None))
        coverage = run_coverage(run, "validation") if run is not None else None
        if f1 is not None and coverage is not None:
            scores[label] = f"{coverage.split} F1 {f1:.4f} on {coverage.sentences_text}"
    return scores


def best_checkpoint_label(runs: list[Run], choices: dict[str, Path]) -> str | None:
    """The label of the best healthy run's best checkpoint (:func:`nerlib.runs.ranking.rank_runs`)."""
    for ranked in rank_runs(runs):
        label = next((label for label, path in choices.items() if path == ranked.run.best.path), None)
        if label is not None:
            return label
    return None


def _allowed_folder(value: str) -> bool:
    try:
        check_visitor_checkpoint(value, local=True)
    except PathNotAllowedError:
        return False
    return True


@st.fragment(run_every=5)
def _watch_runs(signature: tuple) -> None:
    if loaders.runs_signature(loaders.runs_dir()) != signature:
        st.rerun(scope="app")


def refresh_while_training(runs: list[Run]) -> None:
    """While one of ``runs`` is still training, re-draw the page when its files change."""
    if any(run.status == "running" for run in runs):
        st.caption("A run is training: this page refreshes when it writes new results.")
        _watch_runs(loaders.runs_signature(loaders.runs_dir()))


# --------------------------------------------------------------------------- honest numbers

def _last_record(run: Run, split: str | None) -> dict | None:
    """The run's last metrics line of ``split``; for None, its test line, else its last validation."""
    if split is None:
        return run.test_metrics or (run.validation_metrics[-1] if run.validation_metrics else None)
    records = [r for r in run.records if r.get("split") == split]
    return records[-1] if records else None


def run_coverage(run: Run, split: str | None) -> Coverage | None:
    """The sentences ``run``'s scores on ``split`` were computed on (None for its test line, else
    its last validation), or None when it has none (:func:`nerlib.runs.coverage.record_coverage`)."""
    record = _last_record(run, split)
    return record_coverage(run.config, record) if record is not None else None


RUN_OVERVIEW_COLUMNS = {
    "best val F1": st.column_config.NumberColumn(format="%.4f", help="The best checkpoint's validation F1."),
    "val scored on": st.column_config.TextColumn(help="The validation sentences the F1 was computed on "
                                                       "(the first N of the split, or all of it)."),
    "test F1": st.column_config.NumberColumn(
        format="%.4f", help="F1 on the whole test split only; a run tested on its first N sentences "
                            "(--max-eval-samples) has its figure under 'test F1 on a slice'."),
    "test F1 on a slice": st.column_config.NumberColumn(
        format="%.4f", help="F1 on the first N test sentences only (--max-eval-samples): not comparable "
                            "with a whole-split test F1."),
    "test scored on": st.column_config.TextColumn(help="The test sentences the F1 was computed on "
                                                        "(the first N of the split, or all of it)."),
    "test unseen F1": st.column_config.NumberColumn(
        format="%.4f", help="F1 on test entities whose words never occur as an entity in training "
                            "(same sentences as the test F1)"),
    "parameters": st.column_config.NumberColumn(format="compact", help="The model's parameter count."),
    "evaluations": st.column_config.NumberColumn("evals", help="Validation evaluations recorded."),
}
#: The Training page's set-up table: the model's spec, often wider than a narrow window, is said
#: below it (:func:`run_models_caption`), not in a column.
RUN_SETUP_COLUMNS = ["run", "status", "parameters", "device", "evaluations", "started"]


def run_models_caption(overview) -> None:
    """Say each run's model under the set-up table (a model spec such as
    ``scratch:layers=1,hidden=64,...`` wraps in a caption, where a table column would scroll);
    runs with the same model are named together."""
    by_model: dict[str, list[str]] = {}
    for row in overview.itertuples(index=False):
        by_model.setdefault(str(row.model) if row.model else "not recorded", []).append(row.run)
    st.caption("Model: " + "; ".join(f"{code_span(model)} ({', '.join(code_span(name) for name in names)})"
                                     for model, names in by_model.items()) + ".")


def run_overview(run: Run) -> dict:
    """One row of the Training page's run table: every F1 with the sentences it covers; a test F1
    computed on a slice goes to its own column, never to ``test F1``."""
    config = run.config
    model = config.get("model")
    device = config.get("device")
    test = run.test_metrics or {}
    test_coverage = run_coverage(run, "test")
    validation_coverage = run_coverage(run, "validation")
    sliced = test_coverage is not None and test_coverage.is_slice
    return {
        "run": run.name,
        "status": run.status,
        "model": model.get("spec") if isinstance(model, dict) else model,
        "parameters": model.get("parameters") if isinstance(model, dict) else None,
        "device": str(device.get("type", "")) if isinstance(device, dict) else device,
        "evaluations": int((run.metrics["split"] == "validation").sum()) if "split" in run.metrics else 0,
        "best val F1": run.best.f1 if run.best else None,
        "val scored on": validation_coverage.count_text if validation_coverage else None,
        "test F1": None if sliced else test.get("f1"),
        "test F1 on a slice": test.get("f1") if sliced else None,
        "test scored on": test_coverage.count_text if test_coverage else None,
        "test unseen F1": (test.get("unseen") or {}).get("f1"),
        "started": str(config.get("started_at", ""))[:19].replace("T", " "),
    }


def coverage_caption(runs: list[Run], split: str | None, metric: str, warn: bool = True) -> None:
    """A caption naming, per run, the sentences its ``split`` scores cover (None: its test line,
    else its last validation), and (with ``warn``) a warning when they are not the same sentences."""
    found = {run.name: c for run in runs if (c := run_coverage(run, split)) is not None}
    if not found:
        return
    st.caption("Scored on: " + "; ".join(f"{code_span(name)}: {c.describe(metric)}" for name, c in found.items()) + ".")
    coverages = list(found.values())
    if warn and any(not coverages[0].same_sentences(c) for c in coverages[1:]):
        st.warning("These runs were scored on different sentences: their figures are not comparable. "
                   "The Compare page scores both on the same sentences.", icon=":material/warning:")


def compare_link(run_a: str, run_b: str, split: str) -> None:
    """A link to the Compare page scoring ``run_a`` and ``run_b`` on the same ``split`` sentences."""
    st.page_link("views/compare.py", label=f"Compare {escape_markdown(run_a)} and {escape_markdown(run_b)} on the same {split} sentences",
                 icon=":material/compare_arrows:", query_params={"a": run_a, "b": run_b, "split": split})


def checkpoint_delta(runs: list[Run], first: str, second: str) -> None:
    """Two checkpoints' validation scores side by side; their difference (a delta) only when both
    were scored on the same sentences, else a warning and a link to the Compare page."""
    by_name = {run.name: run for run in runs}
    run_a, run_b = (by_name.get(label.split(" / ")[0]) for label in (first, second))
    coverage_a, coverage_b = (run_coverage(r, "validation") if r is not None else None for r in (run_a, run_b))
    frame = tables.checkpoint_delta(runs, first, second)
    same = coverage_a is not None and coverage_b is not None and coverage_a.same_sentences(coverage_b)
    if not same:
        frame = frame.drop(columns=[tables.DELTA_COLUMN])
        said = [f"{name} on {c.sentences_text}" if c else f"{name}: not recorded"
                for name, c in (("A", coverage_a), ("B", coverage_b))]
        st.warning("A and B were not scored on the same validation sentences (" + ", ".join(said)
                   + "): their difference is not a delta.", icon=":material/warning:")
        if run_a is not None and run_b is not None and run_a.name != run_b.name:
            compare_link(run_a.name, run_b.name, "validation")
    elif coverage_a is not None:
        st.caption(f"Both scored on the same {coverage_a.split} sentences ({coverage_a.sentences_text}): "
                   "B - A is a like-for-like delta.")
    st.dataframe(frame, hide_index=True, key="compare_table", height=tables.table_height(len(frame)),
                 column_config={c: st.column_config.NumberColumn(format="%+.4f" if c.startswith("Δ") else "%.4f")
                                for c in ("A", "B", tables.DELTA_COLUMN) if c in frame.columns})


def evaluation_coverage(split: str, sentences: int) -> Coverage:
    """The sentences a fresh evaluation of the first ``sentences`` of ``split`` (in
    ``$NERLIB_DATA_DIR``) covers."""
    return Coverage(split, sentences, split_size(run_data_dir({}), split))


# --------------------------------------------------------------------------- downloads


def tagged_downloads(tagged, key: str) -> None:
    """Download buttons for a ``TaggedText``: the JSON line ``python -m nerlib tag`` writes for it,
    and CoNLL (one ``word label`` line per word, IOB2). Both hold the model's whole result, before
    the page's type and confidence filters."""
    import json

    left, right = st.columns(2)
    left.download_button("Download JSON", json.dumps(tagged.to_dict(), ensure_ascii=False) + "\n",
                         file_name="tagged.json", mime="application/json", key=f"{key}_download_json",
                         icon=":material/download:",
                         help="The same JSON line as `python -m nerlib tag`: text and entities with "
                              "character offsets and scores (all entities, before the filters).")
    right.download_button("Download CoNLL", tagged.to_conll(), file_name="tagged.conll", mime="text/plain",
                          key=f"{key}_download_conll", icon=":material/download:",
                          help="One `word label` line per word, IOB2 labels (all entities, before the filters).")


# --------------------------------------------------------------------------- how two runs differ

def config_diff(run_a: Run, run_b: Run, key: str) -> None:
    """Two runs' configuration and data side by side: the fields that differ first (model, seed,
    train and evaluation sentences, schedule...), then the rest (the same in both, and what names
    or dates a run) in a collapsed expander (:func:`nerlib.views.tables.config_diff_frame`)."""
    frame = tables.config_diff_frame(run_a, run_b)
    wanted = frame["differs"] & ~frame["bookkeeping"]
    differ, rest = frame[wanted], frame[~wanted]
    # widths that fit beside the open sidebar of an 800 px window; wider windows stretch A and B, and
    # a longer value (a path) shows whole in the cell's overlay (a click) and in the CSV download
    columns = {"field": st.column_config.TextColumn("field", width=155, pinned=True),
               "A": st.column_config.TextColumn(f"A: {run_a.name}", width=135),
               "B": st.column_config.TextColumn(f"B: {run_b.name}", width=135)}
    if differ.empty:
        st.success(f"{code_span(run_a.name)} and {code_span(run_b.name)} were set up the same way "
                   "(configuration and data); only their names and dates differ.", icon=":material/check_circle:")
    else:
        st.caption(f"{len(differ)} field{'s' if len(differ) != 1 else ''} of run.json differ "
                   "(configuration, data, model, environment):")
        st.dataframe(differ[["field", "A", "B"]], hide_index=True, key=f"{key}_differ",
                     height=tables.table_height(len(differ), 25), column_config=columns)
    with st.expander(f"The other {len(rest)} fields (the same in both, and the runs' names and dates)"):
        st.dataframe(rest[["field", "A", "B"]], hide_index=True, key=f"{key}_same",
                     height=tables.table_height(len(rest), 15), column_config=columns)


# --------------------------------------------------------------------------- table columns that fit

def metric_columns(count: int, width: int = 180) -> list:
    """``count`` boxes of ``width`` px for ``st.metric`` side by side, wrapping onto the next line
    where the page is narrow (beside the open sidebar of an 800 px window), in place of
    ``st.columns(count)``, whose equal shares cut a value there ("93.…")."""
    row = st.container(horizontal=True, wrap=True, gap="medium")
    return [row.container(width=width) for _ in range(count)]


#: pixels of a score or count column: "0.348" or "12,345" and a short header, whole
SCORE_WIDTH = 54


def score_columns(fmt: str = "%.3f", extra: tuple[str, ...] = ()) -> dict:
    """``st.dataframe`` column configs for precision / recall / F1 / support (and ``extra`` score
    columns), the seen/unseen ``entities`` and the ``predicted`` / ``correct`` counts: short headers
    (P, R, F1, gold, pred, right) with the full name as help, and narrow fixed widths, so a score
    table fits beside the open sidebar of an 800 px window without hiding columns."""
    narrow = {"precision": ("P", "precision"), "recall": ("R", "recall"), "f1": ("F1", "F1"),
              **{name: (name, name) for name in extra}}
    columns = {name: st.column_config.NumberColumn(label, help=text, format=fmt, width=SCORE_WIDTH)
               for name, (label, text) in narrow.items()}
    columns["support"] = st.column_config.NumberColumn("gold", help="gold entities (support)", width=SCORE_WIDTH)
    columns["entities"] = st.column_config.TextColumn(width=62, help="seen: the entity's words occur as an "
                                                      "entity in the training split; unseen: they do not")
    columns["predicted"] = st.column_config.NumberColumn("pred", help="predicted entities", width=SCORE_WIDTH)
    columns["correct"] = st.column_config.NumberColumn("right", help="predicted entities that are right", width=SCORE_WIDTH)
    return columns


def key_columns_table(frame, shown: list[str], key: str, column_config: dict | None = None,
                      container=None) -> None:
    """An ``st.dataframe`` of ``frame`` that shows the ``shown`` columns (so that it fits an 800 px
    window), whole rows only, and a caption naming the columns left out: they are one click away
    in the table's own toolbar menu "Show/hide columns" (Streamlit lists every column of the data
    there, the ones left out of ``column_order`` unticked), and in its CSV download."""
    where = container if container is not None else st
    shown = [c for c in shown if c in frame.columns]
    hidden = [c for c in frame.columns if c not in shown]
    where.dataframe(frame, hide_index=True, key=key, column_order=shown, column_config=column_config,
                    height=tables.table_height(len(frame)))
    if hidden:
        where.caption(f"More columns ({', '.join(hidden)}): the table's menu *Show/hide columns* "
                      "(the toolbar above its top right corner).")
