from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"

    def ready(self) -> None:
        from portal import periodic

        from .rollups import rollups_refresh

        # R4: after presence's jobs (INSTALLED_APPS order), so a tick's own changes are in.
        periodic.register("report_rollups", rollups_refresh)
