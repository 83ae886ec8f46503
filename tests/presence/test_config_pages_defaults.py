"""Default presence pages (D1-D4): the representatives list, one rep's default in place (htmx),
bulk changes by selection, by filter and by CSV — preview, all-or-nothing apply, audit — and the
CSV round trip. The plan/apply services (presence/services/config/defaults.py) are tested here too.
"""

import csv
import html as html_lib
import io
import math
import time

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from portal.exceptions import Conflict, ValidationFailed
from presence.models import AuditLogEntry, Representative
from presence.services import config as config_services
from presence.services.config.defaults import CHUNK
from tests.factories import (
    CapacityProfileFactory,
    PresenceStatusFactory,
    RepresentativeFactory,
    RepresentativeProfileFactory,
    TeamFactory,
    WorkstreamFactory,
    builtin,
)

HTMX = {"HTTP_HX_REQUEST": "true"}
LIST = reverse("presence:config_defaults")
PREVIEW = reverse("presence:config_defaults_preview")
APPLY = reverse("presence:config_defaults_apply")
IMPORT = reverse("presence:config_defaults_import")
EXPORT = reverse("presence:config_defaults_export")


@pytest.fixture
def admin(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def training(db):
    return PresenceStatusFactory(name="Training", base_status="away")


def messages_of(response) -> str:
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def upload(text: str | bytes, name="defaults.csv"):
    data = text.encode() if isinstance(text, str) else text
    return {"file": SimpleUploadedFile(name, data, content_type="text/csv")}


def defaults_of(*reps):
    return [Representative.objects.get(pk=r.pk).default_presence_id for r in reps]


# --- The list -----------------------------------------------------------------------------------


def test_d4_list_filters_by_team_workstream_default_and_name(admin, training):
    blue, red = TeamFactory(name="Blue"), TeamFactory(name="Red")
    profile = CapacityProfileFactory(name="Chat")
    ws = WorkstreamFactory(name="Chat support", capacity_profile=profile)
    RepresentativeFactory(name="Ada", teams=[blue], default_presence=training)
    bob = RepresentativeFactory(name="Bob", teams=[red])
    RepresentativeFactory(name="Cyd", teams=[red], external_id="EXT-C")
    RepresentativeProfileFactory(representative=bob, profile=profile)

    def names(query):
        html = admin.get(LIST + query).content.decode()
        return sorted(part.split('"')[0] for part in html.split('data-rep="')[1:])

    assert names("") == ["Ada", "Bob", "Cyd"]
    assert names(f"?team={red.pk}") == ["Bob", "Cyd"]
    assert names(f"?workstream={ws.pk}") == ["Bob"]
    assert names(f"?default={training.pk}") == ["Ada"]
    assert names("?default=none") == ["Bob", "Cyd"]
    assert names("?q=ad") == ["Ada"]
    assert names("?q=EXT-C") == ["Cyd"]
    assert names(f"?team={red.pk}&q=b") == ["Bob"]


def test_d4_list_htmx_returns_the_results_partial_sorted_and_paginated(
    admin, training, django_assert_max_num_queries
):
    team = TeamFactory(name="Blue")
    for i in range(60):
        RepresentativeFactory(
            name=f"Rep {i:02d}", teams=[team], default_presence=training if i % 2 else None
        )
    admin.get(LIST)
    with django_assert_max_num_queries(12):  # session, user, perms, count, page, teams, choices
        response = admin.get(LIST + "?sort=-name&page=2", **HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="defaults-results"')
    assert html.count("data-rep=") == 25
    assert html.index('data-rep="Rep 34"') < html.index('data-rep="Rep 33"')  # descending
    assert "Page 2 of 3" in html
    assert "All <strong data-match-count>60</strong>" in html


# --- One rep, in place ---------------------------------------------------------------------------


def test_d4_one_rep_default_changes_in_place_and_is_audited(admin, admin_user, training):
    rep = RepresentativeFactory(name="Ada")
    response = admin.post(
        reverse("presence:config_default_set", args=[rep.pk]), {"status": training.pk}, **HTMX
    )
    html = response.content.decode()
    assert html.lstrip().startswith(f'<tr id="rep-{rep.pk}"')
    assert "Saved: Training" in html
    assert defaults_of(rep) == [training.pk]
    entry = AuditLogEntry.objects.get(object_type="representative", object_id=str(rep.pk))
    assert entry.actor == admin_user
    assert (entry.before["default_presence_id"], entry.after["default_presence_id"]) == (
        None,
        training.pk,
    )
    admin.post(reverse("presence:config_default_set", args=[rep.pk]), {"status": ""}, **HTMX)
    assert defaults_of(rep) == [None]  # D1: no default means Available


@pytest.mark.parametrize("kind", ["deactivated", "not_settable", "inactive_builtin", "unknown"])
def test_d2_one_rep_refused_default_shows_the_reason_in_the_row_and_writes_nothing(admin, kind):
    status = {
        "deactivated": lambda: PresenceStatusFactory(is_active=False).pk,
        "not_settable": lambda: PresenceStatusFactory(user_can_set=False).pk,
        "inactive_builtin": lambda: builtin("inactive").pk,
        "unknown": lambda: 999999,
    }[kind]()
    rep = RepresentativeFactory(name="Ada")
    response = admin.post(
        reverse("presence:config_default_set", args=[rep.pk]), {"status": status}, **HTMX
    )
    html = response.content.decode()
    assert "Not saved:" in html
    assert "active statuses that representatives can set" in html
    assert "(rule D2)" not in html  # rule ids stay out of pages (review finding 18)
    assert defaults_of(rep) == [None]
    assert not AuditLogEntry.objects.exists()


def test_d4_one_rep_without_javascript_redirects_with_a_message(admin, training):
    rep = RepresentativeFactory(name="Ada")
    response = admin.post(
        reverse("presence:config_default_set", args=[rep.pk]),
        {"status": training.pk, "next_query": "q=Ad"},
    )
    assert response.status_code == 302
    assert response["Location"] == LIST + "?q=Ad"
    assert "Default presence of Ada: Training" in messages_of(response)


# --- Bulk by selection and by filter --------------------------------------------------------------


def test_d4_selection_preview_lists_changes_then_apply_writes_and_audits(
    admin, admin_user, training
):
    away = builtin("away")
    ada = RepresentativeFactory(name="Ada", default_presence=away)
    bob = RepresentativeFactory(name="Bob")
    cyd = RepresentativeFactory(name="Cyd", default_presence=training)
    data = {"status": training.pk, "target": "selected", "representative": [ada.pk, bob.pk, cyd.pk]}
    preview = admin.post(PREVIEW, data)
    html = preview.content.decode()
    assert 'data-count="changes">2<' in html
    assert 'data-count="unchanged">1<' in html
    assert "Appear away" in html
    assert "No default (Available)" in html
    assert defaults_of(ada, bob) == [away.pk, None]  # the preview writes nothing
    digest = html.split('name="digest" value="')[1].split('"')[0]
    response = admin.post(APPLY, {**data, "source": "selected", "digest": digest})
    assert response.status_code == 302
    assert defaults_of(ada, bob, cyd) == [training.pk] * 3
    entries = AuditLogEntry.objects.filter(action="representative.default_presence")
    assert {
        (e.object_id, e.before["default_presence"], e.after["default_presence"]) for e in entries
    } == {
        (str(ada.pk), "Appear away", "Training"),
        (str(bob.pk), None, "Training"),
    }
    assert all(e.actor == admin_user for e in entries)


def test_d4_selection_needs_a_ticked_rep(admin, training):
    response = admin.post(PREVIEW, {"status": training.pk, "target": "selected", "filter": "q=x"})
    assert response.status_code == 302
    assert response["Location"] == LIST + "?q=x"
    assert "Tick at least one representative" in messages_of(response)


def test_d4_filter_is_resolved_on_the_server_at_apply(admin, training):
    blue, red = TeamFactory(name="Blue"), TeamFactory(name="Red")
    a = RepresentativeFactory(name="A", teams=[blue])
    b = RepresentativeFactory(name="B", teams=[blue])
    other = RepresentativeFactory(name="Other", teams=[red])
    data = {"status": training.pk, "target": "filter", "filter": f"team={blue.pk}"}
    html = admin.post(PREVIEW, data).content.decode()
    assert 'data-count="changes">2<' in html
    assert 'name="representative"' not in html  # the filter travels, not the ids
    digest = html.split('name="digest" value="')[1].split('"')[0]
    admin.post(APPLY, {**data, "source": "filter", "digest": digest})
    assert defaults_of(a, b, other) == [training.pk, training.pk, None]


def test_d4_apply_never_trusts_the_preview(admin, training):
    """A rep joins the team after the preview: the plan differs, nothing is written (409)."""
    blue = TeamFactory(name="Blue")
    a = RepresentativeFactory(name="A", teams=[blue])
    data = {
        "status": training.pk,
        "target": "filter",
        "filter": f"team={blue.pk}",
        "source": "filter",
    }
    html = admin.post(PREVIEW, data).content.decode()
    digest = html.split('name="digest" value="')[1].split('"')[0]
    late = RepresentativeFactory(name="Late", teams=[blue])
    response = admin.post(APPLY, {**data, "digest": digest})
    assert response.status_code == 409
    assert "differs from the preview" in response.content.decode()
    assert defaults_of(a, late) == [None, None]
    # A status deactivated after the preview: refused by the form (D2) — nothing written.
    training.is_active = False
    training.save()
    response = admin.post(APPLY, {**data, "digest": digest})
    assert response.status_code == 302
    assert "Nothing was changed" in messages_of(response)
    assert defaults_of(a, late) == [None, None]
    assert not AuditLogEntry.objects.exists()


# --- CSV ----------------------------------------------------------------------------------------------


def test_d4_csv_with_one_bad_row_among_500_writes_nothing_and_lists_the_bad_row(admin, training):
    reps = Representative.objects.bulk_create(
        [Representative(name=f"Rep {i:03d}", email=f"rep{i}@example.com") for i in range(500)]
    )
    lines = ["representative,status"] + [f"rep{i}@example.com,Training" for i in range(500)]
    lines[251] = "nobody@example.com,Training"  # line 252 of the file
    response = admin.post(IMPORT, upload("\n".join(lines)))
    assert response.status_code == 400
    html = response.content.decode()
    invalid = html[html.index('data-table="invalid"') :]
    invalid = invalid[: invalid.index("</table>")]
    assert invalid.count("<tr>") == 2  # the header and the bad row
    assert '<td data-label="Line" class="num">252</td>' in invalid
    assert "No representative with external id or e-mail &quot;nobody@example.com&quot;" in invalid
    assert 'data-count="invalid">1<' in html
    assert 'data-count="changes">499<' in html
    assert "Nothing can be applied while a row is invalid" in html
    assert 'action="/configure/defaults/apply/"' not in html
    # Applying the same file anyway (a forged form) is refused on the server.
    response = admin.post(APPLY, {"source": "csv", "csv_text": "\n".join(lines), "digest": "x"})
    assert response.status_code == 400
    assert Representative.objects.filter(default_presence__isnull=False).count() == 0
    assert not AuditLogEntry.objects.exists()
    assert len(reps) == 500


def test_d4_csv_invalid_rows_each_name_their_reason(admin, training):
    RepresentativeFactory(name="Ada", email="ada@example.com")
    RepresentativeFactory(name="Bob", email="bob@example.com", external_id="EXT-B")
    RepresentativeFactory(name="Cyd", email="cyd@example.com")
    PresenceStatusFactory(name="Old", is_active=False)
    PresenceStatusFactory(name="Supervisor only", user_can_set=False)
    text = "\n".join(
        [
            "representative,status",
            "ada@example.com,Nope",
            "EXT-B,Old",
            "cyd@example.com,Inactive",
            "ada@example.com,Supervisor only",
            "ghost,Training",
            "bob@example.com",
            ",Training",
            "EXT-B,Training",
        ]
    )
    html = admin.post(IMPORT, upload(text)).content.decode()
    for reason in (
        "No presence status named &quot;Nope&quot;",
        "Status &quot;Old&quot; is deactivated",
        "Inactive cannot be a default presence",
        "Status &quot;Supervisor only&quot; cannot be set by representatives",
        "No representative with external id or e-mail &quot;ghost&quot;",
        "Expected 2 values (representative, status), found 1.",
        "No representative given",
        "Bob is listed twice (first on line 3)",
    ):
        assert reason in html, reason
    assert 'data-count="invalid">8<' in html
    assert not Representative.objects.filter(default_presence__isnull=False).exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The submitted file is empty"),
        (b"\n\n", "The file is empty"),
        (b"email,presence\nada@example.com,Training\n", "The first line must be the header"),
        ("representative,status\nada@example.com,Formación\n".encode("latin-1"), "is not UTF-8"),
        (b"representative,status\n", "has a header but no rows"),
        (b"representative,status\n" + b"x@example.com,Training\n" * 60_000, "too big"),
        (b"representative,status\nada\x00,x\n", "NUL"),
    ],
)
def test_d4_bad_csv_file_gives_a_clear_message_and_writes_nothing(
    admin, training, content, message
):
    RepresentativeFactory(name="Ada", email="ada@example.com")
    response = admin.post(IMPORT, upload(content))
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-field-error="file"' in html
    assert message in html
    assert not Representative.objects.filter(default_presence__isnull=False).exists()
    assert not AuditLogEntry.objects.exists()


def test_d4_csv_round_trip(admin, training):
    away = builtin("away")
    ada = RepresentativeFactory(name="Ada", email="ada@example.com", default_presence=away)
    bob = RepresentativeFactory(name="=Bob", email="", external_id="EXT-B")
    cyd = RepresentativeFactory(name="Cyd", email="")  # neither: exported as id:<pk>
    exported = b"".join(admin.get(EXPORT).streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(exported)))
    assert rows[0] == ["representative", "status", "name"]
    assert rows[1:] == [
        ["EXT-B", "", "'=Bob"],  # a name never runs as a spreadsheet formula
        ["ada@example.com", "Appear away", "Ada"],
        [f"id:{cyd.pk}", "", "Cyd"],
    ]
    unchanged = admin.post(IMPORT, upload(exported)).content.decode()
    assert 'data-count="changes">0<' in unchanged
    assert 'data-count="unchanged">3<' in unchanged
    edited = exported.replace("EXT-B,,", "EXT-B,training,").replace("Appear away", "")
    html = admin.post(IMPORT, upload("\ufeff" + edited)).content.decode()
    assert 'data-count="changes">2<' in html
    assert 'data-count="invalid">0<' in html
    csv_text = html.split('name="csv_text" hidden aria-hidden="true">')[1].split("</textarea>")[0]
    digest = html.split('name="digest" value="')[1].split('"')[0]
    response = admin.post(
        APPLY, {"source": "csv", "csv_text": html_lib.unescape(csv_text), "digest": digest}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert defaults_of(ada, bob, cyd) == [None, training.pk, None]
    assert AuditLogEntry.objects.filter(action="representative.default_presence").count() == 2


def test_d4_export_follows_the_filter(admin, training):
    blue = TeamFactory(name="Blue")
    RepresentativeFactory(name="Ada", email="ada@example.com", teams=[blue])
    RepresentativeFactory(name="Bob", email="bob@example.com")
    text = b"".join(admin.get(EXPORT + f"?team={blue.pk}").streaming_content).decode("utf-8-sig")
    assert "ada@example.com" in text
    assert "bob@example.com" not in text


# --- 10,000 reps -------------------------------------------------------------------------------------


def test_d4_ten_thousand_reps_in_one_bulk_change_with_bounded_queries(
    admin, training, django_assert_max_num_queries
):
    team = TeamFactory(name="Everyone")
    reps = Representative.objects.bulk_create(
        [Representative(name=f"Rep {i:05d}", email=f"r{i}@example.com") for i in range(10_000)]
    )
    team.representatives.through.objects.bulk_create(
        [team.representatives.through(team_id=team.pk, representative_id=r.pk) for r in reps]
    )
    data = {
        "status": training.pk,
        "target": "filter",
        "filter": f"team={team.pk}",
        "source": "filter",
    }
    html = admin.post(PREVIEW, data).content.decode()
    assert 'data-count="changes">10000<' in html
    digest = html.split('name="digest" value="')[1].split('"')[0]
    # Fixed: session, user, permissions, filter choices, the plan (one SELECT), the statuses,
    # UPDATEs in chunks of 2,000, savepoints; the audit INSERTs come in the batches the
    # database allows (PostgreSQL: 2,000 rows each; SQLite: 999 parameters each).
    fields = [f for f in AuditLogEntry._meta.concrete_fields if not f.primary_key]
    batch = min(CHUNK, connection.ops.bulk_batch_size(fields, reps) or CHUNK)
    started = time.monotonic()
    with django_assert_max_num_queries(25 + math.ceil(10_000 / batch)):
        response = admin.post(APPLY, {**data, "digest": digest})
    elapsed = time.monotonic() - started
    assert response.status_code == 302
    assert Representative.objects.filter(default_presence=training).count() == 10_000
    assert AuditLogEntry.objects.filter(action="representative.default_presence").count() == 10_000
    assert elapsed < 10, f"{elapsed:.1f} s"
    print(f"10,000 defaults applied in {elapsed:.2f} s ({connection.vendor})")


# --- The services: plan (preview) and apply -------------------------------------------------------


def test_d4_plan_writes_nothing_and_apply_is_all_or_nothing(admin_user, training):
    ada = RepresentativeFactory(name="Ada", email="ada@example.com")
    bob = RepresentativeFactory(name="Bob", email="bob@example.com")
    rows = [
        config_services.DefaultRow(2, "ada@example.com", "Training"),
        config_services.DefaultRow(3, "bob@example.com", "training"),
    ]
    plan = config_services.default_presence_plan_from_rows(
        rows=rows, scope=Representative.objects.all()
    )
    assert [(c.name, c.before, c.after) for c in plan.changes] == [
        ("Ada", None, "Training"),
        ("Bob", None, "Training"),
    ]
    assert defaults_of(ada, bob) == [None, None]
    # Bob's default changes after the plan was read: the apply refuses all of it.
    Representative.objects.filter(pk=bob.pk).update(default_presence=builtin("busy"))
    with pytest.raises(Conflict):
        config_services.default_presence_plan_apply(plan=plan, actor=admin_user, now=timezone.now())
    assert defaults_of(ada) == [None]
    assert not AuditLogEntry.objects.exists()
    bad = config_services.default_presence_plan_from_rows(
        rows=[*rows, config_services.DefaultRow(4, "nobody", "Training")],
        scope=Representative.objects.all(),
    )
    with pytest.raises(ValidationFailed):
        config_services.default_presence_plan_apply(plan=bad, actor=admin_user, now=timezone.now())


def test_d4_plan_respects_the_scope(training):
    blue = TeamFactory(name="Blue")
    RepresentativeFactory(name="Inside", email="in@example.com", teams=[blue])
    RepresentativeFactory(name="Outside", email="out@example.com")
    plan = config_services.default_presence_plan_from_rows(
        rows=[
            config_services.DefaultRow(2, "in@example.com", "Training"),
            config_services.DefaultRow(3, "out@example.com", "Training"),
        ],
        scope=Representative.objects.filter(teams=blue),
    )
    assert [c.name for c in plan.changes] == ["Inside"]
    assert [row.line for row in plan.invalid] == [3]


def test_d2_plan_for_refuses_a_status_reps_cannot_hold_as_default(db):
    with pytest.raises(ValidationFailed) as error:
        config_services.default_presence_plan_for(
            representatives=Representative.objects.all(), status=builtin("inactive")
        )
    assert error.value.field == "status"
