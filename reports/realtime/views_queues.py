"""Issue 16: the queues report (`/reports/queues/`), its drill-down to one queue's waiting
conversations, and the wallboard (`/reports/wallboard/`).

Live as the agents report is: the report stream (`page=queues` / `wallboard`, which also hear
the queue) tells the page to fetch its region, and the viewers of one scope share the window's
rendering (`shared_fragment`). Scope (A2) as reports.realtime.selectors.queues says: queues are
global, rep-derived figures count the viewer's reps only, and the wallboard's teams are the
viewer's teams.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from portal.pages import render_page
from portal.permissions import require_permission
from presence.models import Workstream
from presence.selectors import representatives_visible_to, teams_visible_to
from reports.alerts import selectors as alert_selectors
from reports.alerts.views import banner_context
from reports.models import AlertKind

from . import selectors
from .formatting import elapsed
from .live import shared_fragment
from .views import _render

VIEW = "presence.view_reports"
MANAGE = "presence.manage_presence"


def _seconds_text(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, s = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {s:02d} s"
    hours, m = divmod(minutes, 60)
    return f"{hours} h {m:02d} min"


def _rows(figures, alerted: dict[int, set[str]] | None = None) -> list[dict]:
    """`alerted`: the kinds of open alert per workstream (alert_selectors.alerted_workstreams)."""
    detail = reverse("reports:queue_detail", args=[2147483647])
    alerted = alerted or {}
    rows = []
    for f in figures:
        kinds = alerted.get(f.workstream.pk, set())
        sl = f.service_level_percent
        rows.append(
            {
                "f": f,
                "id": f.workstream.pk,
                "name": f.workstream.name,
                "channel": f.workstream.get_channel_display(),
                "zone": str(f.zone),
                "longest_wait": _seconds_text(f.longest_wait_seconds),
                "asa": _seconds_text(f.average_answer_seconds),
                "service_level": "—" if sl is None else f"{sl:g} %",
                "threshold": f.workstream.service_level_seconds,
                "detail_url": detail.replace("2147483647", str(f.workstream.pk)),
                "wait_alert": AlertKind.QUEUE_WAIT in kinds,
                "service_level_alert": AlertKind.SERVICE_LEVEL in kinds,
            }
        )
    return rows


@require_permission(VIEW)
@require_GET
@shared_fragment("queues-results")
def queues(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    user = request.user
    tz = selectors.viewer_timezone(user=user)
    figures = selectors.queue_figures(
        representatives=representatives_visible_to(user=user), now=now
    )
    # The queues' own alerts (longest wait, service level): a banner, and badges on the figure
    # concerned (1 query on a quiet floor, 3 with alerts).
    banner = alert_selectors.open_alerts(user=user, within=alert_selectors.queue_alerts_q())
    alerted = (
        alert_selectors.alerted_workstreams(
            user=user, workstream_ids=[f.workstream.pk for f in figures]
        )
        if banner.count
        else {}
    )
    context = {
        "rows": _rows(figures, alerted),
        "totals": {"waiting": sum(f.waiting for f in figures)},
        "alerts": banner_context(request=request, banner=banner, now=now, tz=tz),
        "now": now,
    }
    return _render(request, "reports/queues.html", "results", context, tz=tz)


@require_permission(VIEW)
@require_GET
@shared_fragment("queue-live")
def queue_detail(request: HttpRequest, workstream_id: int) -> HttpResponse:
    """The waiting conversations of one queue, longest first; Assign for a supervisor who may."""
    workstream = Workstream.objects.filter(pk=workstream_id).first()
    if workstream is None:
        raise Http404(f"No workstream {workstream_id}.")
    now = timezone.now()
    user = request.user
    tz = selectors.viewer_timezone(user=user)
    (figures,) = selectors.queue_figures(
        representatives=representatives_visible_to(user=user),
        now=now,
        workstream_ids=[workstream.pk],
    )
    here = request.path
    assign = reverse("reports:conversation_move", args=[2147483647, "assign"])
    waiting = [
        {
            "c": c,
            "wait": elapsed(c.state_changed_at, now),
            "since": c.state_changed_at,
            "assign_url": assign.replace("2147483647", str(c.pk)) + "?" + urlencode({"next": here}),
        }
        for c in selectors.waiting_conversations(workstream=workstream)
    ]
    banner = alert_selectors.open_alerts(
        user=user, within=alert_selectors.queue_alerts_q(workstream_ids=[workstream.pk])
    )
    alerted = (
        alert_selectors.alerted_workstreams(user=user, workstream_ids=[workstream.pk])
        if banner.count
        else {}
    )
    context = {
        "workstream": workstream,
        "row": _rows([figures], alerted)[0],
        "alerts": banner_context(request=request, banner=banner, now=now, tz=tz),
        "waiting": waiting,
        "now": now,
    }
    return _render(request, "reports/queue_detail.html", "live", context, tz=tz)


# --- The wallboard --------------------------------------------------------------------------


def _ids(values: list[str]) -> list[int]:
    ids = []
    for value in values:
        try:
            ids.append(int(value))
        except ValueError:
            continue
    return ids


@require_permission(VIEW)
@require_http_methods(["GET", "POST"])
@shared_fragment("wallboard-live")
def wallboard(request: HttpRequest) -> HttpResponse:
    """Without `show`: the small form that chooses queues and teams. With `show`: the full-screen
    board, live, no controls. POST (the form's "Open the wallboard") keeps this browser signed in
    for one shift when asked (settings.WALLBOARD_SESSION_SECONDS), then redirects to the board."""
    user = request.user
    teams = teams_visible_to(user=user)  # A2: only the viewer's teams can be chosen
    workstreams = Workstream.objects.order_by("name", "pk")
    data = request.POST if request.method == "POST" else request.GET
    chosen_ws = _ids(data.getlist("queue"))
    chosen_teams = _ids(data.getlist("team"))
    if request.method == "POST":
        query = (
            [("show", "1")]
            + [("queue", i) for i in chosen_ws]
            + [("team", i) for i in chosen_teams]
        )
        if data.get("shift"):
            request.session.set_expiry(settings.WALLBOARD_SESSION_SECONDS)
        return redirect(f"{reverse('reports:wallboard')}?{urlencode(query)}")
    now = timezone.now()
    tz = selectors.viewer_timezone(user=user)
    if not data.get("show"):
        context = {
            "workstreams": workstreams,
            "teams": teams,
            "chosen_ws": chosen_ws,
            "chosen_teams": chosen_teams,
            "shift_hours": round(settings.WALLBOARD_SESSION_SECONDS / 3600, 1),
            "now": now,
        }
        return render_page(request, "reports/wallboard_choose.html", context, tz=tz)
    figures = selectors.queue_figures(
        representatives=representatives_visible_to(user=user),
        now=now,
        workstream_ids=chosen_ws or None,
    )
    team_rows = selectors.team_figures(
        teams=teams.filter(pk__in=chosen_teams) if chosen_teams else teams
    )
    # The active alerts of these queues and teams, in the viewer's scope (A2): 2 queries.
    banner = alert_selectors.open_alerts(
        user=user,
        within=alert_selectors.wallboard_q(
            workstream_ids=chosen_ws or None,
            team_ids=[t.team.pk for t in team_rows] if chosen_teams else None,
        ),
    )
    context = {
        "rows": _rows(figures),
        "team_rows": team_rows,
        "alerts": banner_context(request=request, banner=banner, now=now, tz=tz, acknowledge=False),
        "now": now,
    }
    return _render(request, "reports/wallboard.html", "live", context, tz=tz)
