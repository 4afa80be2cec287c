"""The checks that run at every synth: cdk-nag (inside synth) and cfn-lint (infra.checks)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from infra import checks

ROOT = Path(__file__).resolve().parents[2]


def _write(tmp_path: Path, template: dict) -> Path:
    path = tmp_path / "AutopilotReports.template.json"
    path.write_text(json.dumps(template), encoding="utf-8")
    return path


@pytest.mark.parametrize("fixture", ["template_json", "full_template_json"])
def test_cfn_lint_finds_nothing(request, tmp_path, fixture):
    matches = checks.lint(_write(tmp_path, request.getfixturevalue(fixture)))
    assert [str(m) for m in matches] == []


def test_checks_command_exit_codes(tmp_path, template_json, capsys):
    assert checks.main([str(_write(tmp_path, template_json))]) == 0
    assert "cfn-lint: 0 error(s)" in capsys.readouterr().out
    broken = {"Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"MessageRetentionPeriod": "a week"}}}}
    assert checks.main([str(_write(tmp_path, broken))]) == 1
    assert checks.main([str(tmp_path / "missing.json")]) == 2


@pytest.mark.parametrize("fixture", ["synth_app", "full_app"])
def test_cdk_nag_has_no_unacknowledged_findings(request, fixture):
    from cdk_nag import AwsSolutionsChecks

    report = AwsSolutionsChecks().validate_scope(request.getfixturevalue(fixture))
    findings = [(v.rule_name, [r.construct_path for r in v.violating_resources]) for v in report.violations]
    assert report.success and findings == []


def test_cdk_nag_fails_synth_on_a_new_finding(tmp_path):
    import aws_cdk as cdk
    from aws_cdk import aws_sqs as sqs

    from infra.nag import enable_checks

    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "Probe")
    sqs.Queue(stack, "Unencrypted", encryption=sqs.QueueEncryption.UNENCRYPTED)
    enable_checks(app)
    with pytest.raises(RuntimeError, match=r"ValidationFailed: [\s\S]*AwsSolutions-SQS2"):
        app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    rules = {v["ruleName"] for plugin in report["pluginReports"] for v in plugin["violations"]}
    assert {"AwsSolutions-SQS2", "AwsSolutions-SQS4"} <= rules


def _acknowledgments(template: dict) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for body in template["Resources"].values():
        for rule in body.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", []):
            assert len(rule["reason"]) >= 60, rule
            found.setdefault(rule["id"], set()).add(rule["reason"])
    return found


def test_every_acknowledgment_is_in_the_decision_log(
    template_json, full_template_json, hub_template_json, spoke_template_json, roll_out
):
    log = (ROOT / "docs" / "decision_log.md").read_text(encoding="utf-8")
    rules = {
        **_acknowledgments(template_json),
        **_acknowledgments(full_template_json),
        **_acknowledgments(hub_template_json),
        **_acknowledgments(spoke_template_json),
    }
    for template in roll_out.templates.values():
        rules.update(_acknowledgments(template))
    assert rules, "cdk-nag acknowledgments should be written into the template metadata"
    # One entry stands for every configured S3 location.
    s3_location = "[Resource::arn:<AWS::Partition>:s3:::<bucket>/<prefix>/*/analysis.json]"
    generic = {re.sub(r"\[Resource::arn:.*s3:::.*\]", s3_location, rule) for rule in rules}
    missing = sorted(rule for rule in generic if f"`{rule}`" not in log)
    assert not missing, f"list these in docs/decision_log.md: {missing}"


@pytest.mark.parametrize(
    ("fixture", "stack"), [("synth_app", "AutopilotReports"), ("full_app", "AutopilotReportsStaging")]
)
def test_the_template_is_found_in_the_manifest_whatever_the_stack_name(request, fixture, stack, capsys):
    from infra import assembly

    outdir = Path(request.getfixturevalue(fixture).outdir)
    assert assembly.template_path(outdir) == outdir / f"{stack}.template.json"
    assert assembly.main([str(outdir)]) == 0
    assert capsys.readouterr().out.strip() == str(outdir / f"{stack}.template.json")
    assert checks.templates(outdir) == [outdir / f"{stack}.template.json"]  # what `make synth` lints


def test_checks_command_lints_the_stacks_of_an_assembly_directory(synth_app, capsys):
    outdir = Path(synth_app.outdir)
    assert checks.main([str(outdir), "--regions", "us-east-1"]) == 0
    assert f"cfn-lint: 0 error(s), 0 other finding(s) in {outdir / 'AutopilotReports.template.json'}" in (
        capsys.readouterr().out
    )


def test_an_assembly_without_a_stack_is_refused(tmp_path, capsys):
    from infra import assembly

    assert assembly.main([str(tmp_path)]) == 2
    assert checks.main([str(tmp_path)]) == 2
    assert "manifest.json does not exist" in capsys.readouterr().err
    (tmp_path / "manifest.json").write_text(json.dumps({"version": "55.0.0", "artifacts": {}}), encoding="utf-8")
    with pytest.raises(assembly.AssemblyError, match="exactly one stack .*, found none"):
        assembly.template_path(tmp_path)
    assert assembly.main([str(tmp_path)]) == 2
    assert checks.main([str(tmp_path)]) == 2
    assert "holds no stack template" in capsys.readouterr().err


def test_an_assembly_of_several_stacks_gives_each_template_by_name(tmp_path, capsys):
    """One stack per deployment: every template is listed (what `make lint` scans), one is found by name."""
    from infra import assembly

    stack = {"type": assembly.STACK_ARTIFACT}
    artifacts = {name: {**stack, "properties": {"templateFile": f"{name}.template.json"}} for name in ("Hub", "Spoke")}
    (tmp_path / "manifest.json").write_text(json.dumps({"artifacts": artifacts}), encoding="utf-8")
    assert assembly.stack_templates(tmp_path) == {name: tmp_path / f"{name}.template.json" for name in artifacts}
    assert assembly.main([str(tmp_path)]) == 0
    assert capsys.readouterr().out.split() == [str(tmp_path / "Hub.template.json"), str(tmp_path / "Spoke.template.json")]
    assert assembly.template_path(tmp_path, "Spoke") == tmp_path / "Spoke.template.json"
    with pytest.raises(assembly.AssemblyError, match=r"exactly one stack .*, found \['Hub', 'Spoke'\]"):
        assembly.template_path(tmp_path)
    with pytest.raises(assembly.AssemblyError, match="the stack 'Other'"):
        assembly.template_path(tmp_path, "Other")
