from django.apps import AppConfig
from django.db.backends.signals import connection_created


class PresenceConfig(AppConfig):
    name = "presence"
    verbose_name = "Presence"

    def ready(self) -> None:
        from portal import periodic

        from .collation import register_sqlite_collation
        from .services.jobs import JOBS

        connection_created.connect(register_sqlite_collation, dispatch_uid="natural_sort")
        for name, job in JOBS.items():
            periodic.register(name, job)
