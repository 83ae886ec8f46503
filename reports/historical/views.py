"""The historical agents report (R3) and a rep's detailed timeline. Thin: parse the filters,
call reports.historical.selectors, shape the page or the streamed CSV.

Permission presence.view_reports (A3); reps are scoped by representatives_visible_to (A2) in
the selectors. Bad filter values: a message on the form, no figures, never a 500."""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET
from django_tables2 import RequestConfig

from portal.csv_export import csv_response
from portal.exceptions import NotFound
from portal.pages import render_page
from portal.permissions import require_permission
from presence.models import BaseStatus, BuiltinStatus, PresenceStatus, Representative
from presence.selectors import representative_for
from reports.rollups import watermark

from . import selectors
from .forms import TIMELINE_MAX_DAYS, HistoricalFilterForm, time_zone_names
from .tables import (
    BASE_LABELS,
    day_csv,
    hour_csv,
    query_string,
    rep_csv,
    rep_table,
    trend_csv,
)

PERMISSION = "presence.view_reports"
TEMPLATE = "reports/historical.html"
REP_TEMPLATE = "reports/historical_rep.html"
SESSION_TZ = "reports_historical_tz"
PER_PAGE = 50
DAYS_PER_PAGE = 31
HOUR_REPS_PER_PAGE = 4  # at most 4 x 25 hourly rows
EXPORTS = ("reps", "days", "hours", "trends")


def _form(request: HttpRequest, **kwargs) -> HistoricalFilterForm:
    default_tz = request.session.get(SESSION_TZ) or settings.TIME_ZONE
    form = HistoricalFilterForm(
        request.GET, user=request.user, now=timezone.now(), default_tz=default_tz, **kwargs
    )
    if form.is_valid():
        request.session[SESSION_TZ] = form.cleaned_data["tz"].key  # the user's choice sticks
    return form


def _status_palette(statuses: dict) -> list[dict]:
    """Legend entries of the charts: one per status in the data, base-status colour, custom
    statuses (and Inactive) striped so that colour is not the only signal."""
    plain = {
        BuiltinStatus.AVAILABLE,
        BuiltinStatus.BUSY,
        BuiltinStatus.DND,
        BuiltinStatus.AWAY,
        BuiltinStatus.OFFLINE,
    }
    entries = []
    for (status_id, base), status in statuses.items():
        entries.append(
            {
                "key": (status_id, base),
                "name": status.presence_text if status else "?",
                "base": base,
                "base_label": BASE_LABELS[base],
                "striped": status is None or status.builtin_key not in plain,
            }
        )
    order = list(BaseStatus.values)
    entries.sort(key=lambda e: (order.index(e["base"]), e["striped"], e["name"].lower()))
    return entries


def _bars(items: list[tuple[str, dict[tuple[int, str], int]]], legend: list[dict]) -> list[dict]:
    """Stacked bars: per item, segments with their share of the largest total."""
    largest = max((sum(v.values()) for _, v in items), default=0) or 1
    bars = []
    for label, seconds in items:
        total = sum(seconds.values())
        segments = [
            {
                **entry,
                "seconds": seconds[entry["key"]],
                "pct": 100 * seconds[entry["key"]] / largest,
            }
            for entry in legend
            if seconds.get(entry["key"])
        ]
        bars.append({"label": label, "total": total, "segments": segments})
    return bars


def _day_rows(by_day, window: selectors.Window) -> list[dict]:
    rows = []
    for day, seconds in sorted(by_day.items()):
        start, end = (
            selectors.local_midnight(day, window.tz),
            selectors.local_midnight(day + dt.timedelta(days=1), window.tz),
        )
        row = {
            "date": day,
            "hours_in_day": int((end - start).total_seconds() // 3600),
            "statuses": {},
            "seconds": seconds,
        }
        for base in selectors.BASES:
            row[base] = sum(s for (_, b), s in seconds.items() if b == base)
        for (status_id, _), s in seconds.items():
            row["statuses"][status_id] = row["statuses"].get(status_id, 0) + s
        row["signed_in"] = sum(seconds.values()) - row["offline"]
        row["base_list"] = [row[base] for base in selectors.BASES]
        rows.append(row)
    return rows


def _day_total(days: list[dict]) -> dict:
    """The team total row of the per-day table: every day of the window, not one page."""
    total = {"statuses": {}, "signed_in": sum(d["signed_in"] for d in days)}
    for base in selectors.BASES:
        total[base] = sum(d[base] for d in days)
    for d in days:
        for status_id, seconds in d["statuses"].items():
            total["statuses"][status_id] = total["statuses"].get(status_id, 0) + seconds
    total["base_list"] = [total[base] for base in selectors.BASES]
    return total


TREND_METRICS = (
    # (key, title, the DayFigures attribute, how its value is said)
    ("handled", "Conversations handled", "handled", "count"),
    ("aht", "Average handle time", "average_handle_seconds", "duration"),
    ("rejected", "Offers rejected", "rejected_rate", "rate"),
    ("missed", "Offers timed out", "missed_rate", "rate"),
)


def _trends(series: list[tuple[str, list]]) -> list[dict]:
    """Bar charts per metric and day: each series' value, its share of the metric's largest
    value, and the value as text next to the bar (colour and pattern are not the only signal)."""
    charts = []
    for key, title, attr, kind in TREND_METRICS:
        values = [[getattr(day, attr) for day in days] for _, days in series]
        largest = max((v for vs in values for v in vs if v), default=0) or 1
        rows = []
        for i, day in enumerate(series[0][1]):
            bars = []
            for j, (label, _) in enumerate(series):
                value = values[j][i]
                bars.append(
                    {
                        "series": label,
                        "index": j,
                        "value": value,
                        "pct": 100 * (value or 0) / largest,
                    }
                )
            rows.append({"date": day.date, "bars": bars})
        charts.append({"key": key, "title": title, "kind": kind, "rows": rows})
    return charts


@require_permission(PERMISSION)
@require_GET
def historical(request: HttpRequest) -> HttpResponse:
    form = _form(request)
    context = {"form": form, "time_zones": time_zone_names()}
    export = request.GET.get("export", "")
    if not form.is_valid():
        return render_page(request, TEMPLATE, context)
    # Every link of the page (sorting, pages, exports, other days) is built from request.GET:
    # it carries the period and zone in force, so a shared link shows the same figures.
    request.GET = form.data
    now = timezone.now()
    filters = form.filters()
    window = filters.window()
    reps = selectors.representatives_for_report(user=request.user, filters=filters, window=window)
    report = selectors.rep_report(reps=reps, window=window, filters=filters, now=now)
    stem = f"agents-{filters.date_from:%Y%m%d}-{filters.date_to:%Y%m%d}"
    if export == "reps":
        return csv_response(f"{stem}-by-rep.csv", *rep_csv(report))
    by_day = selectors.status_seconds_by_day(reps=reps, window=window, now=now)
    days = _day_rows(by_day, window)
    if export == "days":
        return csv_response(f"{stem}-by-day.csv", *day_csv(days, report.statuses))
    if export == "hours":
        hours = selectors.hourly_detail(reps=reps, window=window, now=now)
        rows = hours.iterator(chunk_size=2000) if hasattr(hours, "iterator") else hours
        return csv_response(f"{stem}-hourly.csv", *hour_csv(rows, window.tz))

    table = rep_table(report, rep_url_query=_rep_query(form))
    RequestConfig(request, paginate={"per_page": PER_PAGE}).configure(table)
    # One rep picked out of a team: their trends are shown next to the team total's.
    team_filters = team_reps = None
    team_by_day: dict = {}
    if filters.representative is not None:
        team_filters = dataclasses.replace(filters, representative=None)
        team_reps = selectors.representatives_for_report(
            user=request.user, filters=team_filters, window=window
        )
        team_by_day = selectors.status_seconds_by_day(reps=team_reps, window=window, now=now)
    team_only = {k[0] for v in team_by_day.values() for k in v} - set(report.status_names)
    if team_only:  # statuses the team held and the filtered reps never did: one query
        report.status_names.update(PresenceStatus.objects.in_bulk(list(team_only)))
    status_keys = {key: report.status_names.get(key[0]) for key in report.total.statuses}
    for seconds in [*by_day.values(), *team_by_day.values()]:
        for key in seconds:
            status_keys.setdefault(key, report.status_names.get(key[0]))
    legend = _status_palette(status_keys)
    page_rows = [row.record for row in table.paginated_rows]
    by_rep = {r.representative_id: r.statuses for r in report.rows}
    # One page of days, and one day's hourly rows of one page of reps: the page stays small
    # for any range and any number of reps (review finding 14); the CSVs have everything.
    day_page = Paginator(days, DAYS_PER_PAGE).get_page(request.GET.get("dpage"))
    hour_day = _hour_day(request, window, now)
    day_window = selectors.report_window(date_from=hour_day, date_to=hour_day, tz=window.tz)
    # The hourly rows of a few reps at a time: the reps are counted already (no COUNT) and the
    # query reads only their rollups.
    rep_ids = [row.representative_id for row in report.rows]
    hour_page = Paginator(rep_ids, HOUR_REPS_PER_PAGE).get_page(request.GET.get("hpage"))
    page_reps = Representative.objects.filter(pk__in=list(hour_page.object_list))
    hour_rows = list(selectors.hourly_detail(reps=page_reps, window=day_window, now=now))
    for row in hour_rows:
        row["local"] = selectors.epoch_to_local(row["hour"], window.tz)
        row["signed_in"] = sum(row[b] for b in selectors.BASES) - row["offline"]
        row["base_list"] = [row[b] for b in selectors.BASES]
    for day in day_page.object_list:
        day["status_list"] = [day["statuses"].get(s.pk, 0) for s in report.statuses]
    day_total = _day_total(days)
    day_total["status_list"] = [day_total["statuses"].get(s.pk, 0) for s in report.statuses]
    hour_total = next((d for d in days if d["date"] == hour_day), None)
    # Trends: the filtered reps, and their team total when one rep is picked out of it.
    trend_days = selectors.conversation_figures_by_day(reps=reps, window=window, filters=filters)
    series = [(filters.representative.name if filters.representative else "Shown", trend_days)]
    if team_reps is not None:
        team_name = f"Team {filters.team.name}" if filters.team else "All your representatives"
        series.append(
            (
                team_name,
                selectors.conversation_figures_by_day(
                    reps=team_reps, window=window, filters=team_filters
                ),
            )
        )
    if export == "trends":
        return csv_response(f"{stem}-trends.csv", *trend_csv(series))
    # The charts and the table show the days of the per-day table's page (31 at most); the
    # totals are over every day.
    shown = {d["date"] for d in day_page.object_list}
    page_series = [(label, [d for d in days_ if d.date in shown]) for label, days_ in series]
    trend_table = [
        {"date": day.date, "values": [days_[i] for _, days_ in page_series]}
        for i, day in enumerate(page_series[0][1])
    ]
    context |= {
        "filters": filters,
        "window": window,
        "report": report,
        "table": table,
        "legend": legend,
        "rep_bars": _bars([(r["name"], by_rep[r["representative_id"]]) for r in page_rows], legend),
        "day_bars": _bars(
            [(d["date"].strftime("%a %d %b"), d["seconds"]) for d in day_page.object_list], legend
        ),
        "days": day_page.object_list,
        "team_day_bars": _bars(
            [
                (d["date"].strftime("%a %d %b"), team_by_day.get(d["date"], {}))
                for d in day_page.object_list
            ],
            legend,
        )
        if team_reps is not None
        else [],
        "day_total": day_total,
        "hour_total": hour_total,
        "trend_series": [label for label, _ in series],
        "trend_charts": _trends(page_series),
        "trend_table": trend_table,
        "trend_totals": [selectors.total_of(days_) for _, days_ in series],
        "day_page": day_page,
        "hour_rows": hour_rows,
        "hour_page": hour_page,
        "hour_day": hour_day,
        "hour_days": _neighbours(hour_day, window),
        "bases": [(b, BASE_LABELS[b]) for b in selectors.BASES],
        "up_to": watermark() if window.aligned else now,
        "export_query": {e: _export_query(request, e) for e in EXPORTS},
        "share_query": query_string(
            {k: v for k, v in request.GET.items() if k not in ("export", "hpage", "dpage")}
        ),
    }
    # Its links are boosted with hx-select (historical.html): a boosted request wants the region
    # too, so the test is request.htmx itself, not portal.pages.partial_wanted.
    return render_page(request, f"{TEMPLATE}#results" if request.htmx else TEMPLATE, context)


def _hour_day(request: HttpRequest, window: selectors.Window, now: dt.datetime) -> dt.date:
    """The local day the hourly detail shows (one day per page; the CSV has every day)."""
    try:
        day = dt.date.fromisoformat(request.GET.get("hday", ""))
    except ValueError:
        day = min(window.date_to, now.astimezone(window.tz).date())
    return min(max(day, window.date_from), window.date_to)


def _neighbours(day: dt.date, window: selectors.Window) -> dict:
    one = dt.timedelta(days=1)
    return {
        "previous": day - one if day > window.date_from else None,
        "next": day + one if day < window.date_to else None,
    }


def _export_query(request: HttpRequest, export: str) -> str:
    skip = ("page", "hday", "sort", "export", "hpage", "dpage")
    params = {k: v for k, v in request.GET.items() if k not in skip}
    return query_string(params | {"export": export})


def _rep_query(form: HistoricalFilterForm) -> str:
    data = form.cleaned_data
    return query_string(
        {
            "period": "custom",
            "date_from": data["date_from"].isoformat(),
            "date_to": data["date_to"].isoformat(),
            "tz": data["tz"].key,
        }
    )


@require_permission(PERMISSION)
@require_GET
def historical_rep(request: HttpRequest, representative_id: int) -> HttpResponse:
    """R3 drill-down: a rep's statuses with start and end, up to a month."""
    try:
        rep = representative_for(user=request.user, representative_id=representative_id)
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    form = _form(request, max_days=TIMELINE_MAX_DAYS, scoped=False)
    context = {"form": form, "rep": rep, "time_zones": time_zone_names()}
    if not form.is_valid():
        return render_page(request, REP_TEMPLATE, context)
    request.GET = form.data  # the export link carries the period and zone in force
    data = form.cleaned_data
    if (data["date_to"] - data["date_from"]).days + 1 > TIMELINE_MAX_DAYS:
        form.add_error(
            None, f"A timeline covers {TIMELINE_MAX_DAYS} days at most; shorten the range."
        )
        return render_page(request, REP_TEMPLATE, context)
    now = timezone.now()
    window = selectors.report_window(
        date_from=data["date_from"], date_to=data["date_to"], tz=data["tz"]
    )
    intervals = selectors.representative_timeline(representative=rep, window=window)
    if request.GET.get("export") == "timeline":
        return csv_response(
            f"timeline-{rep.pk}-{window.date_from:%Y%m%d}-{window.date_to:%Y%m%d}.csv",
            *_timeline_csv(intervals, window, now),
        )
    intervals = list(intervals)
    rows = []
    totals: dict[tuple[int, str], int] = {}
    for interval in intervals:
        start, end, seconds = selectors.clip(interval, window, now)
        rows.append(
            {
                "interval": interval,
                "start": start.astimezone(window.tz),
                "end": end.astimezone(window.tz),
                "seconds": seconds,
                "open": interval.end is None,
            }
        )
        key = (interval.status_id, interval.base_status)
        totals[key] = totals.get(key, 0) + seconds
    statuses = {key: next(i.status for i in intervals if i.status_id == key[0]) for key in totals}
    legend = _status_palette(statuses)
    context |= {
        "window": window,
        "rows": rows,
        "legend": legend,
        "total_bar": _bars([("Total", totals)], legend)[0],
        "days": [
            {
                "date": day,
                "pieces": [
                    {"left": left, "width": width, "interval": iv, "striped": _striped(iv)}
                    for left, width, iv in pieces
                ],
            }
            for day, pieces in selectors.timeline_by_day(intervals, window, now)
        ],
        "export_query": _export_query(request, "timeline"),
    }
    return render_page(request, REP_TEMPLATE, context)


def _striped(interval) -> bool:
    return interval.status.builtin_key in (None, BuiltinStatus.INACTIVE)


def _timeline_csv(intervals, window: selectors.Window, now: dt.datetime):
    header = ["Start", "End", "Seconds", "Status", "Base status", "Source", "Open"]

    def rows():
        for interval in intervals.iterator(chunk_size=2000):
            start, end, seconds = selectors.clip(interval, window, now)
            yield [
                start.astimezone(window.tz).isoformat(),
                end.astimezone(window.tz).isoformat(),
                seconds,
                interval.status.presence_text,
                interval.base_status,
                interval.source,
                "yes" if interval.end is None else "",
            ]

    return header, rows()
