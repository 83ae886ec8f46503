"""The historical report in a real Chromium (Playwright): filters, charts, CSV download.

The screenshot goes to test-output/historical-report.png."""

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reports.rollups import rollups_refresh
from tests.browser import BROWSER_TEST, OUT, sign_in
from tests.factories import (
    PresenceStatusFactory,
    RepresentativeFactory,
    TeamFactory,
    UserFactory,
    builtin,
)
from tests.reports.history_helpers import write_history

pytestmark = BROWSER_TEST


@pytest.fixture
def history_data(db):
    supervisor = UserFactory(username="grace", first_name="Grace", groups=["Supervisors"])
    team = TeamFactory(name="Support")
    team.supervisors.add(supervisor)
    training = PresenceStatusFactory(name="Training", base_status="away")
    lunch = PresenceStatusFactory(name="Lunch", base_status="away")
    statuses = [
        builtin("available"),
        builtin("busy"),
        training,
        builtin("dnd"),
        lunch,
        builtin("offline"),
    ]
    now = timezone.now()
    start = (now - dt.timedelta(days=6)).replace(hour=6, minute=0, second=0, microsecond=0)
    for n, name in enumerate(["Ada Lovelace", "Alan Turing", "Barbara Liskov", "Edsger Dijkstra"]):
        rep = RepresentativeFactory(name=name, teams=[team])
        pieces = [
            (statuses[(i * (n + 1)) % len(statuses)], 1200 + 300 * ((i + n) % 7))
            for i in range(300)
        ]
        write_history(rep, start + dt.timedelta(minutes=17 * n), pieces)
    RepresentativeFactory(name="Other Team Rep")
    rollups_refresh(now=now)
    return supervisor


def test_r3_report_renders_chart_and_downloads_csv(browser, live_server, history_data):
    OUT.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    sign_in(page, live_server, "grace")

    page.goto(f"{live_server.url}/reports/history/?period=last_7_days&tz=Europe/Paris")
    page.wait_for_selector("#chart-by-rep .seg")
    assert page.locator("#chart-by-rep .stack-list li").count() == 4
    assert page.locator("#chart-by-day .stack-list li").count() == 7
    assert "Other Team Rep" not in page.content()
    assert page.locator("#rep-table tbody tr").count() == 4

    # A filter change goes through htmx and pushes the URL.
    page.select_option("#id_period", "yesterday")
    page.click("#historical-filters button[type=submit]")
    page.wait_for_url("**period=yesterday**")
    page.wait_for_selector("#chart-by-day .stack-list li >> nth=0")
    assert page.locator("#chart-by-day .stack-list li").count() == 1
    page.select_option("#id_period", "last_7_days")
    page.click("#historical-filters button[type=submit]")
    page.wait_for_url("**period=last_7_days**")
    expect(page.locator("#chart-by-day .stack-list li")).to_have_count(7, timeout=30_000)
    page.screenshot(path=str(OUT / "historical-report.png"), full_page=True)

    with page.expect_download() as info:
        page.click("[data-export=reps]")
    download = info.value
    assert download.suggested_filename.endswith("-by-rep.csv")
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text())))
    assert rows[0][:3] == ["Representative", "Representative id", "Signed in (s)"]
    assert [r[0] for r in rows[1:]] == [
        "Ada Lovelace",
        "Alan Turing",
        "Barbara Liskov",
        "Edsger Dijkstra",
        "Total",
    ]

    # Drill-down to a rep's timeline.
    page.click("#rep-table >> text=Ada Lovelace")
    page.wait_for_selector("#timeline-table tbody tr")
    assert page.locator(".day-track").count() == 7
    page.locator("#day-timelines").screenshot(path=str(OUT / "historical-rep-timeline.png"))

    phone = browser.new_context(
        viewport={"width": 390, "height": 900}, storage_state=context.storage_state()
    )
    small = phone.new_page()
    small.goto(f"{live_server.url}/reports/history/?period=last_7_days&tz=Europe/Paris")
    small.wait_for_selector("#chart-by-rep .seg")
    small.screenshot(path=str(OUT / "historical-report-phone.png"), full_page=True)
    phone.close()
    context.close()
