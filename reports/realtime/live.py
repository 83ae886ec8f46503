"""The real-time reports' live stream (issue 13) and the rendering their viewers share.

GET /reports/stream/?page=agents|ongoing|agent[&rep=<id>]: server-sent events, one stream per
report tab. The viewer's permission and team scope are checked when it opens (A2, A3), and every
event is filtered by that scope in the server (portal.live.hub.ReportListener): a `changed`
event names only reps the viewer may see. It comes at most once per REPORT_REFRESH_SECONDS, at
the start of a window; the page then fetches its live region, and every viewer with the same
scope and filters gets the one rendering of that window (`shared_fragment`).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from portal.live.hub import ReportListener, window_number, window_phase
from portal.live.streams import listen, no_stream, stream_response, streams_supported
from portal.permissions import require_permission
from presence.selectors import teams_visible_to

from . import selectors

log = logging.getLogger(__name__)
VIEW = "presence.view_reports"
PAGES = ("agents", "ongoing", "agent", "queues", "wallboard")  # the last two: issue 16
SHOW_OFFERS = ("queues", "wallboard")  # today's offers per queue; the other pages show none


def viewer_teams(user) -> list[int] | None:
    """A2: None for a viewer of every team, else the ids of the teams they supervise (the scope
    of representatives_visible_to)."""
    if user.has_perm("presence.view_all_teams"):
        return None
    return sorted(teams_visible_to(user=user).values_list("pk", flat=True))


@require_permission(VIEW)
@require_GET
def report_stream(request: HttpRequest) -> HttpResponse:
    page = request.GET.get("page", "")
    if page not in PAGES:
        return HttpResponse(
            "page: one of agents, ongoing, agent, queues, wallboard.",
            status=400,
            content_type="text/plain",
        )
    rep_id = None
    if page == "agent":
        from .views import _scoped_representative  # A2: a rep outside the viewer's teams is 404

        try:
            rep_id = int(request.GET.get("rep", ""))
        except ValueError:
            return HttpResponse(
                "rep: the representative's id is required.", status=400, content_type="text/plain"
            )
        rep_id = _scoped_representative(request, rep_id).pk
    if not streams_supported(request):
        return no_stream()
    listener = ReportListener(
        teams=viewer_teams(request.user),
        rep_id=rep_id,
        queue=page in ("ongoing", "queues", "wallboard"),
        offers=page in SHOW_OFFERS,
    )
    hello = {"page": page, "refresh_seconds": settings.REPORT_REFRESH_SECONDS}
    return stream_response(listen(listener, hello=hello))


# --- One rendering per scope, filters and window ------------------------------------------------


def _fragment_key(request: HttpRequest, region: str) -> str | None:
    """The cache key of a live refresh of `region` (the request htmx sends for the region itself:
    HX-Trigger is its id), or None for anything else (a filter change, a page link: rendered for
    the request). Everything that changes the fragment is in the key: the path and the
    normalised query, the viewer's scope (A2), time zone, language and the permissions the
    fragment shows (force close), and the number of the scope's window (its phase is the
    stream's: portal.live.hub.window_phase)."""
    if request.headers.get("HX-Trigger") != region or not request.htmx:
        return None
    if request.htmx.boosted or request.htmx.history_restore_request:
        return None
    user = request.user
    teams = viewer_teams(user)
    seconds = settings.REPORT_REFRESH_SECONDS
    parts = [
        request.path,
        sorted((k, sorted(v)) for k, v in request.GET.lists()),
        "all" if teams is None else teams,
        str(selectors.viewer_timezone(user=user)),
        get_language(),
        user.has_perm("presence.manage_presence"),
        user.has_perm("presence.force_close_conversation"),
        window_number(seconds=seconds, phase=window_phase(teams=teams, seconds=seconds)),
    ]
    digest = hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()
    return f"live-fragment:{digest}"


def _cache_call(method: Callable, *args, **kwargs):
    """The cache fails open: with the cache down every viewer gets a rendering of their own."""
    try:
        return method(*args, **kwargs)
    except Exception:
        log.warning("live: the report cache is unavailable", exc_info=True)
        return None


def shared_fragment(region: str) -> Callable:
    """View decorator: the live refresh of `region` is rendered once per window for every viewer
    with the same key (`_fragment_key`) and served from the cache to the others.

    Why it is never stale: the stream sends `changed` at the start of the window after the
    change, so the first rendering of that window is made after the change committed."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            key = _fragment_key(request, region)
            if key is not None:
                body = _cache_call(cache.get, key)
                if body is not None:
                    response = HttpResponse(body)
                    response["Vary"] = "HX-Request"
                    response["X-Live-Fragment"] = "shared"
                    return response
            response = view(request, *args, **kwargs)
            if key is not None and response.status_code == 200 and not response.streaming:
                _cache_call(
                    cache.set, key, response.content, timeout=settings.REPORT_REFRESH_SECONDS * 2
                )
            return response

        wrapper.__name__ = view.__name__
        wrapper.__doc__ = view.__doc__
        wrapper.__wrapped__ = view
        return wrapper

    return decorator
