"""People (issue 15): a representative's every field, a user with roles, the onboarding CSV.
The forms parse input; the services (presence.services.config) check the rules and name the field
of a refusal."""

from __future__ import annotations

import csv
import functools
import io
import zoneinfo

from django import forms
from django.conf import settings
from django.contrib.auth.models import Group

from portal.csv_export import TooManyRows, read_rows, restore_cell
from presence.models import CapacityProfile, Representative, Team
from presence.services.config import ONBOARDING_COLUMNS, PersonRow

from ._base import ServiceForm, model_field
from .defaults import MAX_CSV_BYTES, DefaultStatusField, decode_csv

MAX_ONBOARDING_ROWS = 5_000
USER_NONE, USER_EXISTING, USER_NEW = "none", "existing", "new"


@functools.cache
def time_zone_names() -> list[str]:
    """Every IANA zone name, sorted: the searchable list of the time-zone field."""
    return sorted(zoneinfo.available_timezones() | {"UTC"})


class TeamsField(forms.ModelMultipleChoiceField):
    def __init__(self, **kwargs):
        super().__init__(
            queryset=Team.objects.order_by("name"),
            required=False,
            widget=forms.CheckboxSelectMultiple,
            error_messages={"invalid_choice": "Pick listed teams only."},
            **kwargs,
        )


class RepresentativeForm(ServiceForm):
    """Every field the API takes (presence.api.schemas.RepresentativeIn), plus the language, and
    who signs in as the rep: nobody, an existing user, or a new user (with a set-password link)."""

    name = model_field(Representative, "name", help_text="As supervisors and reports show it.")
    email = forms.CharField(
        max_length=254,
        required=False,
        label="E-mail",
        help_text="Optional; unique, ignoring case. Used to find the representative in CSV files.",
    )
    external_id = forms.CharField(
        max_length=100,
        required=False,
        label="External id",
        help_text="Your own identifier (HR or telephony id), for API clients and CSV files; "
        "unique; optional.",
    )
    teams = TeamsField(help_text="Supervisors see and act on the representatives of their teams.")
    timezone = forms.CharField(
        max_length=64,
        label="Time zone",
        initial="UTC",
        widget=forms.TextInput(
            attrs={"list": "time-zones", "autocomplete": "off", "spellcheck": "false"}
        ),
        help_text="Type to search the IANA zones, e.g. Europe/Paris. The console shows times in "
        "it, and end-of-day capacity resets at its midnight.",
    )
    language = forms.ChoiceField(
        choices=settings.LANGUAGES,
        initial="en",
        help_text="The language of the presence texts in the representative's console.",
    )
    capacity_units = forms.IntegerField(
        label="Capacity units",
        min_value=0,
        max_value=10_000,
        initial=0,
        help_text="0: managed by capacity profiles alone. A change recalculates the presence.",
    )
    default_presence = DefaultStatusField(
        label="Default presence",
        help_text="What the representative gets when they sign in; none means Available.",
    )
    user_mode = forms.ChoiceField(
        choices=[
            (USER_NONE, "Nobody (no console sign-in yet)"),
            (USER_EXISTING, "An existing user"),
            (USER_NEW, "A new user (you get a set-password link to hand over)"),
        ],
        initial=USER_NONE,
        widget=forms.RadioSelect,
        label="Signs in as",
        help_text="Changing the user keeps the representative's history.",
    )
    username = forms.CharField(
        max_length=150,
        required=False,
        label="User name",
        help_text="For an existing user: their user name. For a new user: the user name to "
        "create (letters, digits and @ . + - _).",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none"}),
    )
    service_fields = {
        "team_ids": "teams",
        "default_presence_id": "default_presence",
        "first_name": "name",
        "last_name": "name",
    }

    def clean(self):
        data = super().clean()
        mode = data.get("user_mode")
        if mode in (USER_EXISTING, USER_NEW) and not data.get("username"):
            self.add_error("username", "Give the user name, or choose Nobody.")
        return data

    def changes(self) -> dict:
        data = self.cleaned_data
        status = data["default_presence"]
        changes = {
            "name": data["name"],
            "email": data["email"],
            "external_id": data["external_id"] or None,
            "team_ids": [t.pk for t in data["teams"]],
            "timezone": data["timezone"],
            "language": data["language"],
            "capacity_units": data["capacity_units"],
            "default_presence_id": status.pk if status else None,
        }
        if data["user_mode"] == USER_EXISTING:
            changes["username"] = data["username"]
        elif data["user_mode"] == USER_NONE:
            changes["username"] = None
        return changes

    @property
    def new_username(self) -> str | None:
        if self.cleaned_data.get("user_mode") == USER_NEW:
            return self.cleaned_data["username"]
        return None


class ProfileAddForm(ServiceForm):
    """K2: give the rep a capacity profile, with their own limit or the profile's."""

    profile = forms.ModelChoiceField(
        queryset=CapacityProfile.objects.none(),
        label="Capacity profile",
        empty_label="Choose a profile…",
        error_messages={"invalid_choice": "Pick a profile from the list."},
    )
    limit = forms.IntegerField(
        label="Own limit",
        required=False,
        min_value=0,
        max_value=100,
        help_text="Blank: the profile's limit.",
    )

    def __init__(self, *args, representative: Representative, **kwargs):
        kwargs.setdefault("auto_id", "id_profile_%s")
        super().__init__(*args, **kwargs)
        self.fields["profile"].queryset = CapacityProfile.objects.exclude(
            representative_links__representative=representative
        ).order_by("name")


class UserCreateForm(ServiceForm):
    """A user with roles, linked to an existing rep, a new rep, or none."""

    LINK_NONE, LINK_EXISTING, LINK_NEW = "none", "existing", "new"
    username = forms.CharField(
        max_length=150,
        label="User name",
        help_text="What they sign in with: letters, digits and @ . + - _; unique.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none"}),
    )
    first_name = forms.CharField(max_length=150, required=False, label="First name")
    last_name = forms.CharField(max_length=150, required=False, label="Last name")
    email = forms.CharField(
        max_length=254,
        required=False,
        label="E-mail",
        help_text="When e-mail is configured, the set-password link is sent there too.",
    )
    groups = forms.ModelMultipleChoiceField(
        queryset=Group.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Roles",
        error_messages={"invalid_choice": "Pick listed roles only."},
    )
    link = forms.ChoiceField(
        choices=[
            (LINK_NONE, "No representative (an admin or a supervisor)"),
            (LINK_EXISTING, "An existing representative"),
            (LINK_NEW, "A new representative with this name and e-mail"),
        ],
        initial=LINK_NONE,
        widget=forms.RadioSelect,
        label="Representative",
    )
    representative = forms.CharField(
        max_length=254,
        required=False,
        label="Existing representative",
        help_text="Their e-mail, external id, or id:42 (the portal id). Their history stays "
        "theirs; a user they had before no longer signs in as them.",
    )
    service_fields = {"group_ids": "groups", "representative_ids": "representative"}

    def clean(self):
        data = super().clean()
        if data.get("link") == self.LINK_EXISTING and not data.get("representative"):
            self.add_error("representative", "Give the representative's e-mail or external id.")
        return data


class UserActiveForm(forms.Form):
    active = forms.TypedChoiceField(coerce=lambda v: v == "1", choices=[("1", "1"), ("0", "0")])


def _header_name(cell: str) -> str:
    return cell.strip().lower().replace(" ", "_")


def parse_people_csv(text: str) -> list[PersonRow]:
    """Rows of the onboarding CSV (header: the ONBOARDING_COLUMNS, in any order; spaces or
    underscores). File-level problems are a ValidationError; a line's problems are its row's."""
    if "\x00" in text:
        raise forms.ValidationError("The file contains NUL characters: it is not a CSV text file.")
    lines = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(lines, None)
        while header is not None and not any(cell.strip() for cell in header):
            header = next(lines, None)
        if header is None:
            raise forms.ValidationError("The file is empty. Download the template for an example.")
        names = [_header_name(restore_cell(cell)) for cell in header]
        missing = [c for c in ONBOARDING_COLUMNS if c not in names]
        extra = [n for n in names if n not in ONBOARDING_COLUMNS]
        if missing or extra or len(set(names)) != len(names):
            raise forms.ValidationError(
                "The first line must be the header "
                f"“{','.join(ONBOARDING_COLUMNS).replace('_', ' ')}”"
                + (f"; missing: {', '.join(missing)}" if missing else "")
                + (f"; unknown: {', '.join(extra)[:80]}" if extra else "")
                + ". Download the template."
            )
        rows = []
        for line, cells in read_rows(lines, max_rows=MAX_ONBOARDING_ROWS):
            problem = ""
            if len(cells) != len(names):
                problem = f"Expected {len(names)} values, found {len(cells)}."
            rows.append(
                PersonRow(
                    line=line,
                    values=dict(zip(names, cells, strict=False)),
                    problem=problem,
                )
            )
    except csv.Error as error:
        raise forms.ValidationError(f"The file is not a readable CSV: {error}.") from None
    except TooManyRows as error:
        raise forms.ValidationError(str(error)) from None
    if not rows:
        raise forms.ValidationError("The file has a header but no rows.")
    return rows


class PeopleCsvForm(ServiceForm):
    file = forms.FileField(
        label="CSV file",
        help_text="The template's columns; one representative per line. UTF-8, at most 1 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_CSV_BYTES:
            raise forms.ValidationError(
                f"The file is too big ({upload.size:,} bytes); at most {MAX_CSV_BYTES:,} bytes."
            )
        self.text = decode_csv(upload.read())
        self.rows = parse_people_csv(self.text)
        return upload
