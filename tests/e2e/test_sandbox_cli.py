"""`python -m sandbox run SCENARIO --out DIR --pages`, exactly as acceptance and `make demo` run it, and
its report pages opened in headless Chromium with the network off (testsupport/browser.py): no console
error, no request, every chart drawn, and data text shown as text. The screenshots are kept under
out/screenshots/<scenario>/ (one of the demo's is docs/report-page.png)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from testsupport.browser import Browser, Tab, unavailable_reason

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "sandbox" / "scenarios" / "demo.json"
HOSTILE = ROOT / "tests" / "e2e" / "scenarios" / "hostile_text.json"
OUTPUTS = ["records.jsonl", "history.jsonl", "events.jsonl", "notifications.jsonl", "summary.json"]
SCREENSHOTS = ROOT / "out" / "screenshots"
PAGE_BAR = 1.5 * 1024 * 1024
OUR_LINKS = "https://us-east-1.console.aws.amazon.com/"


@pytest.fixture(scope="module")
def template_file(template_json, tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "AutopilotReports.template.json"
    path.write_text(json.dumps(template_json))
    return path


def sandbox(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sandbox", "run", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


@dataclass(frozen=True)
class Run:
    result: subprocess.CompletedProcess[str]
    out: Path

    @property
    def pages(self) -> Path:
        return self.out / "pages"

    @property
    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in (self.out / "records.jsonl").read_text().splitlines() if line]


@pytest.fixture(scope="module")
def demo(template_file, tmp_path_factory) -> Run:
    """The demo as `make demo` runs it: its outputs, and its report pages under pages/."""
    out = tmp_path_factory.mktemp("demo")
    return Run(sandbox(str(DEMO), "--out", str(out), "--pages", "--template", str(template_file)), out)


@pytest.fixture(scope="module")
def hostile(template_file, tmp_path_factory) -> Run:
    out = tmp_path_factory.mktemp("hostile")
    run = Run(sandbox(str(HOSTILE), "--out", str(out), "--pages", "--quiet", "--template", str(template_file)), out)
    assert run.result.returncode == 0, run.result.stderr
    return run


def test_demo_runs_and_prints_every_report(demo):
    result, out = demo.result, demo.out
    assert result.returncode == 0, result.stderr
    for name in OUTPUTS:
        assert (out / name).exists(), name
    scenario = json.loads(DEMO.read_text())
    demo_jobs = [job["describe"][0]["AutoMLJobName"] for job in scenario["jobs"]]
    for job in demo_jobs:
        assert f"== {job}" in result.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["records"] == summary["jobs"] == len(demo_jobs)
    # every job that ended after the deploy is notified once; the family's history imported is not
    ended_before = [job for job in scenario["jobs"] if job["describe"][-1]["EndTime"] < scenario["deployed_at"]]
    assert len(ended_before) == 4
    records = demo.records
    notified = [record for record in records if record["notified_at"]]
    assert summary["notifications"] == len(notified) == len(demo_jobs) - len(ended_before)
    assert all(record["notified_at"] >= record["ended_at"] for record in notified)  # the clock agrees
    # words, not Python reprs; where the outputs are; one message as a person received it
    assert "['" not in result.stdout and "{'" not in result.stdout
    assert (
        f"Outputs in {out}/" in result.stdout and "One message as its e-mail subscribers received it" in result.stdout
    )
    assert ".venv/bin/autopilot-reports --endpoint-url" in result.stdout
    assert f"Report pages (open them in a browser; they load nothing): {out}/pages/" in result.stdout


def test_demo_family_has_several_runs_improving_then_falling_back(demo):
    family = sorted(
        (record for record in demo.records if record["family"] == "demo-renewal"), key=lambda r: r["created_at"]
    )
    assert [record["objective"]["value"] for record in family] == [0.7814, 0.8042, 0.8261, 0.8187, 0.8093]
    assert [record["new_best_in_family"] for record in family] == [False, True, True, False, False]


def test_demo_writes_a_page_per_job_and_the_dashboard(demo):
    pages = {path.name for path in demo.pages.glob("*.html")}
    assert pages == {f"{record['job_name']}.html" for record in demo.records} | {"dashboard.html"}
    for path in demo.pages.glob("*.html"):
        html = path.read_text()
        assert len(html.encode()) < PAGE_BAR, path.name
        assert "Content-Security-Policy" in html and "script-src &#x27;none&#x27;" in html
        assert "<script" not in html


def test_bad_scenario_exits_non_zero_naming_job_tick_and_field(template_file, tmp_path):
    scenario = json.loads(DEMO.read_text())
    scenario["jobs"][0]["describe"][1]["AutoMLJobStatus"] = 7  # a number where AWS returns a string
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(scenario))

    result = sandbox(str(bad), "--out", str(tmp_path / "out"), "--template", str(template_file))

    assert result.returncode == 2
    job = scenario["jobs"][0]["describe"][0]["AutoMLJobName"]
    assert f"job '{job}' describe[1]: AutoMLJobStatus" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_missing_scenario_file_is_a_clear_error(template_file, tmp_path):
    result = sandbox(str(tmp_path / "nope.json"), "--out", str(tmp_path / "out"), "--template", str(template_file))
    assert result.returncode == 2
    assert "scenario file not found" in result.stderr


# --- in a browser -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium for the module; skipped where it is not installed, except as root on CI, where `make setup`
    installs it."""
    reason = unavailable_reason()
    if reason and os.environ.get("CI") and os.geteuid() == 0:
        pytest.fail(f"the browser tests must run on CI, where make setup installs chromium: {reason}")
    if reason:
        pytest.skip(reason)
    with Browser() as chromium:
        yield chromium


# Each chart's data marks (id `<chart>-mark-<n>`, cli/pages/charts.py) that were laid out with a size.
DRAWN_MARKS = """(() => {
  const drawn = {};
  for (const mark of document.querySelectorAll('svg [id*="-mark-"]')) {
    const box = mark.getBBox();
    if (box.width > 0 || box.height > 0) {
      const chart = mark.id.split('-mark-')[0];
      drawn[chart] = (drawn[chart] || 0) + 1;
    }
  }
  return drawn;
})()"""
WHAT_DATA_COULD_HAVE_MADE = """({
  elements: [...document.querySelectorAll('img, script, iframe, object, embed, form, base, link, style:not(head style, svg style)')]
    .map(element => element.tagName),
  handlers: [...document.querySelectorAll('*')].flatMap(element => [...element.attributes].map(a => a.name))
    .filter(name => name.startsWith('on')),
  links: [...document.querySelectorAll('[href]')].map(element => element.getAttribute('href')),
  text: document.body.textContent,
  chartText: [...document.querySelectorAll('svg text')].map(text => text.textContent),
})"""


def checked(tab: Tab, shots: Path) -> dict[str, int]:
    """The checks every page passes: nothing went wrong, nothing was asked of the network; its screenshot;
    the marks each chart drew."""
    tab.screenshot(shots / f"{Path(tab.url).stem}.png")
    assert tab.problems() == []
    assert tab.requests() == [tab.url]  # the page itself, and nothing else
    drawn: dict[str, int] = tab.evaluate(DRAWN_MARKS)
    return drawn


def expected_marks(record: dict[str, Any], records: list[dict[str, Any]]) -> dict[str, int]:
    """One mark per top feature, per scored candidate, and per scored Completed job of the family (when it
    has two or more: a trend)."""
    marks = {}
    if record["explainability"]["top_features"]:
        marks["features"] = len(record["explainability"]["top_features"])
    scored = [entry for entry in record["leaderboard"] or [] if (entry["objective"] or {}).get("value") is not None]
    if scored:
        marks["leaderboard"] = len(scored)
    metric = record["objective"]["standard_metric"] if record["objective"] else None
    runs = [
        other
        for other in records
        if other["family"] == record["family"]
        and other["status"] == "Completed"
        and other["objective"]
        and other["objective"]["value"] is not None
        and other["objective"]["standard_metric"] == metric
    ]
    if metric and len(runs) > 1:
        marks["family"] = len(runs)
    return marks


def test_demo_pages_pass_the_browser_checks(demo, browser):
    shots = SCREENSHOTS / "demo"
    records = demo.records
    for record in records:
        with browser.opened(demo.pages / f"{record['job_name']}.html") as tab:
            assert checked(tab, shots) == expected_marks(record, records), record["job_name"]
    renewal = expected_marks(next(r for r in records if r["job_name"] == "demo-renewal-2025-03-11"), records)
    assert renewal == {"features": 10, "leaderboard": 3, "family": 5}  # the trend has something to show


def test_demo_dashboard_passes_the_browser_checks(demo, browser):
    records = demo.records
    with browser.opened(demo.pages / "dashboard.html") as tab:
        drawn = checked(tab, SCREENSHOTS / "demo")
        text = tab.evaluate("document.body.textContent")
    ended_days = {(record["ended_at"][:10], record["status"]) for record in records}
    renewal_runs = [record for record in records if record["family"] == "demo-renewal"]
    assert drawn == {"ended": len(ended_days), "bests": len(renewal_runs)}
    for record in records:
        if record["status"] == "Failed" or record["partial_failures"]:
            assert record["job_name"] in text
    assert f"{len(records)}jobsended" in text.replace(" ", "").replace("\n", "")


def test_hostile_text_is_shown_as_text_and_runs_nothing(hostile, browser):
    """A column name that is markup (`<img src=x onerror=...>`), a `javascript:` link, terminal escapes,
    bidi controls: every page shows them as text; no element, handler or link comes from data, no script
    runs (no dialog, no CSP violation) and nothing is requested."""
    shots = SCREENSHOTS / "hostile_text"
    pages = sorted(hostile.pages.glob("*.html"))
    assert {page.stem for page in pages} == {"hostile-features", "hostile-failed", "dashboard"}
    for page in pages:
        with browser.opened(page) as tab:
            checked(tab, shots)
            found = tab.evaluate(WHAT_DATA_COULD_HAVE_MADE)
        assert found["elements"] == [] and found["handlers"] == [], page.name
        assert all(link.startswith(OUR_LINKS) for link in found["links"]), found["links"]
        assert "\\x1b" in found["text"], page.name  # terminal escapes shown as written, never obeyed
        assert "\x1b" not in found["text"] and "\u202e" not in found["text"], page.name
    with browser.opened(hostile.pages / "hostile-features.html") as tab:
        found = tab.evaluate(WHAT_DATA_COULD_HAVE_MADE)
    for feature in ("<img src=x onerror=alert(document.domain)>", "javascript:alert(document.cookie)"):
        assert feature in found["text"]  # in the features table
        assert feature in found["chartText"]  # and on the chart's axis, as text
