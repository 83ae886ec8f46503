"""Values for HTML attributes, built into every template (settings TEMPLATES "builtins")."""

from __future__ import annotations

import datetime as dt

from django import template

register = template.Library()


@register.filter(expects_localtime=True)
def datetime_attr(value: dt.datetime | dt.date | None) -> str:
    """A valid `<time datetime>`: ISO 8601 to the second, with the offset. Django's `date:'c'`
    adds microseconds, which the HTML standard does not allow (3 fraction digits at most)."""
    if value is None or value == "":
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    return value.isoformat()
