"""Text from the job and its data is shown, never obeyed (docs/design.md §4.2): one gate per medium.

Feature names and label keys are the customer's column names; S3 prefixes, FailureReason,
PartialFailureMessage and candidate names come from the account too. None of it is markup. Every such
text passes through exactly one of these functions on its way to a person; a renderer never formats
raw data itself, and one corpus test (tests/unit/test_untrusted.py) sends every hostile form through
every field and every medium.

- chat (client-markdown, Slack and Teams through AWS Chatbot): `chat_text` outside code,
  `chat_code` inside `code` or a ``` block;
- e-mail (plain text): `email_line` for one-line values, `email_block` for multi-line free text;
- terminal (the CLI's readable output): `terminal_text`;
- HTML (the CLI's report pages): `html_text` for text, `html_attribute` for an attribute's value, and
  `chart_label` for text a chart library draws (it escapes what it writes itself);
- the record (DynamoDB): `storable_text`.
"""

from __future__ import annotations

import html
import re

# Characters no person should receive unseen: C0 controls (tab and newline are handled per medium),
# DEL, C1 controls, bidirectional controls and zero-width / invisible format characters.
_HIDDEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)
_LINE_CONTROLS = re.compile("[\t\n]")
_SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"

# Slack parses <!here>, <@U1>, <#C1|x> and <url|text> even inside code; its documented escape is the
# HTML entity for &, < and >, which neutralizes every one of them and any HTML.
_CHAT_ENTITIES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
# Outside code: markdown emphasis, code, links, tables, headings, mentions and images.
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_~\[\]()|#!@{}+=])")
# A bare URL is linked by Slack and Teams alike: defanged, it reads the same and links nowhere.
_SCHEME = re.compile(r"://")
EMAIL_QUOTE = "| "  # how multi-line free text is marked as quoted in e-mail


def visible(char: str) -> str:
    """A hidden character as the escape a programmer would write: `\\x1b`, `\\u202e`."""
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def _reveal(text: str, lines: bool) -> str:
    """Every hidden character shown visibly; with `lines`, tabs and newlines (CRLF as one) stay."""
    text = _SURROGATE.sub(REPLACEMENT, text)
    if lines:
        text = text.replace("\r\n", "\n")
    text = _HIDDEN.sub(lambda match: visible(match.group()), text)
    return text if lines else _LINE_CONTROLS.sub(lambda match: visible(match.group()), text)


# --- the record ----------------------------------------------------------------------------------------


def has_lone_surrogate(text: str) -> bool:
    return _SURROGATE.search(text) is not None


def storable_text(text: str) -> str:
    """What DynamoDB (and SNS, and UTF-8) can store: a lone surrogate becomes U+FFFD; all else as given."""
    return _SURROGATE.sub(REPLACEMENT, text)


# --- e-mail --------------------------------------------------------------------------------------------


def email_line(text: str) -> str:
    """A one-line value (a name, a URI): every control shown visibly, newlines included, so a value can
    never start a line of its own."""
    return _reveal(text, lines=False)


def email_block(text: str, indent: str = "  ") -> str:
    """Multi-line free text (a failure reason): controls shown, tabs and newlines kept, and every line
    marked as quoted, so no line of it can pass for one of the message's own."""
    lines = _reveal(text, lines=True).split("\n")
    return "\n".join(f"{indent}{EMAIL_QUOTE}{line}".rstrip() for line in lines)


# --- terminal ------------------------------------------------------------------------------------------


def terminal_text(text: str, multiline: bool = False) -> str:
    """For the CLI: every control shown visibly (ESC can recolour, clear or retitle a terminal; CR can
    overwrite a line). Newlines and tabs stay only where the layout has room for them."""
    return _reveal(text, lines=multiline)


# --- HTML (report pages) ------------------------------------------------------------------------------


def html_text(text: str, multiline: bool = False) -> str:
    """Text between tags: every hidden character shown visibly, then `& < > " '` as entities, so no tag,
    entity or attribute can start from data. Newlines and tabs stay only with `multiline` (the page shows
    them with `white-space: pre-wrap`)."""
    return html.escape(_reveal(text, lines=multiline), quote=True)


def html_attribute(text: str) -> str:
    """An attribute's value, always written double-quoted: the same escapes, quotes included, and one
    line. Only our own links go into `href` (domain.links); this keeps any value inside its quotes."""
    return html.escape(_reveal(text, lines=False), quote=True)


def chart_label(text: str) -> str:
    """Text a chart library draws (axis labels): hidden characters shown, one line, never escaped here:
    the library writes it as text and escapes it itself (matplotlib's SVG writer), so entities would be
    drawn literally. The page renderer turns the library's own syntax (mathtext's `$...$`) off."""
    return _reveal(text, lines=False)


# --- chat (client-markdown) ------------------------------------------------------------------------------


def chat_code(text: str, block: bool = False) -> str:
    """Inside `inline code` or a ``` block: controls shown, backticks cannot close the code, and Slack's
    <!…>, <@…>, <#…> and <url|text> are neutralized. Newlines only inside a block."""
    revealed = _reveal(text, lines=block)
    fence = revealed.replace("```", "'''") if block else revealed.replace("`", "'")
    return fence.translate(_CHAT_ENTITIES)


def chat_text(text: str) -> str:
    """Outside code: markdown and Slack syntax escaped, bare URLs defanged (`https[:]//host`), controls
    shown; the result is one line, plain words, no link and no mention."""
    # Escaped before the hidden characters are revealed: their `\x1b` is shown as written.
    escaped = _MARKDOWN_SPECIALS.sub(r"\\\1", text.translate(_CHAT_ENTITIES))
    return _reveal(_SCHEME.sub("[:]//", escaped), lines=False)
