"""The web server's profile under the floor (bench/floor.py --profile): portal.asgi's application
in a uvicorn worker with cProfile in every thread of the process.

Under uvicorn the streams and the async middleware run in the event loop's thread, and every sync
view in a thread of its own (asgiref), so one profiler is not enough: `threading.setprofile` makes
each new thread start its own cProfile.Profile on its first call. Every PROFILE_EVERY seconds the
profiles of the process are merged into var/bench/floor-profile-<pid>.prof (pstats format):
`python -m pstats var/bench/floor-profile-<pid>.prof`, or `bench/floor.py` prints the top lines.
Timed by each thread's own CPU clock (time.thread_time): waits (locks, sockets, the database)
cost nothing, as in the CPU figures. cProfile slows the process (the CPU figures of a profiled run are not the floor's): the
profile says where the CPU goes, the unprofiled run how much there is.

Bench only: product code knows nothing of it.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import sys
import threading
import time
from pathlib import Path

PROFILE_EVERY = 10.0
OUT = Path(__file__).resolve().parents[1] / "var" / "bench"
_lock = threading.Lock()
_running: list[tuple[threading.Thread, cProfile.Profile]] = []  # threads' own profiles
_done: list[cProfile.Profile] = []  # profiles nobody writes to any more
_total: pstats.Stats | None = None


def _start_in_thread(frame, event, arg):  # the first profile event of a new thread
    profile = cProfile.Profile(time.thread_time)
    with _lock:
        _running.append((threading.current_thread(), profile))
    profile.enable()  # replaces this hook for the thread


def _merge() -> None:
    """Fold the profiles of threads that ended (and the loop's finished periods) into the total
    and write it. A live thread's profile is never read from here: cProfile is not thread-safe."""
    global _total
    with _lock:
        ended = [p for t, p in _running if not t.is_alive()]
        _running[:] = [(t, p) for t, p in _running if t.is_alive()]
        ended += _done
        _done.clear()
    for profile in ended:
        profile.create_stats()
        if not profile.stats:
            continue
        if _total is None:
            _total = pstats.Stats(profile)
        else:
            _total.add(profile)
    if _total is not None:
        path = OUT / f"floor-profile-{os.getpid()}.prof"
        _total.dump_stats(f"{path}.tmp")
        os.replace(f"{path}.tmp", path)


def _dumper() -> None:
    while True:
        time.sleep(PROFILE_EVERY)
        try:
            _merge()
        except Exception as exc:  # noqa: BLE001 - the profile is a by-product; keep serving
            print(f"profile: not written ({exc!r})", file=sys.stderr)


class _LoopProfile:
    """The event loop's thread: a profile per period, switched in the loop itself."""

    def __init__(self) -> None:
        self.profile: cProfile.Profile | None = None

    def switch(self) -> None:
        import asyncio

        old, self.profile = self.profile, cProfile.Profile(time.thread_time)
        if old is not None:
            old.disable()
            with _lock:
                _done.append(old)
        self.profile.enable()
        asyncio.get_running_loop().call_later(PROFILE_EVERY, self.switch)


threading.Thread(target=_dumper, name="floor-profile", daemon=True).start()  # not profiled
threading.setprofile(_start_in_thread)
_loop_profile = _LoopProfile()

from portal.asgi import application as _application  # noqa: E402


async def application(scope, receive, send):
    if _loop_profile.profile is None:
        _loop_profile.switch()
    await _application(scope, receive, send)
