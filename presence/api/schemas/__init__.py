"""Request and answer shapes of api.md, by resource; every name is importable from here. The
shared types (Text, Time, Int, Id, In, Error, ...) are _types.py."""

from . import _types, config, conversations, events, presence, webhooks
from ._types import *  # noqa: F403
from .config import *  # noqa: F403
from .conversations import *  # noqa: F403
from .events import *  # noqa: F403
from .presence import *  # noqa: F403
from .webhooks import *  # noqa: F403

__all__ = [
    *_types.__all__,
    *config.__all__,
    *conversations.__all__,
    *events.__all__,
    *presence.__all__,
    *webhooks.__all__,
]
