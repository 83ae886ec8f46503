import factory
from django.contrib.auth.models import Group, User

from presence.models import (
    BuiltinStatus,
    CapacityProfile,
    Channel,
    Conversation,
    PresenceStatus,
    Representative,
    RepresentativeProfile,
    Team,
    Workstream,
)
from tests.clock import T0


def builtin(key: str) -> PresenceStatus:
    """A built-in status of rule B2 by key: available, busy, dnd, away, offline, inactive."""
    return PresenceStatus.objects.get(builtin_key=BuiltinStatus(key))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.django.Password("pw-for-tests-1")

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        if create and extracted:
            for name in extracted:
                self.groups.add(Group.objects.get(name=name))


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")


class PresenceStatusFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PresenceStatus

    name = factory.Sequence(lambda n: f"Custom {n}")
    presence_text = factory.LazyAttribute(lambda o: o.name)
    base_status = "away"


class RepresentativeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Representative
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Rep {n}")
    email = factory.LazyAttribute(lambda o: f"{o.name.lower().replace(' ', '.')}@example.com")
    capacity_units = 0

    @factory.post_generation
    def teams(self, create, extracted, **kwargs):
        if create and extracted:
            self.teams.add(*extracted)


class CapacityProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CapacityProfile

    name = factory.Sequence(lambda n: f"Profile {n}")
    limit = 3


class RepresentativeProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RepresentativeProfile

    representative = factory.SubFactory(RepresentativeFactory)
    profile = factory.SubFactory(CapacityProfileFactory)


class WorkstreamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workstream

    name = factory.Sequence(lambda n: f"Workstream {n}")
    channel = Channel.CHAT
    units_per_conversation = 1


class ConversationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Conversation

    class Params:
        now = T0  # the tests' clock (tests/clock.py), never the real one: ConversationFactory(now=...)

    workstream = factory.SubFactory(WorkstreamFactory)
    created_at = factory.SelfAttribute("now")
    state_changed_at = factory.SelfAttribute("created_at")
    last_activity_at = factory.SelfAttribute("created_at")
