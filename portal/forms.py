"""Validation shared by the forms and filters of every app."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError

# The days a page's date field accepts. 9999-12-31 has no next day and 0001-01-01 in a zone
# ahead of UTC falls into year 0: both were an OverflowError (a 500) in the range computations;
# no history predates 1970. Any zone's offset is under a day, so every day here computes.
FIRST_DAY, LAST_DAY = dt.date(1970, 1, 1), dt.date(9000, 12, 31)


def validate_day(value: dt.date) -> None:
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValidationError(
            f"Pick a day from {FIRST_DAY:%Y-%m-%d} to {LAST_DAY:%Y-%m-%d}.", code="day_range"
        )
