"""How an answer is printed: `--output table|json|text` and `--query`, chosen once per run.

- json is the record contract (models' `model_dump(mode="json")`; a family: its item's attributes): one
  object per line for a list (list, history, watch, families), one object otherwise; `json.dumps`
  escapes every control character.
- text is for grep, cut and awk: one line per item, tab-separated, never truncated, the columns of
  `columns.py` (documented in docs/querying.md); every cell passes the terminal gate, so a tab or newline
  in the data cannot shift a column or start a line, and an absent value is `-`.
- table is for people (render.py), the default on a terminal. Off a terminal (`show JOB > f.txt`, `| less`)
  the default is text for the commands that list items, and the readable report as plain text (no colour,
  no link escapes, never cut, every section) for `show` and `history`, whose one tab-separated line would
  drop most of the report; `--output text` still gives that line, for cut and grep.
- --query applies JMESPath to the json form (for list, history, families: to the list), like the AWS
  CLI, and prints the result as JSON (text with --output text).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import jmespath  # type: ignore[import-untyped]  # ships with botocore, without type information
from jmespath.exceptions import JMESPathError  # type: ignore[import-untyped]
from rich.console import Console
from rich.text import Text

from autopilot_reports.cli.errors import CliError, ExitCode
from autopilot_reports.cli.stderr import say
from autopilot_reports.domain.untrusted import terminal_text

ABSENT = "-"
Row = Sequence[str | None]


class Format(StrEnum):
    TABLE = "table"
    TEXT = "text"
    JSON = "json"


def console() -> Console:
    """Rich reads no markup, emoji codes or highlighting from anything we print: data is shown as given
    (after the terminal gate), never interpreted."""
    return Console(highlight=False, markup=False, emoji=False)


def choose_format(
    output: str | None, as_json: bool, query: str | None, is_terminal: bool, readable_when_piped: bool = False
) -> Format:
    """The form asked for; else json for --query; else the readable table on a terminal, and off one the
    readable report for a command that shows one report (`readable_when_piped`), text for the others."""
    if as_json and output not in (None, Format.JSON.value):
        raise CliError(ExitCode.USAGE, f"--json is short for --output json: it cannot go with --output {output}")
    chosen = Format.JSON if as_json else (Format(output) if output else None)
    if query is not None:
        return Format.TEXT if chosen is Format.TEXT else Format.JSON
    return chosen or (Format.TABLE if is_terminal or readable_when_piped else Format.TEXT)


def compile_query(expression: str) -> Any:
    try:
        return jmespath.compile(expression)
    except JMESPathError as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise CliError(ExitCode.USAGE, f"--query {expression!r} is not valid JMESPath: {reason}") from None


@dataclass
class Output:
    format: Format
    console: Console
    query: Any = None  # a compiled JMESPath expression

    @classmethod
    def choose(cls, output: str | None, as_json: bool, query: str | None, readable_when_piped: bool = False) -> Output:
        chosen = choose_format(output, as_json, query, sys.stdout.isatty(), readable_when_piped)
        return cls(chosen, console(), compile_query(query) if query is not None else None)

    @property
    def readable(self) -> bool:
        """Whether the answer is drawn for a person (notes go with it). Off a terminal Rich writes it as plain
        text: no colour, no hyperlink escapes, at 80 columns (or $COLUMNS), nothing cut (layout.py)."""
        return self.format is Format.TABLE

    @property
    def animated(self) -> bool:
        """Whether spinners and progress bars may draw: the readable form, on a terminal."""
        return self.readable and self.console.is_terminal

    def emit(self, data: Any, rows: Iterable[Row], readable: Callable[[Console], None]) -> None:
        """One answer in the chosen form: `data` is its JSON form (a list for list and history, an
        object otherwise), `rows` its text lines, `readable` draws it for a person."""
        if self.query is not None:
            self._write_query(data)
        elif self.format is Format.JSON:
            items = data if isinstance(data, list) else [data]
            sys.stdout.writelines(json.dumps(item) + "\n" for item in items)
        elif self.format is Format.TEXT:
            write_rows(rows)
        else:
            readable(self.console)
        sys.stdout.flush()  # watch and show --wait print as things happen; a pipe must see each line then

    def note(self, message: str) -> None:
        """Something to know about an answer (e.g. why it is empty): in the table, or on stderr, so the
        json and text forms stay exactly their rows."""
        if self.readable:
            self.console.print(Text(terminal_text(message), style="dim"))
        else:
            say(message)

    def _write_query(self, data: Any) -> None:
        try:
            result = self.query.search(data)
        except JMESPathError as error:
            raise CliError(ExitCode.USAGE, f"--query failed on this answer: {error}") from None
        if self.format is Format.TEXT:
            write_rows(query_rows(result))
        else:
            sys.stdout.write(json.dumps(result) + "\n")


def write_rows(rows: Iterable[Row]) -> None:
    sys.stdout.writelines("\t".join(text_cell(cell) for cell in row) + "\n" for row in rows)


def text_cell(value: str | None) -> str:
    return terminal_text(value) if value else ABSENT


def query_rows(result: Any) -> list[list[str | None]]:
    """A query result as text lines: a list gives one line per element, an element's (or an object's)
    values are its columns; nested values are compact JSON."""
    items = result if isinstance(result, list) else [result]
    return [_columns(item) for item in items]


def _columns(item: Any) -> list[str | None]:
    if isinstance(item, list):
        return [_scalar(value) for value in item]
    if isinstance(item, dict):
        return [_scalar(value) for value in item.values()]
    return [_scalar(item)]


def _scalar(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"))
