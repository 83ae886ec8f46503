"""Review finding 15: every time a person reads names its zone once per page, and its date when
it is not today in that zone; "today" is cut in the zone the page shows.

The clock stands at 2036-12-01 23:30 UTC: already Tuesday 2 December in Asia/Tokyo."""

import datetime as dt
import html
import re

import pytest
import time_machine
from django.urls import reverse

from portal.formatting import clock
from presence import services
from presence.models import Representative
from tests.factories import PresenceStatusFactory, RepresentativeFactory, TeamFactory

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2036, 12, 1, 23, 30, tzinfo=dt.UTC)  # Tue 2 Dec 08:30 in Tokyo
TOKYO = "Asia/Tokyo"


def text(response) -> str:
    return html.unescape(response.content.decode())


def test_clock_gives_the_date_only_when_it_is_not_today_in_the_shown_zone():
    """Review finding 15: the one formatter of times for people."""
    from zoneinfo import ZoneInfo

    tokyo, utc = ZoneInfo(TOKYO), dt.UTC
    earlier = NOW - dt.timedelta(hours=1)  # 22:30 UTC Monday, 07:30 Tuesday in Tokyo
    assert clock(earlier, tz=tokyo, now=NOW) == "07:30"
    assert clock(earlier, tz=utc, now=NOW) == "22:30"
    yesterday = NOW - dt.timedelta(hours=10)  # Tokyo: Mon 1 Dec 22:30
    assert clock(yesterday, tz=tokyo, now=NOW) == "Mon 1 Dec 22:30"
    assert clock(NOW - dt.timedelta(days=400), tz=utc, now=NOW) == "Sun 28 Oct 2035 23:30"


@pytest.fixture
def tokyo_floor(supervisor_user):
    team = TeamFactory(name="Tokyo")
    team.supervisors.add(supervisor_user)
    Representative.objects.filter(user=supervisor_user).delete()
    rep = RepresentativeFactory(name="Aiko", timezone=TOKYO, teams=[team])
    gone = RepresentativeFactory(name="Ben Gone", timezone=TOKYO, teams=[team])
    with time_machine.travel(NOW, tick=False):
        # Aiko: Away since Tuesday 07:30 Tokyo; Ben: signed in and out on Monday (Tokyo).
        services.client_connect(representative=rep, now=NOW - dt.timedelta(hours=2))
        services.presence_set_manual(
            representative=rep,
            status=PresenceStatusFactory(name="Break", base_status="away"),
            now=NOW - dt.timedelta(hours=1),
        )
        services.client_connect(representative=gone, now=NOW - dt.timedelta(hours=12))
        services.representative_sign_out(representative=gone, now=NOW - dt.timedelta(hours=11))
    return rep, gone


def test_drill_down_cuts_and_names_today_in_the_zone_it_shows(client, supervisor_user, tokyo_floor):
    """Review finding 15: it is Tuesday 2 December in Tokyo: the heading says so (it said
    Monday: local midnight formatted in UTC), and the page names the zone once."""
    rep, _ = tokyo_floor
    with time_machine.travel(NOW, tick=False):
        client.force_login(supervisor_user)
        page = text(client.get(reverse("reports:agent_detail", args=[rep.pk])))
    assert "Tuesday 2 December" in page
    assert "Monday 1 December" not in page
    assert page.count(TOKYO) == 1
    assert re.search(r"since <time[^>]*>07:30</time>", page)


def test_agents_offline_tab_gives_yesterdays_time_its_date(client, supervisor_user, tokyo_floor):
    """Review finding 15: the viewer works in Tokyo, where it is Tuesday; Ben signed out Monday
    21:30 Tokyo (12:30 UTC): that time carries its date, and the zone is named once."""
    RepresentativeFactory(name="Viewer", user=supervisor_user, timezone=TOKYO)
    with time_machine.travel(NOW, tick=False):
        client.force_login(supervisor_user)
        page = text(client.get(reverse("reports:agents") + "?tab=offline"))
    row = page[page.index('data-rep-id="') :]
    assert "Ben Gone" in row
    status_since = re.search(r'data-label="Status since"><time[^>]*>([^<]+)</time>', row).group(1)
    assert re.fullmatch(r"\w{3} \d{1,2} \w{3} \d\d:\d\d", status_since), status_since
    assert page.count("times in ") == 1


def test_console_names_the_zone_once_and_dates_a_since_of_another_day(client, rep_user):
    """Review finding 15: "since 14:01" said no zone; the console names the rep's zone once,
    and a presence held since another day (in that zone) carries its date."""
    rep = RepresentativeFactory(name="Aiko", user=rep_user, timezone=TOKYO)
    with time_machine.travel(NOW, tick=False):
        services.client_connect(representative=rep, now=NOW - dt.timedelta(hours=10))
        client.force_login(rep_user)
        page = text(client.get(reverse("presence:console")))
    assert page.count(f"Times in {TOKYO}") == 1
    assert "since Mon 1 Dec 22:30" in page  # 13:30 UTC = Monday 22:30 in Tokyo


def test_ongoing_report_dates_last_activity_of_another_day(client, admin_user):
    """Review finding 15: the ongoing report's last activity of yesterday carries its date."""
    from tests.factories import WorkstreamFactory

    workstream = WorkstreamFactory(name="Mail", channel="email")
    rep = RepresentativeFactory(name="Aiko", capacity_units=5)
    yesterday = NOW - dt.timedelta(days=1)
    with time_machine.travel(yesterday, tick=False):
        services.client_connect(representative=rep, now=yesterday)
        conversation = services.conversation_create(workstream=workstream, now=yesterday)
        # Active since yesterday without activity: stuck (V3), so the report lists it.
        services.conversation_assign(
            conversation=conversation, representative=rep, force=True, now=yesterday
        )
    with time_machine.travel(NOW, tick=False):
        client.force_login(admin_user)
        page = text(client.get(reverse("reports:ongoing")))
    last = re.search(r'data-label="Last activity"><time[^>]*>([^<]+)</time>', page).group(1)
    assert re.fullmatch(r"\w{3} \d{1,2} \w{3} \d\d:\d\d", last), last
    assert page.count("times in ") == 1
