"""The HMAC key the stack seals its writes with, so the notifier sends only what the stack committed
(lambdas/autopilot_reports/domain/seal.py)."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra import constants as c
from infra.checkov import acknowledge_checkov
from infra.ids import pin_logical_id

# What the account (through IAM) may do with the key: administer it, never use it. kms:CreateGrant is left
# out (a grant could hand GenerateMac to anyone); kms:PutKeyPolicy stays, as KMS requires of a key policy,
# so changing who may seal is a key-policy change, visible in CloudTrail.
ADMINISTRATION = (
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:EnableKey",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListAliases",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:RetireGrant",
    "kms:RevokeGrant",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
)


class SealKeyConstruct(Construct):
    """An HMAC_256 KMS key (GENERATE_VERIFY_MAC) and its alias.

    Each function derives the seal key once per process: GenerateMac of one fixed message
    (constants.SEAL_KEY_MESSAGE). The key policy does not delegate the key's use to IAM: only the roles
    added with `allow` may call GenerateMac (HMAC_SHA_256 only), so an administrator with kms:* on "*" in
    IAM cannot mint a seal without first changing this policy. KMS keeps the key material; nothing is
    stored. HMAC keys do not rotate (KMS rotates symmetric encryption keys only): the key is replaced by a
    new stack resource, which starts a new key for every seal (claims committed under the old one and not
    yet sent would be refused, so replace it when the notifier's stream is drained).
    """

    def __init__(self, scope: Construct, construct_id: str, *, alias_name: str, retain: bool) -> None:
        super().__init__(scope, construct_id)
        # The roles that may use the key join this statement (`allow`) before the template is written.
        self._use = iam.PolicyStatement(
            sid="SealedByTheStacksFunctionsOnly",
            actions=["kms:GenerateMac"],
            resources=["*"],
            conditions={"StringEquals": {"kms:MacAlgorithm": c.SEAL_MAC_ALGORITHM}},
        )
        self.policy = iam.PolicyDocument(
            statements=[
                iam.PolicyStatement(
                    sid="AdministeredByTheAccountNeverUsed",
                    principals=[iam.AccountRootPrincipal()],
                    actions=list(ADMINISTRATION),
                    resources=["*"],
                ),
                self._use,
            ]
        )
        self.key = kms.CfnKey(
            self,
            "Key",
            description="autopilot-reports: seals the stack's writes, so only what it committed is notified",
            key_spec="HMAC_256",
            key_usage="GENERATE_VERIFY_MAC",
            key_policy=self.policy,
            pending_window_in_days=30 if retain else 7,
        )
        self.key.apply_removal_policy(cdk.RemovalPolicy.RETAIN if retain else cdk.RemovalPolicy.DESTROY)
        pin_logical_id(self.key, "SealKey")
        self.alias = kms.CfnAlias(self, "Alias", alias_name=alias_name, target_key_id=self.key.ref)
        pin_logical_id(self.alias, "SealKeyAlias")
        acknowledge_checkov(
            self.key,
            "CKV_AWS_7",
            "An HMAC key (GENERATE_VERIFY_MAC): KMS rotates symmetric encryption keys only, and an HMAC key "
            "cannot be rotated; it derives the seal key each function uses and protects no stored data.",
        )

    @property
    def key_arn(self) -> str:
        return self.key.attr_arn

    @property
    def alias_name(self) -> str:
        """What the functions name the key by (SEAL_ALIAS): a Ref, so CloudFormation creates it first."""
        return self.alias.ref

    def allow(self, role: iam.IRole) -> None:
        """`role` may derive the seal key: named in the key policy, and granted GenerateMac on this key."""
        self._use.add_arn_principal(role.role_arn)
        role.add_to_principal_policy(iam.PolicyStatement(actions=["kms:GenerateMac"], resources=[self.key_arn]))
