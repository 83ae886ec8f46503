"""The filters of the historical report, as HistoricalFilterForm (forms.py) cleans them: a
period of local dates in one zone, and optionally a team, a rep, a workstream or a channel."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from presence.models import Representative, Team, Workstream

from .selectors.windows import Window, report_window


@dataclass(frozen=True)
class HistoricalFilters:
    date_from: dt.date
    date_to: dt.date
    tz: ZoneInfo
    team: Team | None = None
    representative: Representative | None = None
    workstream: Workstream | None = None
    channel: str = ""

    def window(self) -> Window:
        return report_window(date_from=self.date_from, date_to=self.date_to, tz=self.tz)
