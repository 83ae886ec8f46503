"""Issue 16 follow-up: the queue alerts compare the very figures the queues page shows (one
definition, reports.realtime.selectors.queues), against the raw rows too."""

from __future__ import annotations

import datetime as dt

import pytest

from presence.models import Representative
from reports.alerts.jobs import alerts_refresh
from reports.models import AlertBreach, AlertKind
from reports.realtime.selectors.queues import queue_figures
from tests.reports.queues_helpers import build_queue_floor
from tests.reports.test_alerts_job import (
    expected_queue_wait,
    expected_service_level_breaches,
    open_subjects,
    rule,
)

pytestmark = pytest.mark.django_db


def test_service_level_alert_compares_the_figure_of_the_queues_page(now):
    """Three queues in three zones with their own thresholds (the queues report's floor): the
    alert opens exactly where the queues page's service level is under the rule's percentage,
    and that equals the raw rows."""
    qfloor = build_queue_floor(now=now)
    page = {
        f.workstream.pk: f.service_level_percent
        for f in queue_figures(representatives=Representative.objects.all(), now=now)
    }
    assert page == {qfloor.chat.pk: 50.0, qfloor.email.pk: 100.0, qfloor.tokyo.pk: 0.0}
    for percent in (1, 50, 51, 100):
        level = rule(AlertKind.SERVICE_LEVEL, threshold=percent, now=now)
        alerts_refresh(now=now)
        under = {ws for ws, p in page.items() if p is not None and p < percent}
        assert open_subjects(level) == under == expected_service_level_breaches(level, now=now)
    tokyo_only = rule(AlertKind.SERVICE_LEVEL, threshold=10, workstream=qfloor.tokyo, now=now)
    alerts_refresh(now=now)
    assert open_subjects(tokyo_only) == {qfloor.tokyo.pk}
    breach = AlertBreach.objects.get(rule=tokyo_only)
    assert (breach.subject_type, breach.workstream_id, breach.started_at) == (
        "workstream",
        qfloor.tokyo.pk,
        now,
    )


def test_v1_queue_wait_alert_compares_the_longest_wait_of_the_queues_page(now):
    """Released conversations wait from their release (state_changed_at), as on the page."""
    qfloor = build_queue_floor(now=now)
    page = {
        f.workstream.pk: f.longest_wait_seconds
        for f in queue_figures(representatives=Representative.objects.all(), now=now)
    }
    assert page[qfloor.chat.pk] == 300
    for seconds in (60, 300, 301):
        wait = rule(AlertKind.QUEUE_WAIT, threshold=seconds, now=now)
        alerts_refresh(now=now)
        over = {ws for ws, w in page.items() if w is not None and w >= seconds}
        assert open_subjects(wait) == over == expected_queue_wait(wait, now=now)
    breach = AlertBreach.objects.get(rule__threshold=60, workstream=qfloor.chat)
    assert breach.started_at == now - 240 * dt.timedelta(seconds=1)  # waiting since 300 s


def test_the_service_level_alert_takes_no_threshold_of_its_own(client, admin_user, now):
    """The "answered within" seconds are the workstream's (its configuration page), named in the
    rule's condition; the form has no field for them."""
    from django.urls import reverse

    from reports.alerts.selectors import rule_condition
    from tests.factories import WorkstreamFactory

    chat = WorkstreamFactory(name="Chat", service_level_seconds=45)
    one = rule(AlertKind.SERVICE_LEVEL, threshold=80, workstream=chat, now=now)
    every = rule(AlertKind.SERVICE_LEVEL, threshold=80, now=now)
    assert (
        rule_condition(one) == "Service level today in queue Chat under 80 % (answered within 45 s)"
    )
    assert "each queue's service level threshold" in rule_condition(every)
    client.force_login(admin_user)
    form = client.get(reverse("alerts:config_create")).content.decode()
    assert 'name="answer_seconds"' not in form
    assert "Answered within" not in form
