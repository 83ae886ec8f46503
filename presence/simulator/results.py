"""What a run answered: figures for the summary, and the journal of 2xx answers for the
invariants."""

from __future__ import annotations

import dataclasses
from collections import Counter

# Answers that are a normal refusal for traffic like this: a rep not allowed an offer (V4, K6),
# a move another event made stale (V1). Anything else that is not 2xx is unexpected.
EXPECTED_REFUSALS = {409}


@dataclasses.dataclass
class Journal:
    """What the portal accepted (2xx), for check_invariants."""

    conversations: dict[int, tuple[str, int | None]] = dataclasses.field(default_factory=dict)
    offers: dict[int, str] = dataclasses.field(default_factory=dict)
    # (rep id, status id, since ISO) of every presence a 2xx answer showed
    presences: list[tuple[int, int, str]] = dataclasses.field(default_factory=list)
    heartbeats: dict[str, str] = dataclasses.field(default_factory=dict)  # client -> last ISO


@dataclasses.dataclass
class Result:
    target_rate: float
    duration: float
    elapsed: float
    codes: Counter
    by_action: dict[str, Counter]
    latencies: list[float]
    unexpected: list[str]
    journal: Journal
    rep_ids: list[int]

    @property
    def events(self) -> int:
        return sum(self.codes.values())

    @property
    def rate(self) -> float:
        return self.events / self.elapsed if self.elapsed else 0.0

    @property
    def errors(self) -> int:
        """5xx answers and transport failures (timeouts, refused or reset connections)."""
        return sum(n for code, n in self.codes.items() if not str(code).isdigit() or code >= 500)

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]

    def summary(self) -> str:
        codes = ", ".join(f"{code}: {n}" for code, n in sorted(self.codes.items(), key=str))
        lines = [
            f"events sent: {self.events} in {self.elapsed:.1f} s "
            f"({self.rate:.1f}/s; target {self.target_rate:g}/s for {self.duration:g} s)",
            f"answers by code: {codes or 'none'}",
            "latency ms: p50 {:.1f}, p95 {:.1f}, p99 {:.1f}, max {:.1f}".format(
                *(1000 * self.percentile(p) for p in (50, 95, 99, 100))
            ),
            "by action: "
            + "; ".join(
                f"{name} " + "/".join(f"{c}x{n}" for c, n in sorted(counts.items(), key=str))
                for name, counts in sorted(self.by_action.items())
            ),
        ]
        if self.unexpected:
            lines.append(f"unexpected answers ({len(self.unexpected)}), first ones:")
            lines += [f"  {line}" for line in self.unexpected[:10]]
        return "\n".join(lines)
