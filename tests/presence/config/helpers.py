"""Helpers of the configuration tests: the default-presence pages' URLs (D4), the messages a
response carries, a CSV upload, the defaults the database holds, and a refusal naming a field."""

from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from presence.models import Representative

LIST = reverse("presence:config_defaults")
PREVIEW = reverse("presence:config_defaults_preview")
APPLY = reverse("presence:config_defaults_apply")
IMPORT = reverse("presence:config_defaults_import")
EXPORT = reverse("presence:config_defaults_export")


def messages_of(response) -> str:
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def upload(text: str | bytes, name="defaults.csv"):
    data = text.encode() if isinstance(text, str) else text
    return {"file": SimpleUploadedFile(name, data, content_type="text/csv")}


def digest_of(html: str) -> str:
    """The plan digest a bulk preview page carries for its apply form."""
    return html.split('name="digest" value="')[1].split('"')[0]


def filter_change(status, team) -> dict:
    """The form data of a bulk change to `status` of every rep the filter team=`team` finds."""
    return {
        "status": status.pk,
        "target": "filter",
        "filter": f"team={team.pk}",
        "source": "filter",
    }


def defaults_of(*reps):
    return [Representative.objects.get(pk=r.pk).default_presence_id for r in reps]


def refused(exc_info, field: str) -> str:
    """The detail of a ValidationFailed that names `field`."""
    assert exc_info.value.field == field, exc_info.value.detail
    return exc_info.value.detail
