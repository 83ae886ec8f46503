"""Presence statuses: the list with who uses each (one query), create and edit custom ones (C1)
with inline validation, built-ins locked (B2), deactivate, delete when unused (C3), and
translations of the presence text (C4)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_tables2 import RequestConfig

from portal.exceptions import ApplicationError
from portal.pages import act, render_page, submit
from presence.forms import PresenceStatusForm, TranslationsForm
from presence.models import BaseStatus, PresenceStatus
from presence.selectors import statuses_with_usage
from presence.services import config as services
from presence.tables import StatusTable

from . import admin_required

FORM_TEMPLATE = "presence/config/status_form.html"
_EDITED_STATUS = forms.ModelChoiceField(queryset=PresenceStatus.objects.all(), required=False)


def _custom_status(status_id: int) -> PresenceStatus:
    return get_object_or_404(PresenceStatus, pk=status_id)


@admin_required
@require_GET
def status_list(request: HttpRequest) -> HttpResponse:
    table = StatusTable(statuses_with_usage())
    RequestConfig(request, paginate=False).configure(table)
    context = {
        "table": table,
        "statuses": [row.record for row in table.rows],
        "base_labels": dict(BaseStatus.choices),
    }
    return render_page(request, "presence/config/statuses.html", context, partial="results")


def _form_page(request, form, status=None, *, http_status=200) -> HttpResponse:
    context = {"form": form, "status": status}
    return render_page(request, FORM_TEMPLATE, context, status=http_status)


@admin_required
@require_http_methods(["GET", "POST"])
def status_create(request: HttpRequest) -> HttpResponse:
    form = PresenceStatusForm(request.POST or None)

    def run() -> tuple[str, str]:
        status = services.presence_status_create(
            actor=request.user, now=timezone.now(), **form.changes()
        )
        return (
            f'Created status "{status.name}" (base {status.get_base_status_display()}).',
            "presence:config_statuses",
        )

    done = submit(request, form, run)
    if done is not None:
        return done
    return _form_page(request, form, http_status=400 if form.errors else 200)


@admin_required
@require_http_methods(["GET", "POST"])
def status_edit(request: HttpRequest, status_id: int) -> HttpResponse:
    status = _custom_status(status_id)
    if status.is_builtin:
        # B2: shown locked, never a form (a POST is refused the same way by the service).
        if request.method == "POST":
            messages.error(request, f'"{status.name}" is a built-in status: it cannot be edited.')
        return render_page(
            request,
            "presence/config/status_locked.html",
            {"status": status},
            status=403 if request.method == "POST" else 200,
        )
    initial = {field: getattr(status, field) for field in PresenceStatusForm.base_fields}
    form = PresenceStatusForm(request.POST or None, initial=initial)

    def run() -> tuple[str, str]:
        services.presence_status_update(
            status=status, actor=request.user, now=timezone.now(), **form.changes()
        )
        return f'Saved status "{status.name}".', "presence:config_statuses"

    done = submit(request, form, run)
    if done is not None:
        return done
    return _form_page(request, form, status, http_status=400 if form.errors else 200)


@admin_required
@require_POST
def status_validate(request: HttpRequest) -> HttpResponse:
    """Inline validation of one field (htmx, on blur): the field's own row, with its error."""
    name = request.POST.get("_field", "")
    form = PresenceStatusForm(request.POST)
    if name not in form.fields:
        return HttpResponseBadRequest("No such field on the status form.")
    status = None
    if request.POST.get("_status"):
        # The status being edited (a built-in one is checked as a new name): an id, else a 400
        # (a value such as "abc" was a 500).
        try:
            status = _EDITED_STATUS.clean(request.POST["_status"])
        except ValidationError:
            return HttpResponseBadRequest("No such status.")
        if status is not None and status.is_builtin:
            status = None
    form.is_valid()
    if name not in form.errors:
        try:
            services.presence_status_check(field=name, value=form.cleaned_data[name], status=status)
        except ApplicationError as error:
            if (error.field or name) == name:
                form.add_service_error(error)
    context = {"form": form, "field": form[name], "status": status}
    return render_page(request, FORM_TEMPLATE + "#field", context, partial=None)


@admin_required
@require_POST
def status_set_active(request: HttpRequest, status_id: int) -> HttpResponse:
    """C3: deactivating is how a status in use is retired; activating brings it back."""
    status = _custom_status(status_id)
    active = request.POST.get("active") == "1"

    def run() -> str:
        services.presence_status_update(
            status=status, actor=request.user, now=timezone.now(), is_active=active
        )
        if active:
            return f'"{status.name}" is active again: it can be picked and made a default.'
        return (
            f'"{status.name}" is deactivated: nobody can pick it or make it a default; '
            "representatives who hold it keep it until their next change."
        )

    act(request, run)
    return redirect("presence:config_statuses")


@admin_required
@require_POST
def status_delete(request: HttpRequest, status_id: int) -> HttpResponse:
    """C3: only an unused status goes; otherwise the refusal says why (from the service)."""
    status = _custom_status(status_id)
    name = status.name

    def run() -> str:
        services.presence_status_delete(status=status, actor=request.user, now=timezone.now())
        return f'Deleted status "{name}".'

    act(request, run)
    return redirect("presence:config_statuses")


@admin_required
@require_http_methods(["GET", "POST"])
def status_translations(request: HttpRequest, status_id: int) -> HttpResponse:
    """C4: the presence text per language; reps see their language's text."""
    status = _custom_status(status_id)
    form = TranslationsForm(request.POST or None, status=status)
    if status.is_builtin:
        form = None
    else:

        def run() -> tuple[str, str]:
            services.presence_status_translations_set(
                status=status, texts=form.texts(), actor=request.user, now=timezone.now()
            )
            return f'Saved the translations of "{status.name}".', "presence:config_statuses"

        done = submit(request, form, run)
        if done is not None:
            return done
    return render_page(
        request,
        "presence/config/status_translations.html",
        {"status": status, "form": form},
        status=400 if form is not None and form.errors else 200,
    )
