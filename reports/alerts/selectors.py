"""Alert reads: each rule's condition as a query of subject ids (the job's INSERT ... SELECT reads
it), and the breaches a viewer may see (A2, in the query).

Conditions, at `now`:

- *rep in a status* (REP_STATUS): the rep's current status is the rule's status (or has its base
  status) since at least `threshold` minutes (RepresentativePresence.since).
- *conversation stuck* (V3): `active` or `wrap_up` with no activity for longer than
  CONVERSATION_STUCK_AFTER_SECONDS, as the reports count it (reports.realtime.selectors.stuck_q).
- *queue's longest wait* (QUEUE_WAIT): the longest wait the queues page shows (now minus the
  earliest `state_changed_at` of the workstream's `open` conversations) is at least `threshold`
  seconds.
- *service level* (SERVICE_LEVEL): the service level today the queues page shows (of the
  conversations answered today, from midnight in the workstream's own time zone, the share
  answered within the workstream's `service_level_seconds`) is under `threshold` %. None
  answered today: no breach. Both read reports.realtime.selectors.queues: one definition.
- *free capacity* (FREE_CAPACITY): the signed-in reps' capacity units minus the units they use,
  as the agents report counts them (units total - used), of one team or of every rep, is under
  `threshold`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import (
    Count,
    DateTimeField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from portal.statements import Statement, totals
from presence.models import (
    Conversation,
    Representative,
    RepresentativePresence,
    Workstream,
)
from presence.selectors.scope import (
    VIEW_ALL,
    representatives_supervised_by,
    teams_supervised_by,
)
from reports.models import AlertBreach, AlertKind, AlertRule, AlertSubject
from reports.realtime.selectors.common import WORK_STATES, signed_in_q, stuck_q
from reports.realtime.selectors.queues import answer_counts, waiting_counts

BANNER_LIMIT = 10


# --- Conditions: which subjects are past a rule's threshold now --------------------------------


def _after(field: str, delta: dt.timedelta) -> ExpressionWrapper:
    return ExpressionWrapper(F(field) + Value(delta), output_field=DateTimeField())


def subjects_in_breach(*, rule: AlertRule, now: dt.datetime) -> QuerySet | list[int]:
    """The subjects past `rule` at `now`: a query of `sid` (the subject's id) and `started`
    (when the threshold was passed: the status's start + N minutes, the last activity + the
    stuck threshold, the oldest wait + N seconds) the job inserts from, or a list of ids for the
    service-level and free-capacity kinds (figures of the moment, computed from one grouped
    query; their breaches start `now`)."""
    if rule.kind == AlertKind.REP_STATUS:
        return rep_status_subjects(rule=rule, now=now)
    if rule.kind == AlertKind.CONVERSATION_STUCK:
        return stuck_subjects(rule=rule, now=now)
    if rule.kind == AlertKind.QUEUE_WAIT:
        return queue_wait_subjects(rule=rule, now=now)
    if rule.kind == AlertKind.SERVICE_LEVEL:
        return service_level_subjects(rule=rule, now=now)
    if rule.kind == AlertKind.FREE_CAPACITY:
        return [rule.team_id or 0] if free_units(team_id=rule.team_id) < rule.threshold else []
    raise ValueError(rule.kind)


def rep_status_subjects(*, rule: AlertRule, now: dt.datetime) -> QuerySet:
    limit = dt.timedelta(minutes=rule.threshold)
    held = RepresentativePresence.objects.filter(since__lte=now - limit)
    if rule.status_id:
        held = held.filter(status_id=rule.status_id)
    else:
        held = held.filter(status__base_status=rule.base_status)
    return (
        held.order_by()
        .annotate(sid=F("representative_id"), started=_after("since", limit))
        .values_list("sid", "started")
    )


def stuck_subjects(*, rule: AlertRule, now: dt.datetime) -> QuerySet:
    stuck = Conversation.objects.filter(stuck_q(now=now))
    if rule.workstream_id:
        stuck = stuck.filter(workstream_id=rule.workstream_id)
    limit = dt.timedelta(seconds=settings.CONVERSATION_STUCK_AFTER_SECONDS)
    return (
        stuck.order_by()
        .annotate(sid=F("pk"), started=_after("last_activity_at", limit))
        .values_list("sid", "started")
    )


def _workstreams(rule: AlertRule) -> QuerySet[Workstream]:
    workstreams = Workstream.objects.order_by()
    return workstreams.filter(pk=rule.workstream_id) if rule.workstream_id else workstreams


def queue_wait_subjects(*, rule: AlertRule, now: dt.datetime) -> QuerySet:
    """The queues page's longest wait (reports.realtime.selectors.queues.waiting_counts: open
    conversations, the earliest `state_changed_at`) at `threshold` seconds or more."""
    limit = dt.timedelta(seconds=rule.threshold)
    ids = [rule.workstream_id] if rule.workstream_id else None
    return (
        waiting_counts(ids)
        .filter(oldest__lte=now - limit)
        .annotate(sid=F("workstream_id"), started=_after("oldest", limit))
        .values_list("sid", "started")
    )


def service_level_subjects(*, rule: AlertRule, now: dt.datetime) -> list[int]:
    """The workstreams whose service level today, as the queues page shows it
    (reports.realtime.selectors.queues.answer_counts: answered today in the workstream's own
    time zone, within its `service_level_seconds`), is under `threshold` %. None answered today:
    no figure, no breach. 2 queries (the workstreams, one grouped count)."""
    workstreams = list(_workstreams(rule))
    under = []
    for ws_id, a in answer_counts(workstreams, now=now).items():
        # within / answered < threshold %, in integers
        if a["n"] and a["within"] * 100 < a["n"] * rule.threshold:
            under.append(ws_id)
    return sorted(under)


def free_units(*, team_id: int | None) -> int:
    """Capacity units of the signed-in reps (of the team, or all) minus the units they use, as
    the agents report's KPI counts them (reports.realtime.selectors.agents_summary): 2 queries."""
    reps = Representative.objects.order_by()
    if team_id:
        reps = reps.filter(teams=team_id)
    on_shift = reps.filter(signed_in_q())
    total = on_shift.aggregate(n=Coalesce(Sum("capacity_units"), 0))["n"]
    used = Conversation.objects.filter(
        state__in=WORK_STATES,
        consumes_capacity=True,
        representative__capacity_units__gt=0,
        representative__in=on_shift.values("pk"),
    ).aggregate(n=Coalesce(Sum("units"), 0))["n"]
    return total - used


# --- What a viewer sees (A2) -------------------------------------------------------------------


EVERY, SUPERVISED, NONE = "every", "supervised", "none"  # the breaches a viewer sees (A2)


def breaches_visible_to(*, user: AbstractBaseUser) -> QuerySet[AlertBreach]:
    """A2 in the query: admins every breach; a supervisor the breaches of their teams' reps, of
    conversations they see (their reps' and unassigned ones), of every queue (a queue belongs to
    no team, as on the ongoing report), and of their teams. A floor-wide figure is for those who
    see every team."""
    scope = _scope_of(user)
    if scope == EVERY:
        return AlertBreach.objects.all()
    if scope == NONE:
        return AlertBreach.objects.none()
    return _breaches_supervised_by(user_id=user.pk)


def _scope_of(user: AbstractBaseUser) -> str:
    """Which breaches `user` sees (A2): every one, their teams' (SUPERVISED), or none."""
    if user.has_perm(VIEW_ALL):
        return EVERY
    return SUPERVISED if user.has_perm("presence.view_reports") else NONE


def _breaches_supervised_by(*, user_id: int) -> QuerySet[AlertBreach]:
    reps = representatives_supervised_by(user_id=user_id).order_by().values("pk")
    teams = teams_supervised_by(user_id=user_id).order_by().values("pk")
    return AlertBreach.objects.filter(
        Q(subject_type=AlertSubject.REPRESENTATIVE, representative__in=reps)
        | Q(subject_type=AlertSubject.CONVERSATION, conversation__representative__in=reps)
        | Q(subject_type=AlertSubject.CONVERSATION, conversation__representative__isnull=True)
        | Q(subject_type=AlertSubject.WORKSTREAM)
        | Q(subject_type=AlertSubject.TEAM, team__in=teams)
    )


def with_names(breaches: QuerySet[AlertBreach]) -> QuerySet[AlertBreach]:
    return breaches.select_related(
        "rule",
        "rule__status",
        "rule__workstream",
        "rule__team",
        "representative",
        "conversation__representative",
        "conversation__workstream",
        "workstream",
        "team",
        "acknowledged_by",
    )


@dataclass(frozen=True)
class Banner:
    count: int
    unacknowledged: int
    breaches: list[AlertBreach]


def open_alerts(
    *,
    user: AbstractBaseUser,
    representative: Representative | None = None,
    within: Q | None = None,
) -> Banner:
    """The open breaches `user` sees (of one rep, on their drill-down; narrowed further by
    `within`, e.g. wallboard_q), newest first, at most BANNER_LIMIT of them with names: 2
    queries whatever the number of breaches; the counts of the whole scope, which every report
    page and live refresh shows, come from statements, and the breaches' query is built only
    when there is one to show."""

    def breaches() -> QuerySet[AlertBreach]:
        scoped = breaches_visible_to(user=user).filter(ended_at__isnull=True)
        if representative is not None:
            scoped = scoped.filter(
                Q(representative=representative) | Q(conversation__representative=representative)
            )
        return scoped if within is None else scoped.filter(within)

    if representative is None and within is None:
        counts = _open_counts(user=user)
    else:
        counts = breaches().aggregate(**_counts())
    shown = []
    if counts["n"]:
        shown = list(with_names(breaches()).order_by("-started_at", "-pk")[:BANNER_LIMIT])
    return Banner(count=counts["n"], unacknowledged=counts["unacknowledged"], breaches=shown)


def _counts() -> dict:
    return {"n": Count("pk"), "unacknowledged": Count("pk", filter=Q(acknowledged_at__isnull=True))}


# The banner's counts over a viewer's whole scope, which every report page and live refresh
# reads: statements built once per process (issue 13), from breaches_visible_to's definitions.
_OPEN_EVERY = Statement(
    lambda: totals(AlertBreach.objects.filter(ended_at__isnull=True), **_counts())
)
_OPEN_SUPERVISED = Statement(
    lambda *, user_id: totals(
        _breaches_supervised_by(user_id=user_id).filter(ended_at__isnull=True), **_counts()
    )
)


def _open_counts(*, user: AbstractBaseUser) -> dict[str, int]:
    scope = _scope_of(user)
    if scope == EVERY:
        rows = _OPEN_EVERY.rows()
    elif scope == SUPERVISED:
        rows = _OPEN_SUPERVISED.rows(user_id=user.pk)
    else:
        rows = []
    n, unacknowledged = rows[0] if rows else (0, 0)
    return {"n": n, "unacknowledged": unacknowledged}


def wallboard_q(*, workstream_ids: list[int] | None, team_ids: list[int] | None) -> Q:
    """The breaches of a wallboard's chosen queues and teams (None: every one; the viewer's scope
    is breaches_visible_to's, A2): a queue's own alerts and its conversations' (stuck), the
    representatives of the teams and their conversations, the teams' own; the whole-floor
    capacity alert only on a board of every team. A sub-select per narrowing, no join that
    would repeat a breach."""
    queue = Q(subject_type=AlertSubject.WORKSTREAM)
    queue_conversation = Q(subject_type=AlertSubject.CONVERSATION)
    if workstream_ids is not None:
        queue &= Q(workstream_id__in=workstream_ids)
        queue_conversation &= Q(conversation__workstream_id__in=workstream_ids)
    rep = Q(subject_type=AlertSubject.REPRESENTATIVE)
    rep_conversation = Q(subject_type=AlertSubject.CONVERSATION)
    team = Q(subject_type=AlertSubject.TEAM)
    floor = Q(subject_type=AlertSubject.FLOOR)
    if team_ids is not None:
        members = Representative.objects.filter(teams__in=team_ids).order_by().values("pk")
        rep &= Q(representative__in=members)
        rep_conversation &= Q(conversation__representative__in=members)
        team &= Q(team_id__in=team_ids)
        floor = Q(pk__in=[])
    return queue | queue_conversation | rep | rep_conversation | team | floor


def queue_alerts_q(*, workstream_ids: list[int] | None = None) -> Q:
    """A queue's own breaches (longest wait, service level), of these workstreams or every one:
    the queues page's banner (with open_alerts)."""
    q = Q(subject_type=AlertSubject.WORKSTREAM)
    return q if workstream_ids is None else q & Q(workstream_id__in=workstream_ids)


def alerted_workstreams(*, user: AbstractBaseUser, workstream_ids) -> dict[int, set[str]]:
    """Which of these workstreams have an open breach `user` sees, and of which kinds (the badges
    on the queues page's longest wait and service level): 1 query."""
    kinds: dict[int, set[str]] = {}
    for ws_id, kind in (
        breaches_visible_to(user=user)
        .filter(
            queue_alerts_q(workstream_ids=list(workstream_ids)),
            ended_at__isnull=True,
        )
        .order_by()
        .values_list("workstream_id", "rule__kind")
        .distinct()
    ):
        kinds.setdefault(ws_id, set()).add(kind)
    return kinds


def alerted_representatives(*, user: AbstractBaseUser, representative_ids) -> set[int]:
    """Which of these reps (a page of the grid) have an open breach `user` sees: 1 query."""
    return set(
        breaches_visible_to(user=user)
        .filter(
            ended_at__isnull=True,
            subject_type=AlertSubject.REPRESENTATIVE,
            representative_id__in=list(representative_ids),
        )
        .values_list("representative_id", flat=True)
    )


def alerted_conversations(*, user: AbstractBaseUser, conversation_ids) -> set[int]:
    """Which of these conversations have an open breach `user` sees: 1 query."""
    return set(
        breaches_visible_to(user=user)
        .filter(
            ended_at__isnull=True,
            subject_type=AlertSubject.CONVERSATION,
            conversation_id__in=list(conversation_ids),
        )
        .values_list("conversation_id", flat=True)
    )


# --- Words for people ------------------------------------------------------------------------


def rule_condition(rule: AlertRule) -> str:
    """What the rule watches, in a sentence without rule ids: "Do not disturb for 15 minutes or
    longer"."""
    if rule.kind == AlertKind.REP_STATUS:
        if rule.status_id:
            what = rule.status.presence_text
        else:
            what = f"any {rule.get_base_status_display()} status"
        return f"A representative in {what} for {rule.threshold} minutes or longer"
    where = f"queue {rule.workstream.name}" if rule.workstream_id else "any queue"
    if rule.kind == AlertKind.CONVERSATION_STUCK:
        hours = round(settings.CONVERSATION_STUCK_AFTER_SECONDS / 3600, 1)
        return f"A conversation of {where} stuck (no activity for {hours:g} h)"
    if rule.kind == AlertKind.QUEUE_WAIT:
        return f"Longest wait in {where} of {rule.threshold} s or more"
    if rule.kind == AlertKind.SERVICE_LEVEL:
        if rule.workstream_id:
            within = f"answered within {rule.workstream.service_level_seconds} s"
        else:
            within = "answered within each queue's service level threshold"
        return f"Service level today in {where} under {rule.threshold} % ({within})"
    who = f"team {rule.team.name}" if rule.team_id else "every team together"
    return f"Free capacity of signed-in representatives of {who} under {rule.threshold} units"


def breach_subject(breach: AlertBreach) -> str:
    """Whom or what a breach is about, by name (needs with_names)."""
    t = breach.subject_type
    if t == AlertSubject.REPRESENTATIVE and breach.representative:
        return breach.representative.name
    if t == AlertSubject.CONVERSATION and breach.conversation:
        c = breach.conversation
        rep = f", {c.representative.name}" if c.representative else ""
        return f"Conversation {c.pk} ({c.workstream.name}{rep})"
    if t == AlertSubject.WORKSTREAM and breach.workstream:
        return f"Queue {breach.workstream.name}"
    if t == AlertSubject.TEAM and breach.team:
        return f"Team {breach.team.name}"
    return "Every team"
