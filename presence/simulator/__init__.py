"""A live traffic simulator: agent desktops and a router driving a running portal over HTTP
(traffic.py), and the invariants to check in the database after a run (invariants.py).
`manage.py simulate` and bench/load.py use it."""

from .client import Api, NotLoopback, require_loopback
from .invariants import check_invariants
from .results import Result
from .traffic import Simulator

__all__ = ["Api", "NotLoopback", "Result", "Simulator", "check_invariants", "require_loopback"]
