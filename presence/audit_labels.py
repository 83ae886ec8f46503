"""The audit log's words for people: an action code ("representative.default_presence") and an
object type ("presencestatus") as a reader says them. Codes stay in the database and in
data-audit attributes (tests and scripts grep them); pages show these labels."""

from __future__ import annotations

from functools import cache

from django.apps import apps

ACTION_LABELS = {
    "api_token.create": "API token created",
    "api_token.revoke": "API token revoked",
    "capacity_profile.create": "Capacity profile created",
    "capacity_profile.update": "Capacity profile changed",
    "conversation.force_close": "Conversation force-closed",
    "presence.reset": "Presence reset",
    "presence.set": "Presence set for the representative",
    "presence.set_by_supervisor": "Presence set by a supervisor",
    "presence.sign_out": "Signed out by someone else",
    "presence_status.create": "Presence status created",
    "presence_status.delete": "Presence status deleted",
    "presence_status.translations": "Presence text translations changed",
    "presence_status.update": "Presence status changed",
    "representative.create": "Representative created",
    "representative.default_presence": "Default presence changed",
    "representative.profile_remove": "Capacity profile removed from a representative",
    "representative.profile_set": "Capacity profile of a representative set",
    "representative.update": "Representative changed",
    "team.create": "Team created",
    "team.update": "Team changed",
    "user.groups": "Roles changed",
    "workstream.create": "Workstream created",
    "workstream.update": "Workstream changed",
    "webhook.create": "Webhook endpoint created",
    "webhook.update": "Webhook endpoint changed",
    "webhook.delete": "Webhook endpoint deleted",
    "webhook.disable": "Webhook endpoint disabled after failing deliveries",
    "webhook.resend": "Webhook event sent again",
}
VERBS = {"create": "created", "update": "changed", "delete": "deleted"}


def action_label(code: str) -> str:
    """ "presence_status.delete" -> "Presence status deleted"; an unknown code is still said in
    words (the Django admin writes "<verbose name>.<create|update|delete>")."""
    if code in ACTION_LABELS:
        return ACTION_LABELS[code]
    subject, _, verb = code.partition(".")
    words = f"{subject.replace('_', ' ')} {VERBS.get(verb, verb.replace('_', ' '))}".strip()
    return words[:1].upper() + words[1:]


@cache
def _verbose_names() -> dict[str, tuple[str, str]]:
    return {
        model._meta.model_name: (
            str(model._meta.verbose_name),
            str(model._meta.verbose_name_plural),
        )
        for model in apps.get_models()
    }


def object_type_label(model_name: str) -> str:
    """ "presencestatus" -> "Presence status", from the model's own verbose name."""
    words = _verbose_names().get(model_name, (model_name.replace("_", " "),))[0]
    return words[:1].upper() + words[1:]


def objects_label(model_name: str, count: int) -> str:
    """ "40 representatives", "1 presence status" (the model's plural verbose name)."""
    single = model_name.replace("_", " ")
    names = _verbose_names().get(model_name, (single, f"{single}s"))
    return f"{count} {names[0] if count == 1 else names[1]}"
