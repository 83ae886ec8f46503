"""Formatting of the historical report: durations and rates."""

from django import template

register = template.Library()


def hms(seconds: int | None) -> str:
    """3725 -> "1:02:05" (hours may exceed 24); None -> "—"."""
    if seconds is None:
        return "—"
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f} %"


def hours(seconds: int | None) -> str:
    """3725 -> "1.03 h"."""
    return "—" if seconds is None else f"{int(seconds) / 3600:,.2f} h"


register.filter("hms", hms)
register.filter("hours", hours)
register.filter("percent", percent)
