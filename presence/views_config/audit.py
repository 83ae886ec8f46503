"""The audit log (A4): who changed what, when, old and new values side by side; filtered by
actor, object type and a range of days; sortable and paginated in SQL. Actions and object types
are shown in words (audit_labels); the entries of one bulk action (one batch id) are one row
listing every object it changed."""

from __future__ import annotations

import json
from collections import defaultdict

from django.db.models import Min, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from django_tables2 import RequestConfig

from portal.pages import render_page
from presence.audit_labels import action_label, object_type_label, objects_label
from presence.filters import AuditFilter
from presence.models import AuditLogEntry, PresenceStatus
from presence.tables import AuditTable

from . import admin_required


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


def one_row_per_action(entries: QuerySet[AuditLogEntry]) -> QuerySet[AuditLogEntry]:
    """The entries that head a row: every entry of no batch, and the first of each batch."""
    firsts = (
        AuditLogEntry.objects.filter(batch__isnull=False)
        .order_by()
        .values("batch")
        .annotate(first=Min("pk"))
        .values("first")
    )
    return entries.filter(Q(batch__isnull=True) | Q(pk__in=firsts))


def _members(heads: list[AuditLogEntry]) -> dict:
    """Every entry of the batches that `heads` begin, by batch (one query for the page)."""
    batches = {entry.batch for entry in heads if entry.batch}
    members = defaultdict(list)
    if batches:
        rows = AuditLogEntry.objects.filter(batch__in=batches).order_by("object_repr", "pk")
        for entry in rows:
            members[entry.batch].append(entry)
    return members


def _row(entry: AuditLogEntry, members: list[AuditLogEntry], names: dict) -> dict:
    items = [(member, changes_of(member, names)) for member in members]
    shared = len({json.dumps(changes) for _, changes in items}) == 1
    return {
        "entry": entry,
        "action_label": action_label(entry.action),
        "type_label": object_type_label(entry.object_type),
        # A batch whose objects all changed the same way shows that change once.
        "changes": changes_of(entry, names) if not members or shared else [],
        "members": items,
        "objects_label": objects_label(entry.object_type, len(members)),
    }


@admin_required
@require_GET
def audit_list(request: HttpRequest) -> HttpResponse:
    filterset = AuditFilter(request.GET or None, queryset=AuditLogEntry.objects.all())
    table = AuditTable(one_row_per_action(filterset.qs))
    RequestConfig(request, paginate={"per_page": AuditTable._meta.per_page}).configure(table)
    heads = [row.record for row in table.page.object_list]
    members = _members(heads)
    names = _status_names([*heads, *(m for group in members.values() for m in group)])
    context = {
        "filter": filterset,
        "table": table,
        "rows": [_row(entry, members.get(entry.batch, []), names) for entry in heads],
    }
    return render_page(request, "presence/config/audit.html", context, partial="results")
