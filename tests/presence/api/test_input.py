"""Input the API must refuse with 400 naming the field, before anything is written: booleans
where a number belongs, text the database cannot store, times out of range. Each class is proved
over every field of every operation, read from the OpenAPI description, so a field added later is
covered without touching this file."""

import re

import pytest

from presence.api import api
from presence.models import CapacityProfile, Representative, Workstream
from tests.factories import RepresentativeFactory
from tests.presence.api.client import error

pytestmark = pytest.mark.django_db
SCHEMA = api.get_openapi_schema(path_prefix="/api/v1/")


@pytest.fixture
def admin(admin):
    """The package's admin (conftest.py), answering a 500 instead of raising it."""
    client = admin
    client.http.raise_request_exception = False  # a 500 is an answer to assert on, not a crash
    return client


def _resolve(schema: dict) -> dict:
    while "$ref" in schema:
        schema = SCHEMA["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _kinds(schema: dict) -> set[str]:
    """The JSON types a property takes ("array:integer" for a list of integers)."""
    schema = _resolve(schema)
    if "anyOf" in schema:
        return set().union(*(_kinds(option) for option in schema["anyOf"]))
    if schema.get("type") == "array":
        return {f"array:{kind}" for kind in _kinds(schema.get("items", {}))}
    return {schema["type"]} if "type" in schema else set()


def _filler(schema: dict):
    """A value of the right JSON type for a required property (the body must reach the one
    field under test: pydantic reports the first field at fault)."""
    schema = _resolve(schema)
    if "enum" in schema:
        return schema["enum"][0]
    if schema.get("type") == "array":
        return [_filler(schema.get("items", {}))]
    kinds = _kinds(schema)
    for kind, value in (("string", "x"), ("integer", 1), ("boolean", False), ("null", None)):
        if kind in kinds:
            return value
    return None


def _bodies():
    """(method, path, property, its JSON schema, a body that is valid but for that property) for
    every property of every request body of the API."""
    for path, operations in SCHEMA["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" not in content:
                continue
            body = _resolve(content["application/json"]["schema"])
            if "anyOf" in body:  # an optional body: `X | None`
                body = _resolve(next(o for o in body["anyOf"] if o.get("type") != "null"))
            properties = body.get("properties", {})
            base = {name: _filler(properties[name]) for name in body.get("required", [])}
            concrete = re.sub(r"\{[^}]+\}", "1", path).removeprefix("/api/v1")
            for name, schema in properties.items():
                yield method.upper(), concrete, name, schema, base


def _fields_of_kind(kind: str):
    return [
        (method, path, name, base)
        for method, path, name, schema, base in _bodies()
        if kind in _kinds(schema) or f"array:{kind}" in _kinds(schema)
    ]


INTEGER_FIELDS = _fields_of_kind("integer")
STRING_FIELDS = _fields_of_kind("string")


def test_the_walk_finds_the_fields_of_the_finding():
    """The enumeration below is not empty by accident."""
    integers = {(path, name) for _method, path, name, _base in INTEGER_FIELDS}
    assert ("/capacity-profiles", "limit") in integers
    assert ("/representatives/1", "capacity_units") in integers
    assert ("/workstreams", "offer_timeout_seconds") in integers
    assert ("/representatives/default-presence", "representative_ids") in integers
    assert len(INTEGER_FIELDS) >= 30
    assert len(STRING_FIELDS) >= 25


@pytest.mark.parametrize(("method", "path", "name", "base"), INTEGER_FIELDS)
def test_every_integer_field_refuses_true_and_false(admin, method, path, name, base):
    """Review finding 10: pydantic's lax mode read true as 1 and false as 0, so {"limit": false}
    set a limit of 0. Every integer field (and list of integers) of every body refuses both."""
    kinds = next(_kinds(s) for m, p, n, s, _ in _bodies() if (m, p, n) == (method, path, name))
    for flag in (True, False):
        value = [flag] if "integer" not in kinds else flag
        response = admin.call(method, path, {**base, name: value})
        body = error(response, 400, "invalid", field=name)
        assert "true or false" in body["detail"]


@pytest.mark.parametrize(("method", "path", "name", "base"), STRING_FIELDS)
def test_every_text_field_refuses_a_lone_surrogate(admin, method, path, name, base):
    """Review finding 7: a JSON body holding "\\ud800" (a lone surrogate, which UTF-8 cannot
    encode) answered 500 on every create and update; every text field of every body is 400."""
    kinds = next(_kinds(s) for m, p, n, s, _ in _bodies() if (m, p, n) == (method, path, name))
    value = ["\ud800"] if "string" not in kinds else "x\ud800y"
    response = admin.call(method, path, {**base, name: value})
    error(response, 400, "invalid", field=name)


def test_booleans_as_numbers_write_nothing(admin):
    """Review finding 10, the examples: nothing is created or changed."""
    rep = RepresentativeFactory(capacity_units=3)
    error(
        admin.patch(f"/representatives/{rep.pk}", {"capacity_units": True}),
        400,
        "invalid",
        field="capacity_units",
    )
    error(
        admin.post("/capacity-profiles", {"name": "P", "limit": True}),
        400,
        "invalid",
        field="limit",
    )
    error(
        admin.post("/workstreams", {"name": "W", "channel": "chat", "offer_timeout_seconds": True}),
        400,
        "invalid",
        field="offer_timeout_seconds",
    )
    rep.refresh_from_db()
    assert rep.capacity_units == 3
    assert not CapacityProfile.objects.filter(name="P").exists()
    assert not Workstream.objects.filter(name="W").exists()


def test_a_lone_surrogate_in_a_create_writes_nothing(admin):
    """Review finding 7: the create is refused before anything is written."""
    before = Representative.objects.count()
    body = error(admin.post("/representatives", {"name": "A\ud800"}), 400, "invalid", field="name")
    assert "surrogate" in body["detail"]
    assert Representative.objects.count() == before


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"end": "2026-01-11T16:23:59-16:07"}, None),  # PostgreSQL refuses the offset as given
        ({"start": "2026-01-11T08:00:00+15:30", "end": "2026-01-11T16:23:59-16:07"}, None),
        ({"end": "0001-01-01T00:00:00+14:00"}, "end"),  # overflows once made UTC
        ({"end": "0001-01-01T00:00:00Z"}, "end"),  # the default start (end - 24 h) overflows
        ({"start": "9999-12-31T23:59:59-14:00", "end": "9999-12-31T23:59:59Z"}, "start"),
        ({"end": "2026-01-11T16:23:59"}, "end"),  # no offset
    ],
)
def test_history_times_out_of_range_answer_400_naming_the_field(admin, query, field):
    """Review finding 7: presence-history with an offset PostgreSQL refuses (-16:07) or a time
    that overflows answered a 500 HTML page. A time with any offset Python takes is read as UTC;
    one outside 1900-9000 is 400 naming the field."""
    rep = RepresentativeFactory()
    response = admin.get(f"/representatives/{rep.pk}/presence-history", **query)
    if field is None:
        assert response.status_code == 200, response.content
        assert response.json() == []
    else:
        error(response, 400, "invalid", field=field)
