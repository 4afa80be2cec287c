"""`--pages`: after the run, while the emulators are still up, each job's report page and the dashboard,
written by the CLI's own `report` and `dashboard` commands against the run's table (as a person would
run them against `make serve`), into `<out>/pages/`.

The dashboard covers the scenario's own time (from the day its first job was created to its last
change), since a scenario may lie on any date.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Callable
from pathlib import Path

from autopilot_reports.cli import main as cli
from autopilot_reports.cli.pages.commands import DASHBOARD_FILE, report_file
from autopilot_reports.constants import KEY_SCOPE_ORGANIZATION
from autopilot_reports.domain.untrusted import terminal_text
from sandbox.printing import read_jsonl

PAGES_DIR = "pages"


class PagesError(Exception):
    """A page command failed: its exit code and what it said."""


def page_writer(out_dir: Path) -> Callable[[dict[str, str], Callable[[], None]], None]:
    """The callback run_scenario calls with the emulators up (its `serve` seam)."""

    def write(endpoint: dict[str, str], pump: Callable[[], None]) -> None:
        write_pages(out_dir, endpoint)

    return write


def write_pages(out_dir: Path, endpoint: dict[str, str]) -> list[Path]:
    """A hub's table (`key_scope`) holds one name in several places: each page names its job's account and
    region, and its file begins with them."""
    records = read_jsonl(out_dir / "records.jsonl")
    folder = out_dir / PAGES_DIR
    folder.mkdir(parents=True, exist_ok=True)
    where = ["--endpoint-url", endpoint["endpoint_url"], "--region", endpoint["region"], "--table", endpoint["table"]]
    hub = endpoint.get("key_scope") == KEY_SCOPE_ORGANIZATION
    where += ["--hub"] if hub else []
    written = []
    for record in records:
        name = record["job_name"]
        if hub:
            place = ["--account", record["account_id"], "--region", record["region"]]
            page = folder / f"{record['account_id']}-{record['region']}-{report_file(name)}"
            written.append(_run(where, ["report", name, *place, "-o", str(page)]))
        else:
            written.append(_run(where, ["report", name, "-o", str(folder / report_file(name))]))
    if records:
        since = min(record["created_at"] for record in records)[:10]
        until = max(record["last_modified_at"] for record in records)
        written.append(
            _run(where, ["dashboard", "--since", since, "--until", until, "-o", str(folder / DASHBOARD_FILE)])
        )
    return written


def _run(where: list[str], command: list[str]) -> Path:
    """One CLI command in process, its answer (`--output json`) read back: the page's path."""
    answer, complaint = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(answer), contextlib.redirect_stderr(complaint):
        code = cli(["--output", "json", *where, *command])
    if code != 0:
        said = terminal_text(complaint.getvalue().strip())
        raise PagesError(f"autopilot-reports {command[0]} {terminal_text(command[1])} exited {code}: {said}")
    return Path(json.loads(answer.getvalue())["page"])


def print_pages(out_dir: Path) -> None:
    folder = out_dir / PAGES_DIR
    pages = sorted(folder.glob("*.html"))
    if not pages:
        return
    jobs = [page for page in pages if page.name != DASHBOARD_FILE]
    print(f"\nReport pages (open them in a browser; they load nothing): {terminal_text(str(folder))}/")
    print(f"  {DASHBOARD_FILE:<32} the account: jobs ended per day, failures, families' bests, stuck jobs")
    for page in jobs:
        print(f"  {terminal_text(page.name)}")
