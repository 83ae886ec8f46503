from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from presence.services import api_token_create


class Command(BaseCommand):
    help = "Create a bearer token of the JSON API for USERNAME; the token is printed alone on the last line."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="A label, e.g. the integration using it.")

    def handle(self, *args, username, name, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}; create the user first.")
        if not user.is_active:
            raise CommandError(f"User {username!r} is inactive; activate it first.")
        token, plaintext = api_token_create(user=user, name=name, now=timezone.now())
        self.stdout.write(
            f"Token {token.prefix}… for {username} created; it is shown once, store it now:"
        )
        self.stdout.write(plaintext)
