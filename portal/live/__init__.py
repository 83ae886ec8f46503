"""Live updates (issue 13): changes published after commit, pushed to the pages over server-sent
events. `publish` is what the write path calls; see docs/architecture.md, "Live updates"."""

from .bus import publish

__all__ = ["publish"]
