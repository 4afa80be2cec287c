"""The organization roll-out (the `stackset` plan): one deploy puts a spoke in every account of the target
organizational units, in every target region, and in every account that joins them later.

Deployed from the organization's management account or a CloudFormation StackSets delegated
administrator (`stackSetCallAs`). Two kinds of stack, one app (cdklabs' cdk-stacksets does the StackSet's
own work):

- `<stackName>SpokeAssets-<region>`, one per target region: the bucket the spokes' Lambda code is read
  from in that region (Lambda takes code only from a bucket in the function's own region). Its policy lets
  principals of the organization, and nobody else, read objects (aws:PrincipalOrgID), which is how a
  stack instance in any member account can create its functions. Deployed first (a dependency).
- `<stackName>Spokes`: the service-managed StackSet itself (auto-deployment on), whose template is the
  spoke (`spoke_stack_into`), and the copies of the spoke's code assets into every region's bucket.

A service-managed StackSet never deploys to the management account itself: an account that runs AutoML
there deploys the spoke directly (docs/deploy.md, section 16).
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from cdk_stacksets import (
    Capability,
    DeploymentType,
    OperationPreferences,
    RegionConcurrencyType,
    StackSet,
    StackSetStack,
    StackSetTarget,
    StackSetTemplate,
)
from constructs import Construct, IConstruct

from infra import constants as c
from infra.checkov import acknowledge_checkov
from infra.ids import pin_logical_id
from infra.nag import acknowledge, iam5_action, iam5_resource
from infra.plans import DeploymentPlan, spoke_plan
from infra.stack import DeploymentComposition

ASSET_BUCKET_ID = "SpokeAssetBucket"
STACK_SET_ID = "StackSet"
SPOKE_ID = "Spoke"


def spoke_stack_into(scope: StackSetStack, plan: DeploymentPlan) -> None:
    """The spoke's constructs, composed into the StackSet's template: the one seam between the roll-out
    and what it rolls out (a spoke deployed on its own holds the same)."""
    DeploymentComposition(scope, plan)


def asset_bucket_name(plan: DeploymentPlan, region: str) -> str:
    """cdk-stacksets reads a spoke's code from `<prefix>-<region>` in the region the spoke runs in."""
    return f"{plan.config.asset_bucket_prefix}-{region}"


class SpokeAssetsStack(cdk.Stack):
    """One target region's asset bucket, readable by the organization only. The bucket is always retained:
    its name is predictable, and a deleted one could be created again by anyone, after which a new account
    joining an OU would take its spoke's code from a stranger's bucket."""

    def __init__(self, scope: Construct, *, plan: DeploymentPlan, region: str) -> None:
        config = plan.config
        super().__init__(
            scope,
            f"{config.stack_name}{c.ASSET_BUCKETS_STACK_SUFFIX}-{region}",
            env=cdk.Environment(region=region),
            description=f"{c.STACK_DESCRIPTION}: the spokes' code in {region}, for the StackSet {plan.stack_name}",
            analytics_reporting=False,
        )
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            bucket_name=asset_bucket_name(plan, region),
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        pin_logical_id(self.bucket, ASSET_BUCKET_ID)
        acknowledge(
            self.bucket,
            "AwsSolutions-S1",
            "No server access logs: the bucket holds only copies of the spokes' public-to-the-organization "
            "code, written by this account's CloudFormation and read by member accounts' StackSet roles; "
            "CloudTrail records who changes it, and a log bucket per region would cost more than it tells.",
        )
        acknowledge_checkov(
            self.bucket,
            "CKV_AWS_18",
            "No access logs, as for cdk-nag's S1: the bucket holds copies of the spokes' code only, and "
            "CloudTrail records every change to it; a log bucket per region would cost more than it tells.",
        )
        acknowledge_checkov(
            self.bucket,
            "CKV_AWS_21",
            "No versioning: every object is named by the hash of its content and written only by the deploy's "
            "copy, never changed in place; the objects of earlier deploys stay (the copy never prunes).",
        )
        assert config.stack_set_organization_id is not None  # config: the roll-out names its organization
        # Lambda reads a function's code as the principal that creates it: in a stack instance, the
        # StackSet's execution role in the member account, a principal of the organization.
        self.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="OrganizationReadsSpokeCode",
                actions=["s3:GetObject"],
                resources=[self.bucket.arn_for_objects("*")],
                principals=[iam.OrganizationPrincipal(config.stack_set_organization_id)],
            )
        )


class SpokesStackSetStack(cdk.Stack):
    """The service-managed StackSet that deploys the spoke to `spokeOrganizationalUnitIds` in
    `spokeRegions`, with auto-deployment: an account that joins a target OU gets its spoke, and one that
    leaves it loses the spoke's stack (the spoke's own retained resources stay, as `removalPolicy` says)."""

    def __init__(self, scope: Construct, *, plan: DeploymentPlan, asset_stacks: dict[str, SpokeAssetsStack]) -> None:
        config = plan.config
        super().__init__(
            scope,
            plan.stack_name,
            description=f"{c.STACK_DESCRIPTION}: the spokes of an organization, rolled out by a StackSet",
            analytics_reporting=False,
        )
        self.plan = plan
        # Imported by name, not referenced: the buckets live in other regions, and a name costs no
        # cross-region export. The dependency deploys them first.
        buckets: list[s3.IBucket] = []
        for region, assets in asset_stacks.items():
            buckets.append(s3.Bucket.from_bucket_name(self, f"AssetBucket-{region}", asset_bucket_name(plan, region)))
            self.add_stack_dependency(assets, f"the spokes' code is copied into {region}'s asset bucket")
        self.spoke = StackSetStack(
            self, SPOKE_ID, asset_buckets=buckets, asset_bucket_prefix=config.asset_bucket_prefix
        )
        self.spoke.template_options.description = c.STACK_DESCRIPTION
        spoke_stack_into(self.spoke, spoke_plan(config))
        self.stack_set = StackSet(
            self,
            STACK_SET_ID,
            stack_set_name=plan.stack_name,
            description=f"{c.STACK_DESCRIPTION}: one spoke per account and region, sending to {config.hub_event_bus_arn}",
            template=StackSetTemplate.from_stack_set_stack(self.spoke),
            target=StackSetTarget.from_organizational_units(
                regions=list(config.spoke_regions), organizational_units=list(config.spoke_organizational_unit_ids)
            ),
            deployment_type=DeploymentType.service_managed(
                auto_deploy_enabled=True,
                auto_deploy_retain_stacks=False,
                delegated_admin=config.stack_set_call_as == "DELEGATED_ADMIN",
            ),
            capabilities=[Capability.IAM],
            operation_preferences=OperationPreferences(
                region_concurrency_type=RegionConcurrencyType.PARALLEL,
                max_concurrent_percentage=c.STACK_SET_MAX_CONCURRENT_PERCENTAGE,
                failure_tolerance_percentage=c.STACK_SET_FAILURE_TOLERANCE_PERCENTAGE,
            ),
        )
        pin_logical_id(self.stack_set, STACK_SET_ID)
        tidy_bucket_deployment(self, [asset_bucket_name(plan, region) for region in asset_stacks])


def tidy_bucket_deployment(stack: cdk.Stack, asset_buckets: list[str]) -> None:
    """cdk-stacksets copies the spoke's code with CDK's BucketDeployment: one function per stack, with its
    role, policy and log group, all aws-cdk-lib's own. Not ours to change, so their findings are
    acknowledged here with what they do; and the function depends on its policy alone (its `Role: GetAtt`
    implies the role: cfn-lint W3005), as ours do."""
    (function,) = [
        child
        for child in stack.node.children
        if child.node.id.startswith("Custom::CDKBucketDeployment") and isinstance(child, lambda_.Function)
    ]
    assert function.role is not None
    policy = function.role.node.find_child("DefaultPolicy")
    function_resource, policy_resource = function.node.default_child, policy.node.default_child
    assert isinstance(function_resource, cdk.CfnResource) and isinstance(policy_resource, cdk.CfnResource)
    function_resource.add_override("DependsOn", [stack.get_logical_id(policy_resource)])
    _acknowledge_bucket_deployment_nag(function, policy, asset_buckets)
    _acknowledge_bucket_deployment_checkov(function)


def _acknowledge_bucket_deployment_nag(
    function: lambda_.Function, policy: IConstruct, asset_buckets: list[str]
) -> None:
    acknowledge(
        function,
        "AwsSolutions-L1",
        "CDK's BucketDeployment handler (aws-cdk-lib's own code, with its AWS CLI layer) runs on the runtime "
        "that aws-cdk-lib pins for it; it runs at deploy time only, to copy the spokes' code.",
    )
    assert function.role is not None
    acknowledge(
        function.role,
        "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
        "CDK's BucketDeployment gives its deploy-time function AWSLambdaBasicExecutionRole to write its "
        "logs; it is aws-cdk-lib's own construct, used here by cdk-stacksets.",
    )
    copy = (
        "CDK's BucketDeployment (grantRead on the source, grantReadWrite on each destination) copies the "
        "spoke's code from the CDK bootstrap bucket into each region's asset bucket"
    )
    for action in ("s3:GetBucket*", "s3:GetObject*", "s3:List*", "s3:Abort*", "s3:DeleteObject*"):
        acknowledge(policy, iam5_action(action), f"{copy}: {action} is how CDK writes that grant.")
    qualifier = cdk.DefaultStackSynthesizer.DEFAULT_QUALIFIER
    acknowledge(
        policy,
        iam5_resource(f"arn:<AWS::Partition>:s3:::cdk-{qualifier}-assets-<AWS::AccountId>-<AWS::Region>/*"),
        f"{copy}: it reads the code from this account's bootstrap bucket, where `cdk deploy` published it.",
    )
    for bucket in asset_buckets:
        acknowledge(
            policy,
            iam5_resource(f"arn:<AWS::Partition>:s3:::{bucket}/*"),
            f"{copy}: it writes the code, named by its content hash, into {bucket}.",
        )


def _acknowledge_bucket_deployment_checkov(function: lambda_.Function) -> None:
    why = "CDK's BucketDeployment function (aws-cdk-lib's own, used by cdk-stacksets) runs only while CloudFormation deploys"
    acknowledge_checkov(
        function,
        "CKV_AWS_116",
        f"{why}: CloudFormation invokes it synchronously as a custom resource, so a DLQ never applies.",
    )
    acknowledge_checkov(function, "CKV_AWS_117", f"{why}, and calls only S3 over TLS: a VPC would protect nothing.")
    acknowledge_checkov(function, "CKV_AWS_115", f"{why}, once per deploy: a concurrency limit would only slow it.")
    acknowledge_checkov(
        function, "CKV_AWS_173", f"{why}; its environment holds only AWS_CA_BUNDLE, a file path, no secret."
    )
    (log_group,) = [child for child in function.node.children if isinstance(child, logs.LogGroup)]
    acknowledge_checkov(
        log_group,
        "CKV_AWS_158",
        f"{why}; its log group holds the copy's own lines (object keys, no data), so a customer-managed key "
        "(a fixed monthly cost in the account rolling spokes out) would protect nothing.",
    )


def build_roll_out(scope: Construct, plan: DeploymentPlan) -> SpokesStackSetStack:
    """The stacks of a `stackset` plan: each region's asset bucket, then the StackSet."""
    asset_stacks = {region: SpokeAssetsStack(scope, plan=plan, region=region) for region in plan.config.spoke_regions}
    return SpokesStackSetStack(scope, plan=plan, asset_stacks=asset_stacks)
