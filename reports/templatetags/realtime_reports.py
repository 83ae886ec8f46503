"""Small display helpers of the real-time report templates."""

from __future__ import annotations

from django import forms, template
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

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
