"""The command line: global options accepted before or after the command (as with the AWS CLI), each
command's own options, and one-line usage errors.

Global options live on the root parser with their real defaults and again on every command with
default=SUPPRESS: a value given before the command is kept unless the same option follows it."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from importlib import metadata
from typing import Any, NoReturn

from autopilot_reports import constants as c
from autopilot_reports.cli.errors import EXIT_CODES_HELP, CliError, ExitCode
from autopilot_reports.cli.output import Format
from autopilot_reports.cli.stderr import PROG

DESCRIPTION = f"""Reports on SageMaker Autopilot (AutoML) jobs, read from the stack's DynamoDB table.

The table (and the event bus, for import-history) come from the CloudFormation stack's outputs
({c.OUTPUT_TABLE_NAME}, {c.OUTPUT_EVENT_BUS_NAME}) unless --table is given. Standard AWS credentials; --endpoint-url
points every client at an emulator (e.g. `make serve`). Global options go before or after the command.
--output json prints the record contract: one JSON object per line (list, history, watch, families) or one
object (show); text prints one tab-separated line per item (the default off a terminal, except for show and
history, which then print the readable report as plain text)."""
DEFAULT_LIST_LIMIT = 100
MAX_LIST_LIMIT = 1_000_000
DEFAULT_IMPORT_TIMEOUT = 3600.0
DEFAULT_IMPORT_POLL = 2.0
DEFAULT_JOB_POLL = 5.0
MAX_POLL_INTERVAL = 3600.0
MAX_SECONDS = 1e9


def version() -> str:
    """The installed distribution's version; from a source tree (no metadata), the package's."""
    try:
        return metadata.version("autopilot-reports")
    except metadata.PackageNotFoundError:
        import autopilot_reports

        return str(getattr(autopilot_reports, "__version__", "unknown (not installed)"))


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and a CliError like every other (exit code 2)."""

    def error(self, message: str) -> NoReturn:
        raise CliError(ExitCode.USAGE, f"{message} (see {self.prog} --help)")


def parser(commands: dict[str, Callable[..., int]]) -> Parser:
    """`commands` maps each command's name to the function that runs it (set as `args.run`)."""
    root = Parser(
        prog=PROG, description=DESCRIPTION, epilog=EXIT_CODES_HELP, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    root.add_argument("--version", action="version", version=f"{PROG} {version()}")
    add_global_options(root, suppress=False)
    sub = root.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=Parser)

    def command(name: str, help_text: str) -> Parser:
        each: Parser = sub.add_parser(
            name,
            help=help_text,
            description=help_text,
            epilog=EXIT_CODES_HELP,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        add_global_options(each, suppress=True)
        each.set_defaults(run=commands[name])
        return each

    show = command("show", "one job's latest report (--wait: block until the job has ended)")
    show.add_argument("job_name", metavar="JOB")
    add_place_options(show, "the job's")
    show.add_argument(
        "--wait", action="store_true", help="wait until the job ends (exit 0 Completed, 10 Failed, 11 Stopped)"
    )
    show.add_argument("--timeout", type=seconds, help="with --wait: give up after this many seconds (exit 8)")
    show.add_argument("--poll-interval", type=interval, default=DEFAULT_JOB_POLL, help=argparse.SUPPRESS)

    history = command("history", "one job's observed transitions, oldest first")
    history.add_argument("job_name", metavar="JOB")
    add_place_options(history, "the job's")

    listing = command("list", "jobs, newest first: the newest whatever their age, or those modified in a range")
    listing.add_argument("--status", choices=c.JOB_STATUSES, help="only jobs with this status")
    listing.add_argument("--since", help="ISO 8601 date or datetime, UTC unless an offset is given (default: any age)")
    listing.add_argument("--until", help="ISO 8601 date (the whole day) or datetime (default: no end)")
    listing.add_argument("--partial-failures", action="store_true", help="only jobs with partial failures")
    listing.add_argument("--prefix", default="", help="only jobs whose name starts with this")
    listing.add_argument("--family", default="", metavar="NAME", help="only jobs of this family (its exact name)")
    add_place_options(listing, "only jobs in")
    listing.add_argument(
        "--limit",
        type=limit,
        default=DEFAULT_LIST_LIMIT,
        help=f"at most this many jobs (default {DEFAULT_LIST_LIMIT}; 0: all)",
    )

    watch = command("watch", "print each job's report as the job ends, until Ctrl-C")
    watch.add_argument("--since", help="first print the jobs that ended since this date or datetime")
    watch.add_argument("--status", choices=c.TERMINAL_STATUSES, help="only jobs that end with this status")
    watch.add_argument("--prefix", default="", help="only jobs whose name starts with this")
    watch.add_argument("--poll-interval", type=interval, default=DEFAULT_JOB_POLL, help=argparse.SUPPRESS)

    command("spokes", "an organization's hub: each spoke (account, region), its last heartbeat, version and jobs")

    families = command("families", "each job family's best job, its value and its number of jobs, by name")
    families.add_argument("--prefix", default="", help="only families whose name starts with this")

    page = command("report", "one job's report as a self-contained HTML page with charts (opens offline)")
    page.add_argument("job_name", metavar="JOB")
    add_place_options(page, "the job's")
    page.add_argument(
        "-o", dest="page_file", metavar="FILE.html", help="write the page here (default: JOB.html here; - for stdout)"
    )

    board = command(
        "dashboard",
        "the account's jobs as a self-contained HTML page: ended per day, failures, families' bests, stuck jobs",
    )
    board.add_argument("--since", help="ISO 8601 date or datetime: jobs that ended since then (default: 7 days ago)")
    board.add_argument("--until", help="ISO 8601 date (the whole day) or datetime (default: now)")
    board.add_argument(
        "--stuck-after",
        type=minutes,
        default=c.DEFAULT_STUCK_AFTER_MINUTES,
        metavar="MINUTES",
        help=f"an InProgress job quiet this long is stuck (default {c.DEFAULT_STUCK_AFTER_MINUTES}, as the stack's "
        "stuckAfterMinutes; 0: do not look)",
    )
    board.add_argument(
        "-o", dest="page_file", metavar="FILE.html", help="write the page here (default: dashboard.html; - for stdout)"
    )

    backfill = command(
        "import-history",
        "import the jobs created in [--since, --until) that the table does not know (runs in the stack)",
    )
    backfill.add_argument("--since", required=True, help="ISO 8601 date or datetime: the first creation time")
    backfill.add_argument("--until", required=True, help="ISO 8601 datetime (exclusive), or a date (all of that day)")
    backfill.add_argument("--force", action="store_true", help="re-publish jobs the table already knows")
    backfill.add_argument("--no-wait", action="store_true", help="start the import and return")
    backfill.add_argument("--bus", help="the stack's event bus (default: the stack's EventBusName output, or found)")
    backfill.add_argument(
        "--timeout",
        type=seconds,
        default=DEFAULT_IMPORT_TIMEOUT,
        help="stop waiting after this many seconds (default 3600)",
    )
    backfill.add_argument("--poll-interval", type=interval, default=DEFAULT_IMPORT_POLL, help=argparse.SUPPRESS)
    return root


def add_place_options(parser: argparse.ArgumentParser, what: str) -> None:
    """An organization's hub holds jobs of many accounts and regions: `--account` (and `--region` after
    the command, then the job's region: see `--hub`) pick them."""
    parser.add_argument(
        "--account", metavar="ID", type=account, help=f"{what} account (an organization's hub; implies --hub)"
    )


def add_global_options(parser: argparse.ArgumentParser, suppress: bool) -> None:
    def default(value: Any) -> Any:
        return argparse.SUPPRESS if suppress else value

    where = parser.add_argument_group("where to look (before or after the command)")
    where.add_argument(
        "--table", default=default(None), help=f"the report table (default: the stack's {c.OUTPUT_TABLE_NAME} output)"
    )
    where.add_argument("--stack", default=default(None), help=f"the deployed stack (default: {c.DEFAULT_STACK_NAME})")
    # After the command, on a hub's table, --region is the job's region (`list --account ID --region R`);
    # anywhere else the AWS region, as for the AWS CLI (main.regions decides).
    where.add_argument(
        "--region",
        dest="region" if not suppress else "command_region",
        default=default(None),
        help="AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile's); after the command, on an "
        "organization's hub (--hub, --account, spokes), the jobs' region",
    )
    where.add_argument(
        "--hub",
        action="store_true",
        default=default(False),
        help="the table is an organization's hub's (jobs by account, region and name; implied by a hub stack's "
        f"{c.OUTPUT_TABLE_KEY_SCOPE} output, --account and the spokes command)",
    )
    where.add_argument("--profile", default=default(None), help="AWS named profile (default: AWS_PROFILE)")
    where.add_argument(
        "--endpoint-url",
        metavar="URL",
        default=default(None),
        help="send every AWS call here (e.g. http://127.0.0.1:4566)",
    )
    output = parser.add_argument_group("output (before or after the command)")
    output.add_argument(
        "--output",
        choices=[each.value for each in Format],
        default=default(None),
        help="table (default on a terminal; off one, the default of show and history, as plain text), text "
        "(tab-separated; the other commands' default off a terminal) or json (the record contract)",
    )
    output.add_argument("--json", action="store_true", default=default(False), help="short for --output json")
    output.add_argument(
        "--query",
        metavar="JMESPATH",
        default=default(None),
        help="JMESPath on the JSON form (list, history, families: the list)",
    )
    output.add_argument(
        "--debug", action="store_true", default=default(False), help="each AWS call, and the full exception, on stderr"
    )


# --- argument types: each refusal is argparse's one-line usage error -------------------------------------


def seconds(text: str) -> float:
    """A duration in seconds: finite and not negative (NaN would never time out)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or not 0 <= value <= MAX_SECONDS:
        raise argparse.ArgumentTypeError(f"{text!r}: seconds must be 0 to {MAX_SECONDS:g}")
    return value


def interval(text: str) -> float:
    value = seconds(text)
    if value > MAX_POLL_INTERVAL:
        raise argparse.ArgumentTypeError(f"{text!r}: at most {MAX_POLL_INTERVAL:g} seconds")
    return value


def minutes(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of minutes") from None
    if not 0 <= value <= c.MAX_STUCK_AFTER_MINUTES:
        raise argparse.ArgumentTypeError(f"{text!r}: minutes must be 0 to {c.MAX_STUCK_AFTER_MINUTES}")
    return value


def account(text: str) -> str:
    value = text.strip()
    if not (len(value) == 12 and value.isdigit()):
        raise argparse.ArgumentTypeError(f"{text!r} is not an AWS account id (12 digits)")
    return value


def limit(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 0 <= value <= MAX_LIST_LIMIT:
        raise argparse.ArgumentTypeError(f"{text!r}: must be 0 (all) to {MAX_LIST_LIMIT}")
    return value
