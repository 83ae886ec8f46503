"""Default presence pages (D4): bulk changes by CSV, the CSV round trip, and one bulk change of
10,000 reps with bounded queries."""

import csv
import html as html_lib
import io
import math

import pytest
from django.db import connection

from presence.models import AuditLogEntry, Representative
from presence.services.config.defaults import CHUNK
from tests.factories import (
    PresenceStatusFactory,
    RepresentativeFactory,
    TeamFactory,
    builtin,
)
from tests.presence.config.helpers import (
    APPLY,
    EXPORT,
    IMPORT,
    PREVIEW,
    defaults_of,
    digest_of,
    filter_change,
    upload,
)

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
    digest = digest_of(html)
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
    data = filter_change(training, team)
    html = admin.post(PREVIEW, data).content.decode()
    assert 'data-count="changes">10000<' in html
    digest = digest_of(html)
    # Fixed: session, user, permissions, filter choices, the plan (one SELECT), the statuses,
    # UPDATEs in chunks of 2,000, savepoints; the audit INSERTs come in the batches the
    # database allows (PostgreSQL: 2,000 rows each; SQLite: 999 parameters each).
    fields = [f for f in AuditLogEntry._meta.concrete_fields if not f.primary_key]
    batch = min(CHUNK, connection.ops.bulk_batch_size(fields, reps) or CHUNK)
    with django_assert_max_num_queries(25 + math.ceil(10_000 / batch)):
        response = admin.post(APPLY, {**data, "digest": digest})
    assert response.status_code == 302
    assert Representative.objects.filter(default_presence=training).count() == 10_000
    assert AuditLogEntry.objects.filter(action="representative.default_presence").count() == 10_000
