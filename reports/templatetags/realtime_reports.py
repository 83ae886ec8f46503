"""Small display helpers of the real-time report templates."""

from __future__ import annotations

from django import forms, template
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

from portal.formatting import clock
from portal.templatetags.html_values import datetime_attr
from presence.models import BaseStatus, ConversationState
from reports.realtime.formatting import duration, elapsed

register = template.Library()
register.filter("duration", duration)
register.filter("elapsed", elapsed)

BASE_LABELS = dict(BaseStatus.choices)
STATE_LABELS = dict(ConversationState.choices)


@register.filter
def base_label(base_status: str) -> str:
    return BASE_LABELS.get(base_status, base_status)


@register.filter
def state_label(state: str) -> str:
    return STATE_LABELS.get(state, state)


@register.filter
def css_percent(value: float) -> str:
    """A CSS percentage that no locale turns into "12,5"."""
    return f"{float(value):.3f}%"


@register.simple_tag
def filter_widget(field) -> str:
    """A filter form's field. Selects are written here in one pass rather than one template per
    <option> (Django's widget renderer), and each option is one f-string rather than a
    format_html() call: the report's filter form has a few hundred options at most and this keeps
    the page's own cost below its SQL's (docs/performance.md)."""
    if not isinstance(field.field.widget, forms.Select):
        return field.as_widget()
    current = field.value()
    current = "" if current is None else str(current)

    def options(choices) -> str:
        html = []
        for value, label in choices:
            if isinstance(label, list | tuple):
                html.append(f'<optgroup label="{escape(value)}">{options(label)}</optgroup>')
                continue
            value = "" if value is None else str(value)
            selected = " selected" if value == current else ""
            html.append(f'<option value="{escape(value)}"{selected}>{escape(label)}</option>')
        return "".join(html)  # every value and label escaped above

    invalid = mark_safe(' aria-invalid="true"') if field.errors else ""
    return format_html(
        '<select name="{}" id="{}"{}>{}</select>',
        field.html_name,
        field.auto_id,
        invalid,
        mark_safe(options(field.field.choices)),
    )


@register.simple_tag
def agent_row(rep, d, now) -> str:
    """One row of the agents grid (`rep` from agents_rows, `d` its AgentDetail), written here in
    one pass: the grid is re-rendered for every open report on every window with a change
    (issue 13), and 25 rows of template tags and includes were most of its template's time
    (profiled). The markup is the template's, cell for cell (the badge is _status_badge.html's,
    tests/reports/test_agents_grid_cheaper.py); every value is escaped here."""
    pk = int(rep.pk)
    tz = timezone.get_current_timezone()
    alert = (
        ' <span class="alert-badge" data-alert-badge><span aria-hidden="true">⚠</span> Alert</span>'
        if rep.alerted
        else ""
    )
    status = d.status
    text, base = status.presence_text, status.base_status
    label = BASE_LABELS.get(base, base)
    base_note = f' <small class="muted base-note">{escape(label)}</small>' if text != label else ""
    since = (
        f'{_time(d.since, tz=tz, now=now)} <small class="muted">{escape(elapsed(d.since, now))}</small>'
        if d.since
        else "—"
    )
    if d.active or d.wrap_up or d.waiting:
        conversations = "".join(
            (
                f"<span>{d.active} active</span>" if d.active else "",
                f"<span>{d.wrap_up} wrap-up</span>" if d.wrap_up else "",
                f'<span class="muted">{d.waiting} waiting</span>' if d.waiting else "",
            )
        )
    else:
        conversations = '<span class="muted">none</span>'
    cap = d.capacity
    if cap.units_configured:
        over = cap.units_available < 0
        used = f"{cap.units_used} / {cap.units_total}"
        units = (
            f'<span class="over-limit">{used}</span> <small class="over-limit">over</small>'
            if over
            else f"<span>{used}</span>"
        )
    else:
        shown = f"{cap.units_used} / —" if cap.units_used else "—"
        units = (
            '<span class="muted" title="No capacity units configured: profiles only">'
            f"{shown}</span>"
        )
    profiles = "".join(_profile_use(p) for p in cap.profiles) or '<span class="muted">—</span>'
    signed_in = (
        _time(d.signed_in_since, tz=tz, now=now)
        if d.signed_in_since
        else '<span class="muted">—</span>'
    )
    return mark_safe(  # every value above is a number or escaped
        f'<tr data-rep-id="{pk}" id="rep-row-{pk}">'
        f'<td data-label="Representative"><a href="{escape(rep.detail_url)}" class="rep-link" '
        f'id="rep-link-{pk}">{escape(rep.name)}</a>{alert}</td>'
        f'<td data-label="Presence" data-cell="status"><span class="status-badge '
        f'status-{escape(base)}"><span class="status-dot" aria-hidden="true"></span>'
        f"{escape(text)}</span>{base_note}</td>"
        f'<td data-label="Status since">{since}</td>'
        f'<td data-label="Reason" data-cell="reason" class="reason">{escape(d.reason)}</td>'
        f'<td data-label="Conversations" data-cell="conversations">{conversations}</td>'
        f'<td data-label="Units used / total" data-cell="units">{units}</td>'
        f'<td data-label="Profiles" data-cell="profiles">{profiles}</td>'
        f'<td data-label="Signed in since">{signed_in}</td>'
        "</tr>"
    )


def _time(moment, *, tz, now) -> str:
    """`<time>` of a moment: the clock (with its date when not today), ISO and full title."""
    local = timezone.localtime(moment, tz)
    return (
        f'<time datetime="{datetime_attr(local)}" title="{local:%Y-%m-%d %H:%M:%S}">'
        f"{escape(clock(moment, tz=tz, now=now))}</time>"
    )


def _profile_use(p) -> str:
    classes = (
        "profile-use"
        + (" is-full" if p.full else "")
        + (" is-blocking" if p.blocking and p.full else "")
    )
    if p.blocking and p.full:
        tag = ' <strong class="blocking-tag">blocking · full</strong>'
    elif p.full:
        tag = " <small>full</small>"
    else:
        tag = ""
    return f'<span class="{classes}">{escape(p.name)} {p.used}/{p.limit}{tag}</span>'
