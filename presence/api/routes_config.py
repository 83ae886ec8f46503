"""Configuration (api.md "Configuration (admins)"): presence.configure_portal, except reading."""

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate

from presence import selectors, services
from presence.models import (
    CapacityProfile,
    PresenceStatus,
    Representative,
    RepresentativeProfile,
    Team,
    Workstream,
)

from . import access
from .access import CONFIGURE
from .schemas import (
    CapacityProfileIn,
    CapacityProfileOut,
    CapacityProfilePatch,
    DefaultPresenceBulkIn,
    DefaultPresenceBulkOut,
    Error,
    ExternalId,
    Id,
    Int,
    PresenceStatusIn,
    PresenceStatusOut,
    PresenceStatusPatch,
    RepresentativeIn,
    RepresentativeOut,
    RepresentativePatch,
    RepresentativeProfileIn,
    RepresentativeProfileOut,
    TeamIn,
    TeamOut,
    WorkstreamIn,
    WorkstreamOut,
    WorkstreamPatch,
)

router = Router(tags=["configuration"])


class Pages(LimitOffsetPagination):
    """`limit` (1-1000, default 100) and `offset`, bounded so that no value reaches the database
    as an out-of-range integer."""

    class Input(Schema):
        limit: Int = Field(100, ge=1, le=1000)
        offset: Int = Field(0, ge=0, le=2**31 - 1)


ERRORS = {400: Error, 401: Error, 403: Error, 404: Error, 409: Error}


def _profile_fields(data: dict) -> dict:
    if "reset" in data:
        data["reset_frequency"] = data.pop("reset")
    return data


# --- Presence statuses (B2, C1-C3) --------------------------------------------------------------


@router.get("/presence-statuses", response={200: list[PresenceStatusOut], **ERRORS})
def presence_statuses(request: HttpRequest):
    """Every status, built-in first. Needs only a token: desktops list what a rep can pick."""
    return PresenceStatus.objects.in_display_order()


@router.post("/presence-statuses", response={201: PresenceStatusOut, **ERRORS})
def presence_status_create(request: HttpRequest, payload: PresenceStatusIn):
    access.require(request, CONFIGURE)
    status = services.presence_status_create(
        actor=request.auth, now=timezone.now(), **payload.model_dump()
    )
    return Status(201, status)


@router.patch("/presence-statuses/{int:id}", response={200: PresenceStatusOut, **ERRORS})
def presence_status_update(request: HttpRequest, id: int, payload: PresenceStatusPatch):
    """Built-ins: 409 (B2). Deactivate a status that is in use instead of deleting it (C3)."""
    access.require(request, CONFIGURE)
    status = access.get_or_404(PresenceStatus, id, "presence status")
    return services.presence_status_update(
        status=status,
        actor=request.auth,
        now=timezone.now(),
        **payload.model_dump(exclude_unset=True),
    )


@router.delete("/presence-statuses/{int:id}", response={204: None, **ERRORS})
def presence_status_delete(request: HttpRequest, id: int):
    """Built-ins: 409 (B2); a status that history, a default or a current presence uses: 409
    naming the use (C3)."""
    access.require(request, CONFIGURE)
    status = access.get_or_404(PresenceStatus, id, "presence status")
    services.presence_status_delete(status=status, actor=request.auth, now=timezone.now())
    return Status(204, None)


# --- Capacity profiles (K2) ---------------------------------------------------------------------


@router.get("/capacity-profiles", response={200: list[CapacityProfileOut], **ERRORS})
def capacity_profiles(request: HttpRequest):
    access.require(request, CONFIGURE)
    return CapacityProfile.objects.order_by("name")


@router.post("/capacity-profiles", response={201: CapacityProfileOut, **ERRORS})
def capacity_profile_create(request: HttpRequest, payload: CapacityProfileIn):
    access.require(request, CONFIGURE)
    profile = services.capacity_profile_create(
        actor=request.auth, now=timezone.now(), **_profile_fields(payload.model_dump())
    )
    return Status(201, profile)


@router.patch("/capacity-profiles/{int:id}", response={200: CapacityProfileOut, **ERRORS})
def capacity_profile_update(request: HttpRequest, id: int, payload: CapacityProfilePatch):
    """Changing `reset`: 409 (K2, create a new profile). A new limit recalculates the reps of the
    profile that have no limit of their own (P4)."""
    access.require(request, CONFIGURE)
    profile = access.get_or_404(CapacityProfile, id, "capacity profile")
    return services.capacity_profile_update(
        profile=profile,
        actor=request.auth,
        now=timezone.now(),
        **_profile_fields(payload.model_dump(exclude_unset=True)),
    )


# --- Workstreams --------------------------------------------------------------------------------


@router.get("/workstreams", response={200: list[WorkstreamOut], **ERRORS})
def workstreams(request: HttpRequest, external_id: ExternalId | None = None):
    access.require(request, CONFIGURE)
    rows = Workstream.objects.order_by("name")
    if external_id is not None:
        rows = rows.filter(external_id=external_id)
    return rows


@router.post("/workstreams", response={201: WorkstreamOut, **ERRORS})
def workstream_create(request: HttpRequest, payload: WorkstreamIn):
    """Auto-close times not given take the channel's defaults (V2)."""
    access.require(request, CONFIGURE)
    workstream = services.workstream_create(
        actor=request.auth, now=timezone.now(), **payload.model_dump(exclude_unset=True)
    )
    return Status(201, workstream)


@router.patch("/workstreams/{int:id}", response={200: WorkstreamOut, **ERRORS})
def workstream_update(request: HttpRequest, id: int, payload: WorkstreamPatch):
    access.require(request, CONFIGURE)
    workstream = access.get_or_404(Workstream, id, "workstream")
    return services.workstream_update(
        workstream=workstream,
        actor=request.auth,
        now=timezone.now(),
        **payload.model_dump(exclude_unset=True),
    )


# --- Teams --------------------------------------------------------------------------------------


@router.get("/teams", response={200: list[TeamOut], **ERRORS})
def teams(request: HttpRequest):
    access.require(request, CONFIGURE)
    return Team.objects.prefetch_related("supervisors").order_by("name")


@router.post("/teams", response={201: TeamOut, **ERRORS})
def team_create(request: HttpRequest, payload: TeamIn):
    access.require(request, CONFIGURE)
    team = services.team_create(actor=request.auth, now=timezone.now(), **payload.model_dump())
    return Status(201, Team.objects.prefetch_related("supervisors").get(pk=team.pk))


# --- Representatives (D1-D4, K1, K2) ------------------------------------------------------------


def _representatives(request: HttpRequest):
    return (
        selectors.representatives_visible_to(user=request.auth)
        .select_related("user")
        .prefetch_related("teams")
    )


@router.get("/representatives", response={200: list[RepresentativeOut], **ERRORS})
@paginate(Pages, max_limit=1000)
def representatives(
    request: HttpRequest, external_id: ExternalId | None = None, team_id: Id | None = None
):
    """The reps the caller can see (A2), by name; `{items, count}`, with `limit` and `offset`."""
    rows = _representatives(request).order_by("name", "pk")
    if external_id is not None:
        rows = rows.filter(external_id=external_id)
    if team_id is not None:
        rows = rows.filter(teams=team_id)
    return rows


@router.post("/representatives", response={201: RepresentativeOut, **ERRORS})
def representative_create(request: HttpRequest, payload: RepresentativeIn):
    access.require(request, CONFIGURE)
    rep = services.representative_create(
        actor=request.auth, now=timezone.now(), **payload.model_dump()
    )
    return Status(201, _representatives(request).get(pk=rep.pk))


@router.get("/representatives/{int:id}", response={200: RepresentativeOut, **ERRORS})
def representative_detail(request: HttpRequest, id: int):
    return access.get_or_404(
        Representative, id, "representative that you can see", _representatives(request)
    )


@router.patch("/representatives/{int:id}", response={200: RepresentativeOut, **ERRORS})
def representative_update(request: HttpRequest, id: int, payload: RepresentativePatch):
    """New capacity units recalculate the rep (P4); a new default applies at sign-in (D3)."""
    access.require(request, CONFIGURE)
    rep = access.representative(request, id)
    services.representative_update(
        representative=rep,
        actor=request.auth,
        now=timezone.now(),
        **payload.model_dump(exclude_unset=True),
    )
    return _representatives(request).get(pk=rep.pk)


@router.put(
    "/representatives/{int:id}/capacity-profiles/{int:profile_id}",
    response={200: RepresentativeProfileOut, **ERRORS},
)
def representative_profile_set(
    request: HttpRequest, id: int, profile_id: int, payload: RepresentativeProfileIn
):
    """The rep holds the profile with their own limit, or the profile's (null); K2, P4."""
    access.require(request, CONFIGURE)
    rep = access.representative(request, id)
    profile = access.get_or_404(CapacityProfile, profile_id, "capacity profile")
    link: RepresentativeProfile = services.representative_profile_set(
        representative=rep,
        profile=profile,
        limit=payload.limit,
        actor=request.auth,
        now=timezone.now(),
    )
    return {
        "representative_id": rep.pk,
        "profile_id": profile.pk,
        "name": profile.name,
        "limit": link.limit_override,
        "profile_limit": profile.limit,
        "effective_limit": profile.limit if link.limit_override is None else link.limit_override,
        "blocking": profile.blocking,
        "reset": profile.reset_frequency,
    }


@router.delete(
    "/representatives/{int:id}/capacity-profiles/{int:profile_id}",
    response={204: None, **ERRORS},
)
def representative_profile_remove(request: HttpRequest, id: int, profile_id: int):
    access.require(request, CONFIGURE)
    rep = access.representative(request, id)
    profile = access.get_or_404(CapacityProfile, profile_id, "capacity profile")
    services.representative_profile_remove(
        representative=rep, profile=profile, actor=request.auth, now=timezone.now()
    )
    return Status(204, None)


@router.post("/representatives/default-presence", response={200: DefaultPresenceBulkOut, **ERRORS})
def representatives_default_presence(request: HttpRequest, payload: DefaultPresenceBulkIn):
    """D4: all-or-nothing. Any invalid id or status: 400 listing them, and nothing is written.
    Every change is audited (who, when, old and new default)."""
    access.require(request, CONFIGURE)
    status = access.get_or_400(
        PresenceStatus, payload.default_presence_id, "presence status", "default_presence_id"
    )
    changes = services.representative_default_presence_bulk(
        representative_ids=payload.representative_ids,
        status=status,
        actor=request.auth,
        now=timezone.now(),
        scope=selectors.representatives_visible_to(user=request.auth),
    )
    return {"updated": len(changes), "changes": changes}
