"""The doors of the permission matrix: every URL pattern of the project from the URL resolver,
the path filled with ids of the fixture world (tests/reliability/world.py), a request as each
role, and the answer expected for it (door_answers.py). Shared with the hostile-input, hostile-
filter and CSP tests, which knock on the same doors."""

from __future__ import annotations

import json
import re

from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from presence.api import api
from tests.clock import T0
from tests.reliability.door_answers import ADMIN_MODELS, ADMIN_SITE_PAGES, EXPECTED
from tests.reliability.world import World

# --- the patterns -------------------------------------------------------------------------------


def walk(patterns, prefix: str = "", namespace: str = ""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = namespace
            if p.namespace:
                ns = f"{namespace}:{p.namespace}" if namespace else p.namespace
            yield from walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            name = f"{namespace}:{p.name}" if namespace and p.name else (p.name or "")
            yield prefix + str(p.pattern), name, p


def api_methods() -> dict[str, list[str]]:
    """The HTTP methods of each API operation, by its URL name (the view function's name)."""
    methods: dict[str, list[str]] = {}
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                methods[operation.view_func.__name__] = list(operation.methods)
    return methods


def all_doors() -> list[tuple[str, str, str]]:
    """(key, route, method) for every pattern; the key is the URL name, or the route if unnamed."""
    operations = api_methods()
    doors = []
    for route, name, _pattern in walk(get_resolver().url_patterns):
        key = name or route
        if route.startswith("admin/"):
            doors.append((key, route, "GET"))
        elif name.startswith("api:") and name[4:] in operations:
            doors += [(key, route, method) for method in operations[name[4:]]]
        elif name.startswith("api:"):
            doors.append((key, route, "GET"))  # openapi.json, docs, the root
        else:
            doors += [(key, route, "GET"), (key, route, "POST")]
    return doors


DOORS = all_doors()


# --- filling the path and the body ---------------------------------------------------------------


def _api_id(route: str, name: str, world: World) -> int:
    if route.startswith("api/v1/representatives/"):
        return world.rep.pk
    if route.startswith("api/v1/presence-statuses/"):
        return world.status.pk
    if route.startswith("api/v1/capacity-profiles/"):
        return world.profile.pk
    if route.startswith("api/v1/workstreams/"):
        return world.workstream.pk
    if route.startswith("api/v1/webhooks/"):
        return _webhook(world)
    if route.startswith("api/v1/offers/"):
        return world.offer.pk
    if route.startswith("api/v1/conversations/"):
        if name in ("api:offer_create", "api:conversation_assign"):
            return world.queued.pk
        return world.active.pk
    raise LookupError(route)


def _admin_object_id(name: str, world: World) -> str:
    match = re.fullmatch(r"admin:(\w+?)_(\w+)_(history|delete|change)", name)
    if match:
        model = apps.get_model(match[1], match[2])
        pk = model.objects.order_by("pk").values_list("pk", flat=True).first()
        return str(pk or 999999)
    return str(world.users["rep"].pk)


def url_for(key: str, route: str, world: World) -> str:
    if route.startswith("admin/(?P<url>"):  # the admin's catch-all
        return "/admin/no-such-page/"
    params = re.findall(r"<(?:(\w+):)?(\w+)>", route)
    if not params:
        return "/" + route
    values: dict[str, object] = {}
    for _converter, param in params:
        if param == "id" and route.startswith("api/"):
            values[param] = _api_id(route, key, world)
        elif param == "id" and route.startswith("admin/auth/user/"):
            values[param] = world.users["rep"].pk
        elif param == "object_id":
            values[param] = _admin_object_id(key, world)
        elif param == "content_type_id":
            from django.contrib.contenttypes.models import ContentType

            values[param] = ContentType.objects.get_for_model(type(world.rep)).pk
        elif param == "action":
            values[param] = ACTIONS[key]
        elif param in PARAMS:
            values[param] = PARAMS[param](world)
        else:
            raise LookupError(f"{route}: add a value for path parameter {param!r} to PARAMS")
    if key.startswith(("admin:", "api:")) or ":" in key:
        try:
            return reverse(key, kwargs=values)
        except Exception:  # noqa: BLE001 - unnamed admin redirects
            pass
    path = route
    for converter, param in params:
        token = f"<{converter}:{param}>" if converter else f"<{param}>"
        path = path.replace(token, str(values[param]))
    return "/" + path


def _webhook(world: World) -> int:
    """A webhook endpoint (made on first use: the admin's DELETE removes it)."""
    from presence.models import WebhookEndpoint
    from presence.services import config

    endpoint = WebhookEndpoint.objects.order_by("pk").first()
    if endpoint is None:
        endpoint = config.webhook_create(actor=None, now=T0, url="http://127.0.0.1:9/matrix")[0]
    return endpoint.pk


PARAMS = {
    "endpoint_id": _webhook,
    "event_id": lambda w: 999_999,  # not in the log: "send again" says so, sends nothing
    "representative_id": lambda w: w.rep.pk,
    "conversation_id": lambda w: w.active.pk,
    "offer_id": lambda w: w.offer.pk,
    "status_id": lambda w: w.status.pk,
    "profile_id": lambda w: w.profile.pk,
    "workstream_id": lambda w: w.workstream.pk,
    "team_id": lambda w: w.team_a.pk,
    "client_id": lambda w: w.client_id,
    "app_label": lambda w: "presence",
    "user_id": lambda w: w.users["rep"].pk,
    "token_id": lambda w: w.users["rep"].api_tokens.get().pk,
    "pk": lambda w: w.rep.pk,
    # Issue 16: alerts.
    "rule_id": lambda w: w.alert_rule.pk,
    "breach_id": lambda w: w.breach.pk,
    # Issue 15: a new user's set-password link (a real user, a token that is not valid).
    "uidb64": lambda w: _uidb64(w.users["rep"]),
    "token": lambda w: "matrix-bad-token",
}

# The `<str:action>` of a pattern, by its URL name: one that moves the world's active conversation.
ACTIONS = {
    "presence:console_conversation_action": "end",  # the rep's own, active: wrap-up starts
    "reports:conversation_move": "release",  # a supervisor sends it back to the queue
}


def _uidb64(user) -> str:
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    return urlsafe_base64_encode(force_bytes(user.pk))


API_BODIES = {
    "api:presence_status_create": lambda w: {
        "name": "Matrix new",
        "presence_text": "Matrix new",
        "base_status": "away",
    },
    "api:presence_status_update": lambda w: {"description": "changed"},
    "api:capacity_profile_create": lambda w: {"name": "Matrix profile", "limit": 2},
    "api:capacity_profile_update": lambda w: {"limit": 4},
    "api:workstream_create": lambda w: {"name": "Matrix ws", "channel": "chat"},
    "api:workstream_update": lambda w: {"offer_timeout_seconds": 120},
    "api:team_create": lambda w: {"name": "Matrix team"},
    "api:representative_create": lambda w: {"name": "Matrix new rep"},
    "api:representative_update": lambda w: {"capacity_units": 4},
    "api:representative_profile_set": lambda w: {"limit": 2},
    "api:representatives_default_presence": lambda w: {
        "representative_ids": [w.rep.pk],
        "default_presence_id": None,
    },
    "api:presence_set": lambda w: {"status_id": w.status.pk},
    "api:presence_reset": lambda w: {},
    "api:client_connect": lambda w: {},
    "api:conversation_create": lambda w: {"workstream_id": w.workstream.pk},
    "api:offer_create": lambda w: {"representative_id": w.rep_a2.pk, "force": True},
    "api:conversation_assign": lambda w: {"representative_id": w.rep_a2.pk, "force": True},
    "api:conversation_transfer": lambda w: {"representative_id": w.rep_a2.pk},
    "api:conversation_consult": lambda w: {"representative_id": w.rep_a2.pk},
    "api:conversation_revive": lambda w: {"by": "customer"},
    "api:webhook_create": lambda w: {"url": "http://127.0.0.1:9/matrix-new"},
    "api:webhook_update": lambda w: {"description": "changed"},
}

PAGE_BODIES = {
    "presence:console_client_connect": lambda w: {"client_id": "matrix-console-2"},
    "presence:console_set_presence": lambda w: {"status_id": w.status.pk},
    "presence:console_client_heartbeat": lambda w: {"client_id": w.client_id},
    "presence:console_client_goodbye": lambda w: {"client_id": w.client_id},
    "reports:agent_set_presence": lambda w: {"status_id": w.status.pk},
}


def knock(world: World, role: str, key: str, route: str, method: str) -> int:
    url = url_for(key, route, world)
    if key.startswith("api:"):
        token = world.tokens[role]
        client = Client(HTTP_AUTHORIZATION=f"Bearer {token}") if token else Client()
        body = API_BODIES.get(key, lambda w: None)(world)
        kwargs = {"content_type": "application/json"} if body is not None else {}
        response = client.generic(
            method, url, data=json.dumps(body) if body is not None else "", **kwargs
        )
    else:
        client = Client()
        if world.users[role] is not None:
            client.force_login(world.users[role])
        data = PAGE_BODIES.get(key, lambda w: {})(world)
        response = client.get(url) if method == "GET" else client.post(url, data)
    assert response.status_code < 500, (role, method, url, response.status_code)
    return response.status_code


def expected_for(key: str, route: str, method: str) -> tuple[int, ...] | None:
    if route.startswith("admin/"):
        return admin_expected(key, route)
    return EXPECTED.get(key, {}).get(method)


def admin_expected(key: str, route: str) -> tuple[int, ...] | None:
    """The admin guards its own pages: anyone but a portal admin goes to its sign-in, staff
    supervisors included; the portal admin (staff) gets what the model's permissions allow."""
    if key in ADMIN_SITE_PAGES:
        return ADMIN_SITE_PAGES[key]
    match = re.fullmatch(
        r"admin:(\w+?)_(\w+?)_(changelist|add|history|delete|change|password_change)", key
    )
    if match is None:
        # Unnamed: <object_id>/ redirects to the change page (staff), sign-in for the others.
        model = re.fullmatch(r"admin/(\w+)/(\w+)/<path:object_id>/", route)
        if model is None or f"{model[1]}_{model[2]}" not in ADMIN_MODELS:
            return None
        return (302, 302, 302, 302, 302)
    answers = ADMIN_MODELS.get(f"{match[1]}_{match[2]}")
    if answers is None:
        return None
    return (302, 302, 302, 302, answers[match[3]])


def page_doors() -> list[tuple[str, str]]:
    """The (key, route) of every page a browser opens with GET (no API, admin or logout)."""
    return sorted(
        {
            (key, route)
            for key, route, method in DOORS
            if method == "GET" and not route.startswith(("api/", "admin/")) and key != "logout"
        }
    )


def html_pages(client: Client, world: World):
    """(key, url, html) of every page door that answers `client` with an HTML page."""
    for key, route in page_doors():
        url = url_for(key, route, world)
        page = client.get(url)
        if page.status_code != 200 or "html" not in page.get("Content-Type", ""):
            continue
        yield key, url, page.content.decode(errors="replace")
