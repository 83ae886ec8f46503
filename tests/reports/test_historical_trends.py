"""Trends per day of the historical report (issue 16, item 4) and the team total row of every
table: each figure equals an independent computation from the raw rows (R5), days cut in the
report's zone (a 23-hour day included), the team series scoped (A2), a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest

from presence.models import ConversationParticipant, Offer, OfferState, ParticipantRole
from reports.historical import selectors
from reports.historical.filters import HistoricalFilters
from reports.rollups import rollups_refresh
from tests.factories import (
    ConversationFactory,
    RepresentativeFactory,
    TeamFactory,
    WorkstreamFactory,
    builtin,
)
from tests.reports.history_helpers import URL, write_history

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
# 2026-03-29 is 23 hours long in Paris (clocks go forward at 02:00).
WEEK = "period=custom&date_from=2026-03-27&date_to=2026-03-30&tz=Europe/Paris"
H = dt.timedelta(hours=1)


def paris(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=PARIS)


def work(rep, ws, joined: dt.datetime, seconds: int):
    c = ConversationFactory(workstream=ws, created_at=joined - dt.timedelta(seconds=5))
    ConversationParticipant.objects.create(
        conversation=c,
        representative=rep,
        role=ParticipantRole.PRIMARY,
        joined_at=joined,
        left_at=joined + dt.timedelta(seconds=seconds),
    )
    return c


def offer(rep, ws, when: dt.datetime, state: str):
    c = ConversationFactory(workstream=ws, created_at=when)
    return Offer.objects.create(
        conversation=c,
        representative=rep,
        state=state,
        created_at=when,
        expires_at=when + dt.timedelta(seconds=60),
        decided_at=when + dt.timedelta(seconds=10),
    )


@pytest.fixture
def world(supervisor_user):
    mine, other = TeamFactory(name="Mine"), TeamFactory(name="Other")
    mine.supervisors.add(supervisor_user)
    alice = RepresentativeFactory(name="Alice", teams=[mine])
    bob = RepresentativeFactory(name="Bob", teams=[mine])
    zoe = RepresentativeFactory(name="Zoe", teams=[other])
    chat = WorkstreamFactory(name="Chat")
    # Alice: two on the 27th, one ending 00:10 on the 29th local (23:10 UTC on the 28th),
    # one on the 29th after the clock change.
    work(alice, chat, paris(27, 10), 300)
    work(alice, chat, paris(27, 15), 100)
    work(alice, chat, paris(29, 0, 5), 300)
    work(alice, chat, paris(29, 14), 600)
    work(bob, chat, paris(28, 23, 55), 600)  # ends 00:05 on the 29th: counted on the 29th
    work(bob, chat, paris(30, 9), 60)
    work(zoe, chat, paris(27, 10), 999)
    for day, state in ((27, OfferState.ACCEPTED), (27, OfferState.REJECTED),
                       (29, OfferState.MISSED), (29, OfferState.ACCEPTED)):  # fmt: skip
        offer(alice, chat, paris(day, 12), state)
    offer(bob, chat, paris(30, 12), OfferState.REJECTED)
    offer(zoe, chat, paris(30, 12), OfferState.MISSED)
    offer(alice, chat, paris(30, 13), OfferState.PENDING)  # undecided: not counted
    start = paris(27, 0)
    for rep in (alice, bob, zoe):
        write_history(rep, start, [(builtin("available"), 4 * 86400)], open_last=False)
    rollups_refresh(now=paris(31, 12))
    return alice, bob, zoe, mine


def by_hand(reps, tz=PARIS, days=(27, 28, 29, 30)) -> dict[dt.date, dict]:
    """Per local day from the raw rows, with no report code."""
    ids = {r.pk for r in reps}
    out = {
        dt.date(2026, 3, d): {"handled": 0, "handle": 0, "offers": 0, "rejected": 0, "missed": 0}
        for d in days
    }
    for p in ConversationParticipant.objects.all():
        if p.representative_id in ids and p.role == "primary" and p.left_at:
            day = p.left_at.astimezone(tz).date()
            if day in out:
                out[day]["handled"] += 1
                out[day]["handle"] += int((p.left_at - p.joined_at).total_seconds())
    for o in Offer.objects.all():
        if o.representative_id in ids and o.state in ("accepted", "rejected", "missed"):
            day = o.created_at.astimezone(tz).date()
            if day in out:
                out[day]["offers"] += 1
                out[day]["rejected"] += o.state == "rejected"
                out[day]["missed"] += o.state == "missed"
    return out


def figures(reps_qs, window, filters) -> dict[dt.date, dict]:
    return {
        d.date: {
            "handled": d.handled,
            "handle": d.handle_seconds,
            "offers": d.offers,
            "rejected": d.rejected,
            "missed": d.missed,
        }
        for d in selectors.conversation_figures_by_day(reps=reps_qs, window=window, filters=filters)
    }


def test_r5_trends_per_day_equal_the_raw_rows_in_the_reports_zone(world, admin_user):
    alice, bob, zoe, mine = world
    filters = HistoricalFilters(date_from=dt.date(2026, 3, 27), date_to=dt.date(2026, 3, 30),
                                tz=PARIS)  # fmt: skip
    window = filters.window()
    reps = selectors.representatives_for_report(user=admin_user, filters=filters, window=window)
    got = figures(reps, window, filters)
    assert got == by_hand([alice, bob, zoe])
    assert got[dt.date(2026, 3, 29)]["handled"] == 3  # Alice's 00:10 and 14:10, Bob's 00:05
    assert got[dt.date(2026, 3, 28)]["handled"] == 0
    # The days add up to the per-rep report's total (R5: one history, one set of figures).
    report = selectors.rep_report(reps=reps, window=window, filters=filters, now=paris(31, 12))
    days = selectors.conversation_figures_by_day(reps=reps, window=window, filters=filters)
    total = selectors.total_of(days)
    assert (total.handled, total.handle_seconds, total.offers, total.rejected, total.missed) == (
        report.total.handled,
        report.total.handle_seconds,
        report.total.offers,
        report.total.rejected,
        report.total.missed,
    )
    # In UTC the late conversations fall on other days.
    utc = HistoricalFilters(date_from=dt.date(2026, 3, 27), date_to=dt.date(2026, 3, 30),
                            tz=ZoneInfo("UTC"))  # fmt: skip
    assert figures(reps, utc.window(), utc) == by_hand([alice, bob, zoe], tz=ZoneInfo("UTC"))


def _trend_row(page: str, day: str) -> list[str]:
    row = re.search(rf'<tr data-trend-day="{day}">(.*?)</tr>', page, re.S).group(1)
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>.*?</td>", row, re.S)]


def test_a2_a_rep_is_shown_with_their_team_total_of_the_supervisors_reps_only(
    client, world, supervisor_user
):
    alice, bob, zoe, mine = world
    client.force_login(supervisor_user)
    page = client.get(f"{URL}?{WEEK}&representative={alice.pk}").content.decode()
    assert 'id="trends"' in page
    assert "for Alice (solid bars) and All your representatives (striped bars)" in page
    cells = _trend_row(page, "2026-03-29")
    mine_by_hand = by_hand([alice, bob])[dt.date(2026, 3, 29)]
    alice_by_hand = by_hand([alice])[dt.date(2026, 3, 29)]
    assert cells[1] == str(alice_by_hand["handled"])  # Alice: 2
    assert cells[6] == str(mine_by_hand["handled"])  # Alice and Bob: 3; never Zoe
    assert cells[3] == str(alice_by_hand["offers"])
    assert cells[4:6] == ["0.0 %", "50.0 %"]  # Alice's offers that day: 1 accepted, 1 timed out
    thirtieth = _trend_row(page, "2026-03-30")
    assert thirtieth[8] == "1"  # the team's offers that day: Bob's, not Zoe's
    page = client.get(f"{URL}?{WEEK}&team={mine.pk}&representative={alice.pk}").content.decode()
    assert "and Team Mine (striped bars)" in page
    # Every chart labels each bar with its figure, and has the table as an alternative.
    for key in ("handled", "aht", "rejected", "missed"):
        assert f'id="trend-{key}"' in page
    assert 'id="trend-table"' in page


def test_every_historical_table_has_a_team_total_row_equal_to_the_history(
    client, world, admin_user
):
    client.force_login(admin_user)
    page = client.get(f"{URL}?{WEEK}&hday=2026-03-29").content.decode()
    for table in ("rep-table", "day-table", "hour-table", "trend-table"):
        html = re.search(rf'<table[^>]*id="{table}".*?</table>', page, re.S).group(0)
        assert "<tfoot" in html, table
        assert "data-total-row" in html or "Team total" in html, table
    day_table = re.search(r'<table[^>]*id="day-table".*?</table>', page, re.S).group(0)
    foot = re.search(r"<tfoot>(.*?)</tfoot>", day_table, re.S).group(1)
    # 3 reps Available for the whole 4-day window (23-hour day included): 3 x 95 h.
    assert "285:00:00" in foot
    hour_table = re.search(r'<table[^>]*id="hour-table".*?</table>', page, re.S).group(0)
    foot = re.search(r"<tfoot>(.*?)</tfoot>", hour_table, re.S).group(1)
    assert "Team total, Sun 2026-03-29" in foot
    assert "69:00:00" in foot  # 3 reps x the 23-hour day
    trend = re.search(r'<table[^>]*id="trend-table".*?</table>', page, re.S).group(0)
    foot = re.sub(r"<[^>]+>", " ", re.search(r"<tfoot>(.*?)</tfoot>", trend, re.S).group(1))
    totals = sum(v["handled"] for v in by_hand(list(world[:3])).values())
    assert foot.split()[3] == str(totals)


@pytest.mark.parametrize("n", [3, 20])
def test_the_trends_keep_a_fixed_number_of_queries(
    n, client, admin_user, django_assert_max_num_queries
):
    team = TeamFactory(name=f"T{n}")
    chat = WorkstreamFactory()
    reps = [RepresentativeFactory(teams=[team]) for _ in range(n)]
    for i, rep in enumerate(reps):
        write_history(rep, paris(27, 0), [(builtin("available"), 86400)], open_last=False)
        work(rep, chat, paris(27, 9) + i * H / 10, 120)
        offer(rep, chat, paris(27, 11), OfferState.ACCEPTED)
    rollups_refresh(now=paris(31, 12))
    client.force_login(admin_user)
    # Measured 30 for 3 and for 20 reps: the page's queries with a team and a rep picked (the
    # form checks both), the team's reps, 2 for the team's trends and 1 for its time in status.
    with django_assert_max_num_queries(30):
        response = client.get(f"{URL}?{WEEK}&team={team.pk}&representative={reps[0].pk}")
    assert response.status_code == 200
    with django_assert_max_num_queries(26):  # measured 26 for 3 and 20 reps (a team picked)
        response = client.get(f"{URL}?{WEEK}&team={team.pk}")
    assert _trend_row(response.content.decode(), "2026-03-27")[1] == str(n)


def test_the_trends_export_through_the_one_csv_writer_equals_the_raw_rows(
    client, world, supervisor_user
):
    from tests.reports.history_helpers import csv_rows

    alice, bob, zoe, mine = world
    client.force_login(supervisor_user)
    rows = csv_rows(client.get(f"{URL}?{WEEK}&representative={alice.pk}&export=trends"))
    assert rows[0][:3] == ["Series", "Date", "Conversations handled"]
    series = {(r[0], r[1]): r for r in rows[1:]}
    for label, reps in (("Alice", [alice]), ("All your representatives", [alice, bob])):
        for day, f in by_hand(reps).items():
            row = series[(label, day.isoformat())]
            assert [int(row[2]), int(row[4]), int(row[5]), int(row[6])] == [
                f["handled"],
                f["offers"],
                f["rejected"],
                f["missed"],
            ]
        total = series[(label, "Total")]
        assert int(total[2]) == sum(f["handled"] for f in by_hand(reps).values())
    assert not any(r[0] == "Zoe" for r in rows)


def test_r5_a_picked_rep_has_the_stacked_time_in_status_of_their_team_per_day(
    client, world, supervisor_user
):
    alice, bob, zoe, mine = world
    client.force_login(supervisor_user)
    page = client.get(f"{URL}?{WEEK}&representative={alice.pk}").content.decode()
    chart = re.search(
        r'<figure class="stack-chart" id="chart-by-day-team">.*?</figure>', page, re.S
    )
    assert chart is not None
    # Alice and Bob (never Zoe) Available all day: 48 h on a 24-hour day, 46 h on the 23-hour day.
    assert "All your representatives, Sat 28 Mar: Available 48:00:00" in chart.group(0)
    assert "All your representatives, Sun 29 Mar: Available 46:00:00" in chart.group(0)
    page = client.get(f"{URL}?{WEEK}").content.decode()
    assert 'id="chart-by-day-team"' not in page  # no rep picked: the report is the team
