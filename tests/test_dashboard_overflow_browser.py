"""Real-browser check that no table or page is cut horizontally, at 1,400 and 800 px wide.

`streamlit run dashboard` headless over two tiny runs (set up as in tests/test_dashboard_browser.py),
each page opened in headless Chromium at 1,400 px (sidebar open), measured, then narrowed to 800 px
(Streamlit lays the page out again without a reload) and measured again. At 1,400 px every finding
fails the test. At 800 px the findings are printed, not failed, for now: Streamlit keeps its
sidebar open above 768 px, which leaves 466 px for the page, and the wider score tables (the
Training run table, the checkpoint table, the Compare partial-match table, the Errors page's tables
in their half-width column) still scroll there; closing the sidebar from the test did not take
effect in the time tried. Making 800 px pass is the next step (issue 27, point 6).

What is measured (:data:`MEASURE`), on every *visible* element (a table in a collapsed expander
has no width and is skipped):

- ``st.dataframe``: Streamlit draws it with the glide data grid, whose cells are painted on a
  canvas, so the cells cannot be measured; the grid's scroll container (``.dvn-scroller``) can: its
  ``scrollWidth`` is the width of all columns, its ``clientWidth`` what is shown. A wider content
  means columns hidden behind a horizontal scroll bar.
- ``st.table`` and HTML tables drawn with ``st.html``: the ``<table>`` against its box.
- the page's main block (``stMainBlockContainer``) and the document: nothing wider than the window.
- a data grid that scrolls vertically: its height holds whole rows (no row cut in half).

On a failure a full-page screenshot of each failing page and width goes to ``tests/artifacts/``
(git-ignored) as ``overflow-<page>-<width>.png``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_dashboard_browser import (  # noqa: F401 (app_url is a fixture)
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    _wait_until_idle,
    app_url,
)

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.timeout(1500)]

# url path -> the element that proves the page drew its content (waited for before measuring)
PAGES = {
    "": ".js-plotly-plot",
    "training": '[data-testid="stDataFrame"]',
    "tagger": "mark.ent",
    "localizer": "mark.ent",
    "errors": ".js-plotly-plot",
    "quality": '[data-testid="stMainBlockContainer"] h1',
    "compare": '[data-testid="stDataFrame"]',
}
WIDTHS = (1400, 800)
ASSERTED = (1400,)  # 800 px is measured and printed; see the module docstring
SLACK_PX = 2  # sub-pixel rounding of borders

# Returns one line per element wider than its box: "what: content px > shown px".
MEASURE = """
(slack) => {
  const visible = (el) => el.offsetParent !== null && el.clientWidth > 0;
  const out = [];
  const check = (what, el) => {
    if (visible(el) && el.scrollWidth > el.clientWidth + slack)
      out.push(`${what}: ${el.scrollWidth} px of content in ${el.clientWidth} px`);
  };
  document.querySelectorAll('[data-testid="stDataFrame"]').forEach((frame, i) => {
    const scroller = frame.querySelector('.dvn-scroller');
    const header = (frame.innerText || '').split('\\n').slice(0, 3).join(' | ');
    if (!scroller) return;
    check(`data grid #${i + 1} (${header.slice(0, 60)})`, scroller);
    // a grid that scrolls vertically shows whole rows (35 px each, the header row too)
    if (visible(scroller) && scroller.scrollHeight > scroller.clientHeight + slack) {
      const rows = scroller.clientHeight / 35 - 1;
      const part = rows - Math.floor(rows);
      if (part > 0.2 && part < 0.8) out.push(`data grid #${i + 1}: a row cut (${rows.toFixed(2)} rows shown)`);
    }
  });
  document.querySelectorAll('[data-testid="stTable"], [data-testid="stHtml"]').forEach((box, i) => {
    box.querySelectorAll('table').forEach((table) => {
      if (visible(table) && table.getBoundingClientRect().width > box.getBoundingClientRect().width + slack)
        out.push(`table in ${box.dataset.testid} #${i + 1}: ${Math.round(table.getBoundingClientRect().width)} px `
                 + `in ${Math.round(box.getBoundingClientRect().width)} px`);
    });
  });
  const main = document.querySelector('[data-testid="stMainBlockContainer"]');
  if (main) check('main block', main);
  check('document', document.documentElement);
  return out;
}
"""


@pytest.fixture(scope="module")
def tiny_runs_dir(two_tiny_runs) -> Path:
    """What the server's NERLIB_RUNS_DIR points at: two tiny runs (so Compare has two to compare)."""
    return two_tiny_runs


def test_no_table_or_page_is_cut_at_1400_px_and_800_px_is_measured(app_url):  # noqa: F811
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    problems, measured, narrow = [], 0, {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": WIDTHS[0], "height": 1000})
            for url_path, content in PAGES.items():
                name = url_path or "dataset"
                page.set_viewport_size({"width": WIDTHS[0], "height": 1000})
                page.goto(f"{app_url}/{url_path}", wait_until="domcontentloaded")
                _wait_until_idle(page, timeout_ms=300_000)
                try:
                    page.wait_for_selector(content, timeout=60_000)
                except PlaywrightTimeout:
                    problems.append(f"{name}: no {content!r} element (the page did not draw its content)")
                for width in WIDTHS:
                    if width != WIDTHS[0]:
                        page.set_viewport_size({"width": width, "height": 1000})
                        page.wait_for_timeout(1000)  # the grid measures its columns again after a resize
                    measured += page.locator('[data-testid="stDataFrame"] .dvn-scroller').count()
                    cut = page.evaluate(MEASURE, SLACK_PX)
                    if width not in ASSERTED:  # measured and reported, not failed (see the docstring)
                        narrow[name] = cut
                        continue
                    if cut:
                        ARTIFACTS.mkdir(exist_ok=True)
                        page.screenshot(path=str(ARTIFACTS / f"overflow-{name}-{width}.png"), full_page=True)
                        problems += [f"{name} at {width} px: {line}" for line in cut]
        finally:
            browser.close()
    print("At 800 px, still scrolling (not failed yet):", {name: lines for name, lines in narrow.items() if lines}
          or "nothing")
    assert measured >= 5, f"only {measured} data grids measured: the selectors no longer match Streamlit's grid"
    assert not problems, "\n".join(problems)
