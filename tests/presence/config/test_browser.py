"""The configuration pages in a real Chromium (Playwright): an admin creates a custom status
"Training" on base Away (C1, C2), sets it as one rep's default in place (htmx), then for a whole
team in bulk (D4: preview, apply), and reads the audit entries (A4). Screenshots at 1280 px and at
phone width go to test-output/config-*.png.
"""

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import expect

from presence.models import AuditLogEntry, PresenceStatus, Representative
from presence.services import config as config_services
from tests.browser import BROWSER_TEST, OUT, sign_in
from tests.factories import (
    CapacityProfileFactory,
    RepresentativeFactory,
    RepresentativeProfileFactory,
    TeamFactory,
    UserFactory,
    WorkstreamFactory,
)

pytestmark = BROWSER_TEST

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def org(db):
    UserFactory(username="boss", first_name="Bea", groups=["Portal admins"])
    blue, red = TeamFactory(name="Blue"), TeamFactory(name="Red")
    reps = [
        RepresentativeFactory(name=name, teams=[team])
        for name, team in [
            ("Ada Lovelace", red),
            ("Alan Turing", blue),
            ("Grace Hopper", blue),
            ("Katherine Johnson", blue),
            ("Linus Torvalds", red),
        ]
    ]
    chat = CapacityProfileFactory(name="Chat", limit=3)
    RepresentativeProfileFactory(representative=reps[0], profile=chat, limit_override=2)
    WorkstreamFactory(name="Chat support", capacity_profile=chat)
    return {"blue": blue, "red": red, "reps": reps}


def shot(page, name: str) -> None:
    OUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUT / f"config-{name}.png"), full_page=True)


def htmx_idle(page) -> None:
    """No htmx request in flight (SQLite's in-memory test database serves one writer at a time:
    a validation request racing the form's POST could lock it)."""
    expect(page.locator(".htmx-request")).to_have_count(0, timeout=30_000)


def test_c1_d4_a4_admin_creates_training_sets_defaults_and_reads_the_audit(
    browser, live_server, org
):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, live_server, "boss")

    # The main navigation shows "Configuration"; the overview links every section.
    page.get_by_role("link", name="Configuration", exact=True).first.click()
    page.wait_for_url(f"{live_server.url}/configure/")
    shot(page, "home-1280")
    page.locator('[data-section="statuses"] a').click()
    page.get_by_role("button", name="New custom status").click()

    # C1: inline validation on blur names the field, before anything is written.
    page.fill("#id_name", "available")
    page.locator("#id_presence_text").focus()
    page.wait_for_selector('[data-field-error="name"]')
    assert "exists already" in page.inner_text('[data-field-error="name"]')
    page.fill("#id_name", "Training")
    page.fill("#id_presence_text", "In training")
    page.wait_for_selector('[data-field-error="name"]', state="detached")
    page.select_option("#id_base_status", "away")
    page.locator("#id_description").focus()
    htmx_idle(page)
    shot(page, "status-form-1280")
    page.get_by_role("button", name="Create status").click()
    page.wait_for_url(f"{live_server.url}/configure/statuses/")
    assert 'Created status "Training"' in page.inner_text(".messages")
    row = page.locator('tr[data-status="Training"]')
    assert "Away" in row.inner_text()
    training = PresenceStatus.objects.get(name="Training")
    assert training.base_status == "away"
    shot(page, "statuses-1280")

    # One rep's default, in place: the row swaps and confirms; no page load.
    page.get_by_role("link", name="Default presence").first.click()
    page.wait_for_url(f"{live_server.url}/configure/defaults/")
    page.evaluate("window.__marker = 'same page'")
    ada = page.locator('tr[data-rep="Ada Lovelace"]')
    # Admins pick a status by its presence text and name (review finding 16).
    ada.locator("select").select_option(label="In training (Training)")
    ada.get_by_role("button", name="Save").click()  # a change alone saves nothing (finding 23)
    page.wait_for_selector('tr[data-rep="Ada Lovelace"] .row-note.ok')
    saved = page.locator('tr[data-rep="Ada Lovelace"]').inner_text()
    assert "Saved: In training (Training)" in saved
    assert page.evaluate("window.__marker") == "same page"
    assert Representative.objects.get(name="Ada Lovelace").default_presence == training
    shot(page, "defaults-saved-1280")

    # Bulk for a whole team: filter (pushes the URL), "all matching", preview, apply.
    blue = org["blue"]
    page.click(".config-filters > summary")
    page.select_option("#id_team", str(blue.pk))
    page.wait_for_url(f"**/configure/defaults/?*team={blue.pk}*")
    expect(page.locator("tr[data-rep]")).to_have_count(3, timeout=30_000)
    page.select_option("#bulk-status", label="In training (Training)")
    page.check("input[name=target][value=filter]")
    page.get_by_role("button", name="Preview the change").click()
    page.wait_for_selector("[data-preview]")
    assert page.inner_text('[data-count="changes"]') == "3"
    shot(page, "bulk-preview-1280")
    assert Representative.objects.filter(default_presence=training).count() == 1  # not yet
    page.get_by_role("button", name="Apply 3 changes").click()
    page.wait_for_selector(".message-success")
    assert "Default presence changed for 3 representative(s)" in page.inner_text(".messages")
    assert sorted(
        Representative.objects.filter(default_presence=training).values_list("name", flat=True)
    ) == ["Ada Lovelace", "Alan Turing", "Grace Hopper", "Katherine Johnson"]

    # A4: the audit log shows each change, old and new side by side; the bulk change of three
    # reps is one action listing them (review finding 19).
    page.get_by_role("link", name="Audit log").first.click()
    page.wait_for_url(f"{live_server.url}/configure/audit/")
    entries = page.locator('tr[data-audit="representative.default_presence"]')
    assert entries.count() == 1
    assert entries.first.get_attribute("data-audit-batch") == "3"
    assert entries.first.locator("[data-audit-member]").count() == 3
    assert "Training" in entries.first.locator("[data-new]").inner_text()
    assert page.locator('tr[data-audit="representative.update"]').count() == 1
    assert page.locator('tr[data-audit="presence_status.create"]').count() == 1
    shot(page, "audit-1280")
    assert AuditLogEntry.objects.filter(actor__username="boss").count() == 5
    assert errors == []
    context.close()


def test_config_pages_at_phone_width(browser, live_server, org):
    """Every section usable on a phone: no horizontal scrolling of the page; screenshots."""
    boss = User.objects.get(username="boss")
    now = timezone.now()
    training = config_services.presence_status_create(
        actor=boss, now=now, name="Training", presence_text="In training", base_status="away"
    )
    config_services.representative_update(
        representative=org["reps"][1], actor=boss, now=now, default_presence_id=training.pk
    )
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    sign_in(page, live_server, "boss")
    profile_id = org["reps"][0].profile_links.get().profile_id
    pages = {
        "home": "/configure/",
        "statuses": "/configure/statuses/",
        "status-form": "/configure/statuses/new/",
        "defaults": "/configure/defaults/",
        "import": "/configure/defaults/import/",
        "capacity": f"/configure/capacity/{profile_id}/",
        "workstream-form": "/configure/workstreams/new/",
        "teams": f"/configure/teams/{org['blue'].pk}/",
        "users": "/configure/users/",
        "tokens": "/configure/tokens/",
        "audit": "/configure/audit/",
    }
    for name, path in pages.items():
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 1, f"{name} scrolls sideways by {overflow}px"
        shot(page, f"{name}-phone")
    context.close()
