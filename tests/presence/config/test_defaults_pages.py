"""Default presence pages (D1-D4): the representatives list, one rep's default in place (htmx)
and bulk changes by selection and by filter: preview, all-or-nothing apply, audit. The CSV
pages are in test_defaults_csv.py, the plan/apply services in test_defaults_services.py.
"""

import pytest
from django.urls import reverse

from presence.models import AuditLogEntry
from tests.factories import (
    CapacityProfileFactory,
    PresenceStatusFactory,
    RepresentativeFactory,
    RepresentativeProfileFactory,
    TeamFactory,
    WorkstreamFactory,
    builtin,
)
from tests.presence.config.helpers import (
    APPLY,
    LIST,
    PREVIEW,
    defaults_of,
    digest_of,
    filter_change,
    messages_of,
)
from tests.presence.helpers import HTMX

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
    digest = digest_of(html)
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
    digest = digest_of(html)
    admin.post(APPLY, {**data, "source": "filter", "digest": digest})
    assert defaults_of(a, b, other) == [training.pk, training.pk, None]


def test_d4_apply_never_trusts_the_preview(admin, training):
    """A rep joins the team after the preview: the plan differs, nothing is written (409)."""
    blue = TeamFactory(name="Blue")
    a = RepresentativeFactory(name="A", teams=[blue])
    data = filter_change(training, blue)
    html = admin.post(PREVIEW, data).content.decode()
    digest = digest_of(html)
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
