"""`autopilot-reports`: the command line for the report table (show, history, list, watch, families,
import-history, and the pages: report, dashboard).

Installed as a console script by `make setup` (pyproject.toml); `python -m autopilot_reports.cli` works
too. Never imported by the handlers: it is not part of the Lambda runtime (it needs Rich).
"""

from autopilot_reports.cli.main import main

__all__ = ["main"]
