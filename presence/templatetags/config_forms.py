"""Template helpers of the configuration pages' forms."""

from django import template

register = template.Library()


@register.filter
def fields_with_errors(form) -> list:
    """The bound fields of `form` that have errors, in form order: the error summary lists them
    with a comma between two names, never after the last one."""
    return [field for field in form if field.errors]
