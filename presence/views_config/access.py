"""Teams and access: teams with their supervisors and reps (A2), users and their roles (A1
groups), API tokens (shown once, revocable). The 403 page names a missing permission (A3)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.paginator import Paginator
from django.db.models import Count, F, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.pages import act, next_url, page_number, render_page, submit
from presence.filters import UserFilter
from presence.forms import RolesForm, TeamForm, TeamMembersAddForm, TokenCreateForm
from presence.models import ApiToken, Representative, Team
from presence.selectors import representatives_visible_to
from presence.services import api_token_create, api_token_revoke
from presence.services import config as services

from . import admin_required

PER_PAGE = 25


# --- Teams ----------------------------------------------------------------------------------------


@admin_required
@require_GET
def team_list(request: HttpRequest) -> HttpResponse:
    User = get_user_model()
    teams = (
        Team.objects.annotate(rep_count=Count("representatives", distinct=True))
        .prefetch_related(Prefetch("supervisors", queryset=User.objects.order_by("username")))
        .order_by("name")
    )
    return render_page(request, "presence/config/teams.html", {"teams": teams})


def _team_url(team: Team) -> str:
    return reverse("presence:config_team_edit", args=[team.pk])


@admin_required
@require_http_methods(["GET", "POST"])
def team_create(request: HttpRequest) -> HttpResponse:
    form = TeamForm(request.POST or None)

    def run() -> tuple[str, str]:
        team = services.team_create(actor=request.user, now=timezone.now(), **form.changes())
        return f'Created team "{team.name}". Add its representatives below.', _team_url(team)

    done = submit(request, form, run)
    if done is not None:
        return done
    return render_page(
        request,
        "presence/config/team_form.html",
        {"form": form, "team": None},
        status=400 if form.errors else 200,
    )


@admin_required
@require_http_methods(["GET", "POST"])
def team_edit(request: HttpRequest, team_id: int) -> HttpResponse:
    team = get_object_or_404(Team, pk=team_id)
    initial = {"name": team.name, "supervisors": list(team.supervisors.all())}
    form = TeamForm(request.POST or None, initial=initial, team=team)

    def run() -> tuple[str, str]:
        services.team_update(team=team, actor=request.user, now=timezone.now(), **form.changes())
        return f'Saved team "{team.name}".', _team_url(team)

    done = submit(request, form, run)
    if done is not None:
        return done
    members = (
        representatives_visible_to(user=request.user)
        .filter(teams=team)
        .select_related("default_presence")
        .order_by("name", "pk")
    )
    context = {
        "form": form,
        "team": team,
        "page": Paginator(members, PER_PAGE).get_page(page_number(request)),
        "add_form": TeamMembersAddForm(),
    }
    return render_page(
        request, "presence/config/team_form.html", context, status=400 if form.errors else 200
    )


@admin_required
@require_POST
def team_members_add(request: HttpRequest, team_id: int) -> HttpResponse:
    team = get_object_or_404(Team, pk=team_id)
    form = TeamMembersAddForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Nobody was added: give at least one e-mail or external id.")
        return redirect(_team_url(team))
    keys = form.key_list()
    found = services.representatives_by_key(keys, representatives_visible_to(user=request.user))
    unknown = [key for key in keys if key not in found]
    if unknown:
        shown = ", ".join(unknown[:10]) + (" …" if len(unknown) > 10 else "")
        messages.error(
            request, f"Nobody was added: no representative with e-mail or external id {shown}."
        )
        return redirect(_team_url(team))

    def run() -> str:
        services.team_update(
            team=team,
            actor=request.user,
            now=timezone.now(),
            add_representative_ids=[row[0] for row in found.values()],
        )
        return f"Added {len(found)} representative(s) to {team.name}."

    act(request, run)
    return redirect(_team_url(team))


@admin_required
@require_POST
def team_member_remove(request: HttpRequest, team_id: int, representative_id: int) -> HttpResponse:
    team = get_object_or_404(Team, pk=team_id)
    rep = get_object_or_404(Representative, pk=representative_id, teams=team)
    back = next_url(request, _team_url(team))  # decided before anything is written

    def run() -> str:
        services.team_update(
            team=team, actor=request.user, now=timezone.now(), remove_representative_ids=[rep.pk]
        )
        return f"{rep.name} is no longer in {team.name}."

    act(request, run)
    return redirect(back)


# --- Users and roles (A1) ---------------------------------------------------------------------------


@admin_required
@require_GET
def user_list(request: HttpRequest) -> HttpResponse:
    users = (
        get_user_model()
        .objects.select_related("representative")  # issue 15: the rep each user signs in as
        .prefetch_related(Prefetch("groups", queryset=Group.objects.order_by("name")))
    )
    filterset = UserFilter(request.GET or None, queryset=users)
    page = Paginator(filterset.qs.order_by("username"), PER_PAGE).get_page(page_number(request))
    context = {
        "page": page,
        "filter": filterset,
        "q": filterset.form.cleaned_data.get("q", "") if filterset.is_valid() else "",  # pages
        "groups": list(Group.objects.order_by("name")),
    }
    return render_page(request, "presence/config/users.html", context, partial="results")


@admin_required
@require_POST
def user_roles(request: HttpRequest, user_id: int) -> HttpResponse:
    user = get_object_or_404(get_user_model(), pk=user_id)
    form = RolesForm(request.POST)
    back = next_url(request, reverse("presence:config_users"))
    if not form.is_valid():
        messages.error(
            request, f"Roles of {user.get_username()} not changed: pick listed roles only."
        )
        return redirect(back)

    def run() -> str:
        names = services.user_groups_set(
            user=user,
            group_ids=[g.pk for g in form.cleaned_data["groups"]],
            actor=request.user,
            now=timezone.now(),
        )
        return f"Roles of {user.get_username()}: {', '.join(names) or 'none'}."

    act(request, run)
    return redirect(back)


# --- API tokens -------------------------------------------------------------------------------------


def _tokens_page(request, form, *, created=None, plaintext=None, status=200) -> HttpResponse:
    tokens = ApiToken.objects.select_related("user").order_by(
        F("revoked_at").asc(nulls_first=True), "-created_at"
    )
    context = {
        "form": form,
        "page": Paginator(tokens, PER_PAGE).get_page(page_number(request)),
        "created": created,
        "plaintext": plaintext,
    }
    return render_page(request, "presence/config/tokens.html", context, status=status)


@admin_required
@never_cache
@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    """Create shows the token once, in this response (never stored, never cached)."""
    form = TokenCreateForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            token, plaintext = api_token_create(
                user=form.cleaned_data["user"],
                name=form.cleaned_data["name"],
                actor=request.user,
                now=timezone.now(),
            )
            return _tokens_page(request, TokenCreateForm(), created=token, plaintext=plaintext)
        return _tokens_page(request, form, status=400)
    return _tokens_page(request, form)


@admin_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=token_id)

    def run() -> str:
        api_token_revoke(token=token, actor=request.user, now=timezone.now())
        return f"Token {token.prefix}… of {token.user.get_username()} is revoked: it stops working now."

    act(request, run)
    return redirect("presence:config_tokens")
