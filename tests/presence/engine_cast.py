"""The statuses of the engine's tests, without a database: the five built-ins, Inactive, and
custom ones (pickable, hidden from reps, retired)."""

from presence import engine as e

AVAIL = e.StatusRef(1, "Available", "Available", e.AVAILABLE, builtin_key="available")
BUSY = e.StatusRef(2, "Busy", "Busy", e.BUSY, builtin_key="busy")
DND = e.StatusRef(3, "Do not disturb", "Do not disturb", e.BUSY_DND, builtin_key="dnd")
AWAY = e.StatusRef(4, "Appear away", "Appear away", e.AWAY, builtin_key="away")
OFFLINE = e.StatusRef(5, "Offline", "Offline", e.OFFLINE, builtin_key="offline")
INACTIVE = e.StatusRef(
    6, "Inactive", "Inactive", e.AWAY, user_can_set=False, builtin_key="inactive"
)
TRAINING = e.StatusRef(7, "Training", "In training", e.AWAY)
FOCUS = e.StatusRef(8, "Focus", "Focus work", e.BUSY)
HIDDEN = e.StatusRef(9, "Hidden", "Hidden", e.AVAILABLE, user_can_set=False)
RETIRED = e.StatusRef(10, "Retired", "Retired", e.AVAILABLE, is_active=False)
BUILTINS = e.Builtins(available=AVAIL, busy=BUSY, dnd=DND, offline=OFFLINE, inactive=INACTIVE)
