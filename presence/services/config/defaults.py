"""D4: the default presence of many reps — a plan (the preview: nothing written) and its apply.

A plan lists every change (rep, old → new) and every invalid row with its reason. It is built
from a queryset and one status (a selection, or "every rep matching this filter"), or from rows
of a CSV file (`representative external id or e-mail, status name`). Interfaces build the plan
again when the admin applies it — a preview is never trusted — and `default_presence_plan_apply`
writes it all-or-nothing with one audit row per rep, in a bounded number of queries.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower

from portal.exceptions import Conflict, ValidationFailed
from presence.models import PresenceStatus, Representative

from ..audit import audit_bulk_create, audit_entry
from ._checks import _integer, _plural
from .people import check_default_presence

CHUNK = 2000  # ids or keys per IN (...) list: far below SQLite's and PostgreSQL's limits
AUDIT_ACTION = "representative.default_presence"  # the same action as the API's bulk change
ID_PREFIX = "id:"  # a CSV key `id:42` names the rep by portal id (reps without e-mail or ext. id)


@dataclass(frozen=True)
class DefaultRow:
    """One wanted default as given (a CSV line): rep key, status name ("" = no default, D1)."""

    line: int
    representative: str
    status: str
    problem: str = ""  # a format problem the reader found (e.g. the wrong number of values)


@dataclass(frozen=True)
class DefaultChange:
    representative_id: int
    name: str
    before_id: int | None
    before: str | None  # status name; None: no default (Available, D1)
    after_id: int | None
    after: str | None
    line: int | None = None


@dataclass(frozen=True)
class InvalidRow:
    line: int | None
    representative: str
    status: str
    reason: str


@dataclass
class DefaultPresencePlan:
    changes: list[DefaultChange] = field(default_factory=list)
    invalid: list[InvalidRow] = field(default_factory=list)
    unchanged: int = 0

    @property
    def is_valid(self) -> bool:
        return not self.invalid

    @property
    def digest(self) -> str:
        """What the admin saw: applying checks that the plan built again is still this one."""
        text = ";".join(
            f"{c.representative_id}:{c.before_id}:{c.after_id}"
            for c in sorted(self.changes, key=lambda c: c.representative_id)
        )
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def summary(self) -> list[tuple[str | None, str | None, int]]:
        """(old, new, number of reps), biggest first."""
        counts: dict[tuple[str | None, str | None], int] = defaultdict(int)
        for change in self.changes:
            counts[(change.before, change.after)] += 1
        return sorted(
            ((old, new, n) for (old, new), n in counts.items()),
            key=lambda item: (-item[2], item[0] or "", item[1] or ""),
        )


class _RepresentativeRef:
    """What audit_entry reads of a rep (model name, pk, str) without building 10,000 models."""

    __slots__ = ("pk", "name")
    _meta = Representative._meta

    def __init__(self, pk: int, name: str):
        self.pk, self.name = pk, name

    def __str__(self) -> str:
        return self.name


def _d2_problem(status: PresenceStatus | None) -> str:
    """D2's refusal (the one rule, from people.check_default_presence), or ""."""
    if status is None:
        return ""
    try:
        check_default_presence(status, field="status")
    except ValidationFailed as error:
        return error.detail
    return ""


def _lock_in_id_order(rep_ids: Iterable[int]) -> None:
    """Locks the reps' rows (SELECT ... ORDER BY id FOR NO KEY UPDATE), CHUNK ids at a time in
    rising order. Every bulk change of defaults takes its row locks in this one order, so
    concurrent ones wait for each other instead of deadlocking: an UPDATE of many rows meets them
    in their physical order, which concurrent updates keep changing (review finding 9)."""
    ids = sorted(set(rep_ids))
    for start in range(0, len(ids), CHUNK):
        list(
            # NO KEY: the rows referencing a rep (events, history, clients, assignments) check it
            # with a key-share lock, which FOR UPDATE would make wait for this whole change.
            Representative.objects.select_for_update(no_key=True)
            .filter(pk__in=ids[start : start + CHUNK])
            .order_by("pk")
            .values_list("pk", flat=True)
        )


def default_presence_plan_for(
    *, representatives: QuerySet[Representative], status: PresenceStatus | None
) -> DefaultPresencePlan:
    """D4 by selection or filter: every rep of `representatives` gets `status` (None: no default).

    One query. A status that D2 refuses is a ValidationFailed naming the field "status".
    """
    problem = _d2_problem(status)
    if problem:
        raise ValidationFailed(problem, field="status")
    new_id = status.pk if status else None
    plan = DefaultPresencePlan()
    rows = (
        representatives.order_by()
        .values_list("pk", "name", "default_presence_id", "default_presence__name")
        .distinct()
    )
    for pk, name, old_id, old_name in sorted(rows, key=lambda row: (row[1], row[0])):
        if old_id == new_id:
            plan.unchanged += 1
        else:
            plan.changes.append(
                DefaultChange(pk, name, old_id, old_name, new_id, status.name if status else None)
            )
    return plan


def representatives_by_key(keys: list[str], scope: QuerySet[Representative]) -> dict:
    """Rows of `scope` by CSV key: `id:<pk>`, external id (exact) or e-mail (ignoring case).

    An external id wins over another rep's e-mail. A few queries per CHUNK keys.
    """
    fields = ("pk", "name", "external_id", "email", "default_presence_id", "default_presence__name")
    found: dict[str, tuple] = {}
    ids = {}
    others = []
    for key in keys:
        number = key[len(ID_PREFIX) :].strip() if key.lower().startswith(ID_PREFIX) else None
        if number is not None and number.isdigit() and len(number) < 19:
            ids[int(number)] = key
        else:
            others.append(key)
    id_list = list(ids)
    for start in range(0, len(id_list), CHUNK):
        for row in (
            scope.filter(pk__in=id_list[start : start + CHUNK]).order_by().values_list(*fields)
        ):
            found[ids[row[0]]] = row
    by_email: dict[str, tuple] = {}
    by_external: dict[str, tuple] = {}
    for start in range(0, len(others), CHUNK):
        chunk = others[start : start + CHUNK]
        rows = (
            scope.alias(_email=Lower("email"))
            .filter(Q(external_id__in=chunk) | Q(_email__in=[k.lower() for k in chunk]))
            .order_by()
            .values_list(*fields)
        )
        for row in rows:
            if row[2]:
                by_external[row[2]] = row
            if row[3]:
                by_email[row[3].lower()] = row
    for key in others:
        row = by_external.get(key) or by_email.get(key.lower())
        if row is not None:
            found[key] = row
    return found


def default_presence_plan_from_rows(
    *, rows: Sequence[DefaultRow], scope: QuerySet[Representative]
) -> DefaultPresencePlan:
    """D4 by CSV: each row names a rep of `scope` and a status by name ("" = no default, D1).

    A row is invalid when its rep is unknown (or out of `scope`), its status is unknown or
    refused by D2 (deactivated, not settable by reps, Inactive), or its rep is listed twice.
    Reads: the statuses once, the reps a few queries per CHUNK rows.
    """
    statuses = {s.name.lower(): s for s in PresenceStatus.objects.all()}
    keys = list(dict.fromkeys(r.representative for r in rows if r.representative))
    reps = representatives_by_key(keys, scope)
    plan = DefaultPresencePlan()
    first_line: dict[int, int] = {}
    for row in rows:
        reasons = [row.problem] if row.problem else []
        rep = reps.get(row.representative) if row.representative else None
        if not row.problem:
            if not row.representative:
                reasons.append("No representative given (external id or e-mail).")
            elif rep is None:
                reasons.append(
                    f'No representative with external id or e-mail "{row.representative}".'
                )
            status = None
            if row.status:
                status = statuses.get(row.status.lower())
                if status is None:
                    reasons.append(f'No presence status named "{row.status}".')
                else:
                    reasons.extend(filter(None, [_d2_problem(status)]))
            if rep is not None:
                if rep[0] in first_line:
                    reasons.append(
                        f"{rep[1]} is listed twice (first on line {first_line[rep[0]]})."
                    )
                else:
                    first_line[rep[0]] = row.line
        if reasons:
            plan.invalid.append(
                InvalidRow(row.line, row.representative, row.status, " ".join(reasons))
            )
            continue
        pk, name, _external, _email, old_id, old_name = rep
        new_id = status.pk if status else None
        if old_id == new_id:
            plan.unchanged += 1
        else:
            plan.changes.append(
                DefaultChange(
                    pk, name, old_id, old_name, new_id, status.name if status else None, row.line
                )
            )
    return plan


def default_presence_plan_apply(
    *, plan: DefaultPresencePlan, actor: AbstractBaseUser | None, now: dt.datetime
) -> list[DefaultChange]:
    """D4: writes every change of `plan` or none; one audit row per rep (A4).

    Refused (nothing written) when the plan has an invalid row, when a new status no longer
    passes D2, or when a rep's default changed since the plan was read (Conflict: preview again).
    Queries: one status read, one UPDATE per (old, new) pair and CHUNK reps, the audit INSERTs.
    """
    if plan.invalid:
        raise ValidationFailed(
            f"{len(plan.invalid)} invalid row(s); nothing was changed. Fix them and try again.",
            field="rows",
            extra={"invalid": [row.line for row in plan.invalid]},
        )
    if not plan.changes:
        return []
    new_ids = {c.after_id for c in plan.changes} - {None}
    new_statuses = list(PresenceStatus.objects.filter(pk__in=new_ids))
    if len(new_statuses) != len(new_ids):
        raise ValidationFailed("A status of this change no longer exists.", field="status")
    for status in new_statuses:
        check_default_presence(status, field="status")  # D2 again: never trust the preview
    groups: dict[tuple[int | None, int | None], list[int]] = defaultdict(list)
    for change in plan.changes:
        groups[(change.before_id, change.after_id)].append(change.representative_id)
    with transaction.atomic():
        _lock_in_id_order(c.representative_id for c in plan.changes)
        written = 0
        for (old_id, new_id), rep_ids in groups.items():
            for start in range(0, len(rep_ids), CHUNK):
                # The old value in the WHERE clause: a default changed since the plan was
                # read is not overwritten blindly; the counts then differ and all rolls back.
                written += Representative.objects.filter(
                    pk__in=rep_ids[start : start + CHUNK], default_presence_id=old_id
                ).update(default_presence_id=new_id)
        if written != len(plan.changes):
            raise Conflict(
                f"{len(plan.changes) - written} representative(s) had their default presence "
                "changed by someone else since the preview; nothing was changed. Preview again.",
                extra={"state": "changed"},
            )
        audit_bulk_create(
            [
                audit_entry(
                    actor=actor,
                    action=AUDIT_ACTION,
                    obj=_RepresentativeRef(c.representative_id, c.name),
                    before={"default_presence": c.before},
                    after={"default_presence": c.after},
                    now=now,
                )
                for c in plan.changes
            ],
            batch_size=CHUNK,
        )
    return plan.changes


def representative_default_presence_bulk(
    *,
    representative_ids: Iterable[int],
    status: PresenceStatus | None,
    actor: AbstractBaseUser | None,
    now: dt.datetime,
    scope: QuerySet[Representative] | None = None,
) -> list[dict]:
    """D4 (the API's bulk change): the default presence of many reps at once, all-or-nothing,
    every change audited.

    Every id must be a rep of `scope` (default: all reps; interfaces pass
    representatives_visible_to(user=...)) and `status` must satisfy D2 (None: Available, D1);
    otherwise nothing is written. The rows are locked in id order first and the old values read
    under the lock, so concurrent bulk changes serialise and each audit row's old value is the
    one it replaced. A bounded number of queries whatever the number of reps: the locks and the
    read (per CHUNK ids), one UPDATE, the audit INSERT.
    Returns the changes made: [{representative_id, name, before, after}] (status names).
    """
    ids = list(dict.fromkeys(representative_ids))
    if not ids:
        raise ValidationFailed("Give at least one representative id.", field="representative_ids")
    for rep_id in ids:
        _integer(rep_id, field="representative_ids", low=1, high=2**63 - 1)
    if status is not None:
        check_default_presence(status)
    reps = scope if scope is not None else Representative.objects.all()
    new_id = status.pk if status else None
    new_name = status.name if status else None
    with transaction.atomic():
        _lock_in_id_order(ids)
        rows = list(
            reps.filter(pk__in=ids)
            .order_by()
            .values_list("pk", "name", "default_presence_id", "default_presence__name")
        )
        unknown = sorted(set(ids) - {row[0] for row in rows})
        if unknown:
            shown = ", ".join(map(str, unknown[:20])) + (" ..." if len(unknown) > 20 else "")
            raise ValidationFailed(
                f"No representative {shown} that you can change; nothing was changed "
                f"({_plural(len(unknown), 'invalid id')} of {len(ids)}).",
                field="representative_ids",
                extra={"invalid": unknown},
            )
        changes = [
            {"representative_id": pk, "name": name, "before": old_name, "after": new_name}
            for pk, name, old_id, old_name in sorted(rows)
            if old_id != new_id
        ]
        if not changes:
            return []
        Representative.objects.filter(pk__in=[c["representative_id"] for c in changes]).update(
            default_presence=status
        )
        audit_bulk_create(
            [
                audit_entry(
                    actor=actor,
                    action=AUDIT_ACTION,
                    obj=_RepresentativeRef(c["representative_id"], c["name"]),
                    before={"default_presence": c["before"]},
                    after={"default_presence": c["after"]},
                    now=now,
                )
                for c in changes
            ],
            batch_size=CHUNK,
        )
    return changes
