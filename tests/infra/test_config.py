"""CDK context is validated at synth with errors that say what to fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infra import constants as c
from infra.config import ConfigError, OutputLocation, StackConfig, looks_like_ours, unknown_context_keys

ROOT = Path(__file__).resolve().parents[2]


def config(**context) -> StackConfig:
    return StackConfig.from_context(context.get)


def test_defaults():
    cfg = config()
    assert cfg.schedule_rate_minutes == 1
    assert cfg.notify_statuses == ("Completed", "Failed", "Stopped")
    assert cfg.top_features == 10
    assert cfg.analysis_max_bytes == 20 * 1024 * 1024
    assert cfg.output_locations == ("sagemaker-${AWS::Region}-${AWS::AccountId}",)
    assert cfg.log_retention_days == 30
    assert cfg.retain is True
    assert cfg.child_job_nudges is False
    assert cfg.slack_enabled is False
    assert cfg.notification_emails == () and cfg.operator_emails == ()
    assert cfg.stack_name == "AutopilotReports"
    assert cfg.leaderboard_size == 5
    assert cfg.import_pages_per_piece == 10
    assert cfg.watcher_reserved_concurrency is None
    assert cfg.output_kms_keys == ()
    assert cfg.powertools_layer_arn is None
    assert cfg.teams_enabled is False


def test_cdk_json_documents_exactly_the_defaults():
    cdk_json = json.loads((ROOT / "cdk.json").read_text())
    context = {k: v for k, v in cdk_json["context"].items() if looks_like_ours(k)}
    aliases = {field.alias for field in StackConfig.model_fields.values()}
    assert set(context) == aliases == set(StackConfig.context_keys())
    assert StackConfig.from_context(context.get) == config()
    assert cdk_json["app"] == ".venv/bin/python app.py"


def test_command_line_text_is_decoded():
    cfg = config(
        scheduleRateMinutes="5",
        topFeatures="20",
        childJobNudges="true",
        notifyStatuses="Failed, Completed",
        notificationEmails='[{"address": "a@example.com", "filterPolicy": {"status": ["Failed"]}}, "b@example.com"]',
        operatorEmails="ops@example.com,sre@example.com",
        autopilotOutputLocations='["s3://bucket-one/some/prefix/", "bucket-two"]',
        removalPolicy="DESTROY",
        slackWorkspaceId="",
        slackChannelId="",
        stackName="AutopilotReportsStaging",
        leaderboardSize="0",
        importPagesPerPiece="50",
        watcherReservedConcurrency="3",
        autopilotOutputKmsKeys='["arn:aws:kms:eu-west-1:123456789012:key/mrk-0123456789abcdef"]',
        powertoolsLayerArn="arn:aws-cn:lambda:cn-northwest-1:123456789012:layer:AWSLambdaPowertoolsPythonV3:9",
        teamsTeamId="01234567-89ab-cdef-0123-456789abcdef",
        teamsChannelId="19:b6ef35dc342d56ba5654e6fc6d25a071@thread.tacv2",
        teamsTenantId="fedcba98-7654-3210-fedc-ba9876543210",
    )
    assert cfg.schedule_rate_minutes == 5 and cfg.top_features == 20 and cfg.child_job_nudges is True
    assert cfg.notify_statuses == ("Completed", "Failed")  # canonical order
    assert [s.address for s in cfg.notification_emails] == ["a@example.com", "b@example.com"]
    assert cfg.notification_emails[0].filter_policy == {"status": ("Failed",)}
    assert cfg.operator_emails == ("ops@example.com", "sre@example.com")
    assert cfg.output_locations == ("bucket-one/some/prefix", "bucket-two")
    assert cfg.output_location_parts == (OutputLocation("bucket-one", "some/prefix"), OutputLocation("bucket-two", ""))
    assert cfg.removal_policy == "destroy" and not cfg.slack_enabled
    assert cfg.stack_name == "AutopilotReportsStaging"
    assert (cfg.leaderboard_size, cfg.import_pages_per_piece, cfg.watcher_reserved_concurrency) == (0, 50, 3)
    assert cfg.output_kms_keys == ("arn:aws:kms:eu-west-1:123456789012:key/mrk-0123456789abcdef",)
    assert cfg.powertools_layer_arn.startswith("arn:aws-cn:lambda:cn-northwest-1:")
    assert cfg.teams_enabled
    assert cfg.teams_channel_id == "19%3Ab6ef35dc342d56ba5654e6fc6d25a071%40thread.tacv2"  # as Chatbot takes it


def test_blank_optional_values_mean_unset():
    cfg = config(watcherReservedConcurrency="", powertoolsLayerArn=" ", teamsTeamId="", autopilotOutputKmsKeys="")
    assert cfg.watcher_reserved_concurrency is None and cfg.powertools_layer_arn is None
    assert not cfg.teams_enabled and cfg.output_kms_keys == ()


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"notificationEmails": ["not-an-address"]}, "'not-an-address' is not an e-mail address"),
        ({"notificationEmails": [{"address": "a@example.com", "extra": 1}]}, "notificationEmails.0.extra"),
        ({"notificationEmails": ["a@example.com", "A@example.com"]}, "listed more than once"),
        ({"operatorEmails": ["ops@"]}, "'ops@' is not an e-mail address"),
        ({"slackWorkspaceId": "T0123ABCD"}, "set both slackWorkspaceId and slackChannelId"),
        ({"slackChannelId": "C0123ABCD"}, "set both slackWorkspaceId and slackChannelId"),
        ({"slackWorkspaceId": "t-lower", "slackChannelId": "C1"}, "is not a Slack workspace id"),
        ({"scheduleRateMinutes": 0}, "scheduleRateMinutes: Input should be greater than or equal to 1"),
        ({"scheduleRateMinutes": 361}, "scheduleRateMinutes: Input should be less than or equal to 360"),
        ({"scheduleRateMinutes": "often"}, "scheduleRateMinutes: Input should be a valid integer"),
        ({"notifyStatuses": ["Completed", "InProgress"]}, "unknown status ['InProgress']"),
        ({"notifyStatuses": []}, "name at least one of"),
        ({"topFeatures": 0}, "topFeatures: Input should be greater than or equal to 1"),
        ({"topFeatures": 101}, "topFeatures: Input should be less than or equal to 100"),
        ({"analysisMaxBytes": 10}, "analysisMaxBytes: Input should be greater than or equal to 1024"),
        ({"jobNamePrefix": "bad_prefix"}, "cannot start an AutoML job name"),
        ({"autopilotOutputLocations": ["Not_A_Bucket"]}, "does not start with an S3 bucket name"),
        ({"autopilotOutputLocations": ["bucket/out/*"]}, "may not contain wildcards"),
        ({"autopilotOutputLocations": []}, "name at least one bucket"),
        ({"autopilotOutputLocations": "[broken"}, "is not valid JSON"),
        ({"logRetentionDays": 31}, "31 is not a CloudWatch Logs retention"),
        ({"removalPolicy": "keep"}, "removalPolicy: Input should be 'retain' or 'destroy'"),
        ({"childJobNudges": "maybe"}, "childJobNudges: Input should be a valid boolean"),
        ({"stackName": "1stack"}, "is not a usable stack name"),
        ({"stackName": "my_stack"}, "is not a usable stack name"),
        ({"stackName": "A" * 101}, "at most 100 characters"),
        ({"leaderboardSize": -1}, "leaderboardSize: Input should be greater than or equal to 0"),
        ({"leaderboardSize": 21}, "leaderboardSize: Input should be less than or equal to 20"),
        ({"importPagesPerPiece": 0}, "importPagesPerPiece: Input should be greater than or equal to 1"),
        ({"importPagesPerPiece": 51}, "importPagesPerPiece: Input should be less than or equal to 50"),
        ({"watcherReservedConcurrency": 0}, "watcherReservedConcurrency: Input should be greater than or equal to 1"),
        ({"watcherReservedConcurrency": "lots"}, "watcherReservedConcurrency: Input should be a valid integer"),
        ({"autopilotOutputKmsKeys": ["arn:aws:kms:us-east-1:123456789012:alias/s3"]}, "is not a KMS key ARN"),
        ({"autopilotOutputKmsKeys": "1234abcd-12ab-34cd-56ef-1234567890ab"}, "is not a KMS key ARN"),
        (
            {
                "autopilotOutputKmsKeys": [
                    "arn:aws:kms:us-east-1:123456789012:key/abc",
                    "arn:aws:kms:us-east-1:123456789012:key/abc",
                ]
            },
            "listed more than once",
        ),
        ({"powertoolsLayerArn": "arn:aws:lambda:us-east-1:123456789012:function:x"}, "is not a Lambda layer version"),
        ({"powertoolsLayerArn": "arn:aws:lambda:us-east-1:123456789012:layer:p"}, "is not a Lambda layer version"),
        ({"teamsTeamId": "01234567-89ab-cdef-0123-456789abcdef"}, "set all of teamsTeamId, teamsChannelId and"),
        (
            {
                "teamsTeamId": "not-a-uuid",
                "teamsChannelId": "19%3aabc%40thread.tacv2",
                "teamsTenantId": "fedcba98-7654-3210-fedc-ba9876543210",
            },
            "'not-a-uuid' is not a Microsoft Teams id",
        ),
        (
            {
                "teamsTeamId": "01234567-89ab-cdef-0123-456789abcdef",
                "teamsChannelId": "general",
                "teamsTenantId": "fedcba98-7654-3210-fedc-ba9876543210",
            },
            "'general' is not a Microsoft Teams channel id",
        ),
        (
            {"notificationEmails": [{"address": "a@example.com", "filterPolicy": {"severity": ["high"]}}]},
            "cannot filter on 'severity'",
        ),
        (
            {"notificationEmails": [{"address": "a@example.com", "filterPolicy": {"has_partial_failures": ["yes"]}}]},
            "values ['yes'] are never published",
        ),
        (
            {"notificationEmails": [{"address": "a@example.com", "filterPolicy": {"explainability_state": []}}]},
            "needs a non-empty list",
        ),
        (
            {
                "notifyStatuses": ["Failed"],
                "notificationEmails": [{"address": "a@example.com", "filterPolicy": {"status": ["Completed"]}}],
            },
            "filters on status ['Completed'], which notifyStatuses ['Failed'] never notifies",
        ),
    ],
)
def test_invalid_context_is_rejected_with_a_clear_message(context, message):
    with pytest.raises(ConfigError) as error:
        config(**context)
    text = str(error.value)
    assert text.startswith("Invalid CDK context for the autopilot-reports stack")
    assert message in text, text


def test_every_problem_is_reported_at_once():
    with pytest.raises(ConfigError) as error:
        config(topFeatures=0, logRetentionDays=2, operatorEmails=["x"])
    assert len(str(error.value).splitlines()) == 4


def test_retention_values_match_cloudwatch_logs(tmp_path):
    """cfn-lint (CloudFormation's resource schema) accepts exactly the values the config allows."""
    from infra import checks

    def lint(days: list[int]) -> list[str]:
        template = {
            "Resources": {
                f"Logs{n}": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": n}} for n in days
            }
        }
        path = tmp_path / "retention.json"
        path.write_text(json.dumps(template), encoding="utf-8")
        return [m.rule.id for m in checks.errors(checks.lint(path, ["us-east-1"]))]

    assert lint(list(c.VALID_LOG_RETENTION_DAYS)) == []
    assert lint([2, 31]) != []


def test_build_app_refuses_bad_context_before_synth():
    from app import build_app

    with pytest.raises(ConfigError, match="set both slackWorkspaceId and slackChannelId"):
        build_app({"slackWorkspaceId": "T0123ABCD"})


def config_with_keys(**context) -> StackConfig:
    """As the app builds it: the getter and every key present in the context."""
    return StackConfig.from_context(context.get, keys=context)


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("scheduleRate", "unknown context key 'scheduleRate': did you mean scheduleRateMinutes?"),
        ("notificationEmail", "unknown context key 'notificationEmail': did you mean notificationEmails?"),
        ("notificationemails", "unknown context key 'notificationemails': did you mean notificationEmails?"),
        ("stackname", "unknown context key 'stackname': did you mean stackName?"),
        ("slackChannel", "unknown context key 'slackChannel': did you mean slackChannelId?"),
        ("xyzzy", "unknown context key 'xyzzy'; the stack reads accountNames, analysisMaxBytes, autopilotOutputKmsKeys"),
    ],
)
def test_an_unknown_key_fails_and_names_the_closest_known_one(key, message):
    with pytest.raises(ConfigError) as error:
        config_with_keys(**{key: "5"})
    text = str(error.value)
    assert text.startswith("Invalid CDK context for the autopilot-reports stack")
    assert f"  - {message}" in text, text


def test_the_keys_cdk_itself_puts_in_the_context_are_not_ours():
    """What `npx cdk synth` and cdk.json add beside our keys (printed from app.node.get_all_context())."""
    cdk_keys = {
        "@aws-cdk/core:enablePartitionLiterals": True,
        "@aws-cdk-containers/ecs-service-extensions:enableDefaultLogDriver": True,
        "aws:cdk:enable-path-metadata": True,
        "aws:cdk:enable-asset-metadata": True,
        "aws:cdk:disable-version-reporting": True,
        "aws:cdk:bundling-stacks": ["**"],
        "cli-telemetry": False,
        "acknowledged-issue-numbers": [32775],
        "availability-zones:account=123456789012:region=eu-west-1": ["eu-west-1a"],
    }
    assert unknown_context_keys(cdk_keys) == []
    assert config_with_keys(**cdk_keys, topFeatures=20).top_features == 20


def test_unknown_keys_and_invalid_values_are_reported_together():
    with pytest.raises(ConfigError) as error:
        config_with_keys(scheduleRate="5", notificationEmail="a@example.com", topFeatures=0)
    lines = str(error.value).splitlines()
    assert lines[1:] == [
        "  - unknown context key 'notificationEmail': did you mean notificationEmails?",
        "  - unknown context key 'scheduleRate': did you mean scheduleRateMinutes?",
        "  - topFeatures: Input should be greater than or equal to 1 (got 0)",
    ]


def test_build_app_refuses_an_unknown_key():
    from app import build_app

    with pytest.raises(ConfigError, match="did you mean leaderboardSize"):
        build_app({"leaderboardSise": "3"})


def test_the_cdk_cli_prints_a_typo_as_one_message_without_a_traceback(tmp_path):
    """The real CLI: `-c scheduleRate=5` fails the synth with the message, and no Python traceback."""
    import os
    import subprocess

    run = subprocess.run(
        ["npx", "cdk", "synth", "--quiet", "--no-notices", "-o", str(tmp_path), "-c", "scheduleRate=5"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "CDK_DISABLE_CLI_TELEMETRY": "true"},
        timeout=300,
        check=False,
    )
    assert run.returncode != 0
    assert "unknown context key 'scheduleRate': did you mean scheduleRateMinutes?" in run.stderr
    assert "Traceback" not in run.stderr + run.stdout
