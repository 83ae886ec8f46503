"""The historical report's form says what the page shows, links keep the zone, and the page
stays small for any filter (review findings 13 and 14)."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
import time_machine
from django.urls import reverse

from reports.models import StatusRollup
from tests.factories import RepresentativeFactory, TeamFactory, builtin

pytestmark = pytest.mark.django_db

URL = reverse("reports:historical")
NOW = dt.datetime(2036, 3, 20, 12, 0, tzinfo=dt.UTC)
MAX_PAGE_BYTES = 300_000


def _selected_period(page: str) -> str:
    select = re.search(r'<select name="period".*?</select>', page, re.S).group(0)
    return re.search(r'<option value="(\w+)"[^>]*selected', select).group(1)


def _input_value(page: str, name: str) -> str | None:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group(0)
    value = re.search(r'value="([^"]*)"', tag)
    return unescape(value.group(1)) if value else None


def _links(page: str) -> list[str]:
    return [unescape(h) for h in re.findall(r'href="([^"]*\?[^"]*)"', page)]


# --- finding 13: the form shows the range and the zone in force ---------------------------------


@time_machine.travel(NOW, tick=False)
def test_the_default_period_is_shown_with_its_days(client, admin_user):
    """Review finding 13: with no filter the page shows the last 7 days, and so does the form
    (the Period select showed "Today"); each named period says its days."""
    client.force_login(admin_user)
    page = client.get(URL).content.decode()
    assert _selected_period(page) == "last_7_days"
    assert "Last 7 days (Fri 14 Mar – Thu 20 Mar)" in page
    assert "Today (Thu 20 Mar)" in page
    assert "Fri 14 Mar 2036 – Thu 20 Mar 2036" in page  # the range of the figures
    # A named period's dates do not apply, so the date inputs are empty.
    assert not _input_value(page, "date_from")
    page = client.get(f"{URL}?period=yesterday&date_from=2036-01-01").content.decode()
    assert _selected_period(page) == "yesterday"
    assert not _input_value(page, "date_from")


@time_machine.travel(NOW, tick=False)
def test_custom_dates_are_shown_as_custom(client, admin_user):
    """Review finding 13: dates without a period are Custom dates, and the form says so."""
    client.force_login(admin_user)
    page = client.get(f"{URL}?date_from=2036-03-01&date_to=2036-03-03").content.decode()
    assert _selected_period(page) == "custom"
    assert _input_value(page, "date_from") == "2036-03-01"
    assert _input_value(page, "date_to") == "2036-03-03"


@time_machine.travel(NOW, tick=False)
def test_the_zone_in_force_is_in_the_form_and_every_link(client, admin_user):
    """Review finding 13: a zone chosen once sticks in the session, but a URL without one shows
    it in the form and puts it in every link (sort, pages, exports, days, drill-down), so a
    shared link shows the same figures to someone whose session holds another zone."""
    team = TeamFactory()
    for n in range(60):  # more than a page of reps: pagination links exist
        RepresentativeFactory(name=f"Rep {n:03d}", teams=[team])
    client.force_login(admin_user)
    client.get(f"{URL}?tz=Asia/Tokyo")
    page = client.get(URL).content.decode()  # no zone in the URL: the session's
    assert _input_value(page, "tz") == "Asia/Tokyo"
    links = [link for link in _links(page) if "period=" in link or "export=" in link]
    kinds = {
        "sort": any("sort=" in link for link in links),
        "page": any("page=2" in link for link in links),
        "export": any("export=hours" in link for link in links),
        "day": any("hday=" in link for link in links),
        "drill-down": any(link.startswith("/reports/history/representatives/") for link in links),
    }
    assert all(kinds.values()), kinds
    for link in links:
        assert "tz=Asia%2FTokyo" in link, link
    # Someone else (another session, another zone) opening a link sees the same zone.
    other = client.__class__()
    other.force_login(admin_user)
    shared = next(link for link in links if "export=days" in link)
    rows = b"".join(other.get(URL + shared[shared.index("?") :]).streaming_content).decode()
    assert rows.splitlines()[1].startswith("2036-03-14")


# --- finding 14: the page stays small ----------------------------------------------------------


@pytest.fixture
def floor():
    """200 reps with an hour of history in every hour of the last 7 days (and 60 days before)."""
    team = TeamFactory()
    reps = [
        RepresentativeFactory(name=f"Representative {n:03d} Longname", teams=[team])
        for n in range(200)
    ]
    statuses = [builtin("available"), builtin("busy"), builtin("away")]
    start = int((NOW - dt.timedelta(days=7)).timestamp()) // 86400 * 86400
    rows = [
        StatusRollup(
            representative=rep,
            bucket=start + hour * 3600,
            status=statuses[hour % 3],
            base_status=statuses[hour % 3].base_status,
            seconds=900,
        )
        for rep in reps
        for hour in range(0, 8 * 24)
    ]
    StatusRollup.objects.bulk_create(rows, batch_size=5000)
    return reps


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    "query",
    [
        "",  # the default: last 7 days
        "period=yesterday&tz=UTC",
        "period=custom&date_from=2035-03-21&date_to=2036-03-20&tz=Europe/Paris",  # a year
    ],
)
def test_the_page_stays_under_300_kb_with_200_reps(client, admin_user, floor, query):
    """Review finding 14: the hourly table listed every rep x hour (1.8 MB for Yesterday); it
    shows 4 reps a page (at most 100 rows), the days 31 a page, the reps' table 50 a page."""
    client.force_login(admin_user)
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 200
    assert len(response.content) < MAX_PAGE_BYTES, len(response.content)
    page = response.content.decode()
    assert 0 < _hour_table(page).count("<tr>") - 1 <= 100
    day_table = re.search(r'<table class="report-table" id="day-table">.*?</table>', page, re.S)
    assert day_table.group(0).count("<tr>") - 1 <= 31


@time_machine.travel(NOW, tick=False)
def test_the_hourly_rows_and_days_are_paged(client, admin_user, floor):
    """Review finding 14: the hourly detail shows a page of reps (4 x 24 rows), the next page
    the next reps; a long range pages its days; the CSV still has every row."""
    client.force_login(admin_user)
    base = f"{URL}?period=yesterday&tz=UTC"
    first = client.get(base).content.decode()
    assert "Representatives 1–4 of 200" in first
    assert "Representative 000 Longname" in _hour_table(first)
    assert "Representative 004 Longname" not in _hour_table(first)
    second = client.get(base + "&hpage=2").content.decode()
    assert "Representatives 5–8 of 200" in second
    assert "Representative 004 Longname" in _hour_table(second)
    assert "hpage=3" in second
    assert "tz=UTC" in second
    last = client.get(base + "&hpage=999999999999").content.decode()  # the last page
    assert "Representatives 197–200 of 200" in last
    longer = f"{URL}?period=custom&date_from=2036-01-01&date_to=2036-03-20&tz=UTC"
    page = client.get(longer).content.decode()
    assert "Days 1–31 of 80" in page
    assert "Thu 2036-03-20" in client.get(longer + "&dpage=3").content.decode()
    csv_lines = b"".join(client.get(base + "&export=hours").streaming_content).splitlines()
    assert len(csv_lines) == 1 + 200 * 24


def _hour_table(page: str) -> str:
    return re.search(r'<table class="report-table" id="hour-table">.*?</table>', page, re.S)[0]
