"""The console's live stream (issue 13): one server-sent event stream per console tab.

Opening it is the client's connect (S1, S3), its open life is the client's heartbeat (the server
process marks it alive, portal.live.hub), and its close is the client's goodbye (S4). Events say
that something of the rep changed; the page then fetches its regions once (docs/architecture.md).
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from portal.exceptions import ApplicationError, NotFound
from portal.http_errors import status_of
from portal.live.hub import ConsoleListener
from portal.live.streams import in_thread, listen, no_stream, stream_response, streams_supported
from portal.permissions import require_permission
from presence import services
from presence.selectors import representative_of

from .views_console import CLIENT_ID, PERMISSION

log = logging.getLogger(__name__)


def _refusal(status: int, text: str) -> HttpResponse:
    # EventSource shows no body; the page reads the status and falls back to polling.
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")


@require_permission(PERMISSION)
@require_GET
def console_stream(request: HttpRequest) -> HttpResponse:
    """GET /console/stream/?client_id=… (the signed-in rep's own, A1): `hello`, then `changed`."""
    rep = representative_of(user=request.user)
    if rep is None:
        return no_stream()
    client_id = request.GET.get("client_id", "")
    if not CLIENT_ID.match(client_id):
        return _refusal(400, "client_id: 8 to 64 letters, digits, '-' or '_' are required.")
    if not streams_supported(request):
        return no_stream()
    try:
        client, outcome = services.client_connect(
            representative=rep, client_id=client_id, now=timezone.now()
        )
    except ApplicationError as error:  # another rep's client id (409): the API's status
        return _refusal(status_of(error), error.detail)
    listener = ConsoleListener(rep_id=rep.pk, client_id=client_id, connected_at=client.connected_at)

    async def goodbye() -> None:
        try:
            await in_thread(
                services.client_goodbye,
                representative=rep,
                client_id=client_id,
                now=timezone.now(),
                connected_at=client.connected_at,
            )
        except NotFound:
            pass  # the page's own goodbye (sendBeacon) came first, or a refresh took over (S3)
        except Exception:
            log.exception("live: goodbye of client %s failed; it will time out", client_id)

    hello = {"client_id": client_id, "status": outcome.status.presence_text}
    return stream_response(listen(listener, hello=hello, on_close=goodbye))
