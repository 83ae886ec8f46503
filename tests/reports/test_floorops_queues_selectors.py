"""Issue 16: every queue figure equals an independent computation from the raw rows, for an
admin and for a supervisor (A2), with "today" cut in each workstream's zone; a fixed number of
queries whatever the number of reps and conversations."""

import datetime as dt

import pytest

from presence.selectors import representatives_visible_to
from reports.realtime import selectors
from tests.reports.queues_helpers import build_queue_floor, expected_queues, figures_dict
from tests.reports.realtime_helpers import many_reps

pytestmark = pytest.mark.django_db


@pytest.fixture
def qfloor(now):
    return build_queue_floor(now=now)


def _by_ws(user, now, **kwargs):
    figures = selectors.queue_figures(
        representatives=representatives_visible_to(user=user), now=now, **kwargs
    )
    return {f.workstream.pk: f for f in figures}


@pytest.mark.parametrize("who", ["admin", "supervisor"])
def test_v4_k6_every_queue_figure_equals_the_raw_rows(qfloor, now, who):
    user = getattr(qfloor, who)
    rep_ids = set(representatives_visible_to(user=user).values_list("pk", flat=True))
    expected = expected_queues(rep_ids=rep_ids, now=now)
    got = _by_ws(user, now)
    assert set(got) == set(expected)
    for ws_id, figures in got.items():
        mine = figures_dict(figures)
        want = expected[ws_id]
        assert mine.pop("average_answer_seconds") == pytest.approx(
            want.pop("average_answer_seconds")
        )
        want_rest = {k: v for k, v in want.items() if k != "average_answer_seconds"}
        assert mine == want_rest, figures.workstream.name


def test_queue_figures_by_hand_for_the_supervisor(qfloor, now):
    """The same figures, worked out by hand from the floor's story (a check of the check)."""
    got = _by_ws(qfloor.supervisor, now)
    chat, email, tokyo = got[qfloor.chat.pk], got[qfloor.email.pk], got[qfloor.tokyo.pk]
    # Chat (UTC): c3, c4, c6 wait, c6 since 300 s; offers of the supervisor's reps today: c2 to a
    # (rejected), c6 to a (missed); answered today c1 (10 s) and c2 (60 s); c5 was yesterday.
    assert (chat.waiting, chat.longest_wait_seconds) == (3, 300)
    assert (chat.offered, chat.accepted, chat.rejected, chat.missed) == (2, 0, 1, 1)
    assert (chat.answered, chat.within_service_level, chat.service_level_percent) == (2, 1, 50.0)
    assert chat.average_answer_seconds == pytest.approx(35)
    # V4, K6: a (busy, 2 units free) may take chat; b's blocking profile is full; c is in DND.
    assert (chat.may_take, chat.free_units) == (1, 2)
    # Email (New York, day from 05:00 UTC): c8 answered at 04:36 UTC is yesterday there; c7's
    # first answer (30 s) counts, not its re-assignment. DND is allowed here: a and c.
    assert (email.answered, email.within_service_level) == (1, 1)
    assert email.average_answer_seconds == pytest.approx(30)
    assert (email.may_take, email.free_units) == (2, 2)
    # Tokyo (day from 15:00 UTC yesterday): c11 (3,610 s) and c9 (40 s), both over 30 s.
    assert (tokyo.answered, tokyo.within_service_level, tokyo.service_level_percent) == (2, 0, 0.0)
    assert (tokyo.offered, tokyo.rejected, tokyo.accepted) == (1, 1, 0)


def test_a2_rep_figures_are_the_supervisors_reps_queue_figures_are_everyones(qfloor, now):
    admin, supervisor = _by_ws(qfloor.admin, now), _by_ws(qfloor.supervisor, now)
    chat_a, chat_s = admin[qfloor.chat.pk], supervisor[qfloor.chat.pk]
    assert (chat_a.offered, chat_a.accepted) == (3, 1)  # z's accepted offer: not the supervisor's
    assert (chat_s.offered, chat_s.accepted) == (2, 0)
    assert admin[qfloor.email.pk].may_take == 3  # z (DND, over capacity) may take email
    assert supervisor[qfloor.email.pk].may_take == 2
    for ws in (qfloor.chat, qfloor.email, qfloor.tokyo):  # the queue's own figures
        a, s = admin[ws.pk], supervisor[ws.pk]
        assert (a.waiting, a.longest_wait_seconds, a.answered, a.within_service_level) == (
            s.waiting,
            s.longest_wait_seconds,
            s.answered,
            s.within_service_level,
        )


def test_today_moves_with_the_workstreams_time_zone(qfloor, now):
    """The same rows, another zone: New York's day from 05:00 UTC drops what UTC keeps."""
    qfloor.chat.timezone = "America/New_York"
    qfloor.chat.save()
    chat = _by_ws(qfloor.admin, now)[qfloor.chat.pk]
    rep_ids = set(representatives_visible_to(user=qfloor.admin).values_list("pk", flat=True))
    assert (
        figures_dict(chat)["answered"]
        == expected_queues(rep_ids=rep_ids, now=now)[qfloor.chat.pk]["answered"]
    )
    assert chat.day_start == dt.datetime(2036, 11, 24, 5, 0, tzinfo=dt.UTC)


def test_queue_figures_take_a_fixed_number_of_queries(qfloor, now):
    def count(user):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            selectors.queue_figures(representatives=representatives_visible_to(user=user), now=now)
        return len(ctx.captured_queries)

    count(qfloor.supervisor), count(qfloor.admin)  # the permission caches are warm
    before = count(qfloor.supervisor), count(qfloor.admin)
    many_reps(30, team=qfloor.mine, now=now, workstream=qfloor.chat)
    after = count(qfloor.supervisor), count(qfloor.admin)
    assert before == after
    assert max(after) <= 5


def test_move_targets_are_the_signed_in_reps_of_the_viewers_teams(qfloor, now):
    targets = selectors.move_targets(
        representatives=representatives_visible_to(user=qfloor.supervisor),
        workstream=qfloor.chat,
        now=now,
    )
    by_name = {t.name: t for t in targets}
    assert set(by_name) == {"Qa Avail", "Qb Blocked", "Qc Dnd"}  # not Qd (offline), not Qz (A2)
    assert by_name["Qa Avail"].may_take
    assert not by_name["Qb Blocked"].may_take
    assert "Queue chat" in by_name["Qb Blocked"].why_not
    assert not by_name["Qc Dnd"].may_take


def test_team_figures_count_signed_in_reps_by_base_status(qfloor, now):
    from presence.models import Team

    rows = selectors.team_figures(teams=Team.objects.filter(pk=qfloor.mine.pk))
    (mine,) = rows
    assert mine.signed_in == 3
    assert mine.by_base == {"busy": 2, "busy_dnd": 1}  # a, b (units left: P1 busy); c


def test_k4_k6_an_end_of_day_blocking_profile_blocks_until_the_reps_midnight(qfloor, now):
    """A closed conversation still counts against an end-of-day profile (K4): at its limit and
    blocking, the rep may not take work (K6), in the selector as in the raw rows."""
    from presence import services
    from presence.models import ResetFrequency
    from tests.factories import CapacityProfileFactory, RepresentativeProfileFactory

    eod = CapacityProfileFactory(
        name="EOD block", limit=1, blocking=True, reset_frequency=ResetFrequency.END_OF_DAY
    )
    qfloor.tokyo.capacity_profile = eod
    qfloor.tokyo.save()
    a = qfloor.reps["a"]
    RepresentativeProfileFactory(representative=a, profile=eod)
    c = services.conversation_create(workstream=qfloor.tokyo, now=now)
    services.conversation_assign(conversation=c, representative=a, force=True, now=now)
    services.conversation_close(conversation=c, now=now)
    rep_ids = set(representatives_visible_to(user=qfloor.supervisor).values_list("pk", flat=True))
    expected = expected_queues(rep_ids=rep_ids, now=now)
    got = _by_ws(qfloor.supervisor, now)
    assert got[qfloor.chat.pk].may_take == expected[qfloor.chat.pk]["may_take"] == 0
    for ws_id, figures in got.items():
        assert figures.may_take == expected[ws_id]["may_take"]
        assert figures.free_units == expected[ws_id]["free_units"]
