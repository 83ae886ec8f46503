"""Page filters and page-level fields refuse extreme input with the field named, never a 500.

Review finding 8: far dates on the historical report (and its exports, and the rep timeline),
a NUL byte in a search box (PostgreSQL cannot compare a string holding one), and a hostile
`_status` on the status form's inline validation each answered 500. These tests run on the
configured database: CI runs them on PostgreSQL, where the NUL case failed.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse

from presence.models import AuditLogEntry, PresenceStatus
from presence.views_config.access import PER_PAGE
from tests.factories import UserFactory
from tests.reliability.doors import html_pages

HISTORY = reverse("reports:historical")
FAR_DATES = ["9999-12-31", "0001-01-01"]
ZONES = ["UTC", "Pacific/Kiritimati", "Etc/GMT+12"]
# GET values for every filter field of every page, and for page/sort/day parameters.
HOSTILE_GET = ["9999-12-31", "0001-01-01", "a\x00b", "99999999999999999999999", "-1", "x" * 3000]
# Read by views beside their filter forms: on every page, and on pages with a filter form.
EVERY_PAGE_PARAMS = {"page", "sort"}
FILTER_PAGE_PARAMS = {"hday", "tab", "export"}


def _client(world, role: str = "admin") -> Client:
    client = Client()
    client.force_login(world.users[role])
    return client


# --- the historical report's dates --------------------------------------------------------------


@pytest.mark.parametrize("tz", ZONES)
@pytest.mark.parametrize("day", FAR_DATES)
@pytest.mark.parametrize("export", ["", "reps", "days", "hours"])
def test_far_dates_on_the_historical_report_name_the_field(world, day, tz, export):
    """Review finding 8: 9999-12-31 overflowed the window's next midnight, 0001-01-01 ahead of
    UTC fell into year 0; the page and each export answer the form with the field named."""
    query = {"period": "custom", "date_from": day, "date_to": day, "tz": tz}
    if export:
        query["export"] = export
    answer = _client(world).get(f"{HISTORY}?{urlencode(query)}")
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/html")
    page = answer.content.decode()
    assert "From: Pick a day from 1970-01-01 to 9000-12-31." in page
    assert "To: Pick a day from 1970-01-01 to 9000-12-31." in page


@pytest.mark.parametrize("tz", ZONES)
@pytest.mark.parametrize("day", FAR_DATES)
def test_far_dates_on_the_rep_timeline_name_the_field(world, day, tz):
    """Review finding 8: the drill-down shares the form, so it refuses the same dates."""
    url = reverse("reports:historical_rep", args=[world.rep.pk])
    query = urlencode({"period": "custom", "date_from": day, "date_to": day, "tz": tz})
    for suffix in ("", "&export=timeline"):
        answer = _client(world).get(f"{url}?{query}{suffix}")
        assert answer.status_code == 200
        assert "From: Pick a day from 1970-01-01" in answer.content.decode()


def test_the_last_and_first_allowed_days_give_a_report(world):
    """Review finding 8: the bounds themselves compute in any zone (no history, zero figures)."""
    for tz in ZONES:
        for day in ("9000-12-31", "1970-01-01"):
            query = urlencode({"period": "custom", "date_from": day, "date_to": day, "tz": tz})
            answer = _client(world).get(f"{HISTORY}?{query}")
            assert answer.status_code == 200
            assert "Pick a day" not in answer.content.decode()
            assert "Hourly detail" in answer.content.decode()


# --- search boxes -------------------------------------------------------------------------------

SEARCHES = [
    ("presence:config_users", "Search"),
    ("presence:config_defaults", "Search"),
    ("reports:agents", "Name"),
    ("reports:ongoing", "Representative"),
]


@pytest.mark.parametrize(("name", "label"), SEARCHES)
def test_a_nul_in_a_search_box_is_refused_on_the_field(world, name, label):
    """Review finding 8: q=%00 was a 500 on PostgreSQL; every search box is a SearchFilter that
    refuses it, names the field, and lists what the page lists without a search."""
    client = _client(world)
    plain = client.get(reverse(name))
    answer = client.get(reverse(name) + "?q=a%00b")
    assert answer.status_code == 200
    assert f"{label}: Remove the NUL character." in answer.content.decode()
    # Every search box filters: a search for a name that does not exist lists nobody.
    nobody = client.get(reverse(name) + "?q=zz-no-such-name-zz").content.decode()
    assert "Matrix rep" in plain.content.decode() or name == "presence:config_users"
    assert "Matrix rep A2" not in nobody


def test_users_search_still_finds_by_name_and_e_mail(world):
    """Review finding 8: the users page moved to a filter form; its search is unchanged."""
    page = _client(world).get(reverse("presence:config_users") + "?q=m-sup").content.decode()
    assert "m-sup-team" in page
    assert "m-sup-other" in page
    assert "m-rep" not in page.replace("m-rep-", "")
    for n in range(PER_PAGE + 1):
        UserFactory(username=f"paged-{n:03d}")
    page = _client(world).get(reverse("presence:config_users") + "?q=paged").content.decode()
    assert "?q=paged&amp;page=2" in page  # the next page keeps the search


# --- the status form's inline validation --------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {"_field": "name", "_status": "abc"},
        {"_field": "name", "_status": "-1"},
        {"_field": "name", "_status": "1.5"},
        {"_field": "name", "_status": str(2**70)},
        {"_field": "name", "_status": "a\x00b"},
        {"_field": "abc"},
        {"_field": "__class__"},
        {"_field": "a\x00b"},
        {"_field": ""},
    ],
)
def test_status_validation_with_hostile_fields_answers_400(world, fields):
    """Review finding 8: `_status=abc` was a ValueError (500); a bad field name or status id is
    a 400 and nothing is written."""
    before = AuditLogEntry.objects.count(), PresenceStatus.objects.count()
    answer = _client(world).post(
        reverse("presence:config_status_validate"), {"name": "Coaching", **fields}
    )
    assert answer.status_code == 400
    assert (AuditLogEntry.objects.count(), PresenceStatus.objects.count()) == before


def test_status_validation_of_an_edited_status_still_works(world):
    """Review finding 8: a real `_status` id is still the status being edited (its own name is
    not "taken")."""
    url = reverse("presence:config_status_validate")
    own = {"_field": "name", "name": "Lunch", "_status": str(world.status.pk)}
    answer = _client(world).post(url, own, HTTP_HX_REQUEST="true")
    assert answer.status_code == 200
    assert "field-error" not in answer.content.decode()
    new = {"_field": "name", "name": "Lunch"}
    assert "exists already" in _client(world).post(url, new).content.decode()


# --- every GET filter on every page -------------------------------------------------------------


class GetForms(HTMLParser):
    """The field names of a page's GET forms."""

    def __init__(self):
        super().__init__()
        self.names: set[str] = set()
        self._inside = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._inside = (attrs.get("method") or "get").lower() == "get"
        elif tag in ("input", "select", "textarea") and self._inside and attrs.get("name"):
            self.names.add(attrs["name"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._inside = False


def test_every_get_filter_on_every_page_refuses_hostile_values_without_a_500(world):
    """Review finding 8: far dates, NUL bytes, huge numbers and long strings in any GET field
    of any page (and in page, sort and day parameters) never answer a 500. The admin sees
    every page; the supervisor's scoping is the same code with another queryset."""
    client = _client(world)
    tried = 0
    for key, url, html in html_pages(client, world):
        parser = GetForms()
        parser.feed(html)
        extra = EVERY_PAGE_PARAMS | (FILTER_PAGE_PARAMS if parser.names else set())
        for name in sorted(parser.names | extra):
            for value in HOSTILE_GET:
                query = {name: value}
                if name in ("date_from", "date_to"):
                    query |= {"period": "custom", "date_from": value, "date_to": value}
                answer = client.get(url, query)
                assert answer.status_code < 500, (key, url, name, value, answer.status_code)
                tried += 1
    assert tried > 300, "the page enumeration is broken"
