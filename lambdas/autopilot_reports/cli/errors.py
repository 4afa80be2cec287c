"""Exit codes and the one error type the commands raise: a one-line message, never a traceback."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    AWS_ERROR = 1  # any other AWS or network error (access denied, throttled, endpoint unreachable, ...)
    USAGE = 2  # bad arguments (argparse's own code), or no region configured
    BAD_DATE = 3  # --since/--until not ISO 8601, or not in order
    NO_CREDENTIALS = 4  # no credentials found, unknown profile, or credentials rejected/expired
    NO_STACK = 5  # the stack does not exist, or lacks the output the command needs
    NO_TABLE = 6  # the report table does not exist
    NO_JOB = 7  # show/history: the table has no report for the job
    IMPORT_TIMEOUT = 8  # import-history: not done within --timeout (it keeps running; re-run to watch)
    INTERRUPTED = 130  # Ctrl-C


EXIT_CODES_HELP = """exit codes:
  0    success
  1    AWS error (access denied, throttling, endpoint unreachable, ...)
  2    usage error (bad arguments, no region configured)
  3    bad date: --since/--until not ISO 8601, or --since not before --until
  4    no credentials (none found, unknown --profile, or rejected/expired)
  5    no such stack (or it lacks the ReportsTableName/EventBusName output)
  6    no such table
  7    no such job
  8    import-history did not finish within --timeout (it keeps running)
  130  interrupted"""


class CliError(Exception):
    """A failure the user can act on: printed as one line, exiting with `code`."""

    def __init__(self, code: ExitCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
