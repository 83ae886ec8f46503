from django.db import models


class BaseStatus(models.TextChoices):
    """Rule B1: the five base statuses; routing and every calculation use these only."""

    AVAILABLE = "available", "Available"
    BUSY = "busy", "Busy"
    BUSY_DND = "busy_dnd", "Do not disturb"
    AWAY = "away", "Away"
    OFFLINE = "offline", "Offline"


class PresenceSource(models.TextChoices):
    DEFAULT = "default", "Default presence"
    MANUAL = "manual", "Set by the representative"
    CAPACITY = "capacity", "Capacity"
    SUPERVISOR = "supervisor", "Set by a supervisor"
    MISSED = "missed", "Missed offer"
    REJECTED = "rejected", "Rejected offer"
    DISCONNECT = "disconnect", "Disconnected"
    SIGN_OUT = "sign_out", "Signed out"


class Channel(models.TextChoices):
    CHAT = "chat", "Chat"
    VOICE = "voice", "Voice"
    SMS = "sms", "SMS"
    EMAIL = "email", "Email"
    SOCIAL = "social", "Social"
    PERSISTENT_CHAT = "persistent_chat", "Persistent chat"


LIVE_CHANNELS = (Channel.CHAT, Channel.VOICE)


class WrapUpPolicy(models.TextChoices):
    ALWAYS = "always", "Until closed"
    MINUTES = "minutes", "For some minutes"
    NEVER = "never", "Never"


class ResetFrequency(models.TextChoices):
    IMMEDIATE = "immediate", "Immediately"
    END_OF_DAY = "end_of_day", "End of day"


class ConversationState(models.TextChoices):
    OPEN = "open", "Open"
    ACTIVE = "active", "Active"
    WAITING = "waiting", "Waiting"
    WRAP_UP = "wrap_up", "Wrap-up"
    CLOSED = "closed", "Closed"


class ParticipantRole(models.TextChoices):
    PRIMARY = "primary", "Primary"
    CONSULT = "consult", "Consult"
    MONITOR = "monitor", "Monitor"


class OfferState(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    MISSED = "missed", "Missed"
    CANCELLED = "cancelled", "Cancelled"


class BuiltinStatus(models.TextChoices):
    """Rule B2: keys of the locked built-in statuses created by the first migration."""

    AVAILABLE = "available", "Available"
    BUSY = "busy", "Busy"
    DND = "dnd", "Do not disturb"
    AWAY = "away", "Appear away"
    OFFLINE = "offline", "Offline"
    INACTIVE = "inactive", "Inactive"


def choices_check(field: str, choices: type[models.TextChoices]) -> models.Q:
    return models.Q(**{f"{field}__in": choices.values})
