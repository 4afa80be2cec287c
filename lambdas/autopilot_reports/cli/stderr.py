"""Everything the CLI says on stderr: one-line errors, and --debug's lines. Arguments, AWS messages and
exception texts can carry any character, so each line passes the terminal gate (docs/design.md §4.2) and stays
one line."""

from __future__ import annotations

import sys
import traceback

from autopilot_reports.domain.untrusted import terminal_text

PROG = "autopilot-reports"


def say(message: str) -> None:
    """`autopilot-reports: <message>` as exactly one line (a newline in the data is shown as \\x0a)."""
    _write(f"{PROG}: {terminal_text(message)}\n")


def debug(message: str) -> None:
    _write(f"{PROG}: debug: {terminal_text(message)}\n")


def debug_exception(error: BaseException) -> None:
    """--debug: the full exception, and what it was raised from (the AWS error behind a CliError)."""
    cause = error.__cause__ or error.__context__
    for each in (cause, error) if cause is not None else (error,):
        _write(terminal_text("".join(traceback.format_exception(each)), multiline=True))


def _write(text: str) -> None:
    try:
        sys.stderr.write(text)
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):  # stderr closed too: nothing left to tell
        pass
