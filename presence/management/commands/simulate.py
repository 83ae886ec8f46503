"""`manage.py simulate`: live traffic against a running portal (presence/simulator/).

    python manage.py simulate --url http://127.0.0.1:8000 --reps 50 --rate 50 --duration 60

Without --token it makes a token for an admin of this project's database (a user in the
"Portal admins" group; "simulator" is created in that group when there is none). The simulated
reps join --team (a team's name), by default the demo supervisor's first team when the demo data
is there, so that supervisor sees them. Loopback only; it stops by itself after --duration
seconds.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from presence.demo.keepalive import demo_team_ids
from presence.models import Team
from presence.services import api_token_create
from presence.simulator import NotLoopback, Simulator, check_invariants

ADMIN_GROUP = "Portal admins"
MAX_DURATION_SECONDS = 3600


def admin_token() -> str:
    """A new token of an active Portal admin (the simulator acts as an integration)."""
    User = get_user_model()
    user = (
        User.objects.filter(is_active=True, groups__name=ADMIN_GROUP).order_by("pk").first()
        or User.objects.filter(is_active=True, is_superuser=True).order_by("pk").first()
    )
    if user is None:
        user, _ = User.objects.get_or_create(username="simulator")
        user.set_unusable_password()
        user.save()
        user.groups.add(Group.objects.get(name=ADMIN_GROUP))
    _, plaintext = api_token_create(user=user, name="simulator", now=timezone.now())
    return plaintext


def sim_team_ids(name: str) -> list[int]:
    """--team by name (case-insensitive), else the demo supervisor's first team, else none."""
    if name:
        found = list(Team.objects.filter(name__iexact=name).values_list("pk", flat=True))
        if not found:
            raise CommandError(f"--team: no team is named {name!r}.")
        return found[:1]
    return demo_team_ids()[:1]


class Command(BaseCommand):
    help = (
        "Drive a running portal over HTTP like agent desktops and a router: sign-ins, heartbeats, "
        "offers, accepts, rejects, ends, closes, transfers, status changes, goodbyes. Loopback only."
    )

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000")
        parser.add_argument("--token", default="", help="Default: a new admin token (this DB).")
        parser.add_argument("--reps", type=int, default=50, help="Simulated representatives.")
        parser.add_argument(
            "--rate", type=float, default=20.0, help="Events (requests) per second."
        )
        parser.add_argument("--duration", type=float, default=30.0, help="Seconds; it then stops.")
        parser.add_argument("--concurrency", type=int, default=None, help="Worker threads.")
        parser.add_argument("--seed", type=int, default=None)
        parser.add_argument(
            "--check",
            action="store_true",
            help="Afterwards check the invariants in this project's database (same DB as the "
            "portal): every 2xx in the DB, H1, P4. Exit 1 when one fails.",
        )
        parser.add_argument(
            "--team",
            default="",
            help="The simulated reps' team, by name (default: the demo supervisor's first team).",
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(
        self, *args, url, token, reps, rate, duration, concurrency, seed, check, team, **options
    ):
        if not 0 < duration <= MAX_DURATION_SECONDS:
            raise CommandError(f"--duration must be between 0 and {MAX_DURATION_SECONDS} seconds.")
        team_ids = sim_team_ids(team)
        token = token or admin_token()
        bar = tqdm(
            total=int(rate * duration),
            unit="ev",
            disable=options["no_progress"],
            file=self.stderr._out,
            mininterval=0.5,
        )
        try:
            simulator = Simulator(
                url=url,
                token=token,
                reps=reps,
                rate=rate,
                duration=duration,
                concurrency=concurrency,
                seed=seed,
                progress=bar.update,
                team_ids=team_ids,
            )
            simulator.prepare()
        except (NotLoopback, ValueError, RuntimeError, OSError) as exc:
            bar.close()
            raise CommandError(str(exc)) from exc
        result = simulator.run()
        bar.close()
        self.stdout.write(result.summary())
        if check:
            problems = check_invariants(result)
            if problems:
                self.stdout.write(f"invariants: {len(problems)} problems, first ones:")
                for line in problems[:20]:
                    self.stdout.write(f"  {line}")
                raise CommandError("invariants failed")
            self.stdout.write("invariants: every 2xx in the database, H1 and P4 hold")
        if result.errors:
            raise CommandError(f"{result.errors} errors (5xx or failed connections)")
