"""Issue 15: bulk onboarding from a CSV: preview with every row's errors, all-or-nothing, audited
per rep, the set-password links listed once for download, bounded queries for 1,000 rows."""

import time

from django.contrib.auth.models import User
from django.urls import reverse

from presence.models import AuditLogEntry, Representative
from tests.factories import PresenceStatusFactory, RepresentativeFactory, TeamFactory, UserFactory
from tests.presence.config.helpers import messages_of, upload

IMPORT = reverse("presence:config_people_import")
APPLY = reverse("presence:config_people_import_apply")
LINKS = reverse("presence:config_people_import_links")
HEADER = "external id,name,email,teams,time zone,capacity units,default presence,username\n"


def preview(admin, text):
    return admin.post(IMPORT, upload(HEADER + text, name="people.csv"))


def apply(admin, response):
    html = response.content.decode()
    digest = html.split('name="digest" value="')[1].split('"')[0]
    text = html.split('name="csv_text" hidden aria-hidden="true">')[1].split("</textarea>")[0]
    import html as html_lib

    return admin.post(APPLY, {"digest": digest, "csv_text": html_lib.unescape(text)})


def test_preview_then_apply_creates_reps_users_and_links_once(admin, now):
    red, blue = TeamFactory(name="Red"), TeamFactory(name="Blue")
    PresenceStatusFactory(name="Training", base_status="away")
    existing = UserFactory(username="cy")
    response = preview(
        admin,
        "EXT-1,Ada Lovelace,ada@example.com,Red;blue,Europe/Paris,3,Training,ada\n"
        "EXT-2,Bob,,,,,,\n"
        ",Cy,cy@example.com,Red,,,,cy\n",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert '<strong data-count="people">3</strong>' in html
    assert '<strong data-count="users">1</strong>' in html
    assert not Representative.objects.exists()  # the preview writes nothing
    done = apply(admin, response)
    assert done.status_code == 200
    ada = Representative.objects.get(name="Ada Lovelace")
    assert (ada.external_id, ada.timezone, ada.capacity_units, ada.default_presence.name) == (
        "EXT-1",
        "Europe/Paris",
        3,
        "Training",
    )
    assert set(ada.teams.all()) == {red, blue}
    assert ada.user.username == "ada"
    assert not ada.user.has_usable_password()
    assert list(ada.user.groups.values_list("name", flat=True)) == ["Representatives"]
    assert Representative.objects.get(name="Cy").user == existing
    assert Representative.objects.get(name="Bob").user is None
    page = done.content.decode()
    assert page.count("/password/set/") == 1
    creates = AuditLogEntry.objects.filter(action="representative.create")
    assert creates.count() == 3
    assert len(set(creates.values_list("batch", flat=True))) == 1
    download = admin.post(LINKS)
    text = b"".join(download.streaming_content).decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0] == "username,email,set_password_link"
    assert lines[1].startswith("ada,ada@example.com,http://testserver/password/set/")
    again = admin.post(LINKS, follow=True)
    assert "downloaded already" in messages_of(again) or "downloaded already" in (
        again.content.decode()
    )


def test_every_invalid_row_is_listed_and_nothing_is_created(admin):
    TeamFactory(name="Red")
    RepresentativeFactory(name="Old", email="old@example.com", external_id="EXT-OLD")
    UserFactory(username="taken")
    RepresentativeFactory(name="Taken", user=User.objects.get(username="taken"))
    response = preview(
        admin,
        "EXT-1,Ada,ada@example.com,Red,Europe/Paris,1,,ada\n"  # valid
        ",,x@example.com,,,,,\n"  # no name
        "EXT-OLD,Dup,old@example.com,Nowhere,Mars/Base,lots,Ghost,taken\n"
        "EXT-1,Again,ADA@example.com,,,,,ADA\n"  # duplicates within the file
        ",Short,short@example.com\n",  # wrong number of values
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert '<strong data-count="invalid">4</strong>' in html
    for text in (
        "name: required.",
        "email: old@example.com is already used",
        "external_id: EXT-OLD is already",
        "teams: no team named Nowhere",
        "time_zone: &#x27;Mars/Base&#x27; is not an IANA time zone",
        "capacity_units: &#x27;lots&#x27;",
        "default_presence: no status named &#x27;Ghost&#x27;",
        "username: user taken is already a representative",
        "email: ADA@example.com is also on line 2",
        "external_id: EXT-1 is also on line 2",
        "username: ADA is also on line 2",
        "Expected 8 values, found 3.",
    ):
        assert text in html, text
    assert 'id="apply-import"' not in html
    assert Representative.objects.count() == 2
    # A tampered apply of an invalid file is refused too, all or nothing.
    bad = admin.post(
        APPLY,
        {"digest": "x", "csv_text": HEADER + "EXT-9,Ok,ok@example.com,,,,,\n,Bad,bad-email,,,,,\n"},
    )
    assert bad.status_code == 400
    assert Representative.objects.count() == 2
    assert not AuditLogEntry.objects.exists()


def test_file_level_refusals(admin):
    for data, text in (
        (b"", "empty"),
        (b"name,email\nAda,a@x.org\n", "missing: external_id"),
        (b"\xff\xfe", "not UTF-8"),
        (HEADER.encode(), "no rows"),
    ):
        response = admin.post(IMPORT, upload(data, name="p.csv"))
        assert response.status_code == 400
        assert 'data-field-error="file"' in response.content.decode()
        assert text in response.content.decode(), text
    assert not Representative.objects.exists()


def test_a_changed_file_after_the_preview_is_not_applied(admin):
    response = preview(admin, "EXT-1,Ada,ada@example.com,,,,,ada\n")
    html = response.content.decode()
    digest = html.split('name="digest" value="')[1].split('"')[0]
    changed = admin.post(
        APPLY, {"digest": digest, "csv_text": HEADER + "EXT-1,Ada,ada@example.com,,,,,bob\n"}
    )
    assert changed.status_code == 409
    assert not Representative.objects.exists()


def test_1000_rows_in_one_request_in_a_bounded_number_of_queries(
    admin, django_assert_max_num_queries, is_postgres
):
    TeamFactory(name="Red")
    TeamFactory(name="Blue")
    rows = "".join(
        f"EXT-{i},Rep {i},rep{i}@example.com,Red;Blue,Europe/Paris,2,,user{i}\n"
        for i in range(1000)
    )
    with django_assert_max_num_queries(20):
        response = preview(admin, rows)
    assert response.status_code == 200
    started = time.monotonic()
    # PostgreSQL: one INSERT per table (65,535 parameters a statement). SQLite caps a statement at
    # 999 parameters, so bulk_create writes ~90 rows per INSERT there: still about 1 per 20 rows.
    with django_assert_max_num_queries(25 if is_postgres else 80):
        done = apply(admin, response)
    elapsed = time.monotonic() - started
    assert done.status_code == 200
    assert Representative.objects.count() == 1000
    assert User.objects.filter(username__startswith="user").count() == 1000
    assert Representative.teams.through.objects.count() == 2000
    assert AuditLogEntry.objects.count() == 2000  # one per rep, one per new user
    assert elapsed < 10, elapsed
