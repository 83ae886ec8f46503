"""Real-time reports (R1 agents, R1 drill-down, R2 ongoing conversations) and supervisor actions.

Every view checks its permission (A3, via portal.permissions) and scopes its data in the query
(A2: reports.realtime.selectors / presence.selectors). A page's live region is a named partial
of the page template; htmx requests (filters, sorting, paging, polling) get only that partial.
Rule violations (ApplicationError) become a message on the page, in one place: `portal.pages.act`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_tables2 import RequestConfig

from portal.exceptions import NotFound
from portal.pages import act, next_url, render_page
from portal.permissions import require_permission
from portal.templatetags.html_values import datetime_attr
from presence import engine, services
from presence.models import Channel, ConversationState, Representative
from presence.selectors import (
    conversations_visible_to,
    representative_for,
    representative_presence_detail,
    representatives_visible_to,
)
from reports.alerts import selectors as alert_selectors
from reports.alerts.views import banner_context

from . import selectors
from .filters import AgentFilter, OngoingFilter
from .formatting import clock, elapsed
from .forms import SetPresenceForm
from .live import shared_fragment
from .tables import AgentTable, OngoingTable

S = ConversationState
VIEW = "presence.view_reports"
MANAGE = "presence.manage_presence"
FORCE_CLOSE = "presence.force_close_conversation"


# --- Helpers ------------------------------------------------------------------------------------


def _render(
    request: HttpRequest, template: str, partial: str, context: dict, *, tz
) -> HttpResponse:
    """A report page or its live region, with what every report shows (refresh, zone, actions)."""
    context = {
        **context,
        "refresh_seconds": settings.REPORT_REFRESH_SECONDS,
        # The polling while the live stream is down (live.py).
        "poll_seconds": settings.REPORT_POLL_SECONDS or settings.REPORT_REFRESH_SECONDS,
        "viewer_tz": tz,
        "can_manage": request.user.has_perm(MANAGE),
        "can_force_close": request.user.has_perm(FORCE_CLOSE),
    }
    return render_page(request, template, context, partial=partial, tz=tz)


class _CountedPaginator(Paginator):
    """A paginator told how many rows there are, when a query of the page counted them already."""

    def __init__(self, object_list, per_page, *, count: int, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.count = count  # replaces the cached property: no SELECT COUNT(*)


def _paginate(table, request: HttpRequest, *, count: int | None = None) -> None:
    """SQL-level paging (LIMIT/OFFSET); the page size is fixed, a bad page number shows page 1.
    `count`: the number of rows of the table, when the caller has it (one query less)."""
    options = {"per_page": table._meta.per_page}
    if count is not None:
        options.update(paginator_class=_CountedPaginator, count=count)
    try:
        table.paginate(page=request.GET.get("page", 1), **options)
    except PageNotAnInteger:
        table.paginate(page=1, **options)
    except EmptyPage:
        table.paginate(page=table.paginator.num_pages, **options)


def _records(table) -> list:
    return [row.record for row in table.page.object_list]


def _id_url(name: str) -> Callable[[int | None], str]:
    """The URL of `name` for any id: reverse() once per page, not once per row of the grid."""
    sentinel = "2147483647"
    pattern = reverse(name, args=[int(sentinel)])
    return lambda pk: pattern.replace(sentinel, str(pk)) if pk else ""


def _scoped_representative(request: HttpRequest, representative_id: int) -> Representative:
    """A2: a rep outside the user's teams is a 404, whatever URL was typed."""
    try:
        return representative_for(user=request.user, representative_id=representative_id)
    except NotFound as exc:
        raise Http404(exc.detail) from exc


# --- R1: agents report --------------------------------------------------------------------------


@require_permission(VIEW)
@require_GET
@shared_fragment("agents-results")
def agents(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    user = request.user
    tz = selectors.viewer_timezone(user=user)
    filterset = AgentFilter(
        request.GET or None,
        queryset=representatives_visible_to(user=user),
        user=user,
    )
    reps = selectors.pinned(filterset.qs)  # ids of a team-sized scope
    tab = request.GET.get("tab")
    tab = tab if tab in selectors.TABS else selectors.TAB_SIGNED_IN
    summary = selectors.agents_summary(representatives=reps, now=now)
    kpis = summary.kpis
    # The table sorts (the request's sort) and pages (told the count the KPI query has); the
    # page's rows are read in the order it chose by one statement (agents_page), so its own
    # queryset, the grid's sort keys over no rows, is never evaluated.
    table = AgentTable(selectors.agents_sort_keys())
    RequestConfig(request, paginate=False).configure(table)
    _paginate(table, request, count=kpis.tab_counts[tab])
    start = (table.page.number - 1) * table.paginator.per_page
    records = selectors.agents_page(
        reps,
        tab=tab,
        now=now,
        order_by=table.data.data.query.order_by,
        start=start,
        stop=start + table.paginator.per_page,
    )
    details = selectors.agents_page_details(representatives=records, now=now)
    detail_url = _id_url("reports:agent_detail")
    banner = alert_selectors.open_alerts(user=user)
    alerted = (  # badges: only when an alert is open at all (1 query less on a quiet floor)
        alert_selectors.alerted_representatives(
            user=user, representative_ids=[rep.pk for rep in records]
        )
        if banner.count
        else set()
    )
    for rep in records:
        rep.detail_url = detail_url(rep.pk)
        rep.alerted = rep.pk in alerted
    context = {
        "filter": filterset,
        "tab": tab,
        "tabs": [
            (key, label, kpis.tab_counts[key])
            for key, label in (
                (selectors.TAB_SIGNED_IN, "Signed in"),
                (selectors.TAB_OFFLINE, "Offline (last 24 h)"),
                (selectors.TAB_WITH_WORK, "With work"),
            )
        ],
        "kpis": kpis,
        "chart": summary.chart,
        "table": table,
        "rows": [(rep, details[rep.pk]) for rep in records],
        "alerts": banner_context(request=request, banner=banner, now=now, tz=tz),
        "now": now,
    }
    return _render(request, "reports/agents.html", "results", context, tz=tz)


# --- R1: drill-down and supervisor actions ------------------------------------------------------


@require_permission(VIEW)
@require_GET
@shared_fragment("agent-live")
def agent_detail(request: HttpRequest, representative_id: int) -> HttpResponse:
    rep = _scoped_representative(request, representative_id)
    now = timezone.now()
    rep_tz = selectors.zone_named(rep.timezone)
    day_start, day_end, segments = selectors.representative_timeline(
        representative=rep, now=now, tz=rep_tz
    )
    hours = (day_end - day_start).total_seconds() / 3600
    context = {
        "rep": rep,
        "rep_tz": rep_tz,
        "detail": representative_presence_detail(
            representative=rep, now=now, in_rep_language=False
        ),  # C4: the admin's text
        "day_start": day_start,
        "segments": segments,
        "ticks": [
            {"label": f"{h:02d}:00", "left": round(100 * h / hours, 3), "major": h % 6 == 0}
            for h in range(0, int(hours) + 1, 3)
        ],
        "now_left": round(100 * (now - day_start).total_seconds() / (hours * 3600), 3),
        "recent": selectors.representative_recent_time(representative=rep, now=now),
        "conversations": selectors.representative_conversations(representative=rep, now=now),
        "form": SetPresenceForm() if request.user.has_perm(MANAGE) else None,
        # Issue 16: the oldest queued conversations, to assign to this rep (not live: a link list).
        "queued": list(
            conversations_visible_to(user=request.user)
            .filter(state=S.OPEN)
            .select_related("workstream")
            .order_by("state_changed_at", "pk")[:10]
        )
        if request.user.has_perm(MANAGE)
        else [],
        "alerts": banner_context(
            request=request,
            banner=alert_selectors.open_alerts(user=request.user, representative=rep),
            now=now,
            tz=rep_tz,
        ),
        "now": now,
    }
    refusal = engine.presence_change_refusal(
        signed_in=context["detail"]["signed_in"], disconnected=context["detail"]["disconnected"]
    )
    context["actions_refusal"] = refusal[1] if refusal else ""  # S1, S4: buttons off, and why
    # One zone per page: the rep's, in which "today" is cut (representative_timeline).
    return _render(request, "reports/agent_detail.html", "live", context, tz=rep_tz)


@require_permission(MANAGE)
@require_POST
def agent_set_presence(request: HttpRequest, representative_id: int) -> HttpResponse:
    """P7: set a rep's presence (source supervisor; audited by the service, A4)."""
    rep = _scoped_representative(request, representative_id)
    back = next_url(request, reverse("reports:agent_detail", args=[rep.pk]))  # before the write
    form = SetPresenceForm(request.POST)
    if not form.is_valid():
        errors = "; ".join(f"{form.fields[f].label}: {' '.join(e)}" for f, e in form.errors.items())
        messages.error(request, f"Presence not changed. {errors}")
    else:
        status = form.cleaned_data["status"]

        def action() -> str:
            services.presence_set_by_supervisor(
                representative=rep, status=status, actor=request.user, now=timezone.now()
            )
            return f"{rep.name} is now {status.presence_text}."

        act(request, action)
    return redirect(back)


@require_permission(MANAGE)
@require_POST
def agent_reset_presence(request: HttpRequest, representative_id: int) -> HttpResponse:
    """P5: reset to the capacity presence (audited by the service when the actor is not the rep)."""
    rep = _scoped_representative(request, representative_id)
    back = next_url(request, reverse("reports:agent_detail", args=[rep.pk]))  # before the write

    def action() -> str:
        outcome = services.presence_reset(
            representative=rep, actor=request.user, now=timezone.now()
        )
        return (
            f"{rep.name}'s presence was reset: {outcome.status.presence_text} ({outcome.reason})."
        )

    act(request, action)
    return redirect(back)


# --- R2: ongoing conversations ------------------------------------------------------------------

STATE_LABELS = dict(ConversationState.choices)
CHANNEL_LABELS = dict(Channel.choices)


def _ongoing_rows(conversations, *, now, tz, back: str) -> list[dict[str, Any]]:
    """The grid's cells as text, formatted once per row here rather than by filters per cell in
    the template: the page polls every few seconds, and 25 rows of `date`, `elapsed` and label
    lookups cost more than its SQL (docs/performance.md). Times are in the viewer's zone `tz`."""
    detail_url, force_close_url = _id_url("reports:agent_detail"), _id_url("reports:force_close")
    next_here = f"?next={quote(back)}"  # where Force close returns to: this very view
    move = _move_urls()  # issue 16: assign, transfer, release (views_floor)
    rows = []
    for c in conversations:
        changed, active = c.state_changed_at.astimezone(tz), c.last_activity_at.astimezone(tz)
        rows.append(
            {
                "id": str(c.pk),
                "stuck": c.stuck,
                "representative": c.representative.name if c.representative else None,
                "detail_url": detail_url(c.representative_id),
                "workstream": c.workstream.name,
                "channel": CHANNEL_LABELS.get(c.workstream.channel, c.workstream.channel),
                "state": STATE_LABELS.get(c.state, c.state),
                "time_in_state": elapsed(changed, now),
                "state_since": f"{changed:%Y-%m-%d %H:%M:%S}",
                "last_activity": datetime_attr(active),
                "last_activity_time": clock(active, tz=tz, now=now),
                "last_activity_ago": elapsed(active, now),
                "force_close_url": force_close_url(c.pk) + next_here,
                **{
                    f"{action}_url": url(c.pk) + next_here
                    for action, url in move.items()
                    if c.state == (S.OPEN if action == "assign" else S.ACTIVE)
                },
            }
        )
    return rows


def _move_urls() -> dict[str, Callable[[int], str]]:
    """The URL of each supervisor move of a conversation for any id (issue 16): reverse() once."""
    sentinel = "2147483647"
    urls = {}
    for action in ("assign", "transfer", "release"):
        pattern = reverse("reports:conversation_move", args=[int(sentinel), action])
        urls[action] = lambda pk, pattern=pattern: pattern.replace(sentinel, str(pk))
    return urls


@require_permission(VIEW)
@require_GET
@shared_fragment("ongoing-results")
def ongoing(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    user = request.user
    tz = selectors.viewer_timezone(user=user)
    filterset = OngoingFilter(
        request.GET or None,
        queryset=selectors.ongoing_conversations(user=user, now=now),
        user=user,
        now=now,
    )
    conversations = filterset.qs
    kpis = selectors.ongoing_kpis(conversations=conversations, now=now)
    table = OngoingTable(conversations.order_by("-stuck", "state_changed_at", "pk"))
    RequestConfig(request, paginate=False).configure(table)
    _paginate(table, request, count=kpis.total)  # the KPI query counted the same rows
    rows = _ongoing_rows(_records(table), now=now, tz=tz, back=request.get_full_path())
    banner = alert_selectors.open_alerts(user=user)
    alerted = (
        alert_selectors.alerted_conversations(
            user=user, conversation_ids=[int(row["id"]) for row in rows]
        )
        if banner.count
        else set()
    )
    for row in rows:
        row["alert"] = int(row["id"]) in alerted
    context = {
        "filter": filterset,
        "kpis": kpis,
        "table": table,
        "rows": rows,
        "alerts": banner_context(request=request, banner=banner, now=now, tz=tz),
        "now": now,
        "stuck_hours": round(settings.CONVERSATION_STUCK_AFTER_SECONDS / 3600, 1),
    }
    return _render(request, "reports/ongoing.html", "results", context, tz=tz)


@require_permission(FORCE_CLOSE)
@require_http_methods(["GET", "POST"])
def force_close(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """V3: GET asks for confirmation, POST force-closes (releases capacity, recalculates presence)."""
    now = timezone.now()
    conversation = (
        conversations_visible_to(user=request.user)
        .filter(pk=conversation_id)
        .select_related("representative", "workstream")
        .first()
    )
    if conversation is None:
        raise Http404(f"No conversation {conversation_id} that you can see.")
    back = next_url(request, reverse("reports:ongoing"))
    if request.method == "POST":
        rep = conversation.representative

        def action() -> str:
            services.conversation_force_close(
                conversation=conversation, actor=request.user, now=timezone.now()
            )
            freed = f" {rep.name}'s capacity is released." if rep else ""
            return f"Conversation {conversation.pk} was force-closed.{freed}"

        act(request, action)
        return redirect(back)
    context = {
        "conversation": conversation,
        "stuck": conversation.state in selectors.WORK_STATES
        and conversation.last_activity_at <= selectors.stuck_cutoff(now=now),
        "closable": conversation.state in selectors.ONGOING_STATES,
        "back": back,
        "now": now,
    }
    tz = selectors.viewer_timezone(user=request.user)
    return render_page(request, "reports/force_close_confirm.html", context, tz=tz)
