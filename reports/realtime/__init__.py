"""The real-time reports (R1 agents and a rep's drill-down, R2 ongoing conversations) and the
supervisor actions on them: views.py (pages and actions), live.py (the report stream and the
shared rendering of a live region), forms.py, filters.py (django-filter), tables.py
(django-tables2), formatting.py (times and durations for the grids), selectors/ (the queries)."""
