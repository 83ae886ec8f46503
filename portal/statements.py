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
    capacity_units.rows(ids=[3, 7])  # [(3, 2), (7, 4)], as the values_list() would give

The values are integers, strings, aware datetimes and lists of them (a shape per list length,
up to `LONGEST`; longer lists, a queryset in place of a list (a subquery) and an integer beyond
64 bits are compiled each time, as the ORM would). The placeholders are values no constant of a
query takes (constants are small numbers and words; integer placeholders sit just under 2**31,
inside a 32-bit id column's range, which the ORM checks a value against before it compiles: a
placeholder beyond it made the query "empty"); a placeholder the ORM did not pass on as a
parameter unchanged (a value folded into the SQL, shifted before the ORM saw it, deduplicated
out of a list, taken as out of range) is an error at the first call, never a wrong answer.
`build` returns a `values_list()` of named columns, and the rows are what it would return
(Django's converters applied), as tuples.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import QuerySet, Value

LONGEST = 64  # the longest id list given a shape of its own
_FIRST_INT = 2**31 - 2**20  # inside int4 (contrib.auth's ids), far above a query's constants
_FIRST_TIME = dt.datetime(1901, 1, 1, tzinfo=dt.UTC)  # before any time the portal stores


class Statement:
    def __init__(self, build: Callable[..., QuerySet], *, convert: bool = True) -> None:
        """`convert=False`: the driver's values without Django's converters, which cost more
        than the query at 50,000 rows (integer, text and boolean columns only; booleans are
        0/1 on SQLite)."""
        self._build = build
        self._convert = convert
        self._compiled: dict[tuple, _Compiled | None] = {}  # None: no rows

    def rows(self, **values: Any) -> list[tuple]:
        shape = (connection.vendor, *((name, _length(v)) for name, v in sorted(values.items())))
        if any(length is not None and length > LONGEST for _, length in shape[1:]) or any(
            map(_beyond_bigint, values.values())
        ):
            compiled = self._compile(values, placeholders=False)
            return [] if compiled is None else compiled.run(compiled.params)
        if shape not in self._compiled:
            self._compiled[shape] = self._compile(values)
        compiled = self._compiled[shape]
        if compiled is None:
            return []  # the ORM knows the answer without asking (an empty id list)
        adapt = connection.ops.adapt_datetimefield_value
        params = []
        for constant, name, index in compiled.slots:
            if name is None:
                params.append(constant)
                continue
            value = values[name] if index is None else values[name][index]
            params.append(adapt(value) if isinstance(value, dt.datetime) else value)
        return compiled.run(params)

    def _compile(self, values: dict[str, Any], *, placeholders: bool = True) -> _Compiled | None:
        """The SQL with placeholder values, and for each parameter either its constant or the
        value (name, index in its list) that fills it; with placeholders=False, the SQL of
        `values` themselves, run once."""
        adapt = connection.ops.adapt_datetimefield_value
        given, where = {}, {}
        serial = 0
        for name, value in values.items():
            if not placeholders:
                given[name] = value
                continue
            if isinstance(value, list | tuple):
                given[name] = []
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
                elif isinstance(item, str):
                    placeholder = f"\x1fplaceholder {serial}"
                    where[placeholder] = (name, index)
                else:
                    raise TypeError(f"{name}: only ints, strings and datetimes, or lists of them")
                if index is None:
                    given[name] = placeholder
                else:
                    given[name].append(placeholder)
        queryset = self._build(**given)
        query = queryset.query
        fields = queryset._fields
        if not fields:
            raise TypeError("a statement is a values_list() of named columns")
        columns = [*query.extra_select, *query.values_select, *query.annotation_select]
        if [*fields, *(f for f in query.annotation_select if f not in fields)] != columns:
            raise ValueError(f"columns in another order than the SQL's: {columns}")
        compiler = query.get_compiler(connection.alias)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:
            if placeholders and not any(
                isinstance(value, list | tuple) and not value for value in values.values()
            ):  # the placeholders' own values, not the shape, made the ORM answer "no rows"
                raise ValueError(f"the ORM finds no rows for any {sorted(values)}") from None
            return None
        converters = (
            compiler.get_converters([col for col, _, _ in compiler.select[: compiler.col_count]])
            if self._convert
            else {}
        )
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
        return _Compiled(sql, list(params), slots, converters)


class Instances:
    """A Statement whose rows are model instances, with the related objects of `related` cached
    on them as select_related() caches them: for the lookups of a hot path that need objects (a
    conversation and its workstream under lock, an offer and its rep).

        locked = Instances(
            lambda *, pk: Conversation.objects.select_for_update(of=("self",)).filter(pk=pk),
            related=("workstream", "workstream__capacity_profile"),
        )
        locked.first(pk=7)  # a Conversation, or None

    `build` gives a queryset of the model (filters, locks; no values, no select_related): every
    concrete field of the model and of each related object is read, and the instances are what
    the ORM would make of those rows (Model.from_db). A related object that is NULL is None."""

    def __init__(self, build: Callable[..., QuerySet], *, related: tuple[str, ...] = ()) -> None:
        self._build = build
        self._related = sorted(related, key=lambda path: path.count("__"))  # parents first
        self._layout: list[tuple[str | None, Any, list[str], int, Any]] = []
        self._statement = Statement(self._values)

    def _values(self, **values: Any) -> QuerySet:
        queryset = self._build(**values)
        layout = []
        for path in (None, *self._related):
            model, link = queryset.model, None  # link: the parent's field that caches this object
            for name in path.split("__") if path else ():
                link = model._meta.get_field(name)
                model = link.related_model
            names = [field.attname for field in model._meta.concrete_fields]
            layout.append((path, model, names, names.index(model._meta.pk.attname), link))
        self._layout = layout
        return queryset.values_list(
            *(
                name if path is None else f"{path}__{name}"
                for path, _, names, _, _ in layout
                for name in names
            )
        )

    def all(self, **values: Any) -> list:
        rows = self._statement.rows(**values)
        found = []
        for row in rows:
            made: dict[str | None, Any] = {}
            start = 0
            for path, model, names, pk_at, link in self._layout:
                part = row[start : start + len(names)]
                start += len(names)
                made[path] = (
                    None if part[pk_at] is None else model.from_db(connection.alias, names, part)
                )
                if link is not None:
                    parent = made[path.rpartition("__")[0] or None]
                    if parent is not None:
                        link.set_cached_value(parent, made[path])
            found.append(made[None])
        return found

    def first(self, **values: Any):
        """The first instance, or None (as QuerySet.first(), in the queryset's own order)."""
        found = self.all(**values)
        return found[0] if found else None


def totals(queryset: QuerySet, **aggregates: Any) -> QuerySet:
    """`queryset.aggregate(**aggregates)` as a values_list() of its one row, which a Statement
    takes: grouped by a constant, which the ORM leaves out of the SQL (an aggregate without GROUP
    BY: one row, even over no rows; no row only when the ORM answers without asking, as for an
    empty id list, so give every aggregate a default and read `rows(...) or [defaults]`)."""
    return (
        queryset.order_by()
        .annotate(whole=Value(1))
        .values("whole")
        .annotate(**aggregates)
        .values_list(*aggregates)
    )


class _Compiled:
    def __init__(self, sql: str, params: list, slots: list[tuple], converters: dict) -> None:
        self.sql, self.params, self.slots, self.converters = sql, params, slots, converters

    def run(self, params: Sequence) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        if not self.converters:
            return rows
        converted = []
        for row in rows:  # as Django's SQLCompiler.apply_converters, in this thread's connection
            row = list(row)
            for position, (functions, expression) in self.converters.items():
                value = row[position]
                for function in functions:
                    value = function(value, expression, connection)
                row[position] = value
            converted.append(tuple(row))
        return converted


def _beyond_bigint(value: Any) -> bool:
    """An id no column holds (a path's 2**70): the ORM's own query answers it (no rows), where a
    bound parameter would overflow the driver."""
    items = value if isinstance(value, list | tuple) else (value,)
    return any(isinstance(item, int) and not -(2**63) <= item < 2**63 for item in items)


def _length(value: Any) -> int | None:
    if isinstance(value, QuerySet):
        return LONGEST + 1  # a subquery: built each time, as a long list
    return len(value) if isinstance(value, list | tuple) else None
