from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"

    def ready(self) -> None:
        from portal import periodic

        from .alerts.jobs import alerts_refresh
        from .rollups import rollups_refresh

        # Alerts (issue 16): after presence's jobs, so a tick's own changes are judged.
        periodic.register("report_alerts", alerts_refresh)
        # R4: after presence's jobs (INSTALLED_APPS order), so a tick's own changes are in.
        periodic.register("report_rollups", rollups_refresh)
