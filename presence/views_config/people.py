"""People (issue 15): representatives (every field the API takes, activation, capacity profiles
with own limits), users with roles and their one-time set-password link, and bulk onboarding
from a CSV (preview, all-or-nothing apply, the links listed once for download).

Every write is a service of presence.services.config (the API's: the rules live once), audited
(A4). Reps are scoped by representatives_visible_to (A2), in the query.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_tables2 import RequestConfig

from portal.csv_export import csv_response
from portal.exceptions import ApplicationError
from portal.pages import act, next_url, render_page
from presence.filters import RepresentativeFilter
from presence.forms import (
    PeopleCsvForm,
    ProfileAddForm,
    RepresentativeForm,
    UserActiveForm,
    UserCreateForm,
    parse_people_csv,
    time_zone_names,
)
from presence.forms.people import USER_EXISTING, USER_NEW, USER_NONE
from presence.models import Representative, RepresentativeProfile, Team
from presence.selectors import representatives_visible_to
from presence.services import config as services
from presence.tables import PER_PAGE, RepresentativeTable

from . import admin_required

LINKS_SESSION_KEY = "onboarding_links"  # the import's set-password links, downloadable once
TEMPLATE_ROWS = [
    ("EXT-001", "Ada Lovelace", "ada@example.com", "Team A", "Europe/London", 3, "", "ada"),
    (
        "EXT-002",
        "Grace Hopper",
        "grace@example.com",
        "Team A;Team B",
        "America/New_York",
        0,
        "",
        "",
    ),
]


def _scope(request: HttpRequest) -> QuerySet[Representative]:
    return representatives_visible_to(user=request.user)


def _rep_url(rep: Representative) -> str:
    return reverse("presence:config_representative_edit", args=[rep.pk])


def _absolute(request: HttpRequest, path: str) -> str:
    return request.build_absolute_uri(path)


# --- The list ------------------------------------------------------------------------------------


@admin_required
@require_GET
def representative_list(request: HttpRequest) -> HttpResponse:
    """Bounded whatever the number of reps: count, page, teams (one prefetch)."""
    filterset = RepresentativeFilter(request.GET or None, queryset=_scope(request))
    reps = filterset.qs.select_related("user", "presence__status").prefetch_related(
        Prefetch("teams", queryset=Team.objects.order_by("name"))
    )
    table = RepresentativeTable(reps)
    RequestConfig(request, paginate={"per_page": PER_PAGE}).configure(table)
    context = {
        "filter": filterset,
        "table": table,
        "reps": [row.record for row in table.page.object_list],
    }
    return render_page(request, "presence/config/representatives.html", context, partial="results")


# --- Create and edit ------------------------------------------------------------------------------


def _form_page(request, form, rep, *, link=None) -> HttpResponse:
    validate_url = reverse("presence:config_representative_validate")
    if rep is not None:
        validate_url += f"?representative={rep.pk}"
    context = {
        "form": form,
        "representative": rep,
        "time_zones": time_zone_names(),
        "link": link,
        "validate_url": validate_url,
    }
    if rep is not None:
        context["profiles"] = list(
            RepresentativeProfile.objects.filter(representative=rep)
            .select_related("profile")
            .order_by("profile__name")
        )
        context["profile_form"] = ProfileAddForm(representative=rep)
    return render_page(
        request,
        "presence/config/representative_form.html",
        context,
        status=400 if form.errors else 200,
    )


def _link_page(request, user, *, rep=None, title: str) -> HttpResponse:
    """The set-password link, shown once (never cached) and e-mailed when e-mail is set up."""
    url = _absolute(request, services.password_link(user))
    sent = services.password_links_send([(user, url)])
    context = {"new_user": user, "link": url, "sent": sent, "representative": rep, "title": title}
    response = render_page(request, "presence/config/password_link.html", context)
    return response


def _save(request, form, run) -> HttpResponse | None:
    """Like portal.pages.submit, for the pages that may answer the link page instead."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        return run()
    except ApplicationError as error:
        form.add_service_error(error)
        return None


@admin_required
@never_cache
@require_http_methods(["GET", "POST"])
def representative_create(request: HttpRequest) -> HttpResponse:
    form = RepresentativeForm(request.POST or None)

    def run() -> HttpResponse:
        changes, now = form.changes(), timezone.now()
        if form.new_username:
            changes.pop("username", None)
            rep, user = services.representative_create_with_user(
                actor=request.user, now=now, username=form.new_username, **changes
            )
            return _link_page(request, user, rep=rep, title=f"Created representative {rep.name}")
        rep = services.representative_create(actor=request.user, now=now, **changes)
        messages.success(request, f"Created representative {rep.name}.")
        return redirect(_rep_url(rep))

    return _save(request, form, run) or _form_page(request, form, None)


@admin_required
@never_cache
@require_http_methods(["GET", "POST"])
def representative_edit(request: HttpRequest, representative_id: int) -> HttpResponse:
    rep = get_object_or_404(_scope(request).select_related("user"), pk=representative_id)
    initial = {
        "name": rep.name,
        "email": rep.email,
        "external_id": rep.external_id or "",
        "teams": list(rep.teams.all()),
        "timezone": rep.timezone,
        "language": rep.language,
        "capacity_units": rep.capacity_units,
        "default_presence": rep.default_presence_id,
        "user_mode": USER_EXISTING if rep.user_id else USER_NONE,
        "username": rep.user.get_username() if rep.user_id else "",
    }
    form = RepresentativeForm(request.POST or None, initial=initial)

    def run() -> HttpResponse:
        changes, now = form.changes(), timezone.now()
        if form.new_username:
            changes.pop("username", None)
            with transaction.atomic():  # the new user and the rep's changes: all or nothing
                services.representative_update(
                    representative=rep, actor=request.user, now=now, **changes
                )
                name = rep.name.partition(" ")
                user = services.user_create(
                    actor=request.user,
                    now=now,
                    username=form.new_username,
                    first_name=name[0],
                    last_name=name[2],
                    email=rep.email,
                    group_ids=_representatives_group(),
                    representative=rep,
                )
            return _link_page(request, user, rep=rep, title=f"Saved representative {rep.name}")
        services.representative_update(representative=rep, actor=request.user, now=now, **changes)
        messages.success(request, f"Saved representative {rep.name}.")
        return redirect(_rep_url(rep))

    response = _save(request, form, run)
    if response is not None:
        return response
    rep.refresh_from_db()  # a refused save changed the object in memory only
    return _form_page(request, form, rep)


def _representatives_group() -> list[int]:
    from django.contrib.auth.models import Group

    return list(Group.objects.filter(name="Representatives").values_list("pk", flat=True))


@admin_required
@require_POST
def representative_validate(request: HttpRequest) -> HttpResponse:
    """Inline validation of one field (htmx, on leaving it): the field's row, with its error,
    by the same rules as the save (the service's). `?representative=<id>`: the rep edited."""
    name = request.POST.get("_field", "")
    form = RepresentativeForm(request.POST)
    if name not in form.fields:
        return HttpResponseBadRequest("No such field on the representative form.")
    rep = None
    rep_id = request.GET.get("representative", "")
    if rep_id:
        if not rep_id.isdigit():
            return HttpResponseBadRequest("No such representative.")
        rep = get_object_or_404(_scope(request), pk=int(rep_id))
    form.is_valid()
    if name not in form.errors and name in form.cleaned_data:
        try:
            services.representative_field_check(
                field=name,
                value=form.cleaned_data[name],
                representative=rep,
                new_user=form.cleaned_data.get("user_mode") == USER_NEW,
            )
        except ApplicationError as error:
            if form.service_fields.get(error.field or "", error.field or name) == name:
                form.add_service_error(error)
    context = {"field": form[name], "validate_url": request.get_full_path()}
    return render_page(request, "presence/config/_field.html", context)


@admin_required
@require_POST
def representative_active(request: HttpRequest, representative_id: int) -> HttpResponse:
    """Deactivate (signed out at once, S5; never given work, V4) or reactivate."""
    rep = get_object_or_404(_scope(request), pk=representative_id)
    back = next_url(request, _rep_url(rep))
    form = UserActiveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Active: say 1 (reactivate) or 0 (deactivate). Nothing changed.")
        return redirect(back)
    active = form.cleaned_data["active"]

    def run() -> str:
        services.representative_set_active(
            representative=rep, active=active, actor=request.user, now=timezone.now()
        )
        if active:
            return f"{rep.name} is active again: they can sign in and be offered work."
        return (
            f"{rep.name} is deactivated: signed out now and offered no work. Their history stays."
        )

    act(request, run)
    return redirect(back)


@admin_required
@require_POST
def representative_profile_add(request: HttpRequest, representative_id: int) -> HttpResponse:
    """K2: the rep holds a profile, with their own limit or the profile's; recalculated (P4)."""
    rep = get_object_or_404(_scope(request), pk=representative_id)
    form = ProfileAddForm(request.POST, representative=rep)
    if not form.is_valid():
        errors = " ".join(
            f"{form.fields[f].label}: {' '.join(e)}"
            for f, e in form.errors.items()
            if f in form.fields
        )
        messages.error(request, f"No profile was added. {errors}")
        return redirect(_rep_url(rep))
    profile, limit = form.cleaned_data["profile"], form.cleaned_data["limit"]

    def run() -> str:
        services.representative_profile_set(
            representative=rep, profile=profile, limit=limit, actor=request.user, now=timezone.now()
        )
        own = (
            f"own limit {limit}" if limit is not None else f"the profile's limit ({profile.limit})"
        )
        return f"{rep.name} now holds {profile.name}, with {own}."

    act(request, run)
    return redirect(_rep_url(rep))


# --- Users -----------------------------------------------------------------------------------------


@admin_required
@never_cache
@require_http_methods(["GET", "POST"])
def user_create(request: HttpRequest) -> HttpResponse:
    form = UserCreateForm(request.POST or None)

    def run() -> HttpResponse:
        data, now = form.cleaned_data, timezone.now()
        user_fields = {
            "username": data["username"],
            "first_name": data["first_name"],
            "last_name": data["last_name"],
            "email": data["email"],
            "group_ids": [g.pk for g in data["groups"]],
        }
        rep = None
        if data["link"] == UserCreateForm.LINK_EXISTING:
            key = data["representative"]
            found = services.representatives_by_key([key], _scope(request))
            if key not in found:
                form.add_error(
                    "representative", f"No representative with e-mail, external id or id {key}."
                )
                return None
            rep = _scope(request).get(pk=found[key][0])
        if data["link"] == UserCreateForm.LINK_NEW:
            name = " ".join(p for p in (data["first_name"], data["last_name"]) if p)
            with transaction.atomic():
                user = services.user_create(actor=request.user, now=now, **user_fields)
                rep = services.representative_create(
                    actor=request.user,
                    now=now,
                    name=name or data["username"],
                    email=data["email"],
                    username=user.get_username(),
                )
        else:
            user = services.user_create(
                actor=request.user, now=now, representative=rep, **user_fields
            )
        return _link_page(request, user, rep=rep, title=f"Created user {user.get_username()}")

    response = _save(request, form, run)
    if response is not None:
        return response
    return render_page(
        request,
        "presence/config/user_form.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


@admin_required
@require_POST
def user_active(request: HttpRequest, user_id: int) -> HttpResponse:
    user = get_object_or_404(get_user_model(), pk=user_id)
    back = next_url(request, reverse("presence:config_users"))
    form = UserActiveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Active: say 1 (reactivate) or 0 (deactivate). Nothing changed.")
        return redirect(back)
    active = form.cleaned_data["active"]

    def run() -> str:
        services.user_set_active(user=user, active=active, actor=request.user, now=timezone.now())
        if active:
            return f"User {user.get_username()} can sign in again."
        return f"User {user.get_username()} is deactivated: they cannot sign in any more."

    act(request, run)
    return redirect(back)


@admin_required
@never_cache
@require_POST
def user_password_link(request: HttpRequest, user_id: int) -> HttpResponse:
    """A new one-time set-password link (a lost one, or a forgotten password); shown once."""
    user = get_object_or_404(get_user_model(), pk=user_id, is_active=True)
    return _link_page(request, user, title=f"New set-password link for {user.get_username()}")


# --- Bulk onboarding -------------------------------------------------------------------------------


def _import_preview(request, plan, text: str, *, status: int = 200) -> HttpResponse:
    context = {"plan": plan, "csv_text": text}
    return render_page(request, "presence/config/people_preview.html", context, status=status)


@admin_required
@require_http_methods(["GET", "POST"])
def people_import(request: HttpRequest) -> HttpResponse:
    """Upload, then the preview of every row with its problems; nothing is written here."""
    form = PeopleCsvForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        plan = services.onboarding_plan(rows=form.rows)
        return _import_preview(request, plan, form.text, status=200 if plan.is_valid else 400)
    context = {"form": form, "columns": services.ONBOARDING_COLUMNS}
    return render_page(
        request, "presence/config/people_import.html", context, status=400 if form.errors else 200
    )


@admin_required
@never_cache
@require_POST
def people_import_apply(request: HttpRequest) -> HttpResponse:
    """Builds the plan again from the file text (the preview is never trusted) and writes it all
    or nothing; the new users' set-password links are shown once, downloadable once."""
    text = request.POST.get("csv_text", "")
    try:
        rows = parse_people_csv(text)
    except forms.ValidationError as error:
        messages.error(request, " ".join(error.messages) + " Nothing was created.")
        return redirect("presence:config_people_import")
    plan = services.onboarding_plan(rows=rows)
    if not plan.is_valid:
        messages.error(
            request,
            f"Nothing was created: {len(plan.invalid)} invalid row(s). Fix them and upload again.",
        )
        return _import_preview(request, plan, text, status=400)
    if plan.digest != request.POST.get("digest"):
        messages.warning(
            request,
            "The import differs from the preview you saw. Nothing was created: review it again.",
        )
        return _import_preview(request, plan, text, status=409)
    try:
        links = services.onboarding_apply(plan=plan, actor=request.user, now=timezone.now())
    except ApplicationError as error:
        messages.error(request, error.detail + " Nothing was created.")
        return _import_preview(request, plan, text, status=400)
    absolute = [(user, _absolute(request, path)) for user, path in links]
    sent = services.password_links_send(absolute)
    request.session[LINKS_SESSION_KEY] = [
        [user.get_username(), user.email, url] for user, url in absolute
    ]
    context = {"created": len(plan.people), "links": absolute, "sent": sent}
    return render_page(request, "presence/config/people_done.html", context)


@admin_required
@never_cache
@require_POST
def people_import_links(request: HttpRequest) -> HttpResponse:
    """The links of the last import as CSV, once: they leave the session with this download."""
    rows = request.session.pop(LINKS_SESSION_KEY, None)
    if rows is None:
        messages.error(
            request,
            "The links were downloaded already (they are given once). Create a new link from "
            "Users & roles for anyone who needs one.",
        )
        return redirect("presence:config_users")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = csv_response(
        f"set-password-links-{stamp}.csv",
        ["username", "email", "set_password_link"],
        rows,
        bom=True,
    )
    response["Cache-Control"] = "no-store"
    return response


@admin_required
@require_GET
def people_import_template(request: HttpRequest) -> StreamingHttpResponse:
    header = [c.replace("_", " ") for c in services.ONBOARDING_COLUMNS]
    return csv_response("representatives-template.csv", header, TEMPLATE_ROWS, bom=True)
