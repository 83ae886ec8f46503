"""Statements the ORM builds once per process and shape, then runs with new values (issue 13).

Django builds a queryset and compiles it to SQL on every call, and for the small statements of a
hot path that costs more than running them: under the floor's load (`bench/floor.py`) building
and compiling statements took about 40% of the web server's CPU, the two capacity reads of every
event, console refresh and grid a tenth of it on their own. A `Statement` keeps the queryset the
one definition of the read (its conditions, joins and columns), and asks the ORM for it once per
shape: `build` is called with placeholder values, the SQL is kept, and each call fills the
placeholders' positions in its parameters with the values it is given.

    capacity_units = Statement(
        lambda *, ids: Representative.objects.filter(pk__in=ids).values_list("pk", "capacity_units")
    )
    capacity_units.rows(ids=[3, 7])  # [(3, 2), (7, 4)]: the driver's rows, no converters

The values are integers, lists of integers (a shape per length, up to `LONGEST`; longer lists
are compiled each time) and aware datetimes. The placeholders are values no real id or time
takes; a placeholder the ORM did not pass as a parameter (a value folded into the SQL, a list
the ORM deduplicated) is an error at the first call, never a wrong answer. A placeholder that
a constant of the query equals is excluded by their range (constants are small numbers and
strings; ids are under 2**62, placeholders above). The rows are the driver's, as `values_list`
would return them without Django's converters: integer, text and boolean columns only (booleans
are 0/1 on SQLite), and datetimes as the driver gives them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import QuerySet

LONGEST = 64  # the longest id list given a shape of its own
_FIRST_INT = 2**62  # above every id; below bigint's ceiling
_FIRST_TIME = dt.datetime(1901, 1, 1, tzinfo=dt.UTC)  # before any time the portal stores


class Statement:
    def __init__(self, build: Callable[..., QuerySet]) -> None:
        self._build = build
        self._compiled: dict[tuple, tuple[str, list[tuple]] | None] = {}  # None: no rows

    def rows(self, **values: Any) -> list[tuple]:
        shape = (connection.vendor, *((name, _length(v)) for name, v in sorted(values.items())))
        if shape not in self._compiled:
            if any(length is not None and length > LONGEST for _, length in shape[1:]):
                return _uncompiled(self._build(**values))
            self._compiled[shape] = self._compile(values)
        compiled = self._compiled[shape]
        if compiled is None:
            return []  # the ORM knows the answer without asking (an empty id list)
        sql, slots = compiled
        adapt = connection.ops.adapt_datetimefield_value
        params = []
        for constant, name, index in slots:
            if name is None:
                params.append(constant)
                continue
            value = values[name] if index is None else values[name][index]
            params.append(adapt(value) if isinstance(value, dt.datetime) else value)
        return _execute(sql, params)

    def _compile(self, values: dict[str, Any]) -> tuple[str, list[tuple]] | None:
        """The SQL with placeholder values, and for each parameter either its constant or the
        value (name, index in its list) that fills it."""
        adapt = connection.ops.adapt_datetimefield_value
        placeholders, where = {}, {}
        serial = 0
        for name, value in values.items():
            if isinstance(value, list | tuple):
                placeholders[name] = []
            for index, item in (
                enumerate(value) if isinstance(value, list | tuple) else [(None, value)]
            ):
                serial += 1
                if isinstance(item, dt.datetime):
                    placeholder = _FIRST_TIME + dt.timedelta(seconds=serial)
                    where[adapt(placeholder)] = (name, index)
                elif isinstance(item, int) and not isinstance(item, bool):
                    placeholder = _FIRST_INT + serial
                    where[placeholder] = (name, index)
                else:
                    raise TypeError(f"{name}: only ints, lists of ints and datetimes")
                if index is None:
                    placeholders[name] = placeholder
                else:
                    placeholders[name].append(placeholder)
        try:
            sql, params = self._build(**placeholders).query.sql_with_params()
        except EmptyResultSet:
            return None
        slots, filled = [], set()
        for param in params:
            found = where.get(param) if isinstance(param, int | str | dt.datetime) else None
            if found is None:
                slots.append((param, None, None))
            else:
                slots.append((None, *found))
                filled.add(found)
        missing = set(where.values()) - filled
        if missing:
            raise ValueError(f"values the statement does not take as parameters: {missing}")
        return sql, slots


def _length(value: Any) -> int | None:
    return len(value) if isinstance(value, list | tuple) else None


def _uncompiled(queryset: QuerySet) -> list[tuple]:
    try:
        return _execute(*queryset.query.sql_with_params())
    except EmptyResultSet:
        return []


def _execute(sql: str, params: Sequence) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
