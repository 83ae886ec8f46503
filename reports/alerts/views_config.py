"""/configure/alerts/: admins define alert rules (list, create, edit, delete, activate). Every
view checks presence.configure_portal (A3) and writes through reports.alerts.services (A4)."""

from __future__ import annotations

from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.pages import act, render_page, submit
from portal.permissions import require_permission
from reports.models import AlertRule

from . import services
from .forms import AlertRuleForm
from .selectors import rule_condition

admin_required = require_permission("presence.configure_portal")


@admin_required
@require_GET
def rule_list(request: HttpRequest) -> HttpResponse:
    rules = list(
        AlertRule.objects.select_related("status", "workstream", "team")
        .annotate(open_count=Count("breaches", filter=Q(breaches__ended_at__isnull=True)))
        .order_by("name", "pk")
    )
    for rule in rules:
        rule.condition = rule_condition(rule)
    return render_page(request, "reports/alerts_config.html", {"rules": rules})


def _form_page(request, form, rule) -> HttpResponse:
    return render_page(
        request,
        "reports/alerts_config_form.html",
        {"form": form, "rule": rule},
        status=400 if form.errors else 200,
    )


@admin_required
@require_http_methods(["GET", "POST"])
def rule_create(request: HttpRequest) -> HttpResponse:
    form = AlertRuleForm(request.POST or None, initial={"is_active": True})

    def run() -> tuple[str, str]:
        rule = services.alert_rule_create(actor=request.user, now=timezone.now(), **form.changes())
        return f'Created alert "{rule.name}".', "alerts:config_list"

    return submit(request, form, run) or _form_page(request, form, None)


@admin_required
@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = get_object_or_404(AlertRule, pk=rule_id)
    form = AlertRuleForm(request.POST or None, initial=AlertRuleForm.initial_for(rule))

    def run() -> tuple[str, str]:
        services.alert_rule_update(
            rule=rule, actor=request.user, now=timezone.now(), **form.changes()
        )
        return f'Saved alert "{rule.name}".', "alerts:config_list"

    return submit(request, form, run) or _form_page(request, form, rule)


@admin_required
@require_POST
def rule_set_active(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = get_object_or_404(AlertRule, pk=rule_id)
    active = request.POST.get("active") == "1"

    def run() -> str:
        services.alert_rule_update(
            rule=rule, actor=request.user, now=timezone.now(), is_active=active
        )
        if active:
            return f'Alert "{rule.name}" is active: breaches show within a minute.'
        return f'Alert "{rule.name}" is inactive: its open alerts are ended.'

    act(request, run)
    return redirect("alerts:config_list")


@admin_required
@require_POST
def rule_delete(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = get_object_or_404(AlertRule, pk=rule_id)
    name = rule.name

    def run() -> str:
        services.alert_rule_delete(rule=rule, actor=request.user, now=timezone.now())
        return f'Deleted alert "{name}" and its history.'

    act(request, run)
    return redirect("alerts:config_list")
