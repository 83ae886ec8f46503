"""PostgreSQL, with statements that ride on the transaction's next boundary (the ENGINE of every
PostgreSQL database of the portal: portal/settings/base.py).

Parameters are bound by the server when the settings say so (`server_side_binding`,
`DATABASE_PREPARE_THRESHOLD`), except in a statement of more of them than PostgreSQL takes
there (65,535: an IN list of every rep of a very large floor): this module's
`ServerBindingCursor` merges that one in the client, as Django's default cursor merges all.

`defer(sql, params)` queues a statement of the current transaction; it is sent in the same round
trip as the next SAVEPOINT, RELEASE SAVEPOINT or COMMIT that Django issues (first, then that
statement), and dropped with a ROLLBACK or ROLLBACK TO SAVEPOINT, as the database would have
dropped its effect. The event log's insert uses it (presence/services/events.py): the insert
takes the log's lock, which is held until the transaction ends, and sent with the COMMIT that
lock is held for the server's time only, not while the writer's thread waits for its
interpreter between two round trips (docs/events.md, "Ordering").
"""

from __future__ import annotations

from django.db.backends.postgresql import base

MAX_SERVER_PARAMETERS = 65_535  # the protocol's limit of one statement's bound parameters


class ServerBindingCursor(base.ServerBindingCursor):
    def execute(self, query, params=None, *, prepare=None, binary=None):
        if params is not None and len(params) > MAX_SERVER_PARAMETERS:
            # Merged in the client, sent with none: psycopg reads no placeholders then.
            query, params, prepare = (
                base.Cursor(self.connection).mogrify(query, params),
                None,
                False,
            )
        return super().execute(query, params, prepare=prepare, binary=binary)


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self) -> dict:
        params = super().get_connection_params()
        if params.get("cursor_factory") is base.ServerBindingCursor:
            params["cursor_factory"] = ServerBindingCursor
        return params

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.deferred: list[tuple[str, list]] = []

    def defer(self, sql: str, params: list) -> None:
        """Send `sql` with the transaction's next boundary (see the module's docstring)."""
        assert self.in_atomic_block, "a deferred statement belongs to a transaction"
        self.deferred.append((sql, params))

    def _send_with_deferred(self, statement: str) -> None:
        deferred, self.deferred = self.deferred, []
        sql = "; ".join([*(sql for sql, _ in deferred), statement])
        # Several statements in one query: the simple protocol, so a client-side binding cursor
        # even when the connection binds on the server (server_side_binding, settings).
        self.ensure_connection()
        with self._prepare_cursor(base.Cursor(self.connection)) as cursor:
            cursor.execute(sql, [param for _, params in deferred for param in params])

    def _commit(self) -> None:
        if self.deferred and self.connection is not None:
            self._send_with_deferred("COMMIT")  # psycopg's commit() would have nothing to do
        else:
            super()._commit()

    def _rollback(self) -> None:
        self.deferred = []
        super()._rollback()

    def _savepoint(self, sid: str) -> None:
        if self.deferred:
            self._send_with_deferred(self.ops.savepoint_create_sql(sid))
        else:
            super()._savepoint(sid)

    def _savepoint_commit(self, sid: str) -> None:
        if self.deferred:
            self._send_with_deferred(self.ops.savepoint_commit_sql(sid))
        else:
            super()._savepoint_commit(sid)

    def _savepoint_rollback(self, sid: str) -> None:
        self.deferred = []  # written since the last boundary, all inside this savepoint
        super()._savepoint_rollback(sid)

    def _close(self) -> None:
        self.deferred = []
        super()._close()
