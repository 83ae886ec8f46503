"""Issue 15 in a real Chromium: an admin creates a rep with a new user and copies the
set-password link; the new user sets a password, signs in, opens the console, gets an offer
through the API, accepts, ends and closes the conversation, and the supervisor's agents report
shows each step. And axe-core (WCAG 2.1 AA) on every new page, as for the existing ones.

The new pages are listed in AUDITED; tests/portal/test_accessibility_browser.py excuses them from
its own list because they are audited here.
"""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from presence import services
from presence.models import ConversationState, Representative
from tests.asgi import call
from tests.browser import BROWSER_TEST, sign_in
from tests.factories import (
    CapacityProfileFactory,
    RepresentativeFactory,
    TeamFactory,
    UserFactory,
    WorkstreamFactory,
)
from tests.portal.test_accessibility_browser import audit

pytestmark = BROWSER_TEST

# Issue 15's URL patterns, audited below (pages) or reached by their forms here (the others).
AUDITED = {
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
}
NEW_PASSWORD = "Onboarded-pass-42"


@pytest.fixture
def world(db):
    team = TeamFactory(name="Onboarding team")
    supervisor = UserFactory(username="boss", groups=["Supervisors"])
    team.supervisors.add(supervisor)
    admin = UserFactory(username="root-admin", groups=["Portal admins"])
    _, token = services.api_token_create(user=admin, now=timezone.now())
    workstream = WorkstreamFactory(name="Web chat", offer_timeout_seconds=600)
    return {"team": team, "token": token, "workstream": workstream}


def agents_row(page, base, rep_id):
    page.goto(f"{base}/reports/agents/")
    return page.locator(f"#rep-row-{rep_id}")


def test_admin_onboards_a_rep_who_works_a_conversation_seen_by_the_supervisor(
    browser, live_server, world
):
    base, found = live_server.url, []
    admin = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(admin, base, "root-admin")
    admin.goto(f"{base}/configure/representatives/new/")
    audit(admin, "admin new representative", found)
    admin.fill("#id_name", "Nia Newcomer")
    admin.fill("#id_email", "nia@example.com")
    admin.get_by_label("Onboarding team").check()
    admin.fill("#id_timezone", "Europe/Paris")
    admin.get_by_label("A new user (you get a set-password link to hand over)").check()
    admin.fill("#id_username", "nia")
    admin.click("#save-representative")
    link_field = admin.locator("#password-link")
    expect(link_field).to_be_visible()
    audit(admin, "admin set-password link", found)
    link = link_field.input_value()
    assert link.startswith(f"{base}/password/set/")
    admin.get_by_role("button", name="Sign out").click()
    admin.wait_for_url(f"{base}/login/**")
    rep = Representative.objects.get(name="Nia Newcomer")
    assert rep.user.username == "nia"

    # The new user sets their password with the link, then signs in.
    newcomer = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    newcomer.goto(link)
    expect(newcomer.get_by_role("heading", name="Set your password")).to_be_visible()
    audit(newcomer, "anon set password", found)
    newcomer.fill("#id_new_password1", NEW_PASSWORD)
    newcomer.fill("#id_new_password2", NEW_PASSWORD)
    newcomer.get_by_role("button", name="Set password").click()
    expect(newcomer.get_by_role("heading", name="Password set")).to_be_visible()
    audit(newcomer, "anon password set", found)
    sign_in(newcomer, base, "nia", NEW_PASSWORD)
    newcomer.goto(f"{base}/console/")
    newcomer.wait_for_selector("#console-connection[data-state=connected]", timeout=10_000)

    supervisor = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(supervisor, base, "boss")
    row = agents_row(supervisor, base, rep.pk)
    expect(row.locator("[data-cell=status]")).to_contain_text("Available")

    # An offer through the API, as a router makes it; the console shows it and its countdown.
    status, conversation = call(
        base, "POST", "/api/v1/conversations", token=world["token"],
        body={"workstream_id": world["workstream"].pk},
    )  # fmt: skip
    assert status == 201, conversation
    status, offer = call(
        base, "POST", f"/api/v1/conversations/{conversation['id']}/offers",
        token=world["token"], body={"representative_id": rep.pk},
    )  # fmt: skip
    assert status == 201, offer
    accept = newcomer.locator(f"#accept-offer-{offer['id']}")
    expect(accept).to_be_visible(timeout=10_000)
    expect(newcomer.locator(f'[data-offer="{offer["id"]}"] [data-expires-at]')).to_contain_text(
        "Expires in"
    )
    accept.click()
    end = newcomer.locator(f"#end-conversation-{conversation['id']}")
    expect(end).to_be_visible()
    expect(newcomer.locator(".presence-duration")).to_contain_text("Busy for")
    audit(newcomer, "rep console with a conversation", found)
    row = agents_row(supervisor, base, rep.pk)
    expect(row.locator("[data-cell=status]")).to_contain_text("Busy")
    expect(row.locator("[data-cell=conversations]")).to_contain_text("1 active")

    end.click()
    finish = newcomer.get_by_role(
        "button", name=f"Finish wrap-up conversation {conversation['id']}"
    )
    expect(finish).to_be_visible()
    row = agents_row(supervisor, base, rep.pk)
    expect(row.locator("[data-cell=conversations]")).to_contain_text("1 wrap-up")

    finish.click()
    expect(newcomer.locator("#console-conversations")).to_contain_text(
        "No conversations in progress."
    )
    row = agents_row(supervisor, base, rep.pk)
    expect(row.locator("[data-cell=conversations]")).to_contain_text("none")
    expect(row.locator("[data-cell=status]")).to_contain_text("Available")
    from presence.models import Conversation

    assert Conversation.objects.get(pk=conversation["id"]).state == ConversationState.CLOSED
    for page in (admin, newcomer, supervisor):
        page.context.close()
    browser.assert_no_violations()
    assert not found, f"{len(found)} axe-core violation(s):\n" + "\n".join(found)


def test_every_new_page_has_no_wcag21_aa_violation(browser, live_server, world):
    base, found = live_server.url, []
    rep = RepresentativeFactory(name="Ada Audit", email="ada@example.com", teams=[world["team"]])
    CapacityProfileFactory(name="Chat")
    services.representative_profile_set(
        representative=rep,
        profile=CapacityProfileFactory(name="Email", limit=2),
        limit=1,
        actor=None,
        now=timezone.now(),
    )
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(page, base, "root-admin")
    for where, path in (
        ("representatives", "/configure/representatives/"),
        ("representatives filtered", "/configure/representatives/?active=yes&q=ada"),
        ("representative edit", f"/configure/representatives/{rep.pk}/"),
        ("new user", "/configure/users/new/"),
        ("users", "/configure/users/"),
        ("import", "/configure/representatives/import/"),
    ):
        page.goto(base + path)
        audit(page, f"admin {where}", found)
    # A form with errors names every field.
    page.goto(f"{base}/configure/representatives/new/")
    page.fill("#id_timezone", "Mars/Base")
    page.click("#save-representative")
    page.wait_for_selector(".field-error")
    audit(page, "admin representative form with errors", found)
    page.goto(f"{base}/configure/users/new/")
    page.click("#create-user")
    page.wait_for_selector(".field-error")
    audit(page, "admin user form with errors", found)
    # The import's preview (with an invalid row), then a valid one and its links page.
    header = "external id,name,email,teams,time zone,capacity units,default presence,username\n"
    for where, text in (
        ("import preview with errors", header + "X-1,,bad,Nowhere,Mars/Base,x,,\n"),
        ("import preview", header + "X-2,Bea Bulk,bea@example.com,Onboarding team,UTC,1,,bea\n"),
    ):
        page.goto(f"{base}/configure/representatives/import/")
        page.set_input_files(
            "#id_file", files=[{"name": "p.csv", "mimeType": "text/csv", "buffer": text.encode()}]
        )
        page.click("#upload-people")
        page.wait_for_selector("[data-preview]")
        audit(page, f"admin {where}", found)
    page.click("#apply-import")
    expect(page.locator("#download-links")).to_be_visible()
    audit(page, "admin import done", found)
    page.goto(f"{base}/password/set/bad/bad-token/")
    audit(page, "anon set password, link no longer valid", found)
    page.context.close()
    browser.assert_no_violations()
    assert not found, f"{len(found)} axe-core violation(s):\n" + "\n".join(found)


def test_the_accessibility_module_excuses_exactly_these_patterns():
    from tests.portal import test_accessibility_browser as a11y

    assert AUDITED <= a11y.NOT_PAGES
