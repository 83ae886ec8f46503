"""The doors issues 15 and 16 added, beyond the matrix's one knock per role: hostile path and
filter values answer 4xx with a message (never a 500), a supervisor's posted target outside their
teams is a 404 with nothing written (A2), and the alerts export hands a spreadsheet no formula."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse

from portal.csv_export import FORMULA_STARTS
from presence.models import AuditLogEntry, Conversation
from reports.models import AlertBreach


def _client(world, role: str) -> Client:
    client = Client()
    client.force_login(world.users[role])
    return client


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
@pytest.mark.parametrize("field", ["start", "end"])
def test_alert_history_far_days_name_the_field_and_never_answer_500(world, field, day):
    """9999-12-31 as the history's end had no next day: an OverflowError, a 500."""
    client = _client(world, "sup_team")
    page = client.get(reverse("reports:alerts"), {field: day})
    assert page.status_code == 200
    assert "Pick a day from 1970-01-01" in page.content.decode()
    export = client.get(reverse("reports:alerts_csv"), {field: day})
    assert export.status_code == 302  # back to the page, which names the field
    assert export["Location"].startswith(reverse("reports:alerts"))


@pytest.mark.parametrize(
    ("name", "action"),
    [("reports:conversation_move", "bogus"), ("presence:console_conversation_action", "bogus")],
)
def test_an_unknown_conversation_action_is_a_404(world, name, action):
    role = "sup_team" if name.startswith("reports:") else "rep"
    url = reverse(name, args=[world.active.pk, action])
    assert _client(world, role).post(url).status_code == 404
    assert Conversation.objects.get(pk=world.active.pk).state == world.active.state


def test_a_supervisor_cannot_transfer_to_another_teams_rep(world):
    """A2 on the posted target too: a rep of team B is not one the team A supervisor sees."""
    before = AuditLogEntry.objects.count()
    url = reverse("reports:conversation_move", args=[world.active.pk, "transfer"])
    answer = _client(world, "sup_team").post(url, {"representative": world.rep_b.pk})
    assert answer.status_code == 404
    conversation = Conversation.objects.get(pk=world.active.pk)
    assert conversation.representative_id == world.rep.pk
    assert AuditLogEntry.objects.count() == before


@pytest.mark.parametrize("target", ["", "abc", "99999999999999999999999", "-1"])
def test_a_hostile_transfer_target_names_the_field(world, target):
    url = reverse("reports:conversation_move", args=[world.active.pk, "transfer"])
    answer = _client(world, "sup_team").post(url, {"representative": target})
    assert answer.status_code in (400, 404)
    if answer.status_code == 400:
        assert "Representative:" in answer.content.decode()
    assert Conversation.objects.get(pk=world.active.pk).representative_id == world.rep.pk


def test_another_teams_supervisor_cannot_acknowledge(world):
    url = reverse("reports:alert_acknowledge", args=[world.breach.pk])
    assert _client(world, "sup_other").post(url).status_code == 404
    assert AlertBreach.objects.get(pk=world.breach.pk).acknowledged_at is None
    assert _client(world, "sup_team").post(url).status_code == 302
    assert AlertBreach.objects.get(pk=world.breach.pk).acknowledged_by == world.users["sup_team"]


def test_alerts_export_neutralises_formulas(world):
    world.alert_rule.name = '=HYPERLINK("http://example.invalid/","x")'
    world.alert_rule.save(update_fields=["name"])
    world.rep.name = "@cmd|' /C calc'!A0"
    world.rep.save(update_fields=["name"])
    export = _client(world, "admin").get(reverse("reports:alerts_csv"))
    assert export.status_code == 200
    text = b"".join(export.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    cells = [cell for row in rows for cell in row]
    assert [c for c in cells if c[:1] in FORMULA_STARTS] == []
    assert "'" + world.alert_rule.name in cells
    assert any(c.startswith("'@cmd") for c in cells)
