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
from django.utils import timezone

from presence.models import ApiToken
from presence.services import api_token_create, api_token_revoke
from tests.factories import RepresentativeFactory, UserFactory

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
    token, plaintext = api_token_create(user=admin_user, now=timezone.now())
    client = api(plaintext)
    assert client.get("/api/v1/teams").status_code == 200
    api_token_revoke(token=token, now=timezone.now(), actor=admin_user)
    answer = client.get("/api/v1/teams")
    assert answer.status_code == 401
    assert answer.json()["error"] == "unauthorized"


@pytest.mark.django_db
def test_a1_token_of_a_deactivated_user_stops_working(admin_user):
    _, plaintext = api_token_create(user=admin_user, now=timezone.now())
    admin_user.is_active = False
    admin_user.save()
    assert api(plaintext).get("/api/v1/teams").status_code == 401


@pytest.mark.django_db
def test_a1_only_the_hash_of_a_token_is_stored(admin_user):
    token, plaintext = api_token_create(user=admin_user, now=timezone.now())
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
    _, good = api_token_create(user=admin_user, now=timezone.now())
    for _ in range(5):
        assert api("guess-" + "a" * 20).get("/api/v1/teams").status_code == 401
    answer = api("guess-" + "b" * 20).get("/api/v1/teams")
    assert answer.status_code == 429
    assert answer.json()["error"] == "throttled"
    assert int(answer["Retry-After"]) > 0
    # While the address is blocked even a good token waits: guessing must not learn anything.
    assert api(good).get("/api/v1/teams").status_code == 429
    other = Client(HTTP_AUTHORIZATION=f"Bearer {good}", REMOTE_ADDR="127.0.0.9")
    assert other.get("/api/v1/teams").status_code == 200


@pytest.mark.django_db
def test_good_tokens_are_never_counted(throttling, admin_user):
    _, good = api_token_create(user=admin_user, now=timezone.now())
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
        client.post("/login/", {"username": f"nobody{n}", "password": "x"})
    UserFactory(username="late", groups=["Representatives"])
    answer = client.post("/login/", {"username": "late", "password": "pw-for-tests-1"})
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
    _, good = api_token_create(user=admin_user, now=timezone.now())
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
    _, token = api_token_create(user=admin_user, now=timezone.now())
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
