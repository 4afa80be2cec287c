"""checkov, the independent scanner: every acknowledgment has a reason, the decision log lists exactly
them, and checkov itself honours them (and still fails on a finding nobody acknowledged)."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from infra.checkov import METADATA_KEY, MIN_REASON_LENGTH, skips_of

ROOT = Path(__file__).resolve().parents[2]
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"  # made by `make lint` (requirements-checkov.txt)
CHECK_ID = re.compile(r"^CKV2?_[A-Z0-9]+_\d+$")

Acknowledgments = dict[str, set[str]]  # check id -> logical ids of the resources that acknowledge it


def acknowledgments(template: dict[str, Any]) -> Acknowledgments:
    found: Acknowledgments = {}
    for logical_id, body in template["Resources"].items():
        for skip in skips_of(body.get("Metadata", {}).get(METADATA_KEY)):
            found.setdefault(skip["id"], set()).add(logical_id)
    return found


def merged(*templates: dict[str, Any]) -> Acknowledgments:
    result: Acknowledgments = {}
    for template in templates:
        for check, resources in acknowledgments(template).items():
            result.setdefault(check, set()).update(resources)
    return result


def decision_log_table() -> Acknowledgments:
    """The rows of docs/decision_log.md's "checkov acknowledgments" table: check id -> resources."""
    log = (ROOT / "docs" / "decision_log.md").read_text(encoding="utf-8")
    section = log.split("## checkov acknowledgments", 1)[1].split("\n## ", 1)[0]
    table: Acknowledgments = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not cells[0].startswith("`CKV"):
            continue
        check = re.findall(r"`([^`]+)`", cells[0])[0]
        table.setdefault(check, set()).update(re.findall(r"`([^`]+)`", cells[1]))
    return table


TEMPLATES = ["template_json", "full_template_json", "hub_template_json", "spoke_template_json"]


@pytest.mark.parametrize("fixture", TEMPLATES)
def test_every_acknowledgment_names_a_check_and_says_why(request, fixture):
    template = request.getfixturevalue(fixture)
    skips = [
        (logical_id, skip)
        for logical_id, body in template["Resources"].items()
        for skip in skips_of(body.get("Metadata", {}).get(METADATA_KEY))
    ]
    assert skips, "the checkov acknowledgments should be written into the template's metadata"
    for logical_id, skip in skips:
        assert set(skip) == {"id", "comment"}, (logical_id, skip)
        assert CHECK_ID.match(skip["id"]), (logical_id, skip)
        assert len(skip["comment"].strip()) >= MIN_REASON_LENGTH, (logical_id, skip)


def test_the_decision_log_lists_exactly_the_acknowledgments(request, roll_out):
    in_templates = merged(*(request.getfixturevalue(fixture) for fixture in TEMPLATES), *roll_out.templates.values())
    in_log = decision_log_table()
    assert in_log == in_templates, (
        "docs/decision_log.md's checkov table disagrees with the templates: "
        f"only in the log {_difference(in_log, in_templates)}, only in the templates {_difference(in_templates, in_log)}"
    )


def _difference(left: Acknowledgments, right: Acknowledgments) -> dict[str, list[str]]:
    return {
        check: sorted(resources - right.get(check, set()))
        for check, resources in left.items()
        if resources - right.get(check, set())
    }


def test_an_acknowledgment_without_a_reason_is_refused():
    import aws_cdk as cdk
    from aws_cdk import aws_sqs as sqs

    from infra.checkov import acknowledge_checkov

    queue = sqs.Queue(cdk.Stack(cdk.App(), "Probe"), "Queue")
    with pytest.raises(ValueError, match="needs a reason"):
        acknowledge_checkov(queue, "CKV_AWS_27", "accepted")
    with pytest.raises(ValueError, match="not a checkov check id"):
        acknowledge_checkov(queue, "AwsSolutions-SQS3", "x" * MIN_REASON_LENGTH)
    acknowledge_checkov(queue, "CKV_AWS_27", "x" * MIN_REASON_LENGTH)
    with pytest.raises(ValueError, match="already acknowledged"):
        acknowledge_checkov(queue, "CKV_AWS_27", "y" * MIN_REASON_LENGTH)


# One checkov run covers the default stack (what `make lint` scans), the full-featured variant, an
# organization's hub and spoke and the roll-out's templates (which `make lint` does not synthesize) and a
# probe with a finding nobody acknowledged.
PROBE = {
    "Resources": {
        "UnencryptedLogs": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 30}},
    }
}


@pytest.fixture(scope="module")
def checkov_results(
    tmp_path_factory, template_json, full_template_json, hub_template_json, spoke_template_json, roll_out
) -> dict[str, Any]:
    if not CHECKOV.exists():
        pytest.skip(f"{CHECKOV} is not installed (`make lint` installs it)")
    folder = tmp_path_factory.mktemp("checkov")
    templates = (
        ("default", template_json),
        ("full", full_template_json),
        ("hub", hub_template_json),
        ("spoke", spoke_template_json),
        ("probe", PROBE),
        *roll_out.templates.items(),
    )
    for name, template in templates:
        (folder / f"{name}.template.json").write_text(json.dumps(template), encoding="utf-8")
    env = {**os.environ, "CKV_PARSE_ERROR_FAIL": "true", "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true"}
    run = subprocess.run(
        [str(CHECKOV), "--directory", str(folder), "--framework", "cloudformation", "--skip-download", "-o", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert run.returncode == 1, run.stderr  # the probe's finding fails the run
    report = json.loads(run.stdout)
    return report["results"] if isinstance(report, dict) else report[0]["results"]


def _by_file(checks: list[dict[str, Any]], name: str) -> set[tuple[str, str]]:
    """(check id, logical id) for the results of one template."""
    return {
        (check["check_id"], check["resource"].split(".", 1)[1])
        for check in checks
        if Path(check["file_path"]).name == f"{name}.template.json"
    }


@pytest.mark.parametrize(
    ("name", "fixture"),
    [
        ("default", "template_json"),
        ("full", "full_template_json"),
        ("hub", "hub_template_json"),
        ("spoke", "spoke_template_json"),
    ],
)
def test_checkov_finds_nothing_unacknowledged_and_honours_every_acknowledgment(request, checkov_results, name, fixture):
    assert _by_file(checkov_results["failed_checks"], name) == set()
    expected = {
        (check, resource)
        for check, resources in acknowledgments(request.getfixturevalue(fixture)).items()
        for resource in resources
    }
    assert _by_file(checkov_results["skipped_checks"], name) == expected
    assert _by_file(checkov_results["passed_checks"], name), "checkov scanned nothing"


def test_checkov_finds_nothing_unacknowledged_in_the_roll_out(checkov_results, roll_out):
    for name, template in roll_out.templates.items():
        assert _by_file(checkov_results["failed_checks"], name) == set(), name
        expected = {
            (check, resource) for check, resources in acknowledgments(template).items() for resource in resources
        }
        assert _by_file(checkov_results["skipped_checks"], name) == expected, name
        assert _by_file(checkov_results["passed_checks"], name), f"checkov scanned nothing in {name}"


def test_checkov_fails_on_a_finding_nobody_acknowledged(checkov_results):
    assert _by_file(checkov_results["failed_checks"], "probe") == {("CKV_AWS_158", "UnencryptedLogs")}
