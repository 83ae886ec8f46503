"""WCAG 2.1 A/AA on every page, for every role, light and dark (axe-core in Chromium).

The demo world (`seed_demo`, a few reps and days, rolled up) gives every page real content:
paginated grids, tabs with counts, status badges of every base, a historical report with its
hourly day links. Each role signs in once; its pages are loaded one by one and axe-core (bundled
by axe-playwright-python) runs on each at 1280 px and at phone width, in the light scheme and in
the dark one (the viewport and prefers-color-scheme are switched live on the loaded page).

`test_every_page_is_audited` (no browser) walks the URL resolver: a page added later fails it
until it is in PAGES (audited) or in NOT_PAGES (with the reason it has no page of its own).
Violations are collected over all pages and printed together, one line per failing node.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from playwright.sync_api import expect

from presence import services
from presence.models import (
    CapacityProfile,
    PresenceStatus,
    Representative,
    Team,
    Workstream,
)
from presence.selectors import conversations_visible_to
from reports.realtime import selectors
from reports.rollups import rollups_refresh
from tests.browser import sign_in

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SCHEMES = ("light", "dark")
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
PASSWORDS = {
    "admin": "admin-demo-pass",
    "supervisor": "supervisor-demo-pass",
    "rep": "rep-demo-pass",
}


@dataclass(frozen=True)
class Ids:
    rep: int  # a rep of the demo supervisor's teams
    conversation: int  # an ongoing conversation the supervisor can see
    custom_status: int
    builtin_status: int
    profile: int
    workstream: int
    team: int
    webhook: int = 0  # a disabled endpoint with a delivery log


# Every GET page of the portal, by URL name: the roles that see it, and its path arguments.
# The 403 and 404 pages are visited on purpose by the roles below (PROBES).
PAGES: dict[str, tuple[tuple[str, ...], Callable[[Ids], list]]] = {
    "login": (("anon",), lambda ids: []),
    "home": (("rep", "supervisor", "admin"), lambda ids: []),
    "presence:console": (("rep",), lambda ids: []),
    "reports:agents": (("supervisor", "admin"), lambda ids: []),
    "reports:agent_detail": (("supervisor",), lambda ids: [ids.rep]),
    "reports:ongoing": (("supervisor", "admin"), lambda ids: []),
    "reports:force_close": (("supervisor",), lambda ids: [ids.conversation]),
    "reports:historical": (("supervisor", "admin"), lambda ids: []),
    "reports:historical_rep": (("supervisor",), lambda ids: [ids.rep]),
    # Issue 16 (the wallboard's full-screen board, ?show=1, in tests/reports/test_floorops_browser.py)
    "reports:conversation_move": (("supervisor",), lambda ids: [ids.conversation, "transfer"]),
    "reports:agent_sign_out": (("supervisor",), lambda ids: [ids.rep]),
    "reports:queues": (("supervisor", "admin"), lambda ids: []),
    "reports:queue_detail": (("supervisor",), lambda ids: [ids.workstream]),
    "reports:wallboard": (("supervisor",), lambda ids: []),
    "presence:config_home": (("admin",), lambda ids: []),
    "presence:config_statuses": (("admin",), lambda ids: []),
    "presence:config_status_create": (("admin",), lambda ids: []),
    "presence:config_status_edit": (("admin",), lambda ids: [ids.custom_status]),
    "presence:config_status_translations": (("admin",), lambda ids: [ids.custom_status]),
    "presence:config_defaults": (("admin",), lambda ids: []),
    "presence:config_defaults_import": (("admin",), lambda ids: []),
    "presence:config_capacity": (("admin",), lambda ids: []),
    "presence:config_capacity_create": (("admin",), lambda ids: []),
    "presence:config_capacity_edit": (("admin",), lambda ids: [ids.profile]),
    "presence:config_workstreams": (("admin",), lambda ids: []),
    "presence:config_workstream_create": (("admin",), lambda ids: []),
    "presence:config_workstream_edit": (("admin",), lambda ids: [ids.workstream]),
    "presence:config_teams": (("admin",), lambda ids: []),
    "presence:config_team_create": (("admin",), lambda ids: []),
    "presence:config_team_edit": (("admin",), lambda ids: [ids.team]),
    "presence:config_users": (("admin",), lambda ids: []),
    "presence:config_tokens": (("admin",), lambda ids: []),
    "presence:config_audit": (("admin",), lambda ids: []),
    "alerts:config_list": (("admin",), lambda ids: []),
    "alerts:config_create": (("admin",), lambda ids: []),
    "reports:alerts": (("supervisor", "admin"), lambda ids: []),
    "presence:config_webhooks": (("admin",), lambda ids: []),
    "presence:config_webhook_create": (("admin",), lambda ids: []),
    "presence:config_webhook_edit": (("admin",), lambda ids: [ids.webhook]),
    "presence:config_webhook_log": (("admin",), lambda ids: [ids.webhook]),
}
# URL patterns without a page of their own: each answers a form's POST with a redirect (or with
# the page it came from, audited there), a script's request, or a file.
NOT_PAGES = {
    "logout",
    "presence:console_stream",  # the live streams: text/event-stream, no page
    "reports:stream",
    "healthz",
    "presence:console_set_presence",
    "presence:console_reset_presence",
    "presence:console_offer_accept",
    "presence:console_offer_reject",
    "presence:console_client_connect",
    "presence:console_client_heartbeat",
    "presence:console_client_goodbye",
    "presence:config_status_validate",
    "presence:config_status_active",
    "presence:config_status_delete",
    "presence:config_default_set",
    "presence:config_defaults_preview",  # a POST: audited by submitting the bulk form below
    "presence:config_defaults_apply",
    "presence:config_defaults_export",
    "presence:config_capacity_member_add",
    "presence:config_capacity_member_limit",
    "presence:config_capacity_member_remove",
    "presence:config_capacity_units",
    "presence:config_team_members_add",
    "presence:config_team_member_remove",
    "presence:config_user_roles",
    "presence:config_token_revoke",
    "reports:agent_set_presence",
    "reports:agent_reset_presence",
    # Alerts (issue 16): pages of one rule or breach are audited in tests/reports/test_alerts_browser.py.
    "alerts:config_edit",
    "alerts:config_active",
    "alerts:config_delete",
    "reports:alert_acknowledge",
    "reports:alerts_csv",
}
# Issue 15's people pages and actions: audited by tests/presence/config/test_people_browser.py.
NOT_PAGES |= {
    "presence:config_representatives",
    "presence:config_representative_create",
    "presence:config_representative_edit",
    "presence:config_representative_validate",
    "presence:config_representative_active",
    "presence:config_representative_profile_add",
    "presence:config_people_import",
    "presence:config_people_import_apply",
    "presence:config_people_import_links",
    "presence:config_people_import_template",
    "presence:config_user_create",
    "presence:config_user_active",
    "presence:config_user_password_link",
    "presence:console_conversation_action",
    "password_reset_confirm",
    "password_reset_complete",
    "presence:config_webhook_enable",
    "presence:config_webhook_delete",
    "presence:config_webhook_resend",
}
# Pages reached other than by a plain GET of a pattern above.
PROBES = {
    "rep": [("403: a report", lambda ids: reverse("reports:agents"))],
    "supervisor": [("404: a page that does not exist", lambda ids: "/no-such-page/")],
    "admin": [("status form, built-in (locked)", lambda ids: _edit_status(ids.builtin_status))],
}


def _edit_status(pk: int) -> str:
    return reverse("presence:config_status_edit", args=[pk])


def _portal_patterns(patterns, namespace: str = ""):
    for p in patterns:
        if isinstance(p, URLResolver):
            if p.namespace in ("admin", "api"):
                continue
            ns = p.namespace or ""
            ns = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            yield from _portal_patterns(p.url_patterns, ns)
        elif isinstance(p, URLPattern) and p.name:
            yield f"{namespace}:{p.name}" if namespace else p.name


def test_every_page_is_audited():
    """Issue #11 acceptance: a page added later cannot escape the axe run below."""
    names = set(_portal_patterns(get_resolver().url_patterns))
    unlisted = names - set(PAGES) - NOT_PAGES
    assert not unlisted, f"URL patterns neither audited (PAGES) nor excused (NOT_PAGES): {unlisted}"
    assert not (set(PAGES) | NOT_PAGES) - names, "PAGES or NOT_PAGES name a pattern that is gone"


# --- the browser run ----------------------------------------------------------------------------


@pytest.fixture
def demo_world(db) -> Ids:
    now = timezone.now()
    call_command("seed_demo", reps=24, days=2, seed=3, verbosity=0)
    rollups_refresh(now=now + dt.timedelta(seconds=1))
    # The seeded floor depends on the hour (shifts); what the pages below need is made sure of.
    rep = Representative.objects.filter(teams__supervisors__username="supervisor").order_by("pk")[0]
    supervisor = get_user_model().objects.get(username="supervisor")
    conversation = (
        conversations_visible_to(user=supervisor)
        .filter(state__in=selectors.ONGOING_STATES)
        .order_by("pk")
        .first()
    ) or services.conversation_create(workstream=Workstream.objects.order_by("pk")[0], now=now)
    statuses = PresenceStatus.objects.order_by("pk")
    return Ids(
        rep=rep.pk,
        conversation=conversation.pk,
        custom_status=statuses.filter(builtin_key__isnull=True)[0].pk,
        builtin_status=statuses.filter(builtin_key__isnull=False)[0].pk,
        profile=CapacityProfile.objects.order_by("pk")[0].pk,
        workstream=Workstream.objects.order_by("pk")[0].pk,
        team=Team.objects.filter(supervisors__username="supervisor").order_by("pk")[0].pk,
        webhook=_disabled_webhook(now),
    )


def _disabled_webhook(now) -> int:
    """An endpoint disabled after failing, with a delivery log of both outcomes."""
    from presence.models import Event, WebhookDelivery, WebhookEndpoint
    from presence.services import config as config_services

    endpoint = config_services.webhook_create(
        actor=None, now=now, url="http://127.0.0.1:9/hook", description="WFM"
    )[0]
    event = Event.objects.order_by("-id").values_list("id", flat=True).first() or 1
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(endpoint=endpoint, event_id=event, event_type="presence.changed",
                        attempt=n, status_code=code, latency_ms=12, at=now,
                        error="" if code == 200 else f"The endpoint answered HTTP {code}.")
        for n, code in ((1, 200), (2, 500))
    )  # fmt: skip
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        active=False, disabled_at=now, disabled_reason="Every delivery failed for 24 hours."
    )
    return endpoint.pk


# Beyond the WCAG tags: a role the element may not take (an <article> as a list item, finding 26).
EXTRA_RULES = {"aria-allowed-role": {"enabled": True}}
# What the W3C checker finds and axe-core 4.12 no longer does (its duplicate-id rules are
# deprecated): ids used twice (a label then names only the first field) and <time datetime>
# values the HTML standard rejects (more than 3 fraction digits of a second).
HTML_CHECKS = r"""() => {
  const problems = [], count = new Map();
  for (const el of document.querySelectorAll("[id]")) count.set(el.id, (count.get(el.id) || 0) + 1);
  for (const [id, n] of count) if (n > 1) problems.push(`id "${id}" is used by ${n} elements`);
  const valid = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})?)?$|^\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$/;
  for (const t of document.querySelectorAll("time[datetime]")) {
    const value = t.getAttribute("datetime");
    if (!valid.test(value)) problems.push(`<time datetime="${value}"> is not a valid date or time`);
  }
  return problems;
}"""


def axe_violations(page) -> list[dict]:
    """axe-core's WCAG 2.1 A/AA violations of the page as it is now."""
    from axe_playwright_python.base import AXE_SCRIPT

    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SCRIPT)
    options = {
        "runOnly": {"type": "tag", "values": TAGS},
        "rules": EXTRA_RULES,
        "resultTypes": ["violations"],
    }
    return page.evaluate("options => axe.run(document, options).then(r => r.violations)", options)


def describe(where: str, violations: list[dict]) -> list[str]:
    lines = []
    for v in violations:
        for node in v["nodes"]:
            summary = " ".join((node.get("failureSummary") or "").split())
            lines.append(
                f"{where}: {v['id']} ({v['impact']}) {' '.join(map(str, node['target']))}"
                f"\n    {node['html'][:160]}\n    {summary[:300]}"
            )
    return lines


def audit(page, where: str, found: list[str]) -> None:
    """The page as it stands, at desktop and phone width (no reload: the media queries follow),
    each in the light scheme, then the dark one."""
    expect(page.locator(".htmx-request")).to_have_count(0)
    # Colours are judged as they end, not halfway through Pico's colour transitions: Pico turns
    # them off for reduced motion (no injected <style>, which the page's CSP would refuse).
    page.emulate_media(reduced_motion="reduce")
    found.extend(f"{where}: {problem}" for problem in page.evaluate(HTML_CHECKS))
    for width, viewport in VIEWPORTS.items():
        page.set_viewport_size(viewport)
        for scheme in SCHEMES:
            page.emulate_media(color_scheme=scheme)
            found.extend(describe(f"{where} [{width}, {scheme}]", axe_violations(page)))
    page.emulate_media(color_scheme="light")
    page.set_viewport_size(VIEWPORTS["desktop"])


def visit(page, base: str, path: str, where: str, found: list[str]) -> None:
    response = page.goto(base + path)
    assert response is not None, f"{where}: {path} did not answer"
    assert response.status < 500, f"{where}: {path} answered {response.status}"
    audit(page, where, found)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_every_page_of_every_role_has_no_wcag21_aa_violation(browser, live_server, demo_world):
    """Review findings 25 and 26 (contrast, duplicate ids and names, roles) and the acceptance
    item of issue #11: axe-core finds no WCAG 2.1 A/AA violation on any page of any role, in the
    light or the dark scheme, at desktop or phone width, including a form with errors and the
    defaults preview."""
    base, ids, found = live_server.url, demo_world, []
    for role in ("anon", "rep", "supervisor", "admin"):
        context = browser.new_context(viewport=VIEWPORTS["desktop"])
        page = context.new_page()
        if role != "anon":
            sign_in(page, base, role, PASSWORDS[role])
        for name, (roles, args) in PAGES.items():
            if role in roles:
                visit(page, base, reverse(name, args=args(ids)), f"{role} {name}", found)
        for label, path in PROBES.get(role, []):
            visit(page, base, path(ids), f"{role} {label}", found)
        if role == "admin":
            # A form with errors: every field names its error.
            page.goto(base + reverse("presence:config_status_create"))
            page.click("form.config-form button[type=submit]")
            page.wait_for_selector(".field-error")
            audit(page, "admin status form with errors", found)
            # The defaults preview is the answer to the bulk form's POST.
            page.goto(base + reverse("presence:config_defaults"))
            page.locator("input[name=representative]").first.check()
            page.get_by_role("button", name="Preview the change").click()
            page.wait_for_selector("[data-preview]")
            audit(page, "admin defaults preview", found)
        context.close()
    assert not found, f"{len(found)} axe-core violation(s):\n" + "\n".join(found)
