"""Workstreams: every setting of the model with a sentence on its effect (the form's help)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from portal.pages import render_page, submit
from presence.forms import WorkstreamForm
from presence.models import BaseStatus, Workstream
from presence.services import config as services

from . import admin_required

FIELDS = list(WorkstreamForm.base_fields)


@admin_required
@require_GET
def workstream_list(request: HttpRequest) -> HttpResponse:
    labels = dict(BaseStatus.choices)
    workstreams = list(Workstream.objects.select_related("capacity_profile").order_by("name"))
    for ws in workstreams:
        ws.allowed_labels = ", ".join(labels.get(b, b) for b in ws.allowed_base_statuses)
    context = {"workstreams": workstreams}
    return render_page(request, "presence/config/workstreams.html", context)


def _form_page(request, form, workstream) -> HttpResponse:
    context = {"form": form, "workstream": workstream}
    return render_page(
        request,
        "presence/config/workstream_form.html",
        context,
        status=400 if form.errors else 200,
    )


@admin_required
@require_http_methods(["GET", "POST"])
def workstream_create(request: HttpRequest) -> HttpResponse:
    form = WorkstreamForm(request.POST or None, creating=True)

    def run() -> tuple[str, str]:
        ws = services.workstream_create(actor=request.user, now=timezone.now(), **form.changes())
        return f'Created workstream "{ws.name}".', "presence:config_workstreams"

    done = submit(request, form, run)
    if done is not None:
        return done
    return _form_page(request, form, None)


@admin_required
@require_http_methods(["GET", "POST"])
def workstream_edit(request: HttpRequest, workstream_id: int) -> HttpResponse:
    ws = get_object_or_404(Workstream, pk=workstream_id)
    initial = {name: getattr(ws, name) for name in FIELDS if name != "capacity_profile"}
    initial["capacity_profile"] = ws.capacity_profile_id
    form = WorkstreamForm(request.POST or None, initial=initial)

    def run() -> tuple[str, str]:
        services.workstream_update(
            workstream=ws, actor=request.user, now=timezone.now(), **form.changes()
        )
        return f'Saved workstream "{ws.name}".', "presence:config_workstreams"

    done = submit(request, form, run)
    if done is not None:
        return done
    return _form_page(request, form, ws)
