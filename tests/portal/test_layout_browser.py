"""Layout at 1280 px in a real Chromium (Playwright): KPI tiles never cut a word or a figure, page
links never overlap. Review finding 19."""

import datetime as dt

from django.utils import timezone

from presence import services
from tests.browser import BROWSER_TEST, sign_in
from tests.factories import RepresentativeFactory, TeamFactory, UserFactory, builtin
from tests.reports.history_helpers import write_history

pytestmark = BROWSER_TEST

DESKTOP = {"width": 1280, "height": 900}

# Every element of every tile: its own wrap rules, and whether its content is wider than it.
TILE_REPORT = """() => [...document.querySelectorAll('.kpi, .kpi *')].map(el => {
  const style = getComputedStyle(el);
  return {kpi: el.closest('.kpi').dataset.kpi, tag: el.tagName, text: el.textContent.trim(),
          overflowWrap: style.overflowWrap, wordBreak: style.wordBreak,
          overflows: el.scrollWidth > el.clientWidth + 1 && style.display !== 'inline'};
})"""

# The boxes of every page link, to compare pairwise.
LINK_BOXES = """sel => [...document.querySelectorAll(sel + ' li > *')].map(el => {
  const r = el.getBoundingClientRect();
  return {text: el.textContent.trim(), left: r.left, right: r.right, top: r.top, bottom: r.bottom};
})"""


def assert_tiles_fit(page) -> None:
    tiles = page.evaluate(TILE_REPORT)
    assert tiles
    for el in tiles:
        # Pico sets overflow-wrap: break-word on the root: a tile must not inherit it, or a word
        # too long for the tile is cut in two instead of the tile growing.
        assert el["overflowWrap"] == "normal", el
        assert el["wordBreak"] == "normal", el
        assert not el["overflows"], el


def assert_no_overlap(boxes) -> None:
    assert len(boxes) >= 3
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            apart = (
                a["right"] <= b["left"] + 0.5
                or b["right"] <= a["left"] + 0.5
                or a["bottom"] <= b["top"] + 0.5
                or b["bottom"] <= a["top"] + 0.5
            )
            assert apart, (a, b)


def test_historical_kpi_tiles_keep_words_and_figures_whole_at_1280(browser, live_server):
    """Review finding 19: at 1280 px the KPI tiles cut "Representatives" and "6,790.91 h" in two;
    every tile now fits its longest word and figure without cutting them."""
    supervisor = UserFactory(username="grace", groups=["Supervisors"])
    team = TeamFactory(name="Support")
    team.supervisors.add(supervisor)
    rep = RepresentativeFactory(name="Ada Lovelace", teams=[team])
    start = timezone.now() - dt.timedelta(days=3)
    write_history(rep, start, [(builtin("available"), 3600), (builtin("busy"), 7200)])

    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    sign_in(page, live_server, "grace")
    page.goto(f"{live_server.url}/reports/history/?period=last_7_days")
    page.wait_for_selector(".kpi-grid")
    # The widest figures a month of a large team gives, as the review saw them.
    page.evaluate(
        """() => {
        document.querySelector('[data-kpi=signed_in] .kpi-value').textContent = '6,790.91 h';
        document.querySelector('[data-kpi=aht] .kpi-value').textContent = '1:23:45';
        document.querySelector('[data-kpi=reps] .kpi-value').textContent = '12,345';
    }"""
    )
    assert_tiles_fit(page)
    context.close()


def test_agents_kpi_tiles_and_page_links_fit_at_1280(browser, live_server):
    """Review finding 19: the live report's tiles keep their words whole, and its page links
    (Pico's nav margins) no longer overlap one another."""
    supervisor = UserFactory(username="grace", groups=["Supervisors"])
    team = TeamFactory(name="Support")
    team.supervisors.add(supervisor)
    now = timezone.now()
    for n in range(60):
        rep = RepresentativeFactory(name=f"Rep {n:02d}", teams=[team])
        services.client_connect(representative=rep, now=now)

    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    sign_in(page, live_server, "grace")
    page.goto(f"{live_server.url}/reports/agents/")
    page.wait_for_selector(".report-pagination")
    assert_tiles_fit(page)
    assert_no_overlap(page.evaluate(LINK_BOXES, ".report-pagination"))
    context.close()
