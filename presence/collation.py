"""Natural order of people's names: "rep 2" before "rep 10", "ada" next to "Ada".

Representative and team names are stored with the `natural_sort` collation, so every
`order_by("name")` (tables, dropdowns, exports) sorts naturally in the database, paginated or not:
on PostgreSQL an ICU collation with numeric ordering (migration 0003), on SQLite the same order
from `natural_key`, registered on every new connection (PresenceConfig.ready).
"""

from __future__ import annotations

import functools
import re

NATURAL_SORT = "natural_sort"
ICU_LOCALE = "und-u-kn-true"  # root locale, numeric ordering on
_DIGITS = re.compile(r"(\d+)")


@functools.lru_cache(maxsize=65536)  # SQLite calls the collation O(n log n) times per sort
def natural_key(text: str) -> tuple:
    """A sort key: digit runs compare as numbers, the rest ignoring case."""
    parts = _DIGITS.split(text.casefold())
    return tuple((0, int(part), "") if i % 2 else (1, 0, part) for i, part in enumerate(parts))


def _compare(left: str, right: str) -> int:
    # Deterministic: equal only when identical (the column's equality uses this collation).
    a, b = (natural_key(left), left), (natural_key(right), right)
    return (a > b) - (a < b)


def register_sqlite_collation(sender, connection, **kwargs) -> None:
    """connection_created receiver: SQLite learns the `natural_sort` collation."""
    if connection.vendor == "sqlite":
        connection.connection.create_collation(NATURAL_SORT, _compare)
