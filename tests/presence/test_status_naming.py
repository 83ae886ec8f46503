"""Review finding 16: one naming rule for statuses, one order for status dropdowns, and natural
order of people's names (on the database, so paginated tables sort the same way)."""

import re

import pytest
from django.urls import reverse

from presence import services
from presence.collation import natural_key
from presence.models import PresenceStatus, Representative, Team, status_label
from tests.clock import T0
from tests.factories import PresenceStatusFactory, RepresentativeFactory, TeamFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("now")]  # the tests' clock

B2_ORDER = ["available", "busy", "dnd", "away", "offline", "inactive"]


def options(html: str, select_name: str) -> list[str]:
    select = re.search(rf'<select name="{select_name}"[^>]*>(.*?)</select>', html, re.S).group(1)
    return [
        re.sub(r"<[^>]+>", "", o).strip()
        for o in re.findall(r"<option[^>]*>.*?</option>", select, re.S)
    ]


def test_status_label_names_the_admins_name_only_where_it_differs():
    """Review finding 16: "In training (Training)"; "Lunch" when text and name agree."""
    assert status_label(presence_text="In training", name="Training") == "In training (Training)"
    assert status_label(presence_text="Lunch", name="lunch") == "Lunch"


def test_status_dropdowns_list_builtins_in_b2_order_then_custom_by_name():
    """Review finding 16: one order, from one queryset method, on every database."""
    PresenceStatusFactory(name="zulu break", base_status="away")
    PresenceStatusFactory(name="Admin work", base_status="busy")
    keys = [s.builtin_key or s.name for s in PresenceStatus.objects.in_display_order()]
    assert keys == [*B2_ORDER, "Admin work", "zulu break"]


def test_supervisor_dropdown_and_rep_console_name_a_status_by_one_rule(
    client, supervisor_user, rep_user
):
    """Review finding 16: the supervisor's set-presence dropdown says "In training (Training)",
    the rep's console says "In training" (the text reps see), both in the same order."""
    PresenceStatusFactory(name="Training", presence_text="In training", base_status="away")
    team = TeamFactory(name="Floor")
    team.supervisors.add(supervisor_user)
    rep = RepresentativeFactory(name="Ada", user=rep_user, teams=[team])
    services.client_connect(representative=rep, now=T0)
    client.force_login(supervisor_user)
    page = client.get(reverse("reports:agent_detail", args=[rep.pk])).content.decode()
    supervisor_options = options(page, "status")
    assert "In training (Training)" in supervisor_options
    assert "Training" not in supervisor_options
    assert supervisor_options[:4] == ["Available", "Busy", "Do not disturb", "Appear away"]
    client.force_login(rep_user)
    console = client.get(reverse("presence:console")).content.decode()
    rep_options = options(console, "status")
    assert "In training" in rep_options
    assert not any("(Training)" in o for o in rep_options)
    assert rep_options[1:5] == ["Available", "Busy", "Do not disturb", "Appear away"]


def test_names_sort_naturally_in_the_database():
    """Review finding 16: "rep 2" before "rep 10", case aside, for reps and teams, by a plain
    order_by("name") (what tables, paginators and dropdowns do)."""
    for name in ("rep 10", "Rep 2", "rep 1", "rep 1b", "Bea"):
        RepresentativeFactory(name=name)
        TeamFactory(name=f"team {name}")
    assert list(Representative.objects.order_by("name").values_list("name", flat=True)) == [
        "Bea",
        "rep 1",
        "rep 1b",
        "Rep 2",
        "rep 10",
    ]
    teams = list(Team.objects.order_by("-name").values_list("name", flat=True))
    assert teams[:2] == ["team rep 10", "team Rep 2"]
    assert Representative.objects.filter(name="Rep 2").count() == 1  # equality stays exact
    assert Representative.objects.filter(name__icontains="REP 1").count() == 3
    assert sorted(["x10", "x9"], key=natural_key) == ["x9", "x10"]


def test_agents_report_grid_pages_representatives_in_natural_order(client, admin_user):
    """Review finding 16: the paginated grid sorts in SQL, naturally."""
    now = T0
    for i in (10, 2, 1, 30, 3):
        services.client_connect(representative=RepresentativeFactory(name=f"rep {i}"), now=now)
    client.force_login(admin_user)
    page = client.get(reverse("reports:agents")).content.decode()
    names = re.findall(r'class="rep-link"[^>]*>([^<]+)</a>', page)
    assert names == ["rep 1", "rep 2", "rep 3", "rep 10", "rep 30"]
