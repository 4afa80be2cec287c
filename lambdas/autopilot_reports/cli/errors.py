"""Exit codes and the one error type the commands raise: a one-line message, never a traceback.

`EXIT_CODES` is the one home of what each code means: `--help` prints it, and docs/querying.md's table
is checked against it (tests/integration/test_cli.py)."""

from __future__ import annotations

from enum import IntEnum

from autopilot_reports import constants as c


class ExitCode(IntEnum):
    OK = 0
    AWS_ERROR = 1
    USAGE = 2
    BAD_DATE = 3
    NO_CREDENTIALS = 4
    NO_STACK = 5
    NO_TABLE = 6
    NO_JOB = 7
    TIMEOUT = 8
    NO_BUS = 9
    JOB_FAILED = 10
    JOB_STOPPED = 11
    CANNOT_WRITE = 12
    INTERNAL = 70  # sysexits' EX_SOFTWARE: a bug, not something the user did
    INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C
    BROKEN_PIPE = 141  # 128 + SIGPIPE, as shells report a writer whose reader left (`| head`)


EXIT_CODES: dict[ExitCode, str] = {
    ExitCode.OK: "success (show --wait: the job Completed)",
    ExitCode.AWS_ERROR: "any other AWS error (access denied, throttling, endpoint unreachable, ...)",
    ExitCode.USAGE: "usage error: bad arguments, --endpoint-url without http(s)://, invalid --query, no region; "
    "on a hub, a job name that ran in several places (pick one with --account)",
    ExitCode.BAD_DATE: "bad date: --since/--until not ISO 8601, out of range, or --since not before --until",
    ExitCode.NO_CREDENTIALS: "no credentials (none found, unknown profile, or rejected/expired)",
    ExitCode.NO_STACK: f"no such stack (or it lacks the {c.OUTPUT_TABLE_NAME}/{c.OUTPUT_EVENT_BUS_NAME} output)",
    ExitCode.NO_TABLE: "no such table",
    ExitCode.NO_JOB: "no such job",
    ExitCode.TIMEOUT: "not done within --timeout (import-history, show --wait); it keeps running",
    ExitCode.NO_BUS: "import-history: the event bus was not found (pass --bus)",
    ExitCode.JOB_FAILED: "show --wait: the job ended Failed",
    ExitCode.JOB_STOPPED: "show --wait: the job ended Stopped",
    ExitCode.CANNOT_WRITE: "report, dashboard: the page could not be written (-o FILE)",
    ExitCode.INTERNAL: "internal error (a bug: run with --debug and report it)",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C; how watch ends)",
    ExitCode.BROKEN_PIPE: "stdout closed early (e.g. `| head`): the rest is dropped quietly",
}

EXIT_CODES_HELP = "exit codes:\n" + "\n".join(f"  {int(code):<4} {meaning}" for code, meaning in EXIT_CODES.items())


class CliError(Exception):
    """A failure the user can act on: printed as one line, exiting with `code`."""

    def __init__(self, code: ExitCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
