"""The Errors page's minimum confidence applies to what the page shows: predicted entities below it
are dropped before the scores and errors are counted (as ``python -m nerlib evaluate --threshold``),
the page says how many, and the threshold lives in the page's link.

On a copy of the real tiny trained run (``tiny_run``, which saved its predictions of the first 200
validation sentences); Streamlit AppTest of the real app. Nothing of our own code is mocked.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.test_dashboard import APP, TIMEOUT, assert_ok, open_page

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def errors_table(at):
    return next(element.value for element in at.dataframe if "kind" in element.value.columns)


def dropped_caption(at) -> str | None:
    return next((c.value for c in at.caption if c.value.startswith("Minimum confidence")), None)


def test_minimum_confidence_drops_entities_before_errors_are_counted(conllpp_dir, dashboard_run_copy):
    from nerlib.evaluation.scoring import evaluate_checkpoint
    from nerlib.evaluation.thresholds import apply_threshold
    from nerlib.tagging.tagger import Tagger

    at = open_page("errors")
    assert at.slider(key="errors_threshold").value == 0.0 and dropped_caption(at) is None
    before = errors_table(at)
    f1_before = next(m.value for m in at.metric if m.label == "validation F1")

    at.slider(key="errors_threshold").set_value(0.5).run()
    assert_ok(at)
    after = errors_table(at)
    assert not after.equals(before)  # the table follows the slider
    # what the command line's --threshold scores on the same 200 sentences
    model = Tagger.from_pretrained(dashboard_run_copy / "checkpoints" / "best")  # as the dashboard loads it
    expected = apply_threshold(evaluate_checkpoint(model, "validation", limit=200), 0.5)
    assert expected.dropped > 0 and len(after) == len(expected.errors)
    assert next(m.value for m in at.metric if m.label == "validation F1") == f"{expected.metrics.f1:.2%}" != f1_before
    caption = dropped_caption(at)
    assert caption.startswith(f"Minimum confidence 0.50: {expected.dropped:,} of ") and "dropped" in caption
    assert f"F1 on the rest {expected.metrics.f1:.2%}" in caption
    assert at.query_params["threshold"] in ("0.5", ["0.5"])  # in the link

    at.slider(key="errors_threshold").set_value(0.0).run()  # back to every entity
    assert errors_table(at).equals(before) and dropped_caption(at) is None


def test_a_link_with_a_minimum_confidence_opens_it_applied(conllpp_dir, dashboard_run_copy):
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params["threshold"] = "0.5"
    at.switch_page("views/errors.py").run()  # a link opens its own page
    assert_ok(at)
    assert at.slider(key="errors_threshold").value == 0.5
    assert dropped_caption(at) is not None
