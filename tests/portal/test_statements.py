"""portal.statements: a statement compiled once per shape gives what the ORM gives, every call."""

import datetime as dt

import pytest
from django.db import connection
from django.db.models import Count, Q
from django.test.utils import CaptureQueriesContext
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from portal import statements
from portal.statements import Statement
from presence.models import Conversation, ConversationState, Representative
from tests.clock import T0, at
from tests.factories import ConversationFactory, RepresentativeFactory


def _recent(*, ids, since, state=ConversationState.ACTIVE):
    """A read with a list, a time and a constant of its own (the state)."""
    return (
        Conversation.objects.filter(representative_id__in=ids, created_at__gt=since, state=state)
        .values_list("pk", "representative_id")
        .order_by("pk")
    )


class SameAsTheOrm(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.reps = [RepresentativeFactory() for _ in range(4)]
        for minute in range(0, 40, 3):
            for rep in cls.reps[minute % 3 :]:
                ConversationFactory(
                    representative=rep,
                    state=ConversationState.ACTIVE if minute % 2 else ConversationState.WAITING,
                    created_at=at(minute * 60),
                )

    # One statement for every example: its shapes are compiled at their first call and reused.
    recent = Statement(lambda *, ids, since: _recent(ids=ids, since=since))

    @settings(max_examples=60, deadline=None)
    @given(
        picks=st.lists(st.integers(min_value=0, max_value=5), max_size=6),
        minutes=st.integers(min_value=-5, max_value=50),
    )
    def test_the_rows_are_the_orms_for_any_ids_and_time(self, picks, minutes):
        # ids of reps that exist and that do not, repeated or not, in any order
        ids = [self.reps[p].pk if p < len(self.reps) else 10**9 + p for p in picks]
        since = T0 + dt.timedelta(minutes=minutes)
        expected = list(_recent(ids=ids, since=since))
        assert [tuple(row) for row in self.recent.rows(ids=ids, since=since)] == expected


@pytest.mark.django_db
def test_a_shape_is_built_once_and_a_new_length_is_a_new_shape():
    built = []

    def build(*, ids):
        built.append(len(ids))
        return Representative.objects.filter(pk__in=ids).values_list("pk").order_by("pk")

    reps = [RepresentativeFactory() for _ in range(3)]
    statement = Statement(build)
    assert statement.rows(ids=[reps[0].pk]) == [(reps[0].pk,)]
    assert statement.rows(ids=[reps[2].pk]) == [(reps[2].pk,)]
    assert built == [1]
    assert statement.rows(ids=[reps[1].pk, reps[0].pk]) == [(reps[0].pk,), (reps[1].pk,)]
    assert built == [1, 2]


@pytest.mark.django_db
def test_a_list_longer_than_the_longest_shape_is_built_each_time():
    built = []

    def build(*, ids):
        built.append(len(ids))
        return Representative.objects.filter(pk__in=ids).values_list("pk")

    rep = RepresentativeFactory()
    ids = [rep.pk, *range(10**9, 10**9 + statements.LONGEST)]
    statement = Statement(build)
    assert statement.rows(ids=ids) == [(rep.pk,)]
    assert statement.rows(ids=ids) == [(rep.pk,)]
    assert built == [len(ids), len(ids)]


@pytest.mark.django_db
def test_a_queryset_in_place_of_a_list_is_a_subquery_built_each_time():
    built = []

    def build(*, ids):
        built.append(type(ids).__name__)
        return Representative.objects.filter(pk__in=ids).values_list("pk")

    rep, other = RepresentativeFactory(name="Ann"), RepresentativeFactory(name="Bo")
    statement = Statement(build)
    for _ in range(2):
        assert statement.rows(ids=Representative.objects.filter(name="Ann").values("pk")) == [
            (rep.pk,)
        ]
    assert statement.rows(ids=[other.pk]) == [(other.pk,)]
    assert built == ["QuerySet", "QuerySet", "list"]


@pytest.mark.django_db
def test_totals_are_the_aggregates_row_and_one_row_over_no_rows():
    def build(*, ids):
        return statements.totals(
            Conversation.objects.filter(representative_id__in=ids),
            n=Count("pk"),
            active=Count("pk", filter=Q(state=ConversationState.ACTIVE)),
        )

    rep, idle = RepresentativeFactory(), RepresentativeFactory()
    ConversationFactory(representative=rep, state=ConversationState.ACTIVE)
    ConversationFactory(representative=rep, state=ConversationState.WAITING)
    statement = Statement(build)
    for ids in ([rep.pk], [rep.pk, idle.pk], [idle.pk], []):
        expected = Conversation.objects.filter(representative_id__in=ids).aggregate(
            n=Count("pk"), active=Count("pk", filter=Q(state=ConversationState.ACTIVE))
        )
        assert (statement.rows(ids=ids) or [(0, 0)]) == [(expected["n"], expected["active"])]
    assert statement.rows(ids=[idle.pk]) == [(0, 0)]  # one row over no rows
    assert statement.rows(ids=[]) == []  # the ORM answers without asking: no row


@pytest.mark.django_db
def test_an_empty_list_asks_the_database_nothing():
    statement = Statement(
        lambda *, ids: Representative.objects.filter(pk__in=ids).values_list("pk")
    )
    RepresentativeFactory()
    with CaptureQueriesContext(connection) as queries:
        assert statement.rows(ids=[]) == []
        assert statement.rows(ids=[]) == []
    assert len(queries) == 0


@pytest.mark.django_db
def test_a_value_the_orm_does_not_pass_as_a_parameter_is_an_error_not_a_wrong_answer():
    # LIMIT is written into the SQL: the statement would run with the first call's value forever
    statement = Statement(lambda *, n: Representative.objects.values_list("pk").order_by("pk")[:n])
    with pytest.raises(ValueError, match="does not take as parameters"):
        statement.rows(n=2)


@pytest.mark.django_db
def test_a_value_changed_before_the_orm_sees_it_is_an_error():
    # the parameter is the placeholder minus ten minutes, which the statement cannot refill
    statement = Statement(
        lambda *, now: Conversation.objects.filter(
            created_at__gt=now - dt.timedelta(minutes=10)
        ).values_list("pk")
    )
    with pytest.raises(ValueError, match="now"):
        statement.rows(now=T0)


@pytest.mark.django_db
def test_strings_times_and_booleans_come_back_as_the_orm_gives_them():
    def build(*, name, since):
        return Representative.objects.filter(name=name, created_at__gte=since).values_list(
            "pk", "name", "created_at", "is_active"
        )

    rep = RepresentativeFactory(name="Ana", is_active=False)
    RepresentativeFactory(name="Bo")
    rep.refresh_from_db()
    before, after = rep.created_at - dt.timedelta(days=1), rep.created_at + dt.timedelta(days=1)
    statement = Statement(build)
    for name, since in (("Ana", before), ("Bo", before), ("Ana", after)):
        assert statement.rows(name=name, since=since) == list(build(name=name, since=since))
    assert statement.rows(name="Ana", since=before) == [(rep.pk, "Ana", rep.created_at, False)]


@pytest.mark.django_db
def test_columns_in_another_order_than_the_sqls_are_an_error():
    statement = Statement(
        lambda *, ids: (
            Representative.objects.filter(pk__in=ids)
            .annotate(n=Count("teams"))
            .values_list("n", "pk")  # the SQL selects pk, then the annotation
        )
    )
    with pytest.raises(ValueError, match="another order"):
        statement.rows(ids=[1])


@pytest.mark.django_db
def test_only_values_lists_ints_strings_and_datetimes():
    with pytest.raises(TypeError, match="values_list"):
        Statement(lambda *, pk: Representative.objects.filter(pk=pk)).rows(pk=1)
    statement = Statement(
        lambda *, active: Representative.objects.filter(is_active=active).values_list("pk")
    )
    with pytest.raises(TypeError, match="active: only ints"):
        statement.rows(active=True)


# --- Instances: rows as model objects ---------------------------------------------------------


def _fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


@pytest.mark.django_db
def test_instances_are_the_orms_objects_with_their_related_objects_cached():
    from presence.models import CapacityProfile

    profile = CapacityProfile.objects.create(name="Chat profile", limit=2)
    with_profile = ConversationFactory(workstream__capacity_profile=profile)
    without = ConversationFactory()  # a workstream with no profile: NULL, so None
    statement = statements.Instances(
        lambda *, pk: Conversation.objects.filter(pk=pk),
        related=("workstream__capacity_profile", "workstream"),  # parents need not come first
    )
    for conversation in (with_profile, without):
        expected = Conversation.objects.select_related("workstream__capacity_profile").get(
            pk=conversation.pk
        )
        with CaptureQueriesContext(connection) as queries:
            found = statement.first(pk=conversation.pk)
            assert _fields(found) == _fields(expected)
            assert _fields(found.workstream) == _fields(expected.workstream)
            profile_found = found.workstream.capacity_profile
            if expected.workstream.capacity_profile is None:
                assert profile_found is None
            else:
                assert _fields(profile_found) == _fields(expected.workstream.capacity_profile)
        assert len(queries) == 1  # the related objects come from the same row
        assert not found._state.adding  # as loaded: a save() updates
        assert found._state.db == "default"
    assert statement.first(pk=10**9) is None
    assert statement.all(pk=without.pk) == [without]


@pytest.mark.django_db
def test_an_id_beyond_64_bits_finds_nothing_as_the_orm_answers():
    rep = RepresentativeFactory()
    statement = Statement(lambda *, pk: Representative.objects.filter(pk=pk).values_list("pk"))
    assert statement.rows(pk=rep.pk) == [(rep.pk,)]
    for huge in (2**63, 2**70, -(2**70)):
        assert statement.rows(pk=huge) == []
        assert statement.rows(pk=rep.pk) == [(rep.pk,)]  # the compiled shape is untouched


@pytest.mark.django_db
def test_a_32_bit_id_column_takes_its_placeholders():
    """contrib.auth's ids are 32-bit on PostgreSQL: the ORM answers "no rows" for a value beyond
    that range without asking, so a placeholder there would have been a wrong answer."""
    from django.contrib.auth.models import User

    user = User.objects.create(username="thirty-two")
    statement = Statement(lambda *, pk: User.objects.filter(pk=pk).values_list("username"))
    assert statement.rows(pk=user.pk) == [("thirty-two",)]
    assert statement.rows(pk=2**40) == []


@pytest.mark.postgres  # SQLite checks no integer's range
@pytest.mark.django_db
def test_a_query_the_placeholders_make_empty_is_an_error_not_no_rows():
    """A small-integer column: the ORM answers "no rows" for the placeholder itself."""
    from django.db.models import PositiveSmallIntegerField, Value

    statement = Statement(
        lambda *, n: (
            Representative.objects.annotate(
                small=Value(1, output_field=PositiveSmallIntegerField())
            )
            .filter(small=n)
            .values_list("pk")
        )
    )
    with pytest.raises(ValueError, match="no rows for any"):
        statement.rows(n=1)
