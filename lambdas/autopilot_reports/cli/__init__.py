"""`autopilot-reports`: the command line for the report table (show, history, list, watch, families,
import-history, and the pages: report, dashboard).

Installed as a console script by `make setup` (pyproject.toml); `python -m autopilot_reports.cli` works
too. It runs on people's machines, never in Lambda: `infra/constants.py` excludes this folder from the
function asset, so only here may code need more than boto3, Powertools and pydantic (Rich), and nothing
outside `cli/` imports it. It reads the table by GetItem and Query only, through the adapters' item
mapping; every data text it prints passes the terminal gate (`domain/untrusted.py`); and whatever happens,
the user gets an answer or one line on stderr with its exit code, never a traceback (`errors.py`).
"""

from autopilot_reports.cli.main import main

__all__ = ["main"]
