"""The audit log (A4): who changed what, when, old and new values side by side; filtered by
actor, object type and a range of days; sortable and paginated in SQL."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from django_tables2 import RequestConfig

from presence.filters import AuditFilter
from presence.models import AuditLogEntry, PresenceStatus
from presence.tables import AuditTable

from ._common import admin_required, render_page


def _shown(value) -> str:
    if value is None:
        return "—"
    if value == "":
        return "(empty)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_shown(v) for v in value) or "(none)"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


STATUS_ID_KEYS = ("default_presence_id", "status_id")


def _status_names(entries: list[AuditLogEntry]) -> dict[int, str]:
    """Names of the statuses that entries name by id (one query for the page)."""
    ids = {
        value
        for entry in entries
        for values in (entry.before or {}, entry.after or {})
        for key, value in values.items()
        if key in STATUS_ID_KEYS and isinstance(value, int)
    }
    return dict(PresenceStatus.objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}


def changes_of(entry: AuditLogEntry, names: dict[int, str]) -> list[tuple[str, str, str]]:
    """(field, old, new) for every field the entry names, in the order it wrote them;
    a status id is shown by its name."""
    before, after = entry.before or {}, entry.after or {}
    rows = []
    for key in dict.fromkeys([*before, *after]):
        old, new = before.get(key), after.get(key)
        if key in STATUS_ID_KEYS:
            old, new = (
                names.get(v, f"status #{v}") if isinstance(v, int) else v for v in (old, new)
            )
            key = key.removesuffix("_id")
        rows.append((key.replace("_", " "), _shown(old), _shown(new)))
    return rows


@admin_required
@require_GET
def audit_list(request: HttpRequest) -> HttpResponse:
    filterset = AuditFilter(request.GET or None, queryset=AuditLogEntry.objects.all())
    table = AuditTable(filterset.qs)
    RequestConfig(request, paginate={"per_page": AuditTable._meta.per_page}).configure(table)
    entries = [row.record for row in table.page.object_list]
    names = _status_names(entries)
    context = {
        "filter": filterset,
        "table": table,
        "entries": [(entry, changes_of(entry, names)) for entry in entries],
    }
    return render_page(request, "presence/config/audit.html", context, partial="results")
