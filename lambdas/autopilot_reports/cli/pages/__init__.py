"""The report pages: `autopilot-reports report JOB` (one job) and `dashboard` (the account), each one
self-contained HTML file that opens offline and loads nothing.

- `commands.py`: the two commands, reading through the CLI's own queries (GetItem and Query only);
- `report.py`, `dashboard.py`: each page's sections; `parts.py`: what both are made of;
- `charts.py`: the charts, drawn by matplotlib as inline SVG (no script on the page at all);
- `markup.py`: HTML from parts, every data text through the HTML gate of domain/untrusted.py, and the
  page's Content-Security-Policy;
- `facts.py`: what a page shows that the record does not carry yet (account, cost), one seam each.

CLI only: matplotlib is a dependency of the command line, never of the Lambda asset (which excludes cli/).
"""
