"""Small display helpers of the real-time report templates."""

from __future__ import annotations

from django import forms, template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from presence.models import BaseStatus, ConversationState
from reports.formatting import duration, elapsed

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
    <option> (Django's widget renderer): the report's filter form has a few hundred options at
    most and this keeps the page's own cost below its SQL's (docs/performance.md)."""
    if not isinstance(field.field.widget, forms.Select):
        return field.as_widget()
    current = field.value()
    current = "" if current is None else str(current)

    def options(choices) -> str:
        html = []
        for value, label in choices:
            if isinstance(label, list | tuple):
                html.append(
                    format_html('<optgroup label="{}">{}</optgroup>', value, options(label))
                )
                continue
            value = "" if value is None else str(value)
            selected = mark_safe(" selected") if value == current else ""
            html.append(format_html('<option value="{}"{}>{}</option>', value, selected, label))
        return mark_safe("".join(html))

    invalid = mark_safe(' aria-invalid="true"') if field.errors else ""
    return format_html(
        '<select name="{}" id="{}"{}>{}</select>',
        field.html_name,
        field.auto_id,
        invalid,
        options(field.field.choices),
    )
