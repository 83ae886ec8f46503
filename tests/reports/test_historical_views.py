"""The historical agents report pages (R3, A2, A3): access, figures, filters, the drill-down."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from presence import services as s
from presence.models import PresenceInterval
from reports.rollups import rollups_refresh
from tests.factories import (
    ConversationFactory,
    RepresentativeFactory,
    TeamFactory,
    WorkstreamFactory,
    builtin,
)
from tests.reports.history_helpers import DAY, URL, at, by_name, csv_rows, write_history

pytestmark = pytest.mark.django_db


# Access (A2, A3) ---------------------------------------------------------------------------------


def test_a3_report_needs_view_reports(client, rep_user):
    assert client.get(URL).status_code == 302  # anonymous: sign in
    client.force_login(rep_user)
    response = client.get(URL)
    assert response.status_code == 403
    assert "presence.view_reports" in response.content.decode()


def test_a2_supervisor_sees_only_their_teams(client, supervisor_user, reps):
    alice, bob, zoe = reps
    client.force_login(supervisor_user)
    page = client.get(f"{URL}?{DAY}").content.decode()
    assert "Alice" in page
    assert "Bob" in page
    assert "Zoe" not in page
    names = by_name(csv_rows(client.get(f"{URL}?{DAY}&export=reps")))
    assert set(names) == {"Alice", "Bob", "Total"}
    hours = csv_rows(client.get(f"{URL}?{DAY}&export=hours"))
    assert {row[1] for row in hours[1:]} == {"Alice", "Bob"}
    # Another team's or rep's id is refused on the form, and the drill-down is a 404.
    response = client.get(f"{URL}?{DAY}&team={zoe.teams.first().pk}")
    assert response.status_code == 200
    assert "Team: Select a valid choice" in response.content.decode()
    response = client.get(f"{URL}?{DAY}&representative={zoe.pk}")
    assert "Representative: Select a valid choice" in response.content.decode()
    assert client.get(reverse("reports:historical_rep", args=[zoe.pk])).status_code == 404
    assert client.get(reverse("reports:historical_rep", args=[alice.pk])).status_code == 200


def test_a2_admin_sees_every_team(client, admin_user, reps):
    client.force_login(admin_user)
    names = by_name(csv_rows(client.get(f"{URL}?{DAY}&export=reps")))
    assert set(names) == {"Alice", "Bob", "Zoe", "Total"}


# Figures (R3) ------------------------------------------------------------------------------------


def test_r3_time_in_base_and_custom_statuses_and_team_total(client, supervisor_user, reps):
    client.force_login(supervisor_user)
    rows = by_name(csv_rows(client.get(f"{URL}?{DAY}&export=reps")))
    alice, bob, total = rows["Alice"], rows["Bob"], rows["Total"]
    assert alice["Available (s)"] == "3600"
    assert alice["Away (s)"] == "1800"
    assert alice["Training (Away) (s)"] == "1800"
    assert alice["Busy (s)"] == "600"
    assert alice["Signed in (s)"] == "6000"
    assert bob["Offline (s)"] == "7200"
    assert bob["Signed in (s)"] == "0"
    assert total["Signed in (s)"] == "6000"
    assert total["Offline (s)"] == "7200"


def test_r3_filters_by_team_and_representative(client, admin_user, reps, teams):
    client.force_login(admin_user)
    alice, _, _ = reps
    names = by_name(csv_rows(client.get(f"{URL}?{DAY}&team={teams[1].pk}&export=reps")))
    assert set(names) == {"Zoe", "Total"}
    names = by_name(csv_rows(client.get(f"{URL}?{DAY}&representative={alice.pk}&export=reps")))
    assert set(names) == {"Alice", "Total"}


def test_r3_conversation_figures_from_services(client, admin_user):
    alice = RepresentativeFactory(name="Alice")
    bob = RepresentativeFactory(name="Bob")
    chat = WorkstreamFactory(name="Chat")
    email = WorkstreamFactory(name="Email", channel="email")
    for rep in (alice, bob):
        s.client_connect(representative=rep, client_id=f"c{rep.pk}", now=at(0))
    one = ConversationFactory(workstream=chat, created_at=at(10))
    offer = s.offer_create(conversation=one, representative=alice, now=at(20))
    s.offer_accept(offer=offer, now=at(60))
    s.conversation_end(conversation=one, now=at(300))
    s.conversation_close(conversation=one, now=at(400))  # Alice: handled in 340 s
    two = ConversationFactory(workstream=chat, created_at=at(450))
    s.conversation_assign(conversation=two, representative=alice, now=at(500))
    s.conversation_transfer(
        conversation=two, representative=bob, now=at(800)
    )  # Alice: 300 s, a transfer
    s.conversation_close(conversation=two, now=at(1000))  # Bob: 200 s
    three = ConversationFactory(workstream=chat, created_at=at(1100))
    s.offer_reject(
        offer=s.offer_create(conversation=three, representative=alice, now=at(1100)), now=at(1110)
    )
    s.offer_create(conversation=three, representative=alice, now=at(1200))
    for rep in (alice, bob):
        s.client_heartbeat(representative=rep, client_id=f"c{rep.pk}", now=at(1290))
    s.presence_tick(now=at(1300))  # the offer timed out: missed
    four = ConversationFactory(workstream=email, created_at=at(1400))
    s.conversation_assign(conversation=four, representative=bob, now=at(1400))
    s.conversation_close(conversation=four, now=at(1500))
    rollups_refresh(now=at(2000))
    client.force_login(admin_user)

    rows = by_name(csv_rows(client.get(f"{URL}?{DAY}&export=reps")))
    a, b, total = rows["Alice"], rows["Bob"], rows["Total"]
    assert (a["Conversations handled"], a["Average handle time (s)"], a["Transfers"]) == (
        "2",
        "320",
        "1",
    )
    assert (a["Offers"], a["Rejected offers"], a["Timed-out offers"]) == ("3", "1", "1")
    assert (a["Rejected rate"], a["Timed-out rate"]) == ("0.3333", "0.3333")
    assert (b["Conversations handled"], b["Average handle time (s)"], b["Transfers"]) == (
        "2",
        "150",
        "0",
    )
    assert b["Rejected rate"] == ""  # no offers: no rate
    assert (total["Conversations handled"], total["Transfers"], total["Offers"]) == ("4", "1", "3")
    assert a["Signed in (s)"] == "2000"  # signed in since 0, figures up to the last refresh

    # A workstream or channel narrows conversation figures and keeps reps who worked there.
    rows = by_name(csv_rows(client.get(f"{URL}?{DAY}&channel=email&export=reps")))
    assert set(rows) == {"Bob", "Total"}
    assert (rows["Bob"]["Conversations handled"], rows["Bob"]["Average handle time (s)"]) == (
        "1",
        "100",
    )
    rows = by_name(csv_rows(client.get(f"{URL}?{DAY}&workstream={chat.pk}&export=reps")))
    assert rows["Bob"]["Conversations handled"] == "1"
    assert rows["Alice"]["Conversations handled"] == "2"


def test_r3_page_shows_tables_charts_and_hourly_detail(
    client, supervisor_user, reps, django_assert_max_num_queries
):
    client.force_login(supervisor_user)
    with django_assert_max_num_queries(24):  # 22, and 2 for the trends per day (issue 16)
        response = client.get(f"{URL}?{DAY}")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="chart-by-rep"' in page
    assert 'id="chart-by-day"' in page
    assert "Training (Away): 0:30:00" in page  # a chart segment's label
    assert 'id="rep-table"' in page
    assert "Team total" in page
    assert "Tue 2026-03-10 08:00" in page  # hourly detail, local time
    assert 'data-export="hours"' in page
    # The hourly detail shows one local day per page, with links to the days around it.
    three = "period=custom&date_from=2026-03-09&date_to=2026-03-11&tz=UTC"
    page = client.get(f"{URL}?{three}&hday=2026-03-10").content.decode()
    assert "Hourly detail — Tue 2026-03-10" in page
    assert "hday=2026-03-09" in page
    assert "hday=2026-03-11" in page
    page = client.get(f"{URL}?{three}&hday=not-a-day").content.decode()
    assert "Hourly detail — Wed 2026-03-11" in page


def test_r3_query_count_does_not_grow_with_reps(client, admin_user, django_assert_max_num_queries):
    team = TeamFactory()
    for n in range(25):
        rep = RepresentativeFactory(teams=[team])
        write_history(rep, at(n), [(builtin("available"), 600), (builtin("busy"), 600)])
    rollups_refresh(now=at(7200))
    client.force_login(admin_user)
    with django_assert_max_num_queries(24):  # 22, and 2 for the trends per day (issue 16)
        assert client.get(f"{URL}?{DAY}").status_code == 200


def test_r3_htmx_request_gets_the_results_partial(client, supervisor_user, reps):
    client.force_login(supervisor_user)
    response = client.get(f"{URL}?{DAY}", headers={"HX-Request": "true"})
    page = response.content.decode()
    assert page.lstrip().startswith('<section id="historical-results"')
    assert "<html" not in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("tz=Mars/Olympus", "Time zone: “Mars/Olympus” is not a time zone"),
        ("period=custom&date_from=2026-02-30&date_to=2026-03-01", "From: Enter a valid date."),
        (
            "period=custom&date_from=2026-03-05&date_to=2026-03-01",
            "To: The last day is before the first day.",
        ),
        ("period=custom&date_from=2020-01-01&date_to=2026-03-01", "To: The range is longer than"),
        ("period=custom&date_to=2026-03-01", "From: Enter the first day of the range."),
        ("period=decade", "Period: Select a valid choice."),
        ("team=abc", "Team: Select a valid choice."),
        ("representative=999999", "Representative: Select a valid choice."),
        ("workstream=-1", "Workstream: Select a valid choice."),
        ("channel=fax", "Channel: Select a valid choice."),
    ],
)
def test_r3_bad_filter_values_give_a_message_not_a_500(client, admin_user, query, message):
    client.force_login(admin_user)
    for suffix in ("", "&export=reps"):
        response = client.get(f"{URL}?{query}{suffix}")
        assert response.status_code == 200
        page = response.content.decode()
        assert message in page
        assert 'role="alert"' in page


@time_machine.travel(dt.datetime(2026, 3, 29, 21, 30, tzinfo=dt.UTC), tick=False)
@pytest.mark.parametrize(
    ("period", "first", "last"),
    [
        ("today", "2026-03-29", "2026-03-29"),
        ("yesterday", "2026-03-28", "2026-03-28"),
        ("last_7_days", "2026-03-23", "2026-03-29"),
        ("last_30_days", "2026-02-28", "2026-03-29"),
        ("this_month", "2026-03-01", "2026-03-29"),
    ],
)
def test_r3_r5_presets_are_dates_in_the_chosen_zone(client, admin_user, period, first, last):
    client.force_login(admin_user)
    response = client.get(f"{URL}?period={period}&tz=Europe/Paris&export=days")
    rows = csv_rows(response)
    assert rows[1][0] == first
    assert rows[-1][0] == last
    assert (
        f"agents-{first.replace('-', '')}-{last.replace('-', '')}"
        in response["Content-Disposition"]
    )
    # In Auckland it is already the next day.
    rows = csv_rows(client.get(f"{URL}?period=today&tz=Pacific/Auckland&export=days"))
    assert rows[1][0] == "2026-03-30"


def test_r5_day_export_has_a_23_hour_day(client, admin_user):
    client.force_login(admin_user)
    rep = RepresentativeFactory()
    write_history(
        rep,
        dt.datetime(2026, 3, 28, 12, tzinfo=dt.UTC),
        [(builtin("available"), 86400 * 2)],
        open_last=False,
    )
    rollups_refresh(now=dt.datetime(2026, 4, 1, tzinfo=dt.UTC))
    rows = by_name(
        csv_rows(
            client.get(
                f"{URL}?period=custom&date_from=2026-03-29&date_to=2026-03-30&tz=Europe/Paris&export=days"
            )
        )
    )
    assert rows["2026-03-29"]["Hours in day"] == "23"
    assert rows["2026-03-29"]["Available (s)"] == str(23 * 3600)
    assert rows["2026-03-29"]["Signed in (s)"] == str(23 * 3600)


# Drill-down (R3) ---------------------------------------------------------------------------------


@time_machine.travel(dt.datetime(2026, 3, 12, tzinfo=dt.UTC), tick=False)
def test_r3_rep_timeline_lists_statuses_with_start_and_end(client, supervisor_user, reps):
    alice = reps[0]
    PresenceInterval.objects.filter(representative=alice).delete()
    write_history(
        alice,
        dt.datetime(2026, 3, 10, 22, 30, tzinfo=dt.UTC),
        [(builtin("available"), 3600), (builtin("away"), 600)],
    )
    client.force_login(supervisor_user)
    url = reverse("reports:historical_rep", args=[alice.pk])
    query = "period=custom&date_from=2026-03-10&date_to=2026-03-11&tz=Europe/Paris"
    page = client.get(f"{url}?{query}").content.decode()
    assert "2026-03-10 23:30:00" in page
    assert "2026-03-11 00:30:00" in page
    assert "still open" in page
    rows = csv_rows(client.get(f"{url}?{query}&export=timeline"))
    assert rows[0] == ["Start", "End", "Seconds", "Status", "Base status", "Source", "Open"]
    assert rows[1][:4] == [
        "2026-03-10T23:30:00+01:00",
        "2026-03-11T00:30:00+01:00",
        "3600",
        "Available",
    ]
    # The open interval ends at the end of the range (Paris midnight after 2026-03-11).
    assert rows[2][1:4] == ["2026-03-12T00:00:00+01:00", "84600", "Appear away"]
    assert rows[2][6] == "yes"


def test_r3_rep_timeline_is_at_most_a_month(client, admin_user, reps):
    client.force_login(admin_user)
    url = reverse("reports:historical_rep", args=[reps[0].pk])
    page = client.get(
        f"{url}?period=custom&date_from=2026-01-01&date_to=2026-03-01&tz=UTC"
    ).content.decode()
    assert "The range is longer than 31 days" in page
