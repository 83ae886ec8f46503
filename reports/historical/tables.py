"""Tables and CSV rows of the historical agents report. The HTML table and its CSV are built
from the same columns, so an export is exactly the table as filtered."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from urllib.parse import urlencode

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html

from presence.models import BaseStatus, PresenceStatus
from reports.templatetags.historical_reports import hms, percent

from .selectors import BASES, RepFigures, RepReport, epoch_to_local

BASE_LABELS = dict(BaseStatus.choices)


NUM = {"td": {"class": "num"}, "th": {"class": "num"}, "tf": {"class": "num"}}


class TotalColumn(tables.Column):
    """A column whose footer is the team total (table.total_record)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("attrs", NUM)
        super().__init__(*args, **kwargs)

    def render_footer(self, bound_column, table):
        total = getattr(table, "total_record", None) or {}
        return self.format(total.get(bound_column.name))

    def format(self, value):
        return value

    def render(self, value):
        return self.format(value)


class DurationColumn(TotalColumn):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("default", 0)
        super().__init__(*args, **kwargs)

    def format(self, value):
        return hms(value)


class RateColumn(TotalColumn):
    def format(self, value):
        return percent(value)


class RepTable(tables.Table):
    """R3 per rep: signed-in time, time per base and per status, conversation figures."""

    name = tables.Column(verbose_name="Representative", footer="Team total")
    signed_in = DurationColumn(verbose_name="Signed in")
    available = DurationColumn(verbose_name=BASE_LABELS["available"])
    busy = DurationColumn(verbose_name=BASE_LABELS["busy"])
    busy_dnd = DurationColumn(verbose_name=BASE_LABELS["busy_dnd"])
    away = DurationColumn(verbose_name=BASE_LABELS["away"])
    offline = DurationColumn(verbose_name=BASE_LABELS["offline"])
    handled = TotalColumn(verbose_name="Conversations handled")
    offers = TotalColumn(verbose_name="Offers")
    rejected_rate = RateColumn(verbose_name="Rejected", order_by="rejected_rate_sort")
    missed_rate = RateColumn(verbose_name="Timed out", order_by="missed_rate_sort")
    transfers = TotalColumn(verbose_name="Transfers")
    average_handle = DurationColumn(
        verbose_name="Average handle time", order_by="average_handle_sort", default=None
    )

    class Meta:
        attrs = {"class": "report-table", "id": "rep-table"}
        orderable = True
        template_name = "django_tables2/table.html"
        sequence = (
            "name",
            "signed_in",
            *BASES,
            "...",
            "handled",
            "offers",
            "rejected_rate",
            "missed_rate",
            "transfers",
            "average_handle",
        )

    def __init__(self, *args, rep_url_query: str = "", total_record: dict | None = None, **kwargs):
        self.rep_url_query = rep_url_query
        self.total_record = total_record
        super().__init__(*args, **kwargs)

    def render_name(self, value, record):
        url = reverse("reports:historical_rep", args=[record["representative_id"]])
        return format_html(
            '<a href="{}?{}" hx-boost="false">{}</a>', url, self.rep_url_query, value
        )


def status_column_key(status: PresenceStatus) -> str:
    return f"status_{status.pk}"


def rep_table(report: RepReport, *, rep_url_query: str) -> RepTable:
    extra = [
        (
            status_column_key(s),
            DurationColumn(verbose_name=f"{s.presence_text} ({BASE_LABELS[s.base_status]})"),
        )
        for s in report.statuses
    ]
    return RepTable(
        [rep_record(row, report) for row in report.rows],
        extra_columns=extra,
        rep_url_query=rep_url_query,
        total_record=rep_record(report.total, report),
    )


def rep_record(row: RepFigures, report: RepReport) -> dict:
    record = {
        "representative_id": row.representative_id,
        "name": row.name,
        "signed_in": row.signed_in_seconds,
        "handled": row.handled,
        "offers": row.offers,
        "rejected": row.rejected,
        "missed": row.missed,
        "rejected_rate": row.rejected_rate,
        "missed_rate": row.missed_rate,
        "rejected_rate_sort": -1 if row.rejected_rate is None else row.rejected_rate,
        "missed_rate_sort": -1 if row.missed_rate is None else row.missed_rate,
        "transfers": row.transfers,
        "average_handle": row.average_handle_seconds,
        "average_handle_sort": row.average_handle_seconds or -1,
    }
    for base in BASES:
        record[base] = row.base_seconds(base)
    for status in report.statuses:
        record[status_column_key(status)] = row.status_seconds(status.pk)
    return record


# CSV ---------------------------------------------------------------------------------------------


def rep_csv(report: RepReport) -> tuple[list[str], Iterator[list]]:
    header = [
        "Representative",
        "Representative id",
        "Signed in (s)",
        *[f"{BASE_LABELS[b]} (s)" for b in BASES],
        *[f"{s.presence_text} ({BASE_LABELS[s.base_status]}) (s)" for s in report.statuses],
        "Conversations handled",
        "Offers",
        "Rejected offers",
        "Rejected rate",
        "Timed-out offers",
        "Timed-out rate",
        "Transfers",
        "Average handle time (s)",
    ]

    def line(row: RepFigures, rep_id) -> list:
        return [
            row.name,
            rep_id,
            row.signed_in_seconds,
            *[row.base_seconds(b) for b in BASES],
            *[row.status_seconds(s.pk) for s in report.statuses],
            row.handled,
            row.offers,
            row.rejected,
            "" if row.rejected_rate is None else f"{row.rejected_rate:.4f}",
            row.missed,
            "" if row.missed_rate is None else f"{row.missed_rate:.4f}",
            row.transfers,
            "" if row.average_handle_seconds is None else row.average_handle_seconds,
        ]

    def rows() -> Iterator[list]:
        for row in report.rows:
            yield line(row, row.representative_id)
        yield line(report.total, "")

    return header, rows()


def day_csv(days: list[dict], statuses: list[PresenceStatus]) -> tuple[list[str], Iterator[list]]:
    header = [
        "Date",
        "Hours in day",
        "Signed in (s)",
        *[f"{BASE_LABELS[b]} (s)" for b in BASES],
        *[f"{s.presence_text} ({BASE_LABELS[s.base_status]}) (s)" for s in statuses],
    ]
    rows = (
        [
            d["date"].isoformat(),
            d["hours_in_day"],
            d["signed_in"],
            *[d[b] for b in BASES],
            *[d["statuses"].get(s.pk, 0) for s in statuses],
        ]
        for d in days
    )
    return header, rows


def hour_csv(rows: Iterable[dict], tz) -> tuple[list[str], Iterator[list]]:
    header = [
        "Hour starting",
        "Representative",
        "Representative id",
        "Signed in (s)",
        *[f"{BASE_LABELS[b]} (s)" for b in BASES],
    ]
    lines = (
        [
            epoch_to_local(r["hour"], tz).isoformat(),
            r["representative__name"],
            r["representative_id"],
            sum(r[b] for b in BASES) - r["offline"],
            *[r[b] for b in BASES],
        ]
        for r in rows
    )
    return header, lines


def query_string(params: dict) -> str:
    return urlencode({k: v for k, v in params.items() if v not in (None, "")})


def trend_csv(series: list[tuple[str, list]]) -> tuple[list[str], Iterator[list]]:
    """Trends per day (issue 16): per series (the filtered reps, their team), every day's
    conversation figures, then a total line per series."""
    header = [
        "Series",
        "Date",
        "Conversations handled",
        "Average handle time (s)",
        "Offers",
        "Rejected offers",
        "Timed-out offers",
        "Rejected rate",
        "Timed-out rate",
    ]

    def rate(value):
        return "" if value is None else f"{value:.4f}"

    def line(label, d, date):
        return [
            label,
            date,
            d.handled,
            "" if d.average_handle_seconds is None else d.average_handle_seconds,
            d.offers,
            d.rejected,
            d.missed,
            rate(d.rejected_rate),
            rate(d.missed_rate),
        ]

    def rows():
        from .selectors import total_of

        for label, days in series:
            for d in days:
                yield line(label, d, d.date.isoformat())
            yield line(label, total_of(days), "Total")

    return header, rows()
