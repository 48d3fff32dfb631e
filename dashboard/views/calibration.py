"""Calibration view, drawn inside the Errors page: how far the model's confidence can be trusted.

Not a page of its own: :func:`render` draws, for an evaluation with label distributions (the
loaders evaluate with ``distributions=True``), the expected calibration error and a reliability
diagram (words or entities), precision / recall / F1 against a confidence threshold, and a
precision-recall curve per entity type. The numbers come from :mod:`nerlib.evaluation.calibration`;
this module only draws them.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import session, widgets
from nerlib.evaluation import calibration
from nerlib.views.spans import entity_color

TOTAL_COLOR = "#6b7280"


def _layout(fig: go.Figure, title: str, x: str, y: str) -> go.Figure:
    fig.update_layout(title=title, height=340, margin=dict(l=10, r=10, t=40, b=10), legend_title_text="",
                      xaxis=dict(title=x, range=[0, 1]), yaxis=dict(title=y, range=[0, 1.02]))
    return fig


def reliability_figure(table: pd.DataFrame, level: str) -> go.Figure:
    """Accuracy against mean confidence per bin (:func:`nerlib.evaluation.calibration.reliability_table`),
    with the diagonal of perfect calibration; bars are as wide as their bin."""
    filled = table[table["count"] > 0]
    fig = go.Figure()
    fig.add_bar(x=(filled["lower"] + filled["upper"]) / 2, y=filled["accuracy"], width=filled["upper"] - filled["lower"],
                name="accuracy", marker_color=entity_color("PER"), opacity=0.75,
                customdata=filled[["count", "confidence"]].to_numpy(),
                hovertemplate="confidence %{customdata[1]:.3f}<br>accuracy %{y:.3f}<br>%{customdata[0]:,} "
                              + level + "<extra></extra>")
    fig.add_scatter(x=filled["confidence"], y=filled["accuracy"], mode="markers", name="mean confidence",
                    marker_color=TOTAL_COLOR)
    fig.add_scatter(x=[0, 1], y=[0, 1], mode="lines", name="perfect calibration",
                    line=dict(color=TOTAL_COLOR, dash="dash"))
    return _layout(fig, f"Reliability ({level})", "confidence", "accuracy")


def threshold_figure(curve: pd.DataFrame, threshold: float) -> go.Figure:
    """Precision, recall and F1 of the entities kept, against the confidence threshold."""
    fig = go.Figure()
    for column, color in (("precision", entity_color("LOC")), ("recall", entity_color("ORG")), ("f1", TOTAL_COLOR)):
        fig.add_scatter(x=curve["threshold"], y=curve[column], mode="lines", name=column, line_color=color)
    fig.add_vline(x=threshold, line_dash="dot", line_color=TOTAL_COLOR)
    return _layout(fig, "Entities kept at a confidence threshold", "threshold", "score")


def precision_recall_figure(curves: pd.DataFrame) -> go.Figure:
    """One precision-recall curve per entity type."""
    fig = go.Figure()
    for entity_type, rows in curves.groupby("type", sort=False):
        fig.add_scatter(x=rows["recall"], y=rows["precision"], mode="lines", name=str(entity_type),
                        line_color=entity_color(str(entity_type)), line_shape="hv")
    return _layout(fig, "Precision-recall per type", "recall", "precision")


def render(result: Any, split: str, temperature: float, threshold: float) -> None:
    """Draw the calibration of ``result`` (an ``EvaluationResult`` with distributions, every
    predicted entity kept) on ``split``, scored at the tagger's ``temperature``, with the page's
    minimum confidence ``threshold`` marked on the threshold curve."""
    if result.probabilities is None:
        st.info("This evaluation holds no label distributions.")
        return
    scored = calibration.scored_predictions(result)
    entity_ece = scored.entity_ece
    cols = widgets.metric_columns(4)
    cols[0].metric("Word ECE", f"{scored.word_ece:.4f}", help="Expected calibration error over words, 15 bins")
    cols[1].metric("Entity ECE", "-" if entity_ece != entity_ece else f"{entity_ece:.4f}",
                   help="Over predicted entities; right = same type and words as a gold entity")
    cols[2].metric("NLL", f"{scored.nll:.4f}", help="Mean negative log-likelihood of the gold word labels")
    cols[3].metric("Temperature", f"{temperature:.3f}",
                   help="1 = not calibrated; set by `python -m nerlib calibrate RUN`")
    st.caption(f"On {scored.sentences:,} {split} sentences: {len(scored.word_confidence):,} words, "
               f"{len(scored.entities):,} predicted entities, {sum(scored.gold_entities.values()):,} gold entities.")
    left, right = st.columns(2)
    level = left.segmented_control("Reliability of", ["words", "entities"], default="words", required=True,
                                   key=session.linked("level", "calibration_level", choices=["words", "entities"]))
    if level == "words":
        table = calibration.reliability_table(scored.word_confidence, scored.word_correct)
    else:
        table = calibration.reliability_table(scored.entities["confidence"], scored.entities["correct"])
    left.plotly_chart(reliability_figure(table, level), key="chart_reliability")
    n_gold = sum(scored.gold_entities.values())
    curve = calibration.threshold_curve(scored.entities["confidence"], scored.entities["correct"], n_gold)
    at = calibration.threshold_curve(scored.entities["confidence"], scored.entities["correct"], n_gold, [threshold])
    row = at.iloc[0]
    right.caption(f"At {threshold:.2f} (the page's minimum confidence): {int(row.kept):,} entities kept · precision "
                  + ("-" if row.precision != row.precision else f"{row.precision:.2%}")
                  + f" · recall {row.recall:.2%} · F1 {row.f1:.2%}")
    right.plotly_chart(threshold_figure(curve, threshold), key="chart_threshold")
    st.plotly_chart(precision_recall_figure(calibration.precision_recall_curves(scored.entities,
                                                                                scored.gold_entities)),
                    key="chart_precision_recall")
    with st.expander("Reliability table"):
        st.dataframe(table, hide_index=True, key="calibration_reliability_table")
