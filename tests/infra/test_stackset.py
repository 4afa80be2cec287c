"""The organization roll-out (the `stackset` plan, infra/stackset.py): a service-managed StackSet with
auto-deployment puts the spoke in every account of the target OUs and regions, and the spoke's Lambda code
reaches each of them through asset buckets the organization, and only it, may read.

One synth per session (`roll_out`, tests/infra/conftest.py, with `stackSetCallAs=SELF`); the default
`DELEGATED_ADMIN` is what docs/deploy.md's command synthesizes through the CLI (tests/infra/test_docs.py).
"""

from __future__ import annotations

import json
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from infra import checks
from infra.assembly import asset_templates, code_asset, stack_templates, template_paths
from infra.config import ConfigError, StackConfig
from infra.plans import deployment_plans, spoke_plan
from tests.infra.conftest import (
    HUB_EVENT_BUS_ARN,
    ORGANIZATION_ID,
    SPOKE_OUS,
    SPOKE_REGIONS,
    STACKSET_CONTEXT,
    RollOut,
)
from tests.infra.helpers import props, resources

ASSET_PREFIX = "autopilotreports-assets-111122223333"  # <stackName lower-cased>-assets-<hub account>


def config(**context: Any) -> StackConfig:
    return StackConfig.from_context(context.get)


def the_stack_set(roll_out: RollOut) -> dict[str, Any]:
    (stack_set,) = resources(roll_out.stack, "AWS::CloudFormation::StackSet").values()
    return stack_set


# --- plans and configuration (no synth) ------------------------------------------------------------------
def test_without_organization_context_the_app_plans_the_standalone_stack_alone():
    (plan,) = deployment_plans(config())
    assert (plan.kind, plan.stack_name) == ("standalone", "AutopilotReports")


def test_the_roll_out_context_plans_the_stackset_stack_and_its_spoke():
    roll_out_config = config(**STACKSET_CONTEXT)
    (plan,) = deployment_plans(roll_out_config)
    assert (plan.kind, plan.stack_name) == ("stackset", "AutopilotReportsSpokes")
    spoke = spoke_plan(roll_out_config)
    assert (spoke.kind, spoke.stack_name) == ("spoke", "AutopilotReports")  # named as a spoke deployed alone
    assert roll_out_config.spoke_regions == tuple(SPOKE_REGIONS)
    assert roll_out_config.asset_bucket_prefix == ASSET_PREFIX
    assert config().stack_set_call_as == "DELEGATED_ADMIN"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"spokeRegions": None}, "set all of spokeOrganizationalUnitIds, spokeRegions, stackSetOrganizationId"),
        ({"stackSetOrganizationId": None}, "set all of spokeOrganizationalUnitIds, spokeRegions"),
        ({"hubEventBusArn": None}, "roll out spokes to a hub: set hubEventBusArn too"),
        ({"hubEventBusArn": "arn:aws:sns:eu-west-1:111122223333:hub"}, "is not an event bus ARN"),
        ({"spokeOrganizationalUnitIds": ["ou-1"]}, "'ou-1' is not an organizational unit id"),
        ({"spokeRegions": "eu-west-1,Europe"}, "'Europe' is not a region name"),
        ({"spokeRegions": "eu-west-1,eu-west-1"}, "listed more than once"),
        ({"stackSetOrganizationId": "123456789012"}, "is not an organization id"),
        ({"stackSetCallAs": "ADMIN"}, "stackSetCallAs"),
        ({"stackName": "AutopilotReportsForTheWholeOrg"}, "longer than S3's 63 characters"),
    ],
)
def test_a_roll_out_context_that_cannot_work_is_refused(change, message):
    context = {key: value for key, value in {**STACKSET_CONTEXT, **change}.items() if value is not None}
    with pytest.raises(ConfigError, match=message):
        config(**context)


def test_the_call_as_value_is_read_in_any_case():
    assert config(**{**STACKSET_CONTEXT, "stackSetCallAs": "delegated_admin"}).stack_set_call_as == "DELEGATED_ADMIN"


# --- the StackSet ----------------------------------------------------------------------------------------
def test_the_stack_set_is_service_managed_with_auto_deployment(roll_out):
    stack_set = the_stack_set(roll_out)["Properties"]
    assert stack_set["PermissionModel"] == "SERVICE_MANAGED"
    # A new account in a target OU gets its spoke; one that leaves loses the spoke's stack.
    assert stack_set["AutoDeployment"] == {"Enabled": True, "RetainStacksOnAccountRemoval": False}
    assert stack_set["CallAs"] == "SELF"  # the context's; DELEGATED_ADMIN by default
    assert stack_set["StackSetName"] == roll_out.stack_name
    assert stack_set["Capabilities"] == ["CAPABILITY_IAM"]  # the spoke's roles are unnamed
    assert stack_set["ManagedExecution"] == {"Active": True}


def test_the_stack_set_targets_the_organizational_units_in_every_region(roll_out):
    (group,) = the_stack_set(roll_out)["Properties"]["StackInstancesGroup"]
    assert group["DeploymentTargets"] == {"AccountFilterType": "NONE", "OrganizationalUnitIds": SPOKE_OUS}
    assert group["Regions"] == SPOKE_REGIONS


def test_the_roll_out_goes_region_by_region_in_parallel_and_stops_early_on_failures(roll_out):
    preferences = the_stack_set(roll_out)["Properties"]["OperationPreferences"]
    assert preferences == {
        "RegionConcurrencyType": "PARALLEL",
        "MaxConcurrentPercentage": 25,
        "FailureTolerancePercentage": 10,
    }


def test_the_stack_set_deploys_the_spoke_template_synthesized_beside_it(roll_out):
    url = json.dumps(the_stack_set(roll_out)["Properties"]["TemplateURL"])
    (spoke_file,) = asset_templates(roll_out.outdir)
    assets = json.loads((roll_out.outdir / f"{roll_out.stack_name}.assets.json").read_text(encoding="utf-8"))
    (template_hash,) = [key for key, asset in assets["files"].items() if asset["source"]["path"] == spoke_file.name]
    assert f"{template_hash}.json" in url


# --- the spoke's code reaches every account and region -------------------------------------------------
def spoke_code(roll_out: RollOut) -> dict[str, dict[str, Any]]:
    return {name: props(roll_out.spoke, name)["Code"] for name in resources(roll_out.spoke, "AWS::Lambda::Function")}


def test_every_spoke_function_reads_its_code_from_its_regions_asset_bucket(roll_out):
    code = spoke_code(roll_out)
    assert set(code) >= {"WatcherFunction", "ReporterFunction", "ForwarderFunction"}
    for function, location in code.items():
        assert location["S3Bucket"] == {"Fn::Join": ["-", [ASSET_PREFIX, {"Ref": "AWS::Region"}]]}, function
    # Nothing in the spoke points at the deploying account's own CDK bootstrap bucket.
    assert "cdk-hnb659fds" not in json.dumps(roll_out.spoke)
    assert "BootstrapVersion" not in roll_out.spoke.get("Parameters", {})


def test_the_code_is_copied_into_every_regions_bucket_before_the_stack_set_deploys(roll_out):
    keys = {location["S3Key"] for location in spoke_code(roll_out).values()}
    copies = resources(roll_out.stack, "Custom::CDKBucketDeployment")
    destinations = {body["Properties"]["DestinationBucketName"]: body for body in copies.values()}
    assert set(destinations) == {f"{ASSET_PREFIX}-{region}" for region in SPOKE_REGIONS}
    for body in destinations.values():
        assert keys <= set(body["Properties"]["SourceObjectKeys"])
        assert (body["Properties"]["Extract"], body["Properties"]["Prune"]) == (False, False)
    assert set(copies) <= set(the_stack_set(roll_out)["DependsOn"])


def test_each_regions_bucket_stack_is_deployed_first_in_its_region(roll_out):
    manifest = json.loads((roll_out.outdir / "manifest.json").read_text(encoding="utf-8"))["artifacts"]
    bucket_stacks = {f"AutopilotReportsSpokeAssets-{region}": region for region in SPOKE_REGIONS}
    assert set(bucket_stacks) <= set(manifest[roll_out.stack_name]["dependencies"])
    for stack, region in bucket_stacks.items():
        assert manifest[stack]["environment"] == f"aws://unknown-account/{region}"


def test_the_lambda_asset_is_the_lambda_package_alone(roll_out):
    """cdk-stacksets and the CDK are synth-time only: the asset the spokes run is lambdas/, nothing more."""
    (key,) = {location["S3Key"] for location in spoke_code(roll_out).values()}
    asset = code_asset(roll_out.outdir, key)
    files = [path.relative_to(asset) for path in asset.rglob("*") if path.is_file()] if asset.is_dir() else []
    if asset.with_suffix(".zip").is_file():
        files = [Path(name) for name in zipfile.ZipFile(asset.with_suffix(".zip")).namelist()]
    assert files, f"no staged asset found for {key}"
    assert {path.parts[0] for path in files} == {"autopilot_reports"}
    assert not [path for path in files if path.parts[1] == "cli"]


# --- the asset buckets: the organization may read, nobody else --------------------------------------------
@pytest.mark.parametrize("region", SPOKE_REGIONS)
def test_each_asset_bucket_is_readable_by_the_organization_only(roll_out, region):
    template = roll_out.asset_stacks[region]
    (bucket_id,) = resources(template, "AWS::S3::Bucket")
    bucket = template["Resources"][bucket_id]
    assert bucket["Properties"]["BucketName"] == f"{ASSET_PREFIX}-{region}"
    (policy,) = resources(template, "AWS::S3::BucketPolicy").values()
    assert policy["Properties"]["Bucket"] == {"Ref": bucket_id}
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    allows = [statement for statement in statements if statement["Effect"] == "Allow"]
    assert allows == [
        {
            "Sid": "OrganizationReadsSpokeCode",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": "s3:GetObject",
            "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, "/*"]]},
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORGANIZATION_ID}},
        }
    ]
    (deny,) = [statement for statement in statements if statement["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


@pytest.mark.parametrize("region", SPOKE_REGIONS)
def test_each_asset_bucket_is_private_encrypted_and_never_deleted(roll_out, region):
    (bucket,) = resources(roll_out.asset_stacks[region], "AWS::S3::Bucket").values()
    assert bucket["Properties"]["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    encryption = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert encryption == [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
    # A deleted bucket's predictable name could be taken by anyone, and new accounts would run its code.
    assert (bucket["DeletionPolicy"], bucket["UpdateReplacePolicy"]) == ("Retain", "Retain")


# --- the spoke, for now the standalone stack's constructs ------------------------------------------------
def test_the_spoke_holds_the_constructs_of_a_deployment_named_after_the_stack(roll_out, spoke_template_json):
    """The seam (infra/stackset.py `spoke_stack_into`) composes a spoke's constructs: the same resources as
    a spoke deployed on its own, with the same names; a forwarder, no notifier of its own. (Lambda
    permissions are named after their construct path, which differs.)"""

    def kinds(template: dict[str, Any]) -> Counter[str]:
        return Counter(body["Type"] for body in template["Resources"].values())

    def named(template: dict[str, Any]) -> set[str]:
        return {name for name, body in template["Resources"].items() if body["Type"] != "AWS::Lambda::Permission"}

    assert kinds(roll_out.spoke) == kinds(spoke_template_json)
    assert named(roll_out.spoke) == named(spoke_template_json)
    assert "ForwarderFunction" in named(roll_out.spoke) and "NotifierFunction" not in named(roll_out.spoke)
    (bus,) = resources(roll_out.spoke, "AWS::Events::EventBus").values()
    assert bus["Properties"]["Name"] == "AutopilotReports"
    assert roll_out.spoke["Description"] == spoke_template_json["Description"]


# --- checks: cdk-nag ran in the synth; cfn-lint and the assembly readers ------------------------------------
def test_cdk_nag_has_no_unacknowledged_findings_in_the_roll_out(stackset_app):
    from cdk_nag import AwsSolutionsChecks

    report = AwsSolutionsChecks().validate_scope(stackset_app)
    findings = [(v.rule_name, [r.construct_path for r in v.violating_resources]) for v in report.violations]
    assert report.success and findings == []


def test_every_template_of_the_roll_out_is_linted_and_cfn_lint_finds_nothing(roll_out):
    linted = checks.templates(roll_out.outdir)
    assert linted == template_paths(roll_out.outdir)  # what `make synth` lints and `make lint` scans
    assert set(linted) == {*stack_templates(roll_out.outdir).values(), *asset_templates(roll_out.outdir)}
    assert len(linted) == len(SPOKE_REGIONS) + 2  # the buckets' stacks, the StackSet's stack, the spoke
    for template in linted:
        assert [str(match) for match in checks.lint(template)] == [], template.name


def test_the_stackset_template_is_found_through_its_stacks_asset_manifest(roll_out):
    (spoke,) = asset_templates(roll_out.outdir)
    assert spoke.name.endswith(".stackset.template.json")
    assert spoke not in stack_templates(roll_out.outdir).values()  # never deployed as a stack of its own


def test_the_hub_bus_the_spokes_send_to_is_named_in_the_stack_sets_description(roll_out):
    assert HUB_EVENT_BUS_ARN in the_stack_set(roll_out)["Properties"]["Description"]
