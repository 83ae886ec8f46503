"""`{{ moment|clock:now }}`: portal.formatting.clock in the zone the page is rendered in
(views render inside timezone.override(<the zone the page names>))."""

from __future__ import annotations

from django import template
from django.utils import timezone

from portal import formatting

register = template.Library()


@register.filter
def clock(value, now):
    return formatting.clock(value, tz=timezone.get_current_timezone(), now=now)


@register.filter
def clock_seconds(value, now):
    return formatting.clock(value, tz=timezone.get_current_timezone(), now=now, seconds=True)


@register.filter
def day_label(value):
    return formatting.day_label(value, tz=timezone.get_current_timezone())
