"""Review finding 18: rule ids stay in code, tests and docs, never in what people read.

tests/rule_ids.py checks every answer of every test's client; these tests check the sources of
those answers directly: every template outside its comments, and the refusals people get."""

import pathlib
import re

import pytest
from django.conf import settings

from portal.exceptions import ApplicationError
from presence import engine, services
from presence.models import PresenceStatus
from presence.services.config.people import check_default_presence
from tests.clock import T0
from tests.factories import PresenceStatusFactory, builtin
from tests.rule_ids import RULE_ID_IN_TEXT

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("now")]  # the tests' clock
# Django's {# #} comment ends on its line: one that goes on is shown on the page as text.
TEMPLATE_COMMENT = re.compile(r"\{#[^\n]*?#\}|\{% comment %\}.*?\{% endcomment %\}", re.S)


def _templates():
    for folder in settings.TEMPLATES[0]["DIRS"]:
        yield from pathlib.Path(folder).rglob("*.html")


def test_no_template_comment_runs_over_a_line_break():
    """A {# comment that goes on to the next line is text on the page (the console showed its
    own note on the live refresh): longer notes are {% comment %} blocks."""
    found = {}
    for path in _templates():
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if "{#" in line and "#}" not in line.split("{#", 1)[1]:
                found.setdefault(str(path), []).append(number)
    assert found == {}


def test_no_template_shows_a_rule_id_outside_its_comments():
    """Review finding 18: the pre-stop hook's pattern, over every template of the project."""
    found = {}
    for path in _templates():
        text = TEMPLATE_COMMENT.sub("", path.read_text())
        if hits := RULE_ID_IN_TEXT.findall(text):
            found[str(path)] = hits
    assert found == {}


def refusal(call) -> str:
    with pytest.raises(ApplicationError) as error:
        call()
    return error.value.detail


def test_refusals_people_read_name_no_rule_id(admin_user):
    """Review finding 18: the built-in, Inactive and default-presence refusals (pages and API
    `detail` sentences) explain themselves without "(rule B2)", "(rule P6)", "(rule D2)"."""
    now = T0
    inactive = builtin("inactive")
    details = [
        refusal(lambda: engine.check_pickable(services.status_ref(inactive))),
        refusal(lambda: check_default_presence(inactive)),
        refusal(lambda: check_default_presence(PresenceStatusFactory(is_active=False))),
        refusal(lambda: check_default_presence(PresenceStatusFactory(user_can_set=False))),
        refusal(
            lambda: services.presence_status_delete(
                status=builtin("available"), actor=admin_user, now=now
            )
        ),
    ]
    for detail in details:
        assert detail
        assert not RULE_ID_IN_TEXT.findall(detail), detail
    descriptions = PresenceStatus.objects.values_list("description", flat=True)
    assert not [d for d in descriptions if RULE_ID_IN_TEXT.findall(d)]
