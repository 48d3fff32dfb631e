"""Data quality page: the likely label errors of a dataset, a review loop, the corrected CoNLL export.

Reads the reports ``python -m nerlib label-issues RUN DATA`` saved in ``RUN/quality/`` (or finds
them here for a split the run was not trained on, in one pass), draws the ranked sentences with the
given and the suggested spans, and saves every decision at once to the review file beside the run
(:mod:`nerlib.quality.review`). Keyboard: ``a`` accept, ``k`` keep, ``n`` next, ``p`` previous.
"""

import html

import streamlit as st

from dashboard import loaders, session, widgets
from nerlib.data.labels import entity_spans, split_tag
from nerlib.quality.issues import detect_label_issues, list_reports, save_report
from nerlib.quality.review import ReviewFile, StaleReviewError, export_corrected, file_sha256, review_path
from nerlib.quality.scores import ENTITY_KINDS
from nerlib.views.guards import code_span, escape_markdown
from nerlib.views.spans import DisplaySpan, render_comparison, render_legend

st.title("Data quality")
st.caption("Which labels are likely wrong? cleanlab scores every label against the run's out-of-sample class "
           "distributions; review the suggestions and export a corrected CoNLL file (docs/quality.md).")

runs = {run.name: run for run in loaders.all_runs() if run.path.joinpath("checkpoints", "best").is_dir()}
if not runs:
    st.info(f"No trained run in `{loaders.runs_dir()}` yet: train one first (Training page).", icon=":material/info:")
    st.stop()
run_name = st.selectbox("Run", list(runs), key=session.linked("run", "quality_run", choices=list(runs), parse=widgets.known_run(list(runs))))
run = runs[run_name]

reports = list_reports(run.path)
with st.expander("Find label issues" + ("" if reports else " (none saved for this run yet)"), expanded=not reports):
    st.markdown("Data the run was **not** trained on is read in one pass here. For its training split use "
                "K-fold cross-training from a terminal (each fold trains the run's recipe):")
    st.code(f"python -m nerlib label-issues {run.path} train --folds 5 --top 20", language="bash")
    c1, c2 = st.columns([1, 3])
    split = c1.selectbox("Split", ["validation", "test"], key=session.linked("find_split", "quality_find_split", choices=["validation", "test"]))
    if c2.button("Find label issues (one pass)", key="quality_find", icon=":material/search:"):
        try:
            report_progress = loaders.counting_bar(f"Finding label issues: {run.name} reads {split}",
                                                   loaders.sentences_asked(split, None))
            save_report(detect_label_issues(str(run.path), split, progress=report_progress), run.path)
        except (OSError, ValueError, RuntimeError) as error:
            st.error(f"Cannot find label issues: {escape_markdown(error)}", icon=":material/error:")
        reports = list_reports(run.path)
if not reports:
    st.stop()

names = {path.name.removesuffix(".issues.jsonl"): path for path in reports}
chosen = st.selectbox("Data", list(names), key=session.linked("data", "quality_report", choices=list(names)),
                      help="The reports saved in the run's quality/ folder, newest first.")
try:
    report = loaders.label_report(names[chosen])
except (OSError, ValueError) as error:
    st.error(escape_markdown(error), icon=":material/error:")
    st.stop()
source = report.source_path
if not source.is_file():
    st.error(f"The source file {code_span(source)} is gone; run `label-issues` again.", icon=":material/error:")
    st.stop()
if file_sha256(source) != report.source_sha256:
    st.error(f"{code_span(source)} changed since these issues were found (checksum differs); run "
             "`label-issues` again before reviewing.", icon=":material/error:")
    st.stop()

review = ReviewFile(review_path(run.path, source), source)
try:
    state = review.state()
except ValueError as error:  # a review file broken by hand: say where, touch nothing
    st.error(f"Cannot read the review: {escape_markdown(error)}", icon=":material/error:")
    st.stop()
if state.stale:
    st.warning(f"{len(state.stale)} decision(s) in the review were made against another version of "
               f"{code_span(source.name)}; they are not applied.", icon=":material/warning:")

flagged = report.flagged
reviewed = sum(1 for issue in flagged if issue.sentence in state.current)
c1, c2, c3 = st.columns(3)
c1.metric("Flagged sentences", f"{len(flagged):,}", help=f"of {len(report.issues):,} sentences in {report.source}")
c2.metric("Reviewed", f"{reviewed:,} / {len(flagged):,}")
c3.metric("Corrections", f"{sum(1 for d in state.current.values() if d.decision != 'keep'):,}")
st.progress(reviewed / len(flagged) if flagged else 1.0)
st.caption(f"{report.source}: {len(report.issues):,} sentences scored ({report.method}, model {report.model}); "
           f"quality = {report.sentence_method} of cleanlab's {report.token_method} word scores, lower = more "
           f"likely wrong. Review file: {review.path}")

c1, c2, c3, c4 = st.columns([2, 2, 1, 1])
types = sorted({label for issue in report.issues for e in issue.entities
                for label in (e.given_label, e.suggested_label) if label})
wanted_types = c1.multiselect("Entity types", types, key=session.linked("types", "quality_types", choices=types, many=True))
kinds = c2.multiselect("Kinds", list(ENTITY_KINDS), key=session.linked("kinds", "quality_kinds", choices=list(ENTITY_KINDS), many=True),
                       format_func=lambda kind: kind.replace("_", " "))
show_all = c3.toggle("All sentences", key=session.linked("all", "quality_all", parse=session.true_or_false), help="Also those with nothing flagged")
hide_reviewed = c4.toggle("Hide reviewed", value=True, key=session.linked("hide_reviewed", "quality_hide_reviewed", parse=session.true_or_false))

queue = [issue for issue in (report.issues if show_all else flagged)
         if (not hide_reviewed or issue.sentence not in state.current)
         and (not kinds or set(kinds) & set(issue.kinds))
         and (not wanted_types or any({e.given_label, e.suggested_label} & set(wanted_types) for e in issue.entities))]


def _spans(tags):
    return [DisplaySpan(s.start, s.end, s.label) for s in entity_spans(tags)]


def _decide(sentence: int, decision: str, tags: list[str]) -> None:
    review.record(sentence, decision, tags)


def _move(step: int) -> None:
    st.session_state["quality_position"] = max(0, st.session_state.get("quality_position", 0) + step)


st.subheader("Review")
if not queue:
    st.success("Nothing left to review with these filters.", icon=":material/check_circle:")
else:
    position = min(st.session_state.get("quality_position", 0), len(queue) - 1)
    st.session_state["quality_position"] = position
    issue = queue[position]
    decided = state.current.get(issue.sentence)
    header = (f"{position + 1} of {len(queue)} · sentence #{issue.sentence} · line {issue.line} · quality "
              f"{issue.quality:.4f}" + (f" · decided: {decided.decision}" if decided else ""))
    st.html(f'<div style="opacity:0.7;font-size:0.85rem">{html.escape(header)}</div>'
            + render_legend(include_style=False)
            + render_comparison(issue.tokens, _spans(issue.given), _spans(issue.suggested),
                                sides=("given", "suggested")))
    for entity in issue.entities:
        st.markdown(f"- {escape_markdown(str(entity))}")
    if issue.flagged and not issue.entities:
        st.caption("Flagged words: " + escape_markdown(", ".join(f"{issue.tokens[w]} ({issue.given[w]})"
                                                                 for w in issue.flagged)))
    b1, b2, b3, b4 = st.columns(4)
    b1.button("Accept suggestion", key="quality_accept", type="primary", shortcut="a", icon=":material/check:",
              on_click=_decide, args=(issue.sentence, "accept", issue.suggested))
    b2.button("Keep given", key="quality_keep", shortcut="k", icon=":material/undo:",
              on_click=_decide, args=(issue.sentence, "keep", issue.given))
    b3.button("Previous", key="quality_previous", shortcut="p", on_click=_move, args=(-1,),
              disabled=position == 0)
    b4.button("Next", key="quality_next", shortcut="n", on_click=_move, args=(1,),
              disabled=position >= len(queue) - 1)
    with st.expander("Edit the tags by hand"):
        current = decided.tags if decided else issue.suggested
        typed = st.text_input("One IOB tag per word, separated by spaces", value=" ".join(current),
                              key=f"quality_edit_{issue.sentence}")
        st.caption(escape_markdown(" ".join(f"{w}/{t}" for w, t in zip(issue.tokens, current))))
        if st.button("Save these tags", key="quality_save_edit"):
            tags = typed.split()
            try:
                for tag in tags:
                    split_tag(tag)
                if len(tags) != len(issue.tokens):
                    raise ValueError(f"{len(tags)} tags for {len(issue.tokens)} words")
            except ValueError as error:
                st.error(f"Not saved: {escape_markdown(error)}", icon=":material/error:")
            else:
                review.record(issue.sentence, "edit", tags)
                st.rerun()

with st.expander(f"Ranked sentences ({len(queue):,} with these filters)"):
    st.dataframe(
        [{"sentence": i.sentence, "line": i.line, "quality": round(i.quality, 4),
          "changes": "; ".join(str(e) for e in i.entities),
          "decision": state.current[i.sentence].decision if i.sentence in state.current else "",
          "text": " ".join(i.tokens)} for i in queue[:500]],
        hide_index=True, key="quality_table")

st.subheader("Export")
skip_stale = False
if state.stale:
    skip_stale = st.checkbox(f"Leave out the {len(state.stale)} decision(s) made on another version",
                             key="quality_skip_stale")
target = run.path / "quality" / f"{source.stem}.corrected{source.suffix}"
if st.button("Export corrected CoNLL", key="quality_export", icon=":material/download:"):
    try:
        summary = export_corrected(source, state, target, skip_stale=skip_stale)
    except (StaleReviewError, OSError, ValueError) as error:
        st.error(f"Not exported: {escape_markdown(error)}", icon=":material/error:")
    else:
        st.success(f"Wrote {code_span(summary.path)}: {summary.words} word tag(s) changed in {summary.sentences} "
                   f"sentence(s); every other byte as in {code_span(source.name)}.", icon=":material/check_circle:")
if target.is_file():
    st.download_button("Download the corrected file", target.read_bytes(), file_name=target.name,
                       key="quality_download")
    st.caption("Train on it: put it in a folder as train.txt (beside dev.txt) and run `python -m training.train "
               "--data-dir FOLDER ...`; compare the runs on the Training page (docs/quality.md).")
