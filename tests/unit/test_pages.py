"""The report pages, rendered from records (no table, no browser): what each section shows and when, the
charts' marks, the page's size and its Content-Security-Policy. The browser checks are in
tests/e2e/test_sandbox_cli.py; every hostile text through the page: tests/unit/test_untrusted.py."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest

from autopilot_reports.cli.pages import charts
from autopilot_reports.cli.pages.dashboard import AccountPage, dashboard_page, family_series
from autopilot_reports.cli.pages.facts import Cost, cost_of
from autopilot_reports.cli.pages.markup import Markup, el, style_hash, text
from autopilot_reports.cli.pages.parts import Rendered
from autopilot_reports.cli.pages.report import JobPage, cost_section, report_page
from autopilot_reports.domain.family import FamilyStanding
from autopilot_reports.models.record import (
    CandidateMetric,
    Explainability,
    FamilyBest,
    FeatureImportance,
    LeaderboardEntry,
    Objective,
    ReportRecord,
)

T0 = datetime(2025, 3, 11, 8, tzinfo=UTC)
ARN = "arn:aws:sagemaker:eu-west-1:210987654321:automl-job/{}"
PAGE_BAR = 1.5 * 1024 * 1024


def objective(value: float | None, direction: str = "Maximize", metric: str = "F1") -> Objective:
    return Objective(metric=f"validation:{metric.lower()}", value=value, standard_metric=metric, direction=direction)


def job(
    name: str,
    value: float | None = 0.9,
    *,
    status: str = "Completed",
    features: int = 10,
    candidates: int = 5,
    days: int = 0,
    direction: str = "Maximize",
    new_best: bool = False,
    previous: FamilyBest | None = None,
    **changes: object,
) -> ReportRecord:
    terminal = status in ("Completed", "Failed", "Stopped")
    step = 0.01 if direction == "Maximize" else -0.01
    record = ReportRecord(
        job_name=name,
        job_arn=ARN.format(name),
        api="v1",
        status=status,
        secondary_status=status,
        problem_type="BinaryClassification",
        objective=objective(value, direction) if value is not None else None,
        best_candidate=f"{name}-c0" if value is not None else None,
        explainability=Explainability(
            state="available" if features else "missing",
            s3_prefix=f"s3://ml/{name}/explain",
            reason=None if features else "no analysis.json under the prefix",
            top_features=[FeatureImportance(feature=f"feature_{i}", importance=1.0 / (i + 1)) for i in range(features)],
            feature_count=features + 13 if features else 0,
            labels=["churned"] if features else [],
            artifacts={"report_pdf": f"s3://ml/{name}/explain/report.pdf"} if features else {},
        ),
        created_at=T0 + timedelta(days=days),
        ended_at=T0 + timedelta(days=days, hours=2) if terminal else None,
        last_modified_at=T0 + timedelta(days=days, hours=2),
        leaderboard=[
            LeaderboardEntry(candidate=f"{name}-c{i}", objective=objective((value or 0.8) - step * i, direction))
            for i in range(candidates)
        ]
        if terminal
        else None,
        best_candidate_metrics=[
            CandidateMetric(metric="F1", standard_metric="F1", set=data_set, value=0.9)
            for data_set in ("Train", "Validation")
        ],
        why_ended="Autopilot finished its search; the best candidate is ready to deploy." if terminal else None,
        duration_seconds=7200 if terminal else None,
        family="churn",
        new_best_in_family=new_best,
        previous_best=previous,
    )
    return record.model_copy(update=changes)


def family(values: tuple[float, ...]) -> list[ReportRecord]:
    """Weekly runs of `churn`, each judged against the best before it, as the reporter would."""
    runs, best = [], None
    for week, value in enumerate(values):
        beats = best is not None and value > best.value
        runs.append(job(f"churn-2025-{week + 1:02d}", value, days=7 * week, new_best=beats, previous=best))
        if best is None or value > best.value:
            best = FamilyBest(job_name=runs[-1].job_name, value=value)
    return runs


def page_of(record: ReportRecord, runs: list[ReportRecord] | None = None) -> Rendered:
    runs = runs if runs is not None else [record]
    scored = [run for run in runs if run.objective and run.objective.value is not None]
    best = max(scored, key=lambda run: run.objective.value if run.objective else 0, default=None)
    standing = FamilyStanding(
        "churn", FamilyBest(job_name=best.job_name, value=0.9) if best else None, "F1", "Maximize"
    )
    return report_page(JobPage(record, runs, standing, len(runs), T0 + timedelta(days=60), "table T (eu-west-1)"))


def visible_text(page: str) -> str:
    without_tags = re.sub(r"<style.*?</style>|<[^>]+>", " ", page, flags=re.DOTALL)
    return re.sub(r"\s+", " ", html.unescape(without_tags))


# --- the job's page ---------------------------------------------------------------------------------------


def test_a_job_with_10_features_and_5_candidates_is_a_page_under_1_5_mb_with_every_mark():
    runs = family((0.78, 0.80, 0.826, 0.819, 0.81))
    page = page_of(runs[-1], runs)

    assert len(page.html.encode()) < PAGE_BAR
    assert page.marks == {"features": 10, "leaderboard": 5, "family": 5}
    for chart, count in page.marks.items():
        ids = re.findall(rf'id="{chart}-mark-(\d+)"', page.html)
        assert sorted(map(int, ids)) == list(range(count))


def test_the_header_says_status_why_duration_objective_direction_account_and_region():
    shown = visible_text(page_of(job("churn-2025-06", 0.912345)).html)
    for expected in (
        "Completed",
        "why it ended Autopilot finished its search",
        "duration 2h 00m",
        "validation:f1 (F1) = 0.912345 (Maximize: higher is better)",
        "account 210987654321",
        "region eu-west-1",
        "created 2025-03-11T08:00:00.000Z",
    ):
        assert expected in shown, expected


def test_the_account_is_the_records_from_its_arn():
    assert job("x").account_id == "210987654321"
    assert job("x", job_arn="not-an-arn").account_id is None


def test_features_chart_says_how_many_there_were_and_a_job_without_them_says_why():
    shown = visible_text(page_of(job("churn", features=10)).html)
    assert "The top 10 of 23 features (global SHAP, mean over churned)." in shown

    page = page_of(job("churn", features=0))
    assert "features" not in page.marks
    assert "Explainability: missing (no analysis.json under the prefix)" in visible_text(page.html)


@pytest.mark.parametrize(("direction", "words"), [("Maximize", "higher is better"), ("Minimize", "lower is better")])
def test_leaderboard_is_best_first_with_its_direction_labelled(direction, words):
    page = page_of(job("prices", 41.2 if direction == "Minimize" else 0.9, direction=direction))
    shown = visible_text(page.html)
    assert f"5 completed candidates, best first: F1, {words}." in shown
    assert f"F1 ({words})" in shown  # the chart's axis
    labels = re.findall(r"(\d)\. prices-c(\d)", shown)
    assert labels[:5] == [(str(rank), str(rank - 1)) for rank in range(1, 6)]


def test_before_the_end_there_is_no_leaderboard_yet():
    page = page_of(job("churn", None, status="InProgress", features=0))
    assert "The leaderboard is made when the job ends." in visible_text(page.html)
    assert page.marks == {}


def test_metrics_by_data_set_are_a_table():
    shown = visible_text(page_of(job("churn")).html)
    assert "metric Train Validation F1 0.9 0.9" in shown


def test_family_trend_marks_new_bests_and_rings_this_job():
    runs = family((0.78, 0.80, 0.826, 0.819, 0.81))
    page = page_of(runs[-1], runs)
    shown = visible_text(page.html)
    assert "5 Completed jobs of the family by CreationTime (F1, higher is better)" in shown
    assert "this job is ringed" in shown and "this job" in shown
    assert "The family's best now among 5 ended jobs" in shown
    stars = re.findall(r'<g id="family-mark-\d+">.*?</g>', page.html, flags=re.DOTALL)
    assert len(stars) == 5


def test_a_family_of_one_has_no_trend_yet():
    page = page_of(job("churn"))
    assert "family" not in page.marks
    assert "This job is the family's only Completed job so far" in visible_text(page.html)


def test_a_failed_job_shows_its_failure_reason_and_no_objective_on_the_trend():
    runs = family((0.78, 0.80))
    failed = job("churn-2025-03", None, status="Failed", features=0, candidates=0, failure_reason="ClientError:\nbad")
    page = page_of(failed, [*runs, failed])
    shown = visible_text(page.html)
    assert "Failure reason ClientError: bad" in shown
    assert "this job (Failed) has no objective to show" in shown
    assert page.marks == {"family": 2}
    assert '<div class="data failure">ClientError:\nbad</div>' in page.html  # newlines kept (pre-wrap)


def test_every_artifact_is_a_console_link():
    page = page_of(job("churn"))
    links = re.findall(r'<a href="([^"]+)"', page.html)
    assert links[0] == "https://eu-west-1.console.aws.amazon.com/sagemaker/home?region=eu-west-1#/automl-jobs/churn"
    assert (
        "https://eu-west-1.console.aws.amazon.com/s3/object/ml?region=eu-west-1&amp;prefix=churn/explain/report.pdf"
        in page.html
    )
    assert all(link.startswith("https://eu-west-1.console.aws.amazon.com/") for link in links)


def test_the_cost_shows_only_once_the_record_has_it():
    record = job("churn")
    assert cost_of(record) is None  # the record has no `compute` yet
    assert "Cost" not in visible_text(page_of(record).html)

    cost = Cost(12, 5400.0, 5100.0, 900.0, 3.42, "USD", "on-demand prices of eu-west-1, 2025-03-01", True)
    shown = visible_text(cost_section(cost))
    for expected in ("Cost", "3.42 USD estimated cost", "12 child jobs", "1h 30m instance time", "Incomplete"):
        assert expected in shown, expected


# --- what every page is made of --------------------------------------------------------------------------


def test_the_policy_allows_no_script_no_load_and_exactly_the_page_styles():
    runs = family((0.78, 0.80))
    page = page_of(runs[-1], runs).html
    policy = html.unescape(re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1))
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'none'" and directives["script-src"] == "'none'"
    styles = re.findall(r"<style[^>]*>(.*?)</style>", page, flags=re.DOTALL)
    assert set(directives["style-src-elem"].split()) == {style_hash(css) for css in styles}
    assert "<script" not in page and "http://" not in page.replace('"http://www.w3.org/', "")
    assert page.index("Content-Security-Policy") < page.index("<style")  # in force before any style


def test_markup_escapes_data_and_keeps_what_it_built():
    assert el("td", "<b>", title='"x"') == '<td title="&quot;x&quot;">&lt;b&gt;</td>'
    assert el("td", Markup("<b>bold</b>")) == "<td><b>bold</b></td>"
    assert Markup("<p>") + "<i>" == "<p>&lt;i&gt;"
    assert text("a\x1bb") == "a\\x1bb"
    assert el("a", "x", href=None, hidden=True) == "<a hidden>x</a>"


def test_a_column_name_is_drawn_as_written_never_as_mathtext():
    chart = charts.feature_importances([FeatureImportance(feature="$\\frac{1}{0}$ & <b>", importance=1.0)])
    assert "$\\frac{1}{0}$ &amp; &lt;b&gt;" in chart.svg
    assert chart.marks == 1


# --- the account's page -----------------------------------------------------------------------------------


def account(**changes: object) -> AccountPage:
    runs = family((0.78, 0.80, 0.826, 0.819))
    failed = job("fraud-2025-03", None, status="Failed", days=20, features=0, candidates=0, failure_reason="bad <x>")
    partial = job("credit-2025-03", 0.8, days=21, partial_failures=["Candidate c2 failed: OOM"], family="credit")
    stuck = job("tune-stall", None, status="InProgress", days=27, features=0)
    values: dict[str, object] = {
        "ended": [*runs, failed, partial],
        "partial": [partial],
        "stuck": [stuck],
        "families": [(FamilyStanding("churn", FamilyBest(job_name="churn-2025-03", value=0.826), "F1", "Maximize"), 4)],
        "since": T0 - timedelta(days=1),
        "until": T0 + timedelta(days=28),
        "stuck_after_minutes": 240,
        "generated_at": T0 + timedelta(days=28),
        "source": "table T",
    }
    return AccountPage(**(values | changes))  # type: ignore[arg-type]


def test_dashboard_has_each_section_and_its_marks():
    page = dashboard_page(account())
    shown = visible_text(page.html)
    assert "AutoML jobs: account 210987654321 (eu-west-1)" in shown
    assert page.marks == {"ended": 5, "bests": 4}  # a segment per (day, status) ended on; the family of 4 runs
    assert "fraud-2025-03 Failed" in shown and "bad <x>" in shown
    assert "credit-2025-03 Completed" in shown and "Candidate c2 failed: OOM" in shown
    assert "1 job InProgress and quiet for 4h 00m or more" in shown and "tune-stall" in shown
    assert len(page.html.encode()) < PAGE_BAR


def test_a_family_best_holds_until_beaten_and_the_first_run_sets_it():
    (series,) = family_series(account())
    assert [run.value for run in series.runs] == [0.78, 0.80, 0.826, 0.819]
    assert series.bests == [0.78, 0.80, 0.826, 0.826]
    assert [run.new_best for run in series.runs] == [False, True, True, False]


def test_an_organization_says_how_many_accounts():
    other = job("elsewhere", 0.7, job_arn="arn:aws:sagemaker:us-west-2:111122223333:automl-job/elsewhere")
    page = dashboard_page(account(ended=[*account().ended, other]))
    assert "an organization: 2 accounts, 2 regions" in visible_text(page.html)


def test_an_empty_period_says_so():
    shown = visible_text(dashboard_page(account(ended=[], partial=[], stuck=[], families=[])).html)
    assert "No job ended in this period." in shown and "None in this period." in shown


def test_a_long_period_still_draws_every_day_with_jobs_and_stays_small():
    page = dashboard_page(account(since=T0 - timedelta(days=3 * 365), until=T0 + timedelta(days=2 * 365)))
    assert page.marks["ended"] == 5
    assert len(page.html.encode()) < 200_000
