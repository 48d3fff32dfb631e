"""Every view is a link, in a real browser: for each page, set a state through the page's controls
in headless Chromium, press the sidebar's **Copy link**, read the link from the clipboard, open it in
a fresh browser context and find the same view (the same widget values, the same address). On the
Dataset page, also Back from another page returns to the same view without that page's parameters.

One `streamlit run dashboard` over two tiny runs (shared with the other browser tests of the
session, tests/dashboard_server.py) and one browser for the whole module. No fixed pauses: each step waits for what it
needs (Streamlit's script state says the run finished; the address holds the parameter a control
changed; the fresh context's widgets show the copied view), so a step takes as long as the page does.
With ``-s`` each page prints where its time went. AppTest of the same logic:
tests/test_dashboard_links.py."""

from __future__ import annotations

import time
from urllib.parse import parse_qsl, urlsplit

import pytest
from test_dashboard_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, app_url  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.timeout(900)]

WAIT_MS = 240_000  # a cold page (model load, evaluation) on 2 shared cores
ACTION_MS = 60_000  # a control to appear, or a view to be drawn, once the page's run finished

# The value of every widget on the page (main area, then sidebar), as the browser shows it.
WIDGET_STATE_JS = """() => {
  const out = [];
  for (const [where, area] of [['', '[data-testid="stMain"]'], ['sidebar ', '[data-testid="stSidebar"]']]) {
    const root = document.querySelector(area);
    if (!root) continue;
    root.querySelectorAll('button[data-variant="segmented_control"][aria-checked="true"]').forEach(b => out.push(where + 'segment:' + b.innerText));
    root.querySelectorAll('[data-testid="stSelectbox"], [data-testid="stMultiSelect"]').forEach(s => out.push(where + 'select:' + s.innerText));
    root.querySelectorAll('[data-testid="stTextInput"] input, [data-testid="stTextArea"] textarea, [data-testid="stNumberInput"] input').forEach(i => out.push(where + 'text:' + i.value));
    root.querySelectorAll('[data-testid="stSliderThumbValue"]').forEach(s => out.push(where + 'slider:' + s.innerText));
    root.querySelectorAll('[data-testid="stCheckbox"]').forEach(c => out.push(where + 'toggle:' + c.innerText + '=' + (c.getAttribute('data-selected') === 'true')));
    root.querySelectorAll('[data-testid="stPaginationPageActive"]').forEach(p => out.push(where + 'page:' + p.innerText));
  }
  return out;
}"""

# The page's script run finished (Streamlit's own state: 'initial' before the first run,
# 'rerunRequested' between a widget change and its run), and the page drew its title.
FINISHED_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return app !== null && app.getAttribute('data-test-script-state') === 'notRunning'
    && document.querySelector('[data-testid="stMainBlockContainer"] h1') !== null;
}"""

# Every name=value of ``wanted`` is in the address (dashboard.session.page_links writes it at the
# end of the run a control started, so this also says that run got that far).
ADDRESS_HOLDS_JS = """(wanted) => {
  const query = new URLSearchParams(location.search);
  return Object.entries(wanted).every(([name, value]) => query.get(name) === value);
}"""


@pytest.fixture(scope="module")
def tiny_runs_dir(two_tiny_runs):
    """What the server's NERLIB_RUNS_DIR points at: ``tiny`` and ``tiny-seed2``."""
    return two_tiny_runs


def _idle(page, timeout_ms: int = WAIT_MS) -> None:
    """Wait until the page's script run finished (no fixed pause: Streamlit says when)."""
    page.wait_for_function(FINISHED_JS, timeout=timeout_ms)


def _written(page, /, **params: str) -> None:
    """Wait until a control's change reached the address (``params``), then until its run finished.
    A control's run takes seconds here (the page's data and models are loaded by its first visit),
    so a page that never writes the change fails after ACTION_MS, not WAIT_MS."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(ADDRESS_HOLDS_JS, arg=params, timeout=ACTION_MS)
    except PlaywrightTimeout:
        raise PlaywrightTimeout(f"the address never held {params} (it holds {page.url})") from None
    _idle(page)


def _area(page, sidebar: bool):
    return page.locator('[data-testid="stSidebar"]' if sidebar else '[data-testid="stMain"]')


def _segment(page, label: str, /, **written: str) -> None:
    page.locator('[data-testid="stMain"] button[data-variant="segmented_control"]', has_text=label).first.click()
    _written(page, **written)


def _select(page, testid: str, label: str, option: str, /, *, sidebar: bool = False, **written: str) -> None:
    """Pick ``option`` in the selectbox / multiselect labelled ``label``; wait until the address holds
    ``written`` (the choice's parameter)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    box = _area(page, sidebar).locator(f'[data-testid="{testid}"]', has_text=label).first
    # A click that has to scroll the page first focuses the box without opening its list.
    box.scroll_into_view_if_needed()
    box.click()
    choice = page.get_by_role("option", name=option, exact=True).first
    try:
        choice.wait_for(state="visible", timeout=5_000)
    except PlaywrightTimeout:  # the list did not open (the page moved under the click): once more
        box.click()
    choice.click()
    page.keyboard.press("Escape")
    _written(page, **written)


def _type(page, box, text: str, key: str = "Enter", /, **written: str) -> None:
    """Type ``text`` into ``box`` and commit it (Enter for a text input, Control+Enter for a text area)."""
    box.fill(text)
    box.press(key)
    _written(page, **written)


def _copied_link(page) -> str:
    """Press the sidebar's Copy link (a component in the page, its markup in a shadow root, which
    Playwright's CSS locators enter) and read the clipboard."""
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.locator("#nerd-copy-link").click()
    sidebar.locator("#nerd-copy-link-said", has_text="Copied").wait_for()
    return page.evaluate("navigator.clipboard.readText()")


def _query(link: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(link).query, keep_blank_values=True))


def _same_view_in_a_fresh_context(browser, link: str, state: list[str]) -> list[str]:
    """Open ``link`` in a new context (no cookies, no session); return what differs from ``state``."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        page.set_default_timeout(ACTION_MS)
        page.set_default_navigation_timeout(WAIT_MS)
        page.goto(link, wait_until="domcontentloaded")
        _idle(page)
        problems = []
        try:  # the view is drawn when every widget shows the copied view's value (or it never does)
            page.wait_for_function(f"(state) => JSON.stringify(({WIDGET_STATE_JS})()) === JSON.stringify(state)",
                                   arg=state, timeout=ACTION_MS)
        except PlaywrightTimeout:
            pass
        shown = page.evaluate(WIDGET_STATE_JS)
        if shown != state:
            problems.append(f"{link}: the fresh context shows {shown}, the copied view {state}")
        if urlsplit(page.url).path != urlsplit(link).path or _query(page.url) != _query(link):
            problems.append(f"{link}: the fresh context's address became {page.url}")
        if page.locator('[data-testid="stException"]').count():
            problems.append(f"{link}: an exception is drawn")
        warned = page.locator('[data-testid="stAlertContentWarning"]', has_text="The link's").all_inner_texts()
        if warned:
            problems.append(f"{link}: {warned}")
        return problems
    finally:
        context.close()


def _set_dataset(page) -> dict[str, str]:
    _segment(page, "Examples", view="Examples")
    _select(page, "stSelectbox", "Split", "validation", split="validation")
    _select(page, "stMultiSelect", "Containing entity type", "LOC", types="LOC")
    _type(page, page.locator('[data-testid="stMain"] [data-testid="stTextInput"] input').first, "germany", q="germany")
    page.locator('[data-testid="stPaginationNext"]').first.click()
    _written(page, page="2")
    return {"view": "Examples", "split": "validation", "types": "LOC", "q": "germany", "page": "2"}


def _set_training(page) -> dict[str, str]:
    _segment(page, "recall", metric="recall")
    _segment(page, "step", x="step")
    _select(page, "stSelectbox", "Split", "test", split="test")
    return {"metric": "recall", "x": "step", "split": "test"}


def _set_tagger(page) -> dict[str, str]:
    text = "Angela Merkel visited Paris and Berlin ."
    _type(page, page.locator('[data-testid="stTextArea"] textarea').first, text, "Control+Enter", text=text)
    track = page.locator('[data-testid="stSlider"] [role="group"] > div').first
    box = track.bounding_box()
    page.mouse.click(box["x"] + 0.3 * box["width"], box["y"] + box["height"] / 2)  # about 0.3
    page.wait_for_function("() => !['0', null].includes(new URLSearchParams(location.search).get('min_score'))",
                           timeout=WAIT_MS)
    _idle(page)
    page.locator('[data-testid="stCheckbox"]', has_text="Show confidence").first.click()
    _written(page, scores="false")
    return {"text": text, "scores": "false"}


LOCALIZER_MARKED = "[Olivia Parker](PER) moved to [Boston](LOC) and joined [Google](ORG) ."


def _set_localizer(page) -> dict[str, str]:
    """The mode (it opens on the tagger's entities, with the model the Tagger page loaded), the
    countries in the sidebar, and a text marked by hand."""
    _segment(page, "Entities marked by hand", mode="Entities marked by hand")
    marked = page.locator('[data-testid="stMain"] [data-testid="stTextArea"] textarea').first
    _type(page, marked, LOCALIZER_MARKED, "Control+Enter", marked=LOCALIZER_MARKED)  # first: 3 entities to rewrite, not 10
    _select(page, "stSelectbox", "From (source", "West", sidebar=True, **{"from": "West"})
    _select(page, "stSelectbox", "To (target", "Brazil", sidebar=True, to="Brazil")
    return {"from": "West", "to": "Brazil", "mode": "Entities marked by hand", "marked": LOCALIZER_MARKED}


def _set_errors(page) -> dict[str, str]:
    _segment(page, "test", split="test")
    _select(page, "stMultiSelect", "Error kinds", "missed", kinds="missed")
    _select(page, "stSelectbox", "Per page", "25", per_page="25")
    return {"split": "test", "kinds": "missed", "per_page": "25"}


def _set_quality(page) -> dict[str, str]:
    _select(page, "stSelectbox", "Run", "tiny-seed2", run="tiny-seed2")
    _select(page, "stSelectbox", "Split", "test", find_split="test")
    return {"run": "tiny-seed2", "find_split": "test"}


def _set_compare(page) -> dict[str, str]:
    _segment(page, "validation", split="validation")
    _select(page, "stMultiSelect", "Entity types", "PER", types="PER")
    return {"split": "validation", "n": "200", "types": "PER"}


# url path (with the query the page is first opened with: one that limits its first visit's work)
# -> how its state is set through its controls
PAGES = {
    "": _set_dataset,
    "training": _set_training,
    "tagger": _set_tagger,
    "localizer": _set_localizer,
    "errors": _set_errors,
    "quality": _set_quality,
    "compare?n=200": _set_compare,  # 200 sentences: the first visit does not score the whole split
}


class _Stopwatch:
    """Seconds per named step (``took("step")`` ends a step), shown as ``step 1.2 s, ...``."""

    def __init__(self) -> None:
        self.steps: list[str] = []
        self.last = time.monotonic()

    def __call__(self, step: str) -> None:
        now = time.monotonic()
        self.steps.append(f"{step} {now - self.last:.1f} s")
        self.last = now

    def __str__(self) -> str:
        return ", ".join(self.steps)


def test_a_copied_link_reopens_the_same_view_on_every_page(app_url):  # noqa: F811
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            context.grant_permissions(["clipboard-read", "clipboard-write"], origin=app_url)
            page = context.new_page()
            page.set_default_timeout(ACTION_MS)
            page.set_default_navigation_timeout(WAIT_MS)
            for path, set_state in PAGES.items():
                took = _Stopwatch()  # where the time goes, printed with -s
                page.goto(f"{app_url}/{path}", wait_until="domcontentloaded")
                _idle(page)
                took("first visit")
                try:
                    expected = set_state(page)
                except PlaywrightError as error:  # say which control, with what the page shows, and go on
                    ARTIFACTS.mkdir(exist_ok=True)
                    page.screenshot(path=str(ARTIFACTS / f"links-{path.split('?')[0] or 'dataset'}.png"), full_page=True)
                    main = page.locator('[data-testid="stMain"]').inner_text()[:600]
                    problems.append(f"/{path}: {str(error).splitlines()[0]}; the page shows: {main!r}")
                    continue
                took("set through the controls")
                state = page.evaluate(WIDGET_STATE_JS)
                link = _copied_link(page)
                took("copy link")
                if link != page.url:
                    problems.append(f"/{path}: copied {link}, the address bar holds {page.url}")
                if path == "tagger" and _query(link).get("min_score", "0") == "0":
                    problems.append(f"/tagger: the slider's value is not in the link {link}")
                if not expected.items() <= _query(link).items():
                    problems.append(f"/{path}: the link {link} lacks some of {expected}")
                problems += _same_view_in_a_fresh_context(browser, link, state)
                took("fresh context")
                if path == "":
                    problems += _back_returns_to_the_view(page, app_url, link, state)
                    took("back")
                print(f"/{path}: {took}")
        finally:
            browser.close()
    assert not problems, "\n".join(problems)


def _back_returns_to_the_view(page, base_url: str, link: str, state: list[str]) -> list[str]:
    """From the Dataset view ``link``, go to the Training page by the sidebar, then Back."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.locator('[data-testid="stSidebarNav"] a', has_text="Training").first.click()
    page.wait_for_function("() => location.pathname.endsWith('/training') && new URLSearchParams(location.search).has('metric')",
                           timeout=WAIT_MS)
    _idle(page)
    training = _query(page.url)
    at_dataset = lambda: urlsplit(page.url).path.rstrip("/") == urlsplit(base_url).path.rstrip("/")  # noqa: E731
    for _ in range(3):  # the page switch and the Training page's own link are two history entries
        if at_dataset():
            break
        page.go_back(wait_until="domcontentloaded")
        if not at_dataset():  # Back to the bare /training reruns that page, which writes its link again:
            # wait for it, or that write would land on the Dataset's address after the next Back
            page.wait_for_function("() => new URLSearchParams(location.search).has('metric')", timeout=ACTION_MS)
        _idle(page)
    try:  # the view is back when the address and every widget are (or it never is)
        page.wait_for_function(ADDRESS_HOLDS_JS, arg=_query(link), timeout=ACTION_MS)
        page.wait_for_function(f"(state) => JSON.stringify(({WIDGET_STATE_JS})()) === JSON.stringify(state)",
                               arg=state, timeout=ACTION_MS)
    except PlaywrightTimeout:
        pass
    _idle(page)
    problems = []
    if _query(page.url) != _query(link):
        problems.append(f"Back: the address is {page.url}, the Dataset view was {link} (Training had {training})")
    if page.evaluate(WIDGET_STATE_JS) != state:
        problems.append(f"Back: the Dataset page shows {page.evaluate(WIDGET_STATE_JS)}, it showed {state}")
    return problems
