from .audit import ApiToken, AuditLogEntry
from .capacity import CapacityProfile, RepresentativeProfile, Workstream
from .choices import (
    LIVE_CHANNELS,
    BaseStatus,
    BuiltinStatus,
    Channel,
    ConversationState,
    OfferState,
    ParticipantRole,
    PresenceSource,
    ResetFrequency,
    WrapUpPolicy,
)
from .conversations import Conversation, ConversationParticipant, Offer
from .events import Event, EventPurge
from .people import Representative, Team
from .presence import Client, PresenceInterval, RepresentativePresence
from .statuses import PresenceStatus, PresenceStatusTranslation, status_label
from .webhooks import WebhookCursor, WebhookDelivery, WebhookEndpoint

__all__ = [
    "LIVE_CHANNELS",
    "ApiToken",
    "AuditLogEntry",
    "BaseStatus",
    "BuiltinStatus",
    "CapacityProfile",
    "Channel",
    "Client",
    "Conversation",
    "ConversationParticipant",
    "ConversationState",
    "Event",
    "EventPurge",
    "Offer",
    "OfferState",
    "ParticipantRole",
    "PresenceInterval",
    "PresenceSource",
    "PresenceStatus",
    "PresenceStatusTranslation",
    "Representative",
    "RepresentativePresence",
    "RepresentativeProfile",
    "ResetFrequency",
    "Team",
    "Workstream",
    "WrapUpPolicy",
    "status_label",
    "WebhookCursor",
    "WebhookDelivery",
    "WebhookEndpoint",
]
