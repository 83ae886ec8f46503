"""The presence rules, pure: plain dataclasses in, a decision out.

No ORM, no clock, no settings. Services load state, call this, and write. One package, three
modules: `values` (the vocabulary), `capacity` (P1: what capacity alone gives) and `rules`
(decide(), each rule a visible branch named by its id; explain(), P10).
"""

from . import capacity, rules, values
from .capacity import *  # noqa: F403
from .rules import *  # noqa: F403
from .values import *  # noqa: F403

__all__ = [*values.__all__, *capacity.__all__, *rules.__all__]
