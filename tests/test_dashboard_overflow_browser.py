"""Real-browser check that no table or page is cut horizontally, at 1,400 and 800 px wide.

`streamlit run dashboard` headless over two tiny runs (set up as in tests/test_dashboard_browser.py),
each page opened in headless Chromium at 1,400 px, measured, then narrowed to 800 px (Streamlit
lays the page out again without a reload) and measured twice: as it opens, and after the visitor
closes the sidebar. The Training page is opened with both runs picked (its widest tables).

What "800 px" means here. Streamlit keeps its sidebar open in a window wider than 768 px, so a
visitor at 800 px first sees the page beside the sidebar, in 466 px (narrower than Streamlit's
own phone layout, which starts under 768 px); the sidebar's "<<" button (it shows when the pointer
is over the sidebar) closes it, the page then takes the whole window (766 px of content), and the
browser remembers the closed sidebar on every page after that. So an 800 px visitor reads the
dashboard with the sidebar closed; all three layouts are measured and asserted (:data:`LAYOUTS`):

- ``1400``: the sidebar open, as the page opens: no table scrolls sideways, no row is cut, the
  page is no wider than the window;
- ``800 sidebar closed``: the page after a click on "<<" (the test hovers the sidebar, clicks its
  "Collapse sidebar" button and waits for the sidebar's ``data-collapsed="true"``): the same;
- ``800 sidebar open``: as the page opens in an 800 px window. No row is cut and the page is no
  wider than the window; a table may scroll sideways only if it is one of
  :data:`MAY_SCROLL_BESIDE_THE_SIDEBAR` (tables wide by nature: one column per entity type, per
  score, per count), whose first columns are pinned so that a row stays named while the visitor
  scrolls, and whose scroll bar shows that there is more. Any other table that scrolls there fails.

What is measured (:data:`MEASURE`), on every visible element, every expander of the page opened
first (:func:`_open_expanders`):

- ``st.dataframe``: Streamlit draws it with the glide data grid, whose cells are painted on a
  canvas, so the cells cannot be measured; the grid's scroll container (``.dvn-scroller``) can: its
  ``scrollWidth`` is the width of all columns, its ``clientWidth`` what is shown. A wider content
  means columns hidden behind a horizontal scroll bar. A grid is named by its first column headers.
- ``st.table`` and HTML tables drawn with ``st.html``: the ``<table>`` against its box.
- the page's main block (``stMainBlockContainer``) and the document: nothing wider than the window.
- a data grid that scrolls vertically: its height holds whole rows (no row cut in half).

- the Errors page's table of errors shows its key columns; the ones left out are listed in its
  toolbar's "Show/hide columns" menu, as its caption says (:func:`_columns_left_out_are_in_the_menu`).

Not measured: tables drawn only after a toggle (the Errors page's calibration tables, the Compare
page's precision/recall and totals columns, which the toggles add to tables measured without them).

On a failure a screenshot of the window of each failing page and layout goes to
``tests/artifacts/`` (git-ignored) as ``overflow-<page>-<layout>.png``.
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

# url (path and query) -> the element that proves the page drew its content (waited for before measuring)
PAGES = {
    "": ".js-plotly-plot",
    "training?runs=tiny,tiny-seed2": '[data-testid="stDataFrame"]',
    "tagger": "mark.ent",
    "localizer": "mark.ent",
    "errors": ".js-plotly-plot",
    "quality": '[data-testid="stMainBlockContainer"] h1',
    "compare": '[data-testid="stDataFrame"]',
}
WIDE, NARROW = 1400, 800
#: the layouts measured, each (window width, sidebar closed by the visitor); all asserted
LAYOUTS = ((WIDE, False), (NARROW, False), (NARROW, True))
ASSERTED = (WIDE, NARROW)  # both widths fail the test (800 px is no longer only printed)
#: Tables (named by their first column headers) that may scroll sideways in the 466 px an 800 px
#: window leaves beside the open sidebar, and only there; each pins its first column(s). At
#: 1,400 px and with the sidebar closed they fit.
MAY_SCROLL_BESIDE_THE_SIDEBAR = {
    "# | ": "Dataset: the most frequent entities, one column per entity type",
    "run | best val F1": "Training: each run's F1 and the sentences it covers",
    "checkpoint | step": "Training: each checkpoint's F1, overall and per entity type",
    "type | support": "Compare: A's and B's F1, B - A, its interval, p and the seed spreads",
    "run | scheme": "Compare: the partial-match counts and scores of A and B",
    "original | type": "Localizer: each entity, its replacement, where it came from and why",
    "candidate | rank": "Localizer: an entity's candidates, their score and why they pass or not",
    "sentence | line": "Errors: each error, its kind, the gold and the predicted entity",
}
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
    const heads = [...frame.querySelectorAll('th, [role="columnheader"]')].map((th) => th.textContent.trim());
    const key = heads.filter(Boolean).slice(0, 4).join(' | ') || 'no header';
    if (!scroller) return;
    check(`data grid #${i + 1} [${key}]`, scroller);
    // a grid that scrolls vertically shows whole rows (35 px each, the header row too)
    if (visible(scroller) && scroller.scrollHeight > scroller.clientHeight + slack) {
      const rows = scroller.clientHeight / 35 - 1;
      const part = rows - Math.floor(rows);
      if (part > 0.2 && part < 0.8) out.push(`data grid #${i + 1} [${key}]: a row cut (${rows.toFixed(2)} rows shown)`);
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

# The width the page's content gets (for the report): the main block's inner width.
CONTENT_WIDTH = """() => {
  const block = document.querySelector('[data-testid="stMainBlockContainer"] [data-testid="stVerticalBlock"]');
  return block ? Math.round(block.getBoundingClientRect().width) : 0;
}"""


def _open_expanders(page) -> None:
    """Open every collapsed expander of the page (the tables in them are measured too); opening
    one runs no script, its content is already in the page."""
    closed = page.locator('[data-testid="stMainBlockContainer"] [data-testid="stExpander"] details:not([open]) > summary')
    for _ in range(closed.count()):
        closed.first.click()
    page.wait_for_timeout(1000)  # the grids in them measure their columns


def _columns_left_out_are_in_the_menu(page, first_header: str, left_out: list[str]) -> list[str]:
    """The grid whose first column is ``first_header`` leaves ``left_out`` out of its columns
    (:func:`dashboard.widgets.key_columns_table`): its toolbar's "Show/hide columns" menu lists them,
    as the caption under it says. Returns the problems found."""
    header = page.locator(f'th:text-is("{first_header}"), [role="columnheader"]:text-is("{first_header}")')
    element = page.locator('[data-testid="stElementContainer"]').filter(
        has=page.locator('[data-testid="stDataFrame"]').filter(has=header)).first
    element.scroll_into_view_if_needed()
    element.hover()
    element.get_by_role("button", name="Show/hide columns").click()
    menu = page.locator('[data-testid="stDataFrameColumnVisibilityMenu"]')
    menu.wait_for(timeout=10_000)
    listed = menu.inner_text()
    page.keyboard.press("Escape")
    return [f"the {first_header!r} table's Show/hide columns menu does not list {column!r} (it lists {listed!r})"
            for column in left_out if column not in listed]


def _close_sidebar(page) -> None:
    """Close the sidebar as a visitor does: the pointer over it shows its "<<" button; click it."""
    sidebar = page.locator('[data-testid="stSidebar"]')
    if sidebar.get_attribute("data-collapsed") == "true":
        return
    page.locator('[data-testid="stSidebarContent"]').hover()
    page.get_by_role("button", name="Collapse sidebar").click()
    page.wait_for_selector('[data-testid="stSidebar"][data-collapsed="true"]', timeout=10_000)
    page.wait_for_timeout(1000)  # the sidebar slides out; the grids measure their columns again


def _may_scroll(finding: str) -> bool:
    """Whether a finding is one of :data:`MAY_SCROLL_BESIDE_THE_SIDEBAR` scrolling sideways (a cut
    row never is)."""
    named = finding.partition("[")[2].partition("]")[0]
    return "px of content" in finding and any(named.startswith(head) for head in MAY_SCROLL_BESIDE_THE_SIDEBAR)


def _layout_name(width: int, closed: bool) -> str:
    return f"{width}" + (" sidebar closed" if closed else " sidebar open" if width == NARROW else "")


@pytest.fixture(scope="module")
def tiny_runs_dir(two_tiny_runs) -> Path:
    """What the server's NERLIB_RUNS_DIR points at: two tiny runs (so Compare has two to compare)."""
    return two_tiny_runs


def test_no_table_or_page_is_cut_at_1400_and_800_px_with_the_sidebar_open_or_closed(app_url):  # noqa: F811
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    problems, measured, widths = [], 0, {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for url, content in PAGES.items():
                name = url.split("?")[0] or "dataset"
                # a fresh context per page: a closed sidebar is remembered (localStorage) across pages
                context = browser.new_context(viewport={"width": WIDE, "height": 1000})
                page = context.new_page()
                page.goto(f"{app_url}/{url}", wait_until="domcontentloaded")
                _wait_until_idle(page, timeout_ms=300_000)
                try:
                    page.wait_for_selector(content, timeout=60_000)
                except PlaywrightTimeout:
                    problems.append(f"{name}: no {content!r} element (the page did not draw its content)")
                _open_expanders(page)
                if name == "errors":
                    problems += _columns_left_out_are_in_the_menu(page, "sentence", ["document", "gold_start"])
                for width, closed in LAYOUTS:
                    layout = _layout_name(width, closed)
                    if page.viewport_size["width"] != width:
                        page.set_viewport_size({"width": width, "height": 1000})
                        page.wait_for_timeout(1000)  # the grid measures its columns again after a resize
                    if closed:
                        _close_sidebar(page)
                    widths[layout] = page.evaluate(CONTENT_WIDTH)
                    measured += page.locator('[data-testid="stDataFrame"] .dvn-scroller').count()
                    cut = page.evaluate(MEASURE, SLACK_PX)
                    allowed = [line for line in cut if width == NARROW and not closed and _may_scroll(line)]
                    cut = [line for line in cut if line not in allowed]
                    print(f"{name} at {layout}: {cut or 'fits'}" + (f" (scrolls, allowed: {allowed})" if allowed else ""))
                    if cut and width in ASSERTED:
                        ARTIFACTS.mkdir(exist_ok=True)
                        shot = f"overflow-{name}-{layout.replace(' ', '-')}.png"
                        page.screenshot(path=str(ARTIFACTS / shot), full_page=True)
                        problems += [f"{name} at {layout}: {line}" for line in cut]
                context.close()
        finally:
            browser.close()
    print("content width per layout:", widths)
    assert measured >= 5, f"only {measured} data grids measured: the selectors no longer match Streamlit's grid"
    assert not problems, "\n".join(problems)
