from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from ..collation import NATURAL_SORT
from .statuses import PresenceStatus


class Team(models.Model):
    name = models.CharField(max_length=100, db_collation=NATURAL_SORT)
    supervisors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="supervised_teams", blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="team_name_ci_unique")]

    def __str__(self) -> str:
        return self.name


class Representative(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="representative",
    )
    name = models.CharField(max_length=200, db_collation=NATURAL_SORT)  # "rep 2" < "rep 10"
    email = models.EmailField(max_length=254, blank=True)
    external_id = models.CharField(max_length=100, null=True, blank=True, unique=True)
    timezone = models.CharField(max_length=64, default="UTC")
    language = models.CharField(max_length=16, choices=settings.LANGUAGES, default="en")
    capacity_units = models.PositiveIntegerField(default=0)
    default_presence = models.ForeignKey(
        PresenceStatus, on_delete=models.PROTECT, null=True, blank=True, related_name="default_for"
    )
    teams = models.ManyToManyField(Team, related_name="representatives", blank=True)
    # A deactivated rep keeps their history, is signed out (S5) and is never offered work (V4).
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(capacity_units__gte=0), name="rep_capacity_units_gte_0"
            ),
            models.UniqueConstraint(
                Lower("email"), condition=~models.Q(email=""), name="rep_email_ci_unique"
            ),
        ]
        indexes = [models.Index(Lower("name"), name="rep_name_lower_idx")]
        permissions = [
            ("use_console", "Can use the representative console"),
            ("view_reports", "Can view agent reports"),
            ("manage_presence", "Can set and reset the presence of representatives"),
            ("force_close_conversation", "Can force-close stuck conversations"),
            ("view_all_teams", "Can see and act on representatives of every team"),
            ("configure_portal", "Can configure statuses, capacity, workstreams and access"),
        ]

    def __str__(self) -> str:
        return self.name
