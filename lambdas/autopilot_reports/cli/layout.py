"""Laying readable output out in whatever width the terminal has, 80 columns included.

The rule: what a person reads or copies whole (names, statuses, times, URIs) is never cut, ellipsized or
wrapped by us. A table is drawn only when each of its whole cells fits unbroken; otherwise the caller
lays each item out as a block (its name on a line of its own, then its facts, flowed between facts,
never inside one). A value longer than the terminal itself gets a line of its own, printed as one line
(soft wrap): the terminal folds it for the eye, and a copy still yields it whole. Only free text (a
failure reason) wraps, at spaces.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rich import box
from rich.cells import cell_len
from rich.console import Console, JustifyMethod
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

INDENT = "  "
SEPARATOR = " · "
LABEL_WIDTH = 14  # the longest fact label: "best candidate", "explainability"
FREE_TEXT_MIN = 24  # a free-text column narrower than this is unreadable: lay out as blocks instead
UNBOUNDED = 100_000


@dataclass(frozen=True)
class Column:
    header: str | Text  # a header from data (a metric's data set) comes as Text, through the gate
    whole: bool = True  # never wrapped nor cut; False: free text, wrapped at spaces
    justify: JustifyMethod = "left"


def fitted_table(console: Console, columns: Sequence[Column], rows: Sequence[Sequence[Text]]) -> Table | None:
    """The table, if every whole cell fits the console unbroken (free text may wrap); else None."""
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for index, column in enumerate(columns):
        cells = [row[index] for row in rows]
        header = column.header if isinstance(column.header, Text) else Text(column.header)
        widest = max([header.cell_len, *(cell.cell_len for cell in cells)])
        # Free text may wrap, at spaces only: its column is never narrower than its longest word.
        longest_word = max([0, *(cell_len(word) for cell in cells for word in cell.plain.split())])
        table.add_column(
            header,
            no_wrap=column.whole,
            min_width=widest if column.whole else max(min(widest, FREE_TEXT_MIN), longest_word),
            justify=column.justify,
        )
    for row in rows:
        table.add_row(*row)
    needed = Measurement.get(console, console.options.update_width(UNBOUNDED), table).minimum
    return table if needed <= console.width else None


def flow(facts: Sequence[Text], width: int, indent: str = INDENT) -> list[Text]:
    """Facts packed into lines of at most `width` cells, broken only between facts."""
    lines: list[Text] = []
    for fact in facts:
        if lines and lines[-1].cell_len + len(SEPARATOR) + fact.cell_len <= width:
            lines[-1].append(SEPARATOR, style="dim")
            lines[-1].append_text(fact)
        else:
            lines.append(Text(indent) + fact)
    return lines


def print_flow(console: Console, facts: Sequence[Text], indent: str = INDENT) -> None:
    for line in flow(facts, console.width, indent):
        console.print(line, soft_wrap=True)


def print_fact(console: Console, label: str, value: Text, indent: str = INDENT, whole: bool = True) -> None:
    """`label  value` on one line when it fits; a whole value that does not goes on its own line below
    its label; free text wraps in the value's column."""
    room = console.width - len(indent) - LABEL_WIDTH - 2
    if not whole:
        print_free(console, Text(label.ljust(LABEL_WIDTH), style="dim") + Text("  "), value, indent)
    elif value.cell_len <= room:
        console.print(Text.assemble(indent, (label.ljust(LABEL_WIDTH), "dim"), "  ", value), soft_wrap=True)
    else:
        console.print(Text.assemble(indent, (label, "dim")), soft_wrap=True)
        console.print(Text.assemble(indent + INDENT, value), soft_wrap=True)


def print_free(console: Console, lead: Text, value: Text, indent: str = INDENT) -> None:
    """Free text after `lead` (a label, a bullet), wrapped at spaces in the room left of it, each next
    line indented under the first: no line of it can pass for one of ours."""
    hang = indent + " " * lead.cell_len
    room = max(console.width - len(hang), FREE_TEXT_MIN)
    for number, line in enumerate(wrap_words(value, room)):
        start = Text(indent) + lead if number == 0 else Text(hang)
        console.print(start + line, soft_wrap=True)


def wrap_words(text: Text, width: int) -> list[Text]:
    """Lines of at most `width` cells, broken only at spaces and at the text's own newlines: a word longer
    than the line (an S3 URI in a failure reason) gets a line of its own, whole (Rich would fold it)."""
    lines: list[Text] = []
    for paragraph in text.split("\n", allow_blank=True):
        paragraph.expand_tabs()
        plain, breaks, start = paragraph.plain, [], 0
        for word in re.finditer(r"\S+", plain):
            if word.start() > start and cell_len(plain[start : word.end()]) > width:
                breaks.append(word.start())
                start = word.start()
        for line in paragraph.divide(breaks):
            line.rstrip()
            lines.append(line)
    return lines


def print_line(console: Console, label: Text, value: Text, indent: str = INDENT) -> None:
    """`label value` (a link, a heading and its value): one line if it fits, else value below label."""
    line = Text.assemble(indent, label, " ", value)
    if line.cell_len <= console.width:
        console.print(line, soft_wrap=True)
    else:
        console.print(Text.assemble(indent, label), soft_wrap=True)
        console.print(Text.assemble(indent + INDENT, value), soft_wrap=True)
