"""Tokens, throttling of guesses, and the production security headers and cookies."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import caches
from django.test import Client, override_settings

from presence.models import ApiToken
from presence.services import api_token_create, api_token_revoke
from tests.clock import T0
from tests.factories import RepresentativeFactory, UserFactory

pytestmark = pytest.mark.usefixtures("now")  # the tests' clock, frozen (tests/conftest.py)

ROOT = Path(__file__).resolve().parents[2]
THROTTLE_ON = {
    "CACHES": {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "throttle": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "security-tests",
        },
    },
    "THROTTLE_LOGIN_FAILURES_PER_USER": 3,
    "THROTTLE_LOGIN_FAILURES_PER_ADDRESS": 10,
    "THROTTLE_BAD_TOKENS": 5,
}


@pytest.fixture
def throttling():
    with override_settings(**THROTTLE_ON):
        caches["throttle"].clear()
        yield
        caches["throttle"].clear()


def api(token: str | None) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}") if token else Client()


# --- tokens -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a1_revoked_token_stops_working_at_once(admin_user):
    token, plaintext = api_token_create(user=admin_user, now=T0)
    client = api(plaintext)
    assert client.get("/api/v1/teams").status_code == 200
    api_token_revoke(token=token, now=T0, actor=admin_user)
    answer = client.get("/api/v1/teams")
    assert answer.status_code == 401
    assert answer.json()["error"] == "unauthorized"


@pytest.mark.django_db
def test_a1_token_of_a_deactivated_user_stops_working(admin_user):
    _, plaintext = api_token_create(user=admin_user, now=T0)
    admin_user.is_active = False
    admin_user.save()
    assert api(plaintext).get("/api/v1/teams").status_code == 401


@pytest.mark.django_db
def test_a1_only_the_hash_of_a_token_is_stored(admin_user):
    token, plaintext = api_token_create(user=admin_user, now=T0)
    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert plaintext not in {str(v) for v in stored.values()}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer " + "x" * 5000, "Token abc", "bearer\x00x"],
)
def test_a1_malformed_authorization_headers_answer_401(header, admin_user):
    answer = Client(HTTP_AUTHORIZATION=header).get("/api/v1/teams")
    assert answer.status_code == 401
    assert answer.json()["error"] == "unauthorized"


# --- throttling ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_bad_tokens_are_throttled_per_address(throttling, admin_user):
    for _ in range(5):
        assert api("guess-" + "a" * 20).get("/api/v1/teams").status_code == 401
    answer = api("guess-" + "b" * 20).get("/api/v1/teams")
    assert answer.status_code == 429
    assert answer.json()["error"] == "throttled"
    assert int(answer["Retry-After"]) > 0
    other = Client(HTTP_AUTHORIZATION="Bearer guess-" + "c" * 20, REMOTE_ADDR="127.0.0.9")
    assert other.get("/api/v1/teams").status_code == 401  # another address has its own count


@pytest.mark.django_db
def test_valid_token_passes_while_its_address_is_over_the_bad_token_limit(throttling, admin_user):
    """Review finding 2: bad tokens from an address (behind a proxy: everyone's) must not lock out
    the valid tokens sent from it; only the bad ones are refused."""
    _, good = api_token_create(user=admin_user, now=T0)
    for _ in range(8):
        api("guess-" + "a" * 20).get("/api/v1/teams")
    assert api("guess-" + "a" * 20).get("/api/v1/teams").status_code == 429
    for _ in range(3):
        assert api(good).get("/api/v1/teams").status_code == 200
    assert api("guess-" + "a" * 20).get("/api/v1/teams").status_code == 429


@pytest.mark.django_db
def test_good_tokens_are_never_counted(throttling, admin_user):
    _, good = api_token_create(user=admin_user, now=T0)
    for _ in range(20):
        assert api(good).get("/api/v1/teams").status_code == 200


@pytest.mark.django_db
def test_failed_sign_ins_are_throttled_per_username(throttling):
    user = UserFactory(username="victim", groups=["Representatives"])
    RepresentativeFactory(user=user)
    client = Client()
    for _ in range(3):
        answer = client.post("/login/", {"username": "victim", "password": "wrong"})
        assert answer.status_code == 200
    answer = client.post("/login/", {"username": "victim", "password": "pw-for-tests-1"})
    assert answer.status_code == 429
    assert "Too many failed sign-ins" in answer.content.decode()
    assert "_auth_user_id" not in client.session  # refused although the password was right
    # Another user from the same address is not locked out by someone else's failures.
    UserFactory(username="bystander", groups=["Representatives"])
    answer = client.post("/login/", {"username": "bystander", "password": "pw-for-tests-1"})
    assert answer.status_code == 302


@pytest.mark.django_db
def test_failed_sign_ins_are_throttled_per_address(throttling):
    client = Client()
    for n in range(10):
        assert (
            client.post("/login/", {"username": f"nobody{n}", "password": "x"}).status_code == 200
        )
    answer = client.post("/login/", {"username": "nobody-else", "password": "x"})
    assert answer.status_code == 429  # failures from that address are slowed down
    assert int(answer["Retry-After"]) > 0
    page = answer.content.decode()
    assert "Many sign-ins from this network failed recently" in page
    assert "correct username and password" in page  # and still told what was wrong


@pytest.mark.django_db
def test_correct_password_signs_in_while_its_address_is_over_the_failure_limit(throttling):
    """Review finding 2: failures with assorted usernames from one address (behind a proxy:
    everyone's) must not refuse the correct password of a user who is not locked."""
    UserFactory(username="late", groups=["Representatives"])
    client = Client()
    for n in range(15):
        client.post("/login/", {"username": f"nobody{n}", "password": "x"})
    answer = client.post("/login/", {"username": "late", "password": "pw-for-tests-1"})
    assert answer.status_code == 302
    assert "_auth_user_id" in client.session


@pytest.mark.django_db
@pytest.mark.parametrize("variant", ["ｒｅｐ３", "REP3", " rep3 ", "Rep3"])
def test_every_spelling_of_a_username_shares_one_failure_count(throttling, variant):
    """Review finding 3: after the per-user limit of failures for rep3, a Unicode (fullwidth) or
    case variant that authentication reads as rep3 is locked too, not given fresh guesses."""
    UserFactory(username="rep3", groups=["Representatives"])
    client = Client()
    for _ in range(3):
        assert client.post("/login/", {"username": "rep3", "password": "wrong"}).status_code == 200
    answer = client.post("/login/", {"username": variant, "password": "wrong"})
    assert answer.status_code == 429
    assert "Too many failed sign-ins" in answer.content.decode()


@pytest.mark.django_db
def test_failures_of_variants_add_up_to_one_lock(throttling):
    """Review finding 3: failures spelled differently count against the same identity."""
    UserFactory(username="rep3", groups=["Representatives"])
    client = Client()
    for variant in ("ｒｅｐ３", "REP3", "ｒｅｐ3"):
        assert client.post("/login/", {"username": variant, "password": "x"}).status_code == 200
    answer = client.post("/login/", {"username": "rep3", "password": "pw-for-tests-1"})
    assert answer.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_one_trusted_proxy_the_forwarded_address_is_counted(throttling, admin_user):
    """Review finding 2: with TRUSTED_PROXY_COUNT=1 each client is counted by the address the
    proxy appended to X-Forwarded-For; what the client wrote to its left is never trusted."""
    proxy = "10.0.0.1"

    def through_proxy(forwarded: str) -> Client:
        return Client(
            HTTP_AUTHORIZATION="Bearer guess-" + "d" * 20,
            REMOTE_ADDR=proxy,
            HTTP_X_FORWARDED_FOR=forwarded,
        )

    for n in range(5):  # a client that forges a new left-hand entry each time
        through_proxy(f"198.51.100.{n}, 203.0.113.7").get("/api/v1/teams")
    assert through_proxy("1.2.3.4, 203.0.113.7").get("/api/v1/teams").status_code == 429
    assert through_proxy("203.0.113.8").get("/api/v1/teams").status_code == 401  # someone else


@pytest.mark.django_db
def test_without_trusted_proxies_x_forwarded_for_is_ignored(throttling):
    """Review finding 2: by default (TRUSTED_PROXY_COUNT=0) a client cannot pick its address."""
    for n in range(5):
        Client(
            HTTP_AUTHORIZATION="Bearer guess-" + "e" * 20, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}"
        ).get("/api/v1/teams")
    answer = Client(
        HTTP_AUTHORIZATION="Bearer guess-" + "e" * 20, HTTP_X_FORWARDED_FOR="192.0.2.99"
    ).get("/api/v1/teams")
    assert answer.status_code == 429


@pytest.mark.django_db
def test_successful_sign_in_clears_the_username_count(throttling):
    UserFactory(username="forgetful", groups=["Representatives"])
    client = Client()
    for _ in range(2):
        client.post("/login/", {"username": "forgetful", "password": "wrong"})
    assert (
        client.post("/login/", {"username": "forgetful", "password": "pw-for-tests-1"}).status_code
        == 302
    )
    client.logout()
    for _ in range(2):
        assert (
            client.post("/login/", {"username": "forgetful", "password": "wrong"}).status_code
            == 200
        )


@pytest.mark.django_db
def test_admin_sign_in_is_throttled_too(throttling):
    UserFactory(username="staffer", is_staff=True)
    client = Client()
    for _ in range(3):
        client.post("/admin/login/", {"username": "staffer", "password": "wrong"})
    answer = client.post("/admin/login/", {"username": "staffer", "password": "pw-for-tests-1"})
    assert "Too many failed sign-ins" in answer.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_throttling_fails_open_when_its_cache_is_down(admin_user):
    """Redis down must not stop sign-ins or the API: the limiter lets requests through."""
    dead = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
    _, good = api_token_create(user=admin_user, now=T0)
    with override_settings(CACHES={"default": dead, "throttle": dead}):
        assert api(good).get("/api/v1/teams").status_code == 200
        assert api("bad-token-" + "z" * 20).get("/api/v1/teams").status_code == 401
        client = Client()
        assert (
            client.post("/login/", {"username": "admin1", "password": "wrong"}).status_code == 200
        )
        answer = client.post("/login/", {"username": "admin1", "password": "pw-for-tests-1"})
        assert answer.status_code == 302


# --- production settings ------------------------------------------------------------------------

SECURITY_SETTINGS = (
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "CSRF_COOKIE_SECURE",
    "X_FRAME_OPTIONS",
    "CONTENT_SECURITY_POLICY",
    "DEBUG",
)


@pytest.fixture
def production(monkeypatch):
    """The security settings of portal.settings.production, applied to this test's requests."""
    monkeypatch.setenv("SECRET_KEY", "production-like-test-key-" + "q" * 40)
    module = importlib.import_module("portal.settings.production")
    module = importlib.reload(module)
    values = {name: getattr(module, name) for name in SECURITY_SETTINGS}
    with override_settings(**values):
        yield values


@pytest.mark.django_db
def test_production_redirects_plain_http_to_https(production):
    answer = Client().get("/login/")
    assert answer.status_code == 301
    assert answer["Location"].startswith("https://")


@pytest.mark.django_db
def test_production_headers_on_pages_and_api(production, admin_user):
    _, token = api_token_create(user=admin_user, now=T0)
    for client, path in (
        (Client(), "/login/"),
        (Client(HTTP_AUTHORIZATION=f"Bearer {token}"), "/api/v1/teams"),
    ):
        answer = client.get(path, secure=True)
        assert answer.status_code == 200, path
        hsts = answer["Strict-Transport-Security"]
        assert "max-age=31536000" in hsts
        assert "includeSubDomains" in hsts
        assert "preload" in hsts
        assert answer["X-Content-Type-Options"] == "nosniff"
        assert answer["Referrer-Policy"] == "same-origin"
        assert answer["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_production_cookies_are_secure_and_http_only(production):
    UserFactory(username="cookie", groups=["Representatives"])
    client = Client()
    page = client.get("/login/", secure=True)
    csrf = page.cookies["csrftoken"]
    assert csrf["secure"]
    answer = client.post(
        "/login/", {"username": "cookie", "password": "pw-for-tests-1"}, secure=True
    )
    assert answer.status_code == 302
    session = answer.cookies["sessionid"]
    assert session["secure"]
    assert session["httponly"]
    assert session["samesite"].lower() == "lax"


def test_production_check_deploy_is_clean():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.production",
        "SECRET_KEY": "check-deploy-test-" + "w7" * 30,
    }
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by tests/conftest.py for Playwright
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


@pytest.mark.django_db
def test_production_sends_a_strict_content_security_policy(production, admin_user):
    """Review finding 5: pages and the API carry a Content-Security-Policy: everything from the
    portal itself, no inline script, no eval, no plugins, no framing, no foreign form targets."""
    _, token = api_token_create(user=admin_user, now=T0)
    for client, path in (
        (Client(), "/login/"),
        (Client(HTTP_AUTHORIZATION=f"Bearer {token}"), "/api/v1/teams"),
    ):
        header = client.get(path, secure=True)["Content-Security-Policy"]
        directives = {
            name: sources
            for name, *sources in (part.split() for part in header.split(";") if part.strip())
        }
        assert directives["default-src"] == ["'self'"]
        assert directives["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval'
        assert "'unsafe-inline'" not in directives["style-src"]
        assert directives["object-src"] == ["'none'"]
        assert directives["frame-ancestors"] == ["'none'"]
        assert directives["form-action"] == ["'self'"]
        assert directives["base-uri"] == ["'none'"]
        assert "unsafe-eval" not in header
        assert "*" not in header  # no host is trusted but our own
        assert "http" not in header


def test_tests_run_under_the_production_content_security_policy():
    """Review finding 5: the browser tests see the very policy production sends."""
    from django.conf import settings

    from portal.settings.csp import CONTENT_SECURITY_POLICY

    assert settings.CONTENT_SECURITY_POLICY == CONTENT_SECURITY_POLICY


def test_the_error_page_style_is_the_one_the_policy_allows():
    """Review finding 5: templates/500.html keeps its own <style> (it uses no static file); the
    policy allows exactly that block by its hash, so the page is styled and nothing else inline."""
    import base64
    import hashlib
    import re

    from portal.settings.csp import ERROR_PAGE_STYLE

    page = (ROOT / "templates" / "500.html").read_text()
    blocks = re.findall(r"<style>(.*?)</style>", page, re.S)
    assert len(blocks) == 1
    digest = base64.b64encode(hashlib.sha256(blocks[0].encode()).digest()).decode()
    assert f"'sha256-{digest}'" == ERROR_PAGE_STYLE, (
        "update ERROR_PAGE_STYLE in portal/settings/csp.py"
    )
