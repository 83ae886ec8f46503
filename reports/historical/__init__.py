"""The historical agents report (R3, R5): views.py (the page, a rep's timeline, the CSVs),
forms.py and filters.py (the period, zone and scope), tables.py (the per-rep table and the CSV
rows), selectors/ (every figure: windows and time, status seconds, conversation figures, the
timeline). Figures come from reports.rollups (pre-aggregated) or from raw history."""
