"""Capacity (K1, K2): profiles (reset frequency fixed at creation), the reps of a profile with
their own limits, and reps' capacity units. Every write is a service (audited, P4 recalculation)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.pages import act, next_url, page_number, render_page, submit
from presence.forms import CapacityProfileForm, CapacityUnitsForm, MemberAddForm, MemberLimitForm
from presence.models import CapacityProfile, RepresentativeProfile
from presence.selectors import representatives_visible_to
from presence.services import config as services

from . import admin_required

MEMBERS_PER_PAGE = 25


def _profile_url(profile: CapacityProfile) -> str:
    return reverse("presence:config_capacity_edit", args=[profile.pk])


@admin_required
@require_GET
def capacity_list(request: HttpRequest) -> HttpResponse:
    profiles = CapacityProfile.objects.annotate(
        member_count=Count("representative_links", distinct=True),
        own_limit_count=Count(
            "representative_links",
            filter=Q(representative_links__limit_override__isnull=False),
            distinct=True,
        ),
        workstream_count=Count("workstreams", distinct=True),
    ).order_by("name")
    return render_page(request, "presence/config/capacity.html", {"profiles": profiles})


@admin_required
@require_http_methods(["GET", "POST"])
def capacity_create(request: HttpRequest) -> HttpResponse:
    form = CapacityProfileForm(request.POST or None)

    def run() -> tuple[str, str]:
        profile = services.capacity_profile_create(
            actor=request.user, now=timezone.now(), **form.changes()
        )
        return f'Created capacity profile "{profile.name}".', _profile_url(profile)

    done = submit(request, form, run)
    if done is not None:
        return done
    return render_page(
        request,
        "presence/config/capacity_form.html",
        {"form": form, "profile": None},
        status=400 if form.errors else 200,
    )


@admin_required
@require_http_methods(["GET", "POST"])
def capacity_edit(request: HttpRequest, profile_id: int) -> HttpResponse:
    """The profile's settings (reset frequency read-only, K2) and its reps with their limits."""
    profile = get_object_or_404(CapacityProfile, pk=profile_id)
    initial = {"name": profile.name, "limit": profile.limit, "blocking": profile.blocking}
    form = CapacityProfileForm(request.POST or None, initial=initial, profile=profile)

    def run() -> tuple[str, str]:
        services.capacity_profile_update(
            profile=profile, actor=request.user, now=timezone.now(), **form.changes()
        )
        return f'Saved capacity profile "{profile.name}".', _profile_url(profile)

    done = submit(request, form, run)
    if done is not None:
        return done
    members = (
        RepresentativeProfile.objects.filter(
            profile=profile, representative__in=representatives_visible_to(user=request.user)
        )
        .select_related("representative")
        .order_by("representative__name", "pk")
    )
    page = Paginator(members, MEMBERS_PER_PAGE).get_page(page_number(request))
    context = {
        "form": form,
        "profile": profile,
        "page": page,
        "add_form": MemberAddForm(profile=profile),
        "workstreams": list(profile.workstreams.order_by("name").values_list("name", flat=True)),
    }
    return render_page(
        request, "presence/config/capacity_form.html", context, status=400 if form.errors else 200
    )


def _member(request, profile_id: int, representative_id: int) -> RepresentativeProfile:
    return get_object_or_404(
        RepresentativeProfile.objects.select_related("profile", "representative"),
        profile_id=profile_id,
        representative_id=representative_id,
        representative__in=representatives_visible_to(user=request.user),
    )


def _form_errors(form) -> str:
    return " ".join(
        f"{form.fields[f].label}: {' '.join(e)}" if f in form.fields else " ".join(e)
        for f, e in form.errors.items()
    )


@admin_required
@require_POST
def capacity_member_add(request: HttpRequest, profile_id: int) -> HttpResponse:
    profile = get_object_or_404(CapacityProfile, pk=profile_id)
    form = MemberAddForm(request.POST, profile=profile)
    if not form.is_valid():
        messages.error(request, f"Nobody was added. {_form_errors(form)}")
        return redirect(_profile_url(profile))
    rep, limit = form.cleaned_data["representative"], form.cleaned_data["limit"]

    def run() -> str:
        services.representative_profile_set(
            representative=rep, profile=profile, limit=limit, actor=request.user, now=timezone.now()
        )
        own = (
            f"own limit {limit}" if limit is not None else f"the profile's limit ({profile.limit})"
        )
        return f"{rep.name} now holds {profile.name}, with {own}."

    act(request, run)
    return redirect(_profile_url(profile))


@admin_required
@require_POST
def capacity_member_limit(
    request: HttpRequest, profile_id: int, representative_id: int
) -> HttpResponse:
    """K2: set the rep's own limit, or clear it (blank: the profile's limit)."""
    link = _member(request, profile_id, representative_id)
    back = next_url(request, _profile_url(link.profile))  # decided before anything is written
    form = MemberLimitForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"{link.representative.name}: not changed. {_form_errors(form)}")
        return redirect(back)
    limit = None if request.POST.get("clear") else form.cleaned_data["limit"]

    def run() -> str:
        services.representative_profile_set(
            representative=link.representative,
            profile=link.profile,
            limit=limit,
            actor=request.user,
            now=timezone.now(),
        )
        if limit is None:
            return (
                f"{link.representative.name} now uses the profile's limit ({link.profile.limit})."
            )
        return f"{link.representative.name}'s own limit on {link.profile.name} is {limit}."

    act(request, run)
    return redirect(back)


@admin_required
@require_POST
def capacity_member_remove(
    request: HttpRequest, profile_id: int, representative_id: int
) -> HttpResponse:
    link = _member(request, profile_id, representative_id)
    back = next_url(request, _profile_url(link.profile))

    def run() -> str:
        services.representative_profile_remove(
            representative=link.representative,
            profile=link.profile,
            actor=request.user,
            now=timezone.now(),
        )
        return f"{link.representative.name} no longer holds {link.profile.name}."

    act(request, run)
    return redirect(back)


@admin_required
@require_POST
def capacity_units(request: HttpRequest, representative_id: int) -> HttpResponse:
    """K1: a rep's capacity units (0: profiles alone); the rep is recalculated (P4)."""
    rep = get_object_or_404(representatives_visible_to(user=request.user), pk=representative_id)
    form = CapacityUnitsForm(request.POST)
    back = next_url(request, reverse("presence:config_capacity"))
    if not form.is_valid():
        messages.error(request, f"{rep.name}: not changed. {_form_errors(form)}")
        return redirect(back)
    units = form.cleaned_data["capacity_units"]

    def run() -> str:
        services.representative_update(
            representative=rep, actor=request.user, now=timezone.now(), capacity_units=units
        )
        return f"{rep.name} has {units} capacity unit(s)."

    act(request, run)
    return redirect(back)
