"""Default presence (D1-D4): the representatives list where an admin changes one rep's default in
place (htmx), a bulk change by selection, by filter or by CSV — always previewed first, applied
all-or-nothing after the server builds the plan again — and the CSV export for a round trip.

Reps are always scoped by representatives_visible_to (A2), in the query.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db.models import QuerySet
from django.http import (
    HttpRequest,
    HttpResponse,
    QueryDict,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_tables2 import RequestConfig

from portal.csv_export import csv_response
from portal.exceptions import ApplicationError, Conflict, ValidationFailed
from portal.pages import render_page
from presence.filters import RepresentativeDefaultFilter
from presence.forms import (
    BulkDefaultForm,
    DefaultsCsvForm,
    RepresentativeDefaultForm,
    parse_csv,
)
from presence.models import Representative
from presence.selectors import pickable_statuses, representatives_visible_to
from presence.services import config as services
from presence.tables import PER_PAGE, RepresentativeDefaultTable

from . import admin_required

LIST_TEMPLATE = "presence/config/defaults.html"
PREVIEW_TEMPLATE = "presence/config/defaults_preview.html"
IMPORT_TEMPLATE = "presence/config/defaults_import.html"
SOURCE_SELECTED, SOURCE_FILTER, SOURCE_CSV = "selected", "filter", "csv"


def _scope(request: HttpRequest) -> QuerySet[Representative]:
    return representatives_visible_to(user=request.user)


def _list_url(query: str = "") -> str:
    url = reverse("presence:config_defaults")
    return f"{url}?{query}" if query else url


# --- The list and one rep's default ------------------------------------------------------------


@admin_required
@require_GET
def default_list(request: HttpRequest) -> HttpResponse:
    filterset = RepresentativeDefaultFilter(request.GET or None, queryset=_scope(request))
    reps = filterset.qs.select_related("default_presence").prefetch_related("teams")
    table = RepresentativeDefaultTable(reps)
    RequestConfig(request, paginate={"per_page": PER_PAGE}).configure(table)
    query = request.GET.copy()
    for key in ("page", "sort"):
        query.pop(key, None)
    context = {
        "filter": filterset,
        "table": table,
        "reps": [row.record for row in table.page.object_list],
        "choices": list(pickable_statuses()),
        "filter_query": query.urlencode(),
        "bulk_form": BulkDefaultForm(),
    }
    return render_page(request, LIST_TEMPLATE, context, partial="results")


@admin_required
@require_POST
def default_set(request: HttpRequest, representative_id: int) -> HttpResponse:
    """One rep's default (D2 checked by the service, audited A4); htmx gets the row back."""
    rep = get_object_or_404(_scope(request), pk=representative_id)
    form = RepresentativeDefaultForm(request.POST)
    saved = False
    if form.is_valid():
        status = form.cleaned_data["status"]
        try:
            services.representative_update(
                representative=rep,
                actor=request.user,
                now=timezone.now(),
                default_presence_id=status.pk if status else None,
            )
            saved = True
        except ApplicationError as error:
            form.add_service_error(error)
    error = " ".join(e for errors in form.errors.values() for e in errors)
    if request.htmx:
        rep = (
            _scope(request)
            .select_related("default_presence")
            .prefetch_related("teams")
            .get(pk=rep.pk)
        )
        context = {
            "rep": rep,
            "choices": list(pickable_statuses()),
            "saved": saved,
            "row_error": error,
        }
        return render_page(request, LIST_TEMPLATE + "#row", context)
    if saved:
        label = _status_label(rep.default_presence)
        messages.success(request, f"Default presence of {rep.name}: {label}. Saved and audited.")
    else:
        messages.error(request, f"Default presence of {rep.name} not changed: {error}")
    return redirect(_list_url(request.POST.get("next_query", "")))


# --- D4: bulk by selection, filter or CSV -------------------------------------------------------


def _plan_for_form(request: HttpRequest, data: dict):
    """The plan of a bulk form (selection or filter), built from the database every time."""
    status = data["status"]
    if data["target"] == BulkDefaultForm.FILTER:
        filterset = RepresentativeDefaultFilter(
            QueryDict(data["filter"] or ""), queryset=_scope(request)
        )
        if filterset.is_bound and not filterset.form.is_valid():
            raise ValidationFailed(
                "The filter is not valid any more; filter the list again.", field="filter"
            )
        return services.default_presence_plan_for(representatives=filterset.qs, status=status)
    rows = [
        services.DefaultRow(line=0, representative=f"id:{pk}", status=status.name if status else "")
        for pk in data["representative"]
    ]
    return services.default_presence_plan_from_rows(rows=rows, scope=_scope(request))


def _preview(
    request: HttpRequest, plan, *, source: str, hidden: dict, status_label: str, http_status=200
) -> HttpResponse:
    context = {
        "plan": plan,
        "source": source,
        "hidden": hidden,
        "status_label": status_label,
        "back_url": _list_url(hidden.get("filter", ""))
        if source != SOURCE_CSV
        else reverse("presence:config_defaults_import"),
    }
    return render_page(request, PREVIEW_TEMPLATE, context, status=http_status)


def _bulk_hidden(data: dict) -> dict:
    status = data["status"]
    return {
        "status": status.pk if status else "",
        "target": data["target"],
        "filter": data["filter"] or "",
        "representative": data["representative"],
    }


def _status_label(status) -> str:
    return status.name if status else "No default (Available)"


@admin_required
@require_POST
def defaults_preview(request: HttpRequest) -> HttpResponse:
    """D4: what a bulk change by selection or filter would do; nothing is written here."""
    form = BulkDefaultForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(request, f"{label}: {' '.join(errors)}" if label else " ".join(errors))
        return redirect(_list_url(request.POST.get("filter", "")))
    data = form.cleaned_data
    try:
        plan = _plan_for_form(request, data)
    except ApplicationError as error:
        messages.error(request, error.detail)
        return redirect(_list_url(data["filter"] or ""))
    source = SOURCE_FILTER if data["target"] == BulkDefaultForm.FILTER else SOURCE_SELECTED
    return _preview(
        request,
        plan,
        source=source,
        hidden=_bulk_hidden(data),
        status_label=_status_label(data["status"]),
    )


@admin_required
@require_http_methods(["GET", "POST"])
def defaults_import(request: HttpRequest) -> HttpResponse:
    """D4 by CSV: upload, then the preview of every change and every invalid row."""
    form = DefaultsCsvForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        plan = services.default_presence_plan_from_rows(rows=form.rows, scope=_scope(request))
        return _preview(
            request,
            plan,
            source=SOURCE_CSV,
            hidden={"csv_text": form.text},
            status_label="",
            http_status=200 if plan.is_valid else 400,
        )
    return render_page(request, IMPORT_TEMPLATE, {"form": form}, status=400 if form.errors else 200)


@admin_required
@require_POST
def defaults_apply(request: HttpRequest) -> HttpResponse:
    """D4: builds the plan again from the server's data (the preview is never trusted), refuses
    any invalid row or any difference from what the admin saw, and writes all or nothing."""
    source = request.POST.get("source")
    if source == SOURCE_CSV:
        try:
            rows = parse_csv(request.POST.get("csv_text", ""))
        except forms.ValidationError as error:  # a tampered or truncated form
            messages.error(
                request,
                " ".join(error.messages) + " Nothing was changed.",
            )
            return redirect("presence:config_defaults_import")
        plan = services.default_presence_plan_from_rows(rows=rows, scope=_scope(request))
        hidden, status_label, back = (
            {"csv_text": request.POST.get("csv_text", "")},
            "",
            reverse("presence:config_defaults_import"),
        )
    else:
        form = BulkDefaultForm(request.POST)
        if not form.is_valid():
            messages.error(
                request,
                "The bulk change is not valid any more ("
                + "; ".join(f"{field}: {' '.join(errors)}" for field, errors in form.errors.items())
                + "). Nothing was changed.",
            )
            return redirect(_list_url(request.POST.get("filter", "")))
        data = form.cleaned_data
        try:
            plan = _plan_for_form(request, data)
        except ApplicationError as error:
            messages.error(request, error.detail + " Nothing was changed.")
            return redirect(_list_url(data["filter"] or ""))
        hidden, status_label = _bulk_hidden(data), _status_label(data["status"])
        back = _list_url(data["filter"] or "") if source == SOURCE_FILTER else _list_url()
    if not plan.is_valid:
        messages.error(
            request,
            f"Nothing was changed: {len(plan.invalid)} invalid row(s). Fix them and upload again.",
        )
        return _preview(
            request, plan, source=source, hidden=hidden, status_label=status_label, http_status=400
        )
    if plan.digest != request.POST.get("digest"):
        messages.warning(
            request,
            "The change differs from the preview you saw (representatives or their defaults "
            "changed meanwhile). Nothing was changed: review the new preview and apply again.",
        )
        return _preview(
            request, plan, source=source, hidden=hidden, status_label=status_label, http_status=409
        )
    try:
        changes = services.default_presence_plan_apply(
            plan=plan, actor=request.user, now=timezone.now()
        )
    except Conflict as error:
        messages.error(request, error.detail)
        return _preview(
            request, plan, source=source, hidden=hidden, status_label=status_label, http_status=409
        )
    except ApplicationError as error:
        messages.error(request, error.detail + " Nothing was changed.")
        return _preview(
            request, plan, source=source, hidden=hidden, status_label=status_label, http_status=400
        )
    messages.success(
        request,
        f"Default presence changed for {len(changes):,} representative(s); "
        f"{plan.unchanged:,} already had it. Every change is in the audit log.",
    )
    return redirect(back)


# --- CSV export (the round trip) ----------------------------------------------------------------


@admin_required
@require_GET
def defaults_export(request: HttpRequest) -> StreamingHttpResponse:
    """The current defaults of the filtered reps as `representative,status,name`: edit, upload."""
    filterset = RepresentativeDefaultFilter(request.GET or None, queryset=_scope(request))
    rows = (
        filterset.qs.order_by("name", "pk")
        .values_list("pk", "external_id", "email", "default_presence__name", "name")
        .iterator(chunk_size=2000)
    )
    keyed = (
        (external_id or email or f"id:{pk}", status or "", name)
        for pk, external_id, email, status, name in rows
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return csv_response(
        f"default-presence-{stamp}.csv", ["representative", "status", "name"], keyed, bom=True
    )
