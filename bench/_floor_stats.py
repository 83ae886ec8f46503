"""The pure parts of bench/floor.py: percentiles, the held decision and the search for the
largest floor held. No I/O, no Django: tests/bench/test_floor_stats.py tests them."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

TEAM_SIZE = 25  # one supervisor per 25 reps, each with the agents report of their team open


def percentile(samples: list[float], p: float) -> float:
    """Nearest rank on the sorted samples (as presence.simulator's Result does); a sample that
    never arrived is math.inf, so that a lost offer counts as the slowest one. 0.0 for none."""
    if not samples:
        return 0.0
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


@dataclasses.dataclass(frozen=True)
class Limits:
    """What a floor must keep to be *held* (issue 13, item 7): p99 bounds in seconds."""

    api_p99: float
    offer_p99: float
    grid_p99: float


def limits_for(
    mode: str, *, refresh_seconds: float, console_poll_seconds: float, report_poll_seconds: float
) -> Limits:
    """push: an offer in the console within 1 s of the API's answer; a presence change in the
    supervisor's grid within REPORT_REFRESH_SECONDS + 1 s.

    poll (today's pages, the baseline): a poll every CONSOLE_POLL_SECONDS cannot show an offer
    within 1 s by construction, so the baseline is held to what polling promises: an offer within
    one console poll + 1 s, a presence change within one report poll + 1 s. Both modes: API p99
    under 200 ms."""
    if mode == "push":
        return Limits(api_p99=0.2, offer_p99=1.0, grid_p99=refresh_seconds + 1.0)
    if mode == "poll":
        return Limits(
            api_p99=0.2,
            offer_p99=console_poll_seconds + 1.0,
            grid_p99=report_poll_seconds + 1.0,
        )
    raise ValueError(f"mode: push or poll, not {mode!r}")


@dataclasses.dataclass
class Measured:
    """What one run of a floor saw, reduced to what the decision needs."""

    api_seconds: list[float]
    offer_seconds: list[float]  # offer API answer -> the console showing it (inf: never)
    grid_seconds: list[float]  # presence API answer -> the supervisor's grid showing it
    errors: int  # 5xx, refusals, transport failures, dropped streams, lost clients
    invariant_problems: int


def decide(measured: Measured, limits: Limits) -> tuple[bool, list[str]]:
    """(held, the reasons it is not). A run with no offer or no presence change measured proves
    nothing about them: not held, with a reason that says to run longer."""
    reasons = []
    checks = (
        ("API", measured.api_seconds, limits.api_p99),
        ("offer to console", measured.offer_seconds, limits.offer_p99),
        ("presence to grid", measured.grid_seconds, limits.grid_p99),
    )
    for name, samples, limit in checks:
        if not samples:
            reasons.append(f"{name}: no sample (run longer or with more reps)")
            continue
        p99 = percentile(samples, 99)
        if not p99 < limit:
            shown = "never" if math.isinf(p99) else f"{p99 * 1000:.0f} ms"
            reasons.append(f"{name} p99 {shown} >= {limit * 1000:.0f} ms")
    if measured.errors:
        reasons.append(f"{measured.errors} errors")
    if measured.invariant_problems:
        reasons.append(f"{measured.invariant_problems} invariant problems")
    return not reasons, reasons


def round_floor(n: float) -> int:
    """Floor sizes are whole teams."""
    return max(TEAM_SIZE, int(round(n / TEAM_SIZE)) * TEAM_SIZE)


def search(
    held: Callable[[int], bool | None],
    *,
    start: int,
    limit: int,
    max_runs: int,
) -> tuple[int | None, dict[int, bool]]:
    """The largest floor held: double from `start` until a size is not held (or `limit`), then
    bisect between the last held and the first not held, to within a team or 10%. When `start`
    is not held, halve down to one team. Bounded: at most `max_runs` measurements; `held(n)`
    returns None when the time budget is spent, which ends the search with what it knows.

    Returns (largest held or None, {size: held} of every size measured)."""
    tried: dict[int, bool] = {}

    def measure(n: int) -> bool | None:
        if len(tried) >= max_runs:
            return None
        ok = held(n)
        if ok is not None:
            tried[n] = ok
        return ok

    best: int | None = None
    worst: int | None = None
    n = round_floor(start)
    while n <= limit:
        ok = measure(n)
        if ok is None:
            return best, tried
        if ok:
            best, n = n, round_floor(n * 2)
        else:
            worst = n
            break
    if best is None and worst is not None:
        n = round_floor(worst / 2)
        while n < worst:
            ok = measure(n)
            if ok is None:
                return best, tried
            if ok:
                best = n
                break
            worst = n
            if n == TEAM_SIZE:
                return None, tried
            n = round_floor(n / 2)
    if best is None or worst is None:
        return best, tried  # nothing held, or everything up to `limit` held
    while worst - best > max(TEAM_SIZE, best // 10):
        mid = round_floor((best + worst) / 2)
        if mid in (best, worst):
            break
        ok = measure(mid)
        if ok is None:
            break
        if ok:
            best = mid
        else:
            worst = mid
    return best, tried
