"""The coster in the stack (docs/design.md §4, `compute`): its stream mapping and filter, its settings, its
grants, and the context option `costing` that leaves it out."""

from __future__ import annotations

import json
from typing import Any

import pytest

from autopilot_reports import constants as shared
from autopilot_reports.settings import CosterSettings
from infra.config import StackConfig
from sandbox.stream_delivery import passes_filters
from sandbox.template import StreamMappingSpec
from tests.infra.helpers import get_att, grants, policy_statements_for_role, props, ref, resources
from tests.infra.test_wiring import COMMON_ENV


def test_the_coster_reads_the_stream_one_job_at_a_time_with_a_failure_queue(template_json):
    mapping = props(template_json, "CosterStreamMapping")
    assert mapping["EventSourceArn"] == get_att("ReportsTable", "StreamArn")
    assert mapping["FunctionName"] == ref("CosterFunction")
    assert (mapping["BatchSize"], mapping["ParallelizationFactor"]) == (1, 4)
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert (mapping["MaximumRetryAttempts"], mapping["MaximumRecordAgeInSeconds"]) == (5, 24 * 3600)
    assert mapping["DestinationConfig"] == {"OnFailure": {"Destination": get_att("CosterFailureQueue")}}
    assert "CosterRolePolicy" in template_json["Resources"]["CosterStreamMapping"]["DependsOn"]
    assert props(template_json, "CosterFunction")["Timeout"] == 300


def stream_record(event: str, sort_key: str, image: dict[str, Any]) -> dict[str, Any]:
    return {"eventName": event, "dynamodb": {"Keys": {"pk": {"S": "JOB#j"}, "sk": {"S": sort_key}}, "NewImage": image}}


def test_the_filter_passes_terminal_records_without_compute_and_costings_handed_on(template_json):
    mapping = props(template_json, "CosterStreamMapping")
    spec = StreamMappingSpec(
        "m", "t", "f", [item["Pattern"] for item in mapping["FilterCriteria"]["Filters"]], 1, 5, True, True, None
    )
    completed = {"status": {"S": "Completed"}, "notified_at": {"S": "2026-03-02T10:00:00.000Z"}}
    costed = {**completed, "compute": {"M": {"billable_seconds": {"N": "4651"}, "child_jobs": {"M": {}}}}}
    passes = {
        "a terminal commit": stream_record("MODIFY", "REPORT", completed),
        "a terminal insert (history)": stream_record("INSERT", "REPORT", {"status": {"S": "Stopped"}}),
        "a costing handed on": stream_record("INSERT", "COST", {"pieces": {"N": "1"}}),
        "the next piece": stream_record("MODIFY", "COST", {"pieces": {"N": "2"}}),
    }
    stopped = {
        "a running job": stream_record("MODIFY", "REPORT", {"status": {"S": "InProgress"}}),
        "the coster's own result": stream_record("MODIFY", "REPORT", costed),
        "a history item": stream_record("INSERT", "HISTORY#x", completed),
        "a cached price": stream_record("INSERT", "PRICE", {"hourly": {"N": "0.23"}}),
        "the progress removed": {**stream_record("REMOVE", "COST", {}), "eventName": "REMOVE"},
    }
    assert {name: passes_filters(record, spec) for name, record in passes.items()} == dict.fromkeys(passes, True)
    assert {name: passes_filters(record, spec) for name, record in stopped.items()} == dict.fromkeys(stopped, False)


def test_the_coster_knows_its_table_only(template_json):
    variables = props(template_json, "CosterFunction")["Environment"]["Variables"]
    assert variables == {**COMMON_ENV, "TABLE_NAME": ref("ReportsTable")}
    # like every function, it seals what it writes (its `compute`, which a spoke's forwarder sends on)
    assert CosterSettings.from_env({"TABLE_NAME": "t", "SEAL_ALIAS": "s"}) == CosterSettings(
        table_name="t", seal_alias="s"
    )


def test_the_coster_may_read_child_jobs_and_prices_and_write_its_own_items(template_json):
    granted = grants(policy_statements_for_role(template_json, "CosterRole"))
    assert set(granted) == {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "sagemaker:ListCandidatesForAutoMLJob",
        "pricing:GetProducts",
        "sagemaker:DescribeTrainingJob",
        "sagemaker:DescribeProcessingJob",
        "sagemaker:DescribeTransformJob",
        "dynamodb:BatchGetItem",
        "dynamodb:BatchWriteItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:ListStreams",
        "sqs:SendMessage",
        "kms:Decrypt",
        "kms:GenerateDataKey",
        "kms:GenerateMac",  # the seal key, derived once per process
    }
    assert granted["dynamodb:UpdateItem"] == [get_att("ReportsTable")]
    assert granted["kms:GenerateMac"] == [get_att("SealKey")]
    assert granted["pricing:GetProducts"] == ["*"]


def test_the_costing_option_is_on_by_default_and_parses_like_the_others():
    assert StackConfig().costing is True
    assert StackConfig.from_context({"costing": "false"}.get, keys=["costing"]).costing is False
    with pytest.raises(ValueError, match="did you mean costing"):
        StackConfig.from_context({}.get, keys=["costings"])


def test_costing_off_deploys_no_coster(tmp_path):
    from app import build_app

    app = build_app({"costing": "false"}, outdir=str(tmp_path))
    template = app.synth().get_stack_by_name(shared.DEFAULT_STACK_NAME).template
    coster = [name for name in template["Resources"] if name.startswith("Coster")]
    assert coster == []
    assert shared.OUTPUT_COSTER_FAILURE_QUEUE_URL not in template["Outputs"]
    mappings = resources(template, "AWS::Lambda::EventSourceMapping")
    assert sorted(mappings) == ["NotifierStreamMapping", "ReporterQueueMapping"]
    assert json.dumps(template).count("pricing:GetProducts") == 0


def test_jobs_are_costed_where_they_are_watched_a_spoke_as_a_standalone_stack_not_the_hub(
    spoke_template_json, hub_template_json, template_json
):
    """The coster describes child jobs in its own account: a spoke has the standalone stack's (role, filter
    and all); the hub holds what its spokes forward (domain/forwarder.py) and has none."""
    for name in ("CosterFunction", "CosterStreamMapping", "CosterFailureQueue", "CosterFailuresNotEmptyAlarm"):
        assert name in spoke_template_json["Resources"]
        assert not [logical_id for logical_id in hub_template_json["Resources"] if logical_id.startswith("Coster")]
    assert policy_statements_for_role(spoke_template_json, "CosterRole") == policy_statements_for_role(
        template_json, "CosterRole"
    )
    assert (
        props(spoke_template_json, "CosterStreamMapping")["FilterCriteria"]
        == props(template_json, "CosterStreamMapping")["FilterCriteria"]
    )
    assert shared.OUTPUT_COSTER_FAILURE_QUEUE_URL in spoke_template_json["Outputs"]
    assert shared.OUTPUT_COSTER_FAILURE_QUEUE_URL not in hub_template_json["Outputs"]


def test_costing_off_deploys_no_coster_in_a_spoke_either(tmp_path):
    from app import build_app
    from tests.conftest import ORGANIZATION_CONTEXT

    app = build_app({**ORGANIZATION_CONTEXT, "costing": "false"}, outdir=str(tmp_path))
    for stack in app.synth().stacks:
        assert not [name for name in stack.template["Resources"] if name.startswith("Coster")], stack.stack_name
