"""`autopilot-reports`: parse, run one command, and turn every way it can end into an exit code.

Whatever the input, the user gets an answer or one line on stderr with its own exit code (errors.py),
never a traceback: usage errors, AWS errors, Ctrl-C, a reader that leaves early (`| head`), and even
our own bugs (`internal error: ...`; --debug adds the traceback)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from autopilot_reports.cli import commands, importing
from autopilot_reports.cli.aws import Aws, aws_errors
from autopilot_reports.cli.errors import CliError, ExitCode
from autopilot_reports.cli.options import parser
from autopilot_reports.cli.output import Output
from autopilot_reports.cli.pages import commands as pages
from autopilot_reports.cli.stderr import debug, debug_exception, say

# Commands that show one report: off a terminal they print it readable, as plain text (output.py).
READABLE_WHEN_PIPED = frozenset({"show", "history"})
COMMANDS = {
    "show": commands.show,
    "history": commands.history,
    "list": commands.list_jobs,
    "watch": commands.watch,
    "families": commands.families,
    "spokes": commands.spokes,
    "report": pages.report,
    "dashboard": pages.dashboard,
    "import-history": importing.import_history,
}


def main(argv: Sequence[str] | None = None) -> int:
    debugging = "--debug" in (sys.argv[1:] if argv is None else argv)
    try:
        args = parser(COMMANDS).parse_args(argv)
        debugging = bool(args.debug)
        return run(args)
    except SystemExit as done:  # --help, --version
        return done.code if isinstance(done.code, int) else int(done.code is not None)
    except CliError as error:
        if debugging:
            debug_exception(error)
        say(error.message)
        return int(error.code)
    except KeyboardInterrupt:
        say("interrupted")
        return int(ExitCode.INTERRUPTED)
    except BrokenPipeError:
        quiet_stdout()
        return int(ExitCode.BROKEN_PIPE)
    except Exception as error:  # a bug of ours: still one line, and what to do about it
        if debugging:
            debug_exception(error)
        say(f"internal error: {type(error).__name__}: {error} (run with --debug for details)")
        return int(ExitCode.INTERNAL)


def run(args: argparse.Namespace) -> int:
    out = Output.choose(args.output, args.json, args.query, readable_when_piped=args.command in READABLE_WHEN_PIPED)
    client_region, args.job_region = regions(args)
    aws = Aws(
        stack=args.stack,
        table_name=args.table,
        region=client_region,
        profile=args.profile,
        endpoint_url=args.endpoint_url,
        debug=args.debug,
        hub=args.hub or args.job_region is not None or bool(getattr(args, "account", None)),
    )
    if args.debug:
        debug(f"{args.command}: output {out.format}, table {args.table or '(from the stack)'}, stack {aws.stack_name}")
    with aws_errors(aws):
        code: int = args.run(args, aws, out)
    sys.stdout.flush()  # a reader that left shows here, inside main, not at interpreter exit
    return code


def regions(args: argparse.Namespace) -> tuple[str | None, str | None]:
    """(the AWS region, the jobs' region). `--region` before the command is the AWS region; after it, the
    jobs' region where the question is an organization's hub's (`--hub`, `--account`, `spokes`), and
    otherwise the AWS region, as for the AWS CLI (given twice, the later wins)."""
    after = getattr(args, "command_region", None)
    about_a_hub = args.hub or bool(getattr(args, "account", None)) or args.command == "spokes"
    if about_a_hub:
        return args.region, after
    return after or args.region, None


def quiet_stdout() -> None:
    """After EPIPE, point stdout at /dev/null: Python's own flush at exit would fail again and print
    "Exception ignored ... BrokenPipeError" (the recipe of Python's signal module documentation)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real file descriptor (e.g. under pytest's capture)
        pass
