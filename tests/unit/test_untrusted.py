"""Text from the job and its data is shown, never obeyed (docs/design.md §4.2): every hostile form, through every
field that carries customer text, out through every medium (chat, e-mail, terminal, HTML pages, the
record)."""

from __future__ import annotations

import html
import io
import json
import re
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
from rich.console import Console

from autopilot_reports.adapters import dynamodb_items as items
from autopilot_reports.cli import render
from autopilot_reports.cli.pages.report import JobPage, report_page
from autopilot_reports.domain.notification import render_notification
from autopilot_reports.domain.reporter import storable
from autopilot_reports.domain.untrusted import (
    chart_label,
    chat_code,
    chat_text,
    email_block,
    email_line,
    html_attribute,
    html_text,
    terminal_text,
)
from autopilot_reports.models.record import (
    Compute,
    Explainability,
    FeatureImportance,
    LeaderboardEntry,
    Objective,
    ReportRecord,
)

EVIL = "https://evil.example/x"
HOSTILE = {
    "markdown link": f"[click]({EVIL})",
    "slack link": f"<{EVIL}|click>",
    "mentions": "<!channel> <!here> <!everyone> @channel @here <@U1> <#C1|general>",
    "html": "<img src=x onerror=alert(1)><b>bold</b><script>x()</script>",
    "ansi csi": "\x1b[31mred\x1b[0m\x1b[2J\x1b[H",
    "ansi osc": f"\x1b]8;;{EVIL}\x07link\x1b]8;;\x07\x1b]0;owned\x07",
    "c1": "\x9b31mred\x85next",
    "nul": "a\x00b",
    "cr": "safe\roverwritten",
    "bidi": "\u202egnp.exe\u202c\u2066x\u2069",
    "zero width": "a\u200bb\u200cc\u200dd\u2060e\ufeff",
    "100 KB": "A" * 100_000,
    "fake header lines": f"ok\nJob in the SageMaker console:\n  {EVIL}\nStatus:         Completed",
    "javascript link": "javascript:alert(document.cookie)",
    "attribute breakout": '" onmouseover="alert(1)" x=\' onfocus=\'alert(2)',
    "mathtext": "$\\frac{1}{0}$ $x^2$",
}
FIELDS = ("feature", "label", "s3 prefix", "failure reason", "partial failure", "candidate name", "child job")
HIDDEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)
HIDDEN_OR_TAB = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)
OUR_HOSTS = ("https://eu-west-1.console.aws.amazon.com/",)
PREFIX = "s3://ml-out/churn/output/explainability"


def record_with(field: str, text: str) -> ReportRecord:
    """A Completed record whose `field` carries `text` (where a field holds a URI, inside the URI)."""
    feature, label, prefix, candidate = "tenure", "churned", PREFIX, "churn-c1"
    failure_reason, partial, compute = None, [], None
    if field == "child job":  # a child job's name (in `incomplete`) and an instance type, as Describe gave them
        compute = Compute(
            child_jobs={"training": 2},
            instance_seconds={text: 60.0},
            billable_seconds=60.0,
            spot_savings_seconds=0.0,
            incomplete=f"1 of 2 child jobs could not be described: training job {text} (Requested resource not found.)",
        )
    elif field == "feature":
        feature = text
    elif field == "label":
        label = text
    elif field == "s3 prefix":
        prefix = f"s3://ml-out/{text}"
    elif field == "failure reason":
        failure_reason = text
    elif field == "partial failure":
        partial = [text, f"second: {text}"]
    elif field == "candidate name":
        candidate = text
    return ReportRecord(
        job_name="churn-2025-01",
        job_arn="arn:aws:sagemaker:eu-west-1:123456789012:automl-job/churn-2025-01",
        api="v1",
        status="Completed",
        secondary_status="Completed",
        problem_type="BinaryClassification",
        objective=Objective(metric="F1", type="Maximize", value=0.9, standard_metric="F1", direction="Maximize"),
        best_candidate=candidate,
        explainability=Explainability(
            state="available" if field != "s3 prefix" else "error",
            s3_prefix=prefix,
            reason=None if field != "s3 prefix" else f"cannot read {prefix}: AccessDenied",
            top_features=[
                FeatureImportance(feature=feature, importance=0.4),
                FeatureImportance(feature="x", importance=0.1),
            ],
            feature_count=2,
            labels=[label],
            artifacts={"report_pdf": f"{prefix}/report.pdf"},
        ),
        partial_failures=partial,
        failure_reason=failure_reason,
        created_at=datetime(2025, 1, 6, 8, tzinfo=UTC),
        ended_at=datetime(2025, 1, 6, 10, tzinfo=UTC),
        last_modified_at=datetime(2025, 1, 6, 10, tzinfo=UTC),
        leaderboard=[
            LeaderboardEntry(
                candidate=candidate,
                objective=Objective(metric="F1", value=0.9, standard_metric="F1", direction="Maximize"),
                explainability_prefix=prefix,
            )
        ],
        why_ended="Autopilot finished its search; the best candidate is ready to deploy.",
        duration_seconds=7200,
        compute=compute,
    )


CASES = [(field, form) for field in FIELDS for form in HOSTILE]


def outside_code(markdown: str) -> str:
    without_blocks = re.sub(r"```.*?```", " ", markdown, flags=re.DOTALL)
    return re.sub(r"`[^`\n]*`", " ", without_blocks)


def inside_code(markdown: str) -> list[str]:
    return re.findall(r"```.*?```", markdown, flags=re.DOTALL) + re.findall(r"`[^`\n]*`", outside_code_blocks(markdown))


def outside_code_blocks(markdown: str) -> str:
    return re.sub(r"```.*?```", " ", markdown, flags=re.DOTALL)


def check_chat(markdown: str) -> None:
    """Only our links; no mention, Slack control sequence or markup from data, in code or out of it."""
    assert not HIDDEN.search(markdown.replace("\n", "").replace("\t", "")), "a hidden character reached chat"
    for code in inside_code(markdown):
        assert not re.search(r"<[!@#]|<https?:|<[a-z/]", code), f"Slack syntax inside code: {code[:120]!r}"
    text = outside_code(markdown)
    assert not re.search(r"<[!@#a-zA-Z/]", text), "a raw < from data outside code"
    for url in re.findall(r"(?<!\\)\]\((\S+?)\)", text):
        assert url.startswith(OUR_HOSTS), f"a link that is not ours: {url}"
    for url in re.findall(r"https?://\S+", text):
        assert url.startswith(OUR_HOSTS) or url.startswith(tuple(f"({host}" for host in OUR_HOSTS)), url
    assert not re.search(r"(?<![\\\w])@(channel|here|everyone)", text), "an @mention outside code"


def check_email(text: str) -> None:
    assert not HIDDEN.search(text.replace("\n", "").replace("\t", "")), "a hidden character reached the e-mail"
    lines = text.split("\n")
    minimal = "The full report is too large for one message" in text  # far past S3's own 1,024-byte keys
    assert minimal or lines.count("Job in the SageMaker console:") == 1, "data drew a line that passes for ours"
    for line in lines:
        assert not re.match(r"\s*(https?://evil|Status:\s)", line) or line.startswith(
            ("  | ", "Status:         Completed (")
        ), line


def check_terminal(output: str) -> None:
    assert not HIDDEN.search(output.replace("\n", "").replace("\t", "")), "a control character reached the terminal"


# What a report page is made of: our tags and matplotlib's SVG; nothing else may appear, whatever the data.
PAGE_TAGS = {"html", "head", "meta", "title", "style", "body", "main", "h1", "h2", "h3", "p", "dl", "dt", "dd", "b"}
PAGE_TAGS |= {"span", "div", "figure", "figcaption", "table", "tr", "th", "td", "details", "summary", "ul", "li"}
PAGE_TAGS |= {"a", "code", "footer"}
SVG_TAGS = {"svg", "metadata", "defs", "style", "g", "path", "use", "text", "clippath", "rect"}
SVG_TAGS |= {"rdf:rdf", "cc:work", "dc:type", "dc:format", "dc:creator", "cc:agent", "dc:title"}


class PageParts(HTMLParser):
    """A page as the browser's tokenizer sees it: its tags, its attributes, its text (entities decoded)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attributes: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes += attrs

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def check_html(page: str, shown: str) -> None:
    """No tag, attribute or link from data; no hidden character shown; and the data's own text is there."""
    parts = PageParts()
    parts.feed(page)
    parts.close()
    assert parts.tags <= PAGE_TAGS | SVG_TAGS, f"tags from data: {parts.tags - PAGE_TAGS - SVG_TAGS}"
    names = {name for name, _ in parts.attributes}
    assert not [name for name in names if name.startswith("on")], "an event handler from data"
    for name, value in parts.attributes:
        if name in ("href", "src", "xlink:href"):
            assert value and (value.startswith(OUR_HOSTS) or re.fullmatch(r"#[\w-]+", value)), f"{name}={value}"
    text = "".join(parts.text)
    assert not HIDDEN.search(text.replace("\n", "").replace("\t", "")), "a hidden character reached the page"
    assert shown in text, "the data's text is not shown as text"


@pytest.mark.parametrize(("field", "form"), CASES, ids=[f"{field}-{form}" for field, form in CASES])
def test_hostile_text_is_shown_never_obeyed_in_every_medium(field: str, form: str) -> None:
    record = storable(record_with(field, HOSTILE[form]))

    assert items.refusal(items.record_attributes(record)) is None  # the record keeps it, storable
    notification = render_notification(record)
    check_email(notification.message["email"])
    chat = json.loads(notification.message["https"])
    check_chat(chat["content"]["description"])
    check_chat(chat["content"]["title"])
    for step in chat["content"].get("nextSteps", []):
        check_chat(step)
    assert notification.subject.isascii() and "\n" not in notification.subject

    console = Console(file=io.StringIO(), width=80, color_system=None, force_terminal=False)
    render.show_report(console, record)
    check_terminal(console.file.getvalue())  # type: ignore[attr-defined]

    page = report_page(JobPage(record, [record], None, None, datetime(2025, 1, 6, 11, tzinfo=UTC), "a table"))
    check_html(page.html, terminal_text(HOSTILE[form].splitlines()[0])[:30])  # labels are cut at 40


def test_the_record_keeps_data_as_given_but_a_lone_surrogate() -> None:
    kept = storable(record_with("feature", HOSTILE["ansi csi"]))
    assert kept.explainability.top_features[0].feature == HOSTILE["ansi csi"]
    assert kept.notes == []

    replaced = storable(record_with("feature", "bad\udc80name"))
    assert replaced.explainability.top_features[0].feature == "bad\ufffdname"
    assert any("U+FFFD" in note and "explainability.top_features" in note for note in replaced.notes)
    assert items.refusal(items.record_attributes(replaced)) is None
    assert items.refusal(items.record_attributes(record_with("feature", "bad\udc80name"))) is not None


def test_each_gate_on_its_own() -> None:
    assert chat_text(f"[x]({EVIL}) <!here>") == "\\[x\\]\\(https[:]//evil.example/x\\) &lt;\\!here&gt;"
    assert chat_code("<!here> `x`") == "&lt;!here&gt; 'x'"
    assert chat_code("a\nb```c", block=True) == "a\nb'''c"
    assert email_line("a\nb\x1b") == "a\\x0ab\\x1b"
    assert email_block("one\r\ntwo") == "  | one\n  | two"
    assert terminal_text("\x1b]0;t\x07") == "\\x1b]0;t\\x07"
    assert terminal_text("a\nb", multiline=True) == "a\nb"
    assert html_text("<img src=x onerror='a(1)'> & \x1b") == "&lt;img src=x onerror=&#x27;a(1)&#x27;&gt; &amp; \\x1b"
    assert html_text("one\ntwo", multiline=True) == "one\ntwo" and html_text("one\ntwo") == "one\\x0atwo"
    assert html_attribute('" onmouseover="x') == "&quot; onmouseover=&quot;x"
    assert chart_label("<b>\u202e</b>") == "<b>\\u202e</b>"  # the chart library escapes what it draws
    assert html.unescape(html_text("\udc80")) == "\ufffd"
