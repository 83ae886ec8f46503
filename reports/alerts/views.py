"""Supervisors' side of alerts: the banner and badges of the live reports (rows built here for
reports.realtime.views), acknowledging a breach (audited, A4), and the history at
/reports/alerts/ with its CSV export (portal.csv_export). Every view checks its permission (A3)
and reads through selectors.breaches_visible_to (A2, in the query)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from portal.csv_export import csv_response
from portal.formatting import clock
from portal.pages import act, next_url, page_number, render_page
from portal.permissions import require_permission
from reports.models import AlertBreach
from reports.realtime.formatting import duration, elapsed
from reports.realtime.selectors import viewer_timezone

from . import selectors, services
from .forms import AlertHistoryForm

VIEW = "presence.view_reports"
ACKNOWLEDGE = "presence.manage_presence"
PER_PAGE = 50


def _ack_url(pk: int, back: str) -> str:
    return reverse("reports:alert_acknowledge", args=[pk]) + f"?next={quote(back)}"


def banner_context(
    *,
    request: HttpRequest,
    banner: selectors.Banner,
    now: dt.datetime,
    tz,
    acknowledge: bool = True,
) -> dict:
    """What the banner include (reports/_alerts_banner.html) shows, as text: no query.
    `acknowledge=False` (the wallboard: no controls): no acknowledge links."""
    back = request.get_full_path()
    can_ack = acknowledge and request.user.has_perm(ACKNOWLEDGE)
    rows = []
    for b in banner.breaches:
        rows.append(
            {
                "id": b.pk,
                "rule": b.rule.name,
                "condition": selectors.rule_condition(b.rule),
                "subject": selectors.breach_subject(b),
                "for": elapsed(b.started_at, now),
                "since": clock(b.started_at, tz=tz, now=now),
                "acknowledged_by": b.acknowledged_by.get_username() if b.acknowledged_by else "",
                "acknowledged": b.acknowledged_at is not None,
                "ack_url": _ack_url(b.pk, back) if can_ack else "",
            }
        )
    return {
        "count": banner.count,
        "unacknowledged": banner.unacknowledged,
        "rows": rows,
        "more": banner.count - len(rows),
    }


def _scoped_breach(request: HttpRequest, breach_id: int) -> AlertBreach:
    breach = (
        selectors.with_names(selectors.breaches_visible_to(user=request.user))
        .filter(pk=breach_id)
        .first()
    )
    if breach is None:
        raise Http404(f"No alert {breach_id} that you can see.")
    return breach


@require_permission(ACKNOWLEDGE)
@require_http_methods(["GET", "POST"])
def acknowledge(request: HttpRequest, breach_id: int) -> HttpResponse:
    """GET asks for confirmation (the live regions carry links, never forms: their rendering is
    shared between viewers), POST acknowledges."""
    breach = _scoped_breach(request, breach_id)
    back = next_url(request, reverse("reports:alerts"))
    if request.method == "POST":

        def action() -> str:
            services.alert_acknowledge(breach=breach, actor=request.user, now=timezone.now())
            return (
                f'Alert "{breach.rule.name}" for {selectors.breach_subject(breach)} acknowledged.'
            )

        act(request, action)
        return redirect(back)
    now = timezone.now()
    tz = viewer_timezone(user=request.user)
    context = {
        "breach": breach,
        "subject": selectors.breach_subject(breach),
        "condition": selectors.rule_condition(breach.rule),
        "since": clock(breach.started_at, tz=tz, now=now),
        "for": elapsed(breach.started_at, now),
        "back": back,
        "viewer_tz": tz,
        "now": now,
    }
    return render_page(request, "reports/alert_acknowledge.html", context, tz=tz)


# --- History -----------------------------------------------------------------------------------


def _history(request: HttpRequest, form: AlertHistoryForm, *, tz):
    breaches = selectors.breaches_visible_to(user=request.user)
    if form.is_valid():
        data = form.cleaned_data
        if data.get("start"):
            start = dt.datetime.combine(data["start"], dt.time(), tzinfo=tz)
            breaches = breaches.exclude(ended_at__lt=start)
        if data.get("end"):
            end = dt.datetime.combine(data["end"] + dt.timedelta(days=1), dt.time(), tzinfo=tz)
            breaches = breaches.filter(started_at__lt=end)
        if data.get("kind"):
            breaches = breaches.filter(rule__kind=data["kind"])
        if data.get("rule"):
            breaches = breaches.filter(rule=data["rule"])
        if data.get("state") == "open":
            breaches = breaches.filter(ended_at__isnull=True)
        elif data.get("state") == "ended":
            breaches = breaches.filter(ended_at__isnull=False)
        if data.get("acknowledged") == "yes":
            breaches = breaches.filter(acknowledged_at__isnull=False)
        elif data.get("acknowledged") == "no":
            breaches = breaches.filter(acknowledged_at__isnull=True)
    return selectors.with_names(breaches).order_by("-started_at", "-pk")


def _row(b: AlertBreach, *, now, tz) -> dict:
    end = b.ended_at or now
    return {
        "id": b.pk,
        "rule": b.rule.name,
        "kind": b.rule.get_kind_display(),
        "condition": selectors.rule_condition(b.rule),
        "subject": selectors.breach_subject(b),
        "started": clock(b.started_at, tz=tz, now=now),
        "started_iso": b.started_at.astimezone(tz).isoformat(timespec="seconds"),
        "ended": clock(b.ended_at, tz=tz, now=now) if b.ended_at else "",
        "ended_iso": b.ended_at.astimezone(tz).isoformat(timespec="seconds") if b.ended_at else "",
        "duration": duration((end - b.started_at).total_seconds()),
        "seconds": int((end - b.started_at).total_seconds()),
        "open": b.ended_at is None,
        "acknowledged_by": b.acknowledged_by.get_username() if b.acknowledged_by else "",
        "acknowledged": clock(b.acknowledged_at, tz=tz, now=now) if b.acknowledged_at else "",
        "acknowledged_iso": b.acknowledged_at.astimezone(tz).isoformat(timespec="seconds")
        if b.acknowledged_at
        else "",
    }


@require_permission(VIEW)
@require_GET
def history(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    tz = viewer_timezone(user=request.user)
    form = AlertHistoryForm(request.GET or None)
    breaches = _history(request, form, tz=tz)
    paginator = Paginator(breaches, PER_PAGE)
    page = paginator.get_page(page_number(request))
    back = request.get_full_path()
    can_ack = request.user.has_perm(ACKNOWLEDGE)
    rows = []
    for b in page.object_list:
        row = _row(b, now=now, tz=tz)
        row["ack_url"] = _ack_url(b.pk, back) if can_ack and not b.acknowledged_at else ""
        rows.append(row)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "rows": rows,
        "page": page,
        "query": query.urlencode(),
        "viewer_tz": tz,
        "now": now,
    }
    return render_page(request, "reports/alerts.html", context, partial="results", tz=tz)


@require_permission(VIEW)
@require_GET
def history_csv(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    tz = viewer_timezone(user=request.user)
    form = AlertHistoryForm(request.GET or None)
    if request.GET and not form.is_valid():
        return redirect(reverse("reports:alerts") + "?" + request.GET.urlencode())
    breaches = _history(request, form, tz=tz)

    def rows():
        for b in breaches.iterator(chunk_size=500):
            r = _row(b, now=now, tz=tz)
            yield [
                r["rule"],
                r["kind"],
                r["condition"],
                r["subject"],
                r["started_iso"],
                r["ended_iso"],
                r["seconds"],
                r["acknowledged_by"],
                r["acknowledged_iso"],
            ]

    header = [
        "Alert",
        "Kind",
        "Condition",
        "Subject",
        f"Started ({tz})",
        f"Ended ({tz})",
        "Duration (seconds)",
        "Acknowledged by",
        f"Acknowledged at ({tz})",
    ]
    return csv_response("alerts.csv", header, rows(), bom=True)
