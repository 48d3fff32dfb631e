"""Plotly figure builders for the dashboard pages (pure functions: DataFrames in, figures out).

Entity types always use ``nerlib.views.spans.entity_color`` (the palette, or a stable colour derived
from the name for other types), so a type has one colour on every page; totals are grey. Runs are
drawn in a qualitative palette (:data:`RUN_COLORS`), with markers and a legend. A curve with one
point per line (a run evaluated once) is drawn as bars, not lone dots. Value labels on bars are
horizontal and at least 10 px, or left out where they do not fit.
"""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from nerlib.data.labels import ENTITY_TYPES
from nerlib.views.spans import entity_color

TOTAL_COLOR = "#6b7280"
TOTALS = ("ALL", "micro", "overall")
SPLIT_ORDER = ["train", "validation", "test"]
#: Runs (and other non-type series): colour-blind-safe qualitative colours, distinct at a glance.
RUN_COLORS = px.colors.qualitative.Safe
#: Sentence lengths are binned this many tokens wide; longer sentences share the last bin.
LENGTH_BIN, LENGTH_CAP = 5, 60


def _layout(fig: go.Figure, height: int = 340) -> go.Figure:
    # uniformtext: a value label that would be smaller than 10 px is hidden, not shrunk or rotated
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=40, b=10), legend_title_text="",
                      uniformtext_minsize=10, uniformtext_mode="hide")
    fig.update_traces(textangle=0, selector=dict(type="bar"))
    return fig


def _type_order(types) -> list[str]:
    known = [t for t in ENTITY_TYPES if t in set(types)]
    return known + sorted(set(types) - set(known))


def _split_order(splits) -> list[str]:
    known = [s for s in SPLIT_ORDER if s in set(splits)]
    return known + sorted(set(splits) - set(known))


def _type_colors(types) -> dict[str, str]:
    return {t: TOTAL_COLOR if t in TOTALS else entity_color(t) for t in types}


def entity_counts_figure(entity_counts: pd.DataFrame) -> go.Figure:
    """Grouped bars: entities per split (x) and type (colour)."""
    fig = px.bar(
        entity_counts, x="split", y="entities", color="type", barmode="group", text_auto=True,
        category_orders={"type": _type_order(entity_counts["type"]),
                         "split": _split_order(entity_counts["split"])},
        color_discrete_map=_type_colors(entity_counts["type"].unique()),
        title="Entities per type and split",
    )
    return _layout(fig)


def sentence_lengths_figure(sentence_lengths: pd.DataFrame) -> go.Figure:
    """Histogram of sentence lengths: the share of each split's sentences (splits differ in size)
    per bin of :data:`LENGTH_BIN` tokens (1-4, 5-9, ...), as grouped bars; sentences of
    :data:`LENGTH_CAP` tokens or more share the last bin."""
    df = sentence_lengths.copy()
    start = (df["length"].clip(lower=0, upper=LENGTH_CAP) // LENGTH_BIN) * LENGTH_BIN
    df["tokens"] = [f"{s}+" if s >= LENGTH_CAP else f"{max(s, 1)}-{s + LENGTH_BIN - 1}" for s in start]
    df["start"] = start
    binned = df.groupby(["split", "start", "tokens"], as_index=False)["count"].sum()
    binned["share"] = binned["count"] / binned.groupby("split")["count"].transform("sum")
    binned = binned.sort_values("start")
    fig = px.bar(
        binned, x="tokens", y="share", color="split", barmode="group",
        category_orders={"split": _split_order(binned["split"]), "tokens": list(dict.fromkeys(binned["tokens"]))},
        color_discrete_sequence=RUN_COLORS, hover_data={"count": ":,", "share": ":.1%"},
        title="Sentence length (tokens)", labels={"share": "share of sentences", "tokens": "tokens per sentence"},
    )
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    return _layout(fig)


def entity_lengths_figure(entity_lengths: pd.DataFrame, split: str) -> go.Figure:
    """Grouped bars: entities of ``split`` per length in words, coloured by type."""
    df = entity_lengths[entity_lengths["split"] == split]
    fig = px.bar(
        df, x="length", y="count", color="type", barmode="group",
        category_orders={"type": _type_order(df["type"])},
        color_discrete_map=_type_colors(df["type"].unique()),
        title=f"Entity length in words ({split})",
    )
    fig.update_xaxes(dtick=1)
    return _layout(fig)


def unseen_figure(unseen: pd.DataFrame) -> go.Figure:
    """Bars: share of test entities (per type) whose surface form never occurs as that type in train."""
    fig = px.bar(
        unseen, x="type", y="share_unseen", color="type", text_auto=".0%",
        color_discrete_map=_type_colors(unseen["type"].unique()),
        category_orders={"type": _type_order(unseen["type"])},
        hover_data=["test_entities", "unseen_in_train"],
        title="Test entities unseen in train", labels={"share_unseen": "share unseen"},
    )
    fig.update_yaxes(tickformat=".0%", range=[0, 1])
    fig.update_layout(showlegend=False)
    return _layout(fig)


def _one_point_per_line(df: pd.DataFrame, x: str, color: str, facet: str | None) -> bool:
    keys = [color] + ([facet] if facet else [])
    return bool(len(df)) and int(df.groupby(keys)[x].nunique().max()) <= 1


def curves_figure(df: pd.DataFrame, x: str, y: str, color: str, title: str,
                  facet: str | None = None, y_format: str | None = None, y_label: str | None = None,
                  dash: str | None = None) -> go.Figure:
    """Line chart of ``y`` over ``x``, one line per ``color`` value (optionally faceted, and with
    ``dash`` a line style per value of that column), with markers.

    Where every line has a single point (one evaluation), bars instead: one bar per ``color``
    value (grouped per facet), labelled with its value and its ``x``.
    """
    kwargs: dict = {}
    if color == "type":
        kwargs["color_discrete_map"] = _type_colors(df["type"].unique())
        kwargs["category_orders"] = {"type": _type_order(df["type"])}
    else:
        kwargs["color_discrete_sequence"] = RUN_COLORS
    labels = {y: y_label or y.replace("_", " ")}
    facet_kwargs = dict(facet_col=facet, facet_col_wrap=3 if facet else 0)
    if _one_point_per_line(df, x, color, facet):
        frame = df.assign(at=df[x].map(lambda v: f"{x} {v:g}" if isinstance(v, (int, float)) else f"{x} {v}"))
        hover = {"at": True, color: True}
        if dash:
            frame[color] = frame[color].astype(str) + " · " + frame[dash].astype(str)
            kwargs.pop("color_discrete_map", None)
            kwargs["color_discrete_sequence"] = RUN_COLORS
        fig = px.bar(frame, x=color, y=y, color=color, text_auto=(y_format or True), hover_data=hover,
                     title=f"{title} (one evaluation: bars)", labels={**labels, color: ""}, **facet_kwargs, **kwargs)
        fig.update_traces(textposition="outside", cliponaxis=False)
        fig.update_xaxes(showticklabels=False)
    else:
        fig = px.line(df, x=x, y=y, color=color, line_dash=dash, markers=True, title=title, labels=labels,
                      **facet_kwargs, **kwargs)
    if y_format:
        fig.update_yaxes(tickformat=y_format)
    fig.update_yaxes(rangemode="tozero")
    if facet:
        fig.for_each_annotation(lambda a: a.update(text=a.text.split("=")[-1]))
    fig.update_layout(showlegend=True)
    return _layout(fig, height=380 if facet else 340)


def learning_rate_figure(schedule: pd.DataFrame, recorded: pd.DataFrame, x: str) -> go.Figure:
    """The learning rate over training: each run's planned schedule as a line (from its
    configuration, :func:`nerlib.views.tables.learning_rate_schedule`), and the rates recorded at
    its evaluations as markers."""
    fig = go.Figure()
    runs = list(dict.fromkeys([*schedule.get("run", []), *recorded.get("run", [])]))
    for index, run in enumerate(runs):
        color = RUN_COLORS[index % len(RUN_COLORS)]
        planned = schedule[schedule["run"] == run] if not schedule.empty else schedule
        if not planned.empty:
            fig.add_scatter(x=planned[x], y=planned["learning_rate"], mode="lines", name=f"{run} · planned",
                            line=dict(color=color, width=2), legendgroup=run)
        points = recorded[recorded["run"] == run] if not recorded.empty else recorded
        if not points.empty:
            fig.add_scatter(x=points[x], y=points["learning_rate"], mode="markers", name=f"{run} · at evaluations",
                            marker=dict(color=color, size=9, symbol="circle-open", line=dict(width=2)),
                            legendgroup=run)
    fig.update_xaxes(title_text=x)
    fig.update_yaxes(title_text="learning rate", tickformat=".1e", rangemode="tozero")
    fig.update_layout(title="Learning rate (planned schedule; markers: at evaluations)", showlegend=True)
    return _layout(fig)


def confusion_figure(matrix: pd.DataFrame, normalize: bool = True) -> go.Figure:
    """Heatmap of a token confusion matrix (rows gold, columns predicted); rows normalised to
    shares when ``normalize`` (raw counts on hover either way)."""
    counts = matrix.astype(float)
    z = counts.div(counts.sum(axis=1).replace(0, 1), axis=0) if normalize else counts
    fig = go.Figure(go.Heatmap(
        z=z.values, x=list(matrix.columns), y=list(matrix.index), text=matrix.values,
        colorscale="Blues", zmin=0, texttemplate="%{text}", showscale=False,
        hovertemplate="gold %{y}<br>pred %{x}<br>%{text} tokens<extra></extra>",
    ))
    fig.update_yaxes(autorange="reversed", title="gold")
    fig.update_xaxes(title=None, side="top")
    fig.update_layout(title="Token confusion: rows gold, columns predicted")
    fig = _layout(fig, height=460)
    fig.update_layout(margin=dict(l=10, r=10, t=80, b=10))
    return fig


ERROR_KIND_COLORS = {
    "wrong_type": "#e15759", "wrong_boundary": "#f28e2b", "wrong_type_and_boundary": "#b07aa1",
    "missed": "#4e79a7", "spurious": "#9c755f",
}


def error_kinds_figure(df: pd.DataFrame) -> go.Figure:
    """Stacked bars: error counts per entity type (x) and error kind (colour)."""
    kinds = [k for k in ERROR_KIND_COLORS if k in set(df["kind"])] + sorted(set(df["kind"]) - set(ERROR_KIND_COLORS))
    fig = px.bar(df, x="type", y="count", color="kind", barmode="stack", text_auto=True,
                 category_orders={"type": _type_order(df["type"]), "kind": kinds},
                 color_discrete_map=ERROR_KIND_COLORS, title="Entity errors per type and kind")
    fig.for_each_trace(lambda t: t.update(name=t.name.replace("_", " ")))
    fig = _layout(fig, height=460)
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.15, x=0))
    return fig


def lr_find_figure(curve: pd.DataFrame, suggestion: float | None, preset_lr: float | None = None,
                   title: str = "Learning-rate finder") -> go.Figure:
    """Loss against learning rate on a log x axis (batch loss faint, smoothed loss bold), with
    the suggested rate and, if given, the preset's rate as vertical lines."""
    fig = go.Figure()
    fig.add_scatter(x=curve["learning_rate"], y=curve["loss"], mode="lines", name="batch loss",
                    line=dict(color=TOTAL_COLOR, width=1), opacity=0.4)
    fig.add_scatter(x=curve["learning_rate"], y=curve["smoothed"], mode="lines", name="smoothed loss",
                    line=dict(color=entity_color("ORG"), width=3))
    if suggestion:
        fig.add_vline(x=suggestion, line_dash="dash", line_color=entity_color("PER"),
                      annotation_text=f"suggested {suggestion:.1e}", annotation_position="top left")
    if preset_lr:
        fig.add_vline(x=preset_lr, line_dash="dot", line_color=entity_color("LOC"),
                      annotation_text=f"preset {preset_lr:g}", annotation_position="bottom right")
    fig.update_xaxes(type="log", title_text="learning rate (log scale)")
    fig.update_yaxes(title_text="training loss")
    fig.update_layout(title=title)
    return _layout(fig)


def robustness_figure(frame: pd.DataFrame, title: str) -> go.Figure:
    """Heatmap of entity F1 change (points) per localized copy (rows) and type (columns); red is a drop."""
    fig = go.Figure(go.Heatmap(
        z=frame.values, x=list(frame.columns), y=list(frame.index), text=frame.values, texttemplate="%{text:+.1f}",
        colorscale="RdBu", zmid=0, showscale=False,
        hovertemplate="%{y}, %{x}: %{text:+.1f} F1 points<extra></extra>",
    ))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(side="top")
    fig.update_layout(title=title)
    return _layout(fig, height=120 + 40 * len(frame))
