"""HTML from parts. Tag and attribute names are ours; every `str` a part receives is data and passes the
HTML gate (domain/untrusted.py): escaped for text between tags, escaped for a double-quoted attribute's
value. Only `Markup` (what these functions built, and the SVG the chart library wrote) goes in as it is.

The page's Content-Security-Policy allows no script at all (the charts are SVG, not JavaScript), no load
of any kind (`default-src 'none'`: no image, font, frame, connection or form target), and exactly the
style elements the page carries, by hash. Inline style attributes are allowed: matplotlib's SVG writes
its colours as `style="..."`, and data cannot write an attribute (every value is escaped).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Sequence

from autopilot_reports.domain.untrusted import html_attribute, html_text

VOID = frozenset({"meta", "br", "hr", "col"})


class Markup(str):
    """HTML built here or by the chart library: never escaped again. `markup + part` escapes the part
    unless it is Markup too."""

    __slots__ = ()

    def __add__(self, other: str) -> Markup:
        return Markup(str.__add__(self, _render(other)))


Part = Markup | str | None | Sequence["Part"]


def text(value: str | None, multiline: bool = False) -> Markup:
    """Data text for between tags (absent: nothing)."""
    return Markup(html_text(value, multiline=multiline)) if value else Markup("")


def join(parts: Iterable[Part]) -> Markup:
    return Markup("".join(_render(part) for part in parts))


def el(tag: str, *children: Part, **attributes: str | int | bool | None) -> Markup:
    """`<tag attributes>children</tag>`. An attribute named `class_` is `class`, `aria_label` is
    `aria-label`; True writes it bare, None or False leaves it out; every value passes the gate."""
    written = "".join(_attribute(name, value) for name, value in attributes.items())
    if tag in VOID:
        return Markup(f"<{tag}{written}>")
    return Markup(f"<{tag}{written}>{join(children)}</{tag}>")


def _attribute(name: str, value: str | int | bool | None) -> str:
    if value is None or value is False:
        return ""
    name = name.rstrip("_").replace("_", "-")
    if value is True:
        return f" {name}"
    return f' {name}="{html_attribute(str(value))}"'


def _render(part: Part) -> str:
    if part is None:
        return ""
    if isinstance(part, Markup):
        return part
    if isinstance(part, str):
        return html_text(part)
    return join(part)


# --- the document ----------------------------------------------------------------------------------------

STYLE = """
:root { color-scheme: light; --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --panel: #f6f8fa;
  --completed: #1a7f37; --failed: #cf222e; --stopped: #9a6700; --running: #0969da; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: var(--ink); }
main { max-width: 1080px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 26px; margin: 0 0 6px; overflow-wrap: anywhere; }
h2 { font-size: 19px; margin: 36px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 18px 0 6px; }
.sub { color: var(--muted); margin: 0 0 18px; }
.badge { display: inline-block; white-space: nowrap; padding: 2px 10px; border-radius: 999px; color: #fff; font-weight: 600;
  font-size: 13px; vertical-align: middle; background: var(--running); }
.badge.Completed { background: var(--completed); } .badge.Failed { background: var(--failed); }
.badge.Stopped, .badge.Stopping { background: var(--stopped); }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 18px; margin: 0; }
.facts dt { color: var(--muted); } .facts dd { margin: 0; overflow-wrap: anywhere; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 8px 0 0; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 10px 16px; min-width: 150px; }
.card b { display: block; font-size: 24px; }
figure { margin: 8px 0 0; }
figure svg { max-width: 100%; height: auto; }
figcaption { color: var(--muted); font-size: 13px; margin: 2px 0 8px; }
table { border-collapse: collapse; margin: 8px 0; font-size: 14px; }
th, td { text-align: left; padding: 4px 12px 4px 0; border-bottom: 1px solid var(--line); vertical-align: top; }
td.number, th.number { text-align: right; font-variant-numeric: tabular-nums; }
td { overflow-wrap: anywhere; } td.name { white-space: nowrap; overflow-wrap: normal; }
.data { white-space: pre-wrap; overflow-wrap: anywhere; font: 13px/1.45 ui-monospace, "DejaVu Sans Mono", monospace;
  background: var(--panel); border-left: 3px solid var(--line); padding: 6px 10px; margin: 4px 0; }
.failure { border-left-color: var(--failed); }
.note { color: var(--muted); }
code { font: 13px ui-monospace, "DejaVu Sans Mono", monospace; overflow-wrap: anywhere; }
ul.links { padding-left: 18px; } ul.links li { margin: 4px 0; }
details summary { cursor: pointer; color: var(--muted); }
footer { margin-top: 40px; color: var(--muted); font-size: 13px; }
"""


def style_hash(css: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(css.encode()).digest()).decode() + "'"


def content_security_policy(styles: Iterable[str]) -> str:
    """No script, no load of any kind; the given style elements only (CSP level 3's style-src-elem, with
    style-src as the same list for browsers without it)."""
    hashes = " ".join(sorted({style_hash(css) for css in styles}))
    return "; ".join(
        (
            "default-src 'none'",
            "script-src 'none'",
            f"style-src {hashes}",
            f"style-src-elem {hashes}",
            "style-src-attr 'unsafe-inline'",
            "base-uri 'none'",
            "form-action 'none'",
        )
    )


def document(title: str, body: Markup, chart_styles: Iterable[str] = ()) -> str:
    """The whole page: the policy before anything it governs, then our style, then the body."""
    policy = content_security_policy([STYLE, *chart_styles])
    head = el(
        "head",
        el("meta", charset="utf-8"),
        el("meta", http_equiv="Content-Security-Policy", content=policy),
        el("meta", name="referrer", content="no-referrer"),
        el("meta", name="viewport", content="width=device-width, initial-scale=1"),
        el("title", title),
        el("style", Markup(STYLE)),
    )
    return "<!doctype html>\n" + el("html", head, el("body", el("main", body)), lang="en") + "\n"
