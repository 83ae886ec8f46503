"""Alerts (issue 16, item 3): thresholds admins define (/configure/alerts/), breaches a periodic
job opens and closes (jobs.py), shown on the real-time reports and in a history
(/reports/alerts/). Conditions and scoped reads in selectors.py, writes in services.py."""
