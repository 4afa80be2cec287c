"""From the CDK context to each function's settings with no forwarding by hand, and the deployment plans
the app builds its stacks from. No synth: the models alone."""

from __future__ import annotations

import pytest

from autopilot_reports.settings import (
    ForwarderSettings,
    FunctionSettings,
    HubRecorderSettings,
    NotifierSettings,
    ReporterSettings,
    SpokeMonitorSettings,
    WatcherSettings,
)
from infra.config import StackConfig
from infra.plans import DeploymentPlan, deployment_plans
from tests.infra.conftest import FULL_CONTEXT

MODELS = (
    WatcherSettings,
    ReporterSettings,
    NotifierSettings,
    ForwarderSettings,
    HubRecorderSettings,
    SpokeMonitorSettings,
)
# What the stack makes and gives a function by name, and what its plan decides (a spoke's heartbeat, a
# hub's messages); every other setting is a context key.
RESOURCES = {"table_name", "event_bus_name", "report_queue_url", "topic_arn", "seal_alias", "heartbeat_minutes", "organization"}
SEAL = {"seal_alias": "<seal>"}  # every function's


def full_config() -> StackConfig:
    return StackConfig.from_context(FULL_CONTEXT.get)


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_every_setting_is_a_context_key_or_a_resource_of_the_stack(model):
    """A setting added to a model without its context key would stay at its default forever."""
    from_config = set(model.model_fields) & set(StackConfig.model_fields)
    assert set(model.model_fields) - from_config <= RESOURCES
    assert not from_config & RESOURCES


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_a_setting_has_one_default_for_the_stack_and_the_function(model):
    for name in set(model.model_fields) & set(StackConfig.model_fields):
        assert StackConfig.model_fields[name].default == model.model_fields[name].default, name


def test_shared_fields_are_carried_over_from_the_configuration():
    config = full_config()
    watcher = config.function_settings(WatcherSettings, table_name="<table>", event_bus_name="<bus>", **SEAL)
    reporter = config.function_settings(ReporterSettings, table_name="<table>", **SEAL)
    assert watcher == WatcherSettings(
        **SEAL,
        table_name="<table>",
        event_bus_name="<bus>",
        job_name_prefix="team-a-",
        import_pages_per_piece=3,
        job_family_pattern=r"^team-a-(\w+)-\d+$",
        stuck_after_minutes=0,
        digest_period_hours=48,
    )
    assert reporter == ReporterSettings(
        **SEAL,
        table_name="<table>",
        top_features=25,
        analysis_max_bytes=10 * 1024 * 1024,
        notify_statuses=("Completed", "Failed"),
        leaderboard_size=0,
        job_family_pattern=r"^team-a-(\w+)-\d+$",
    )
    notifier = config.function_settings(NotifierSettings, topic_arn="<topic>", **SEAL)
    assert notifier == NotifierSettings(topic_arn="<topic>", **SEAL)


def test_a_new_setting_needs_no_forwarding():
    """The hypothetical `costing` flag of docs/decision_log.md: a field of the model and of the config."""

    class CostingReporterSettings(FunctionSettings):
        table_name: str
        costing: bool = False

    class CostingConfig(StackConfig):
        costing: bool = False

    config = CostingConfig.model_validate({"costing": "true"})
    settings = config.function_settings(CostingReporterSettings, table_name="<table>", **SEAL)
    assert settings.to_env() == {"SEAL_ALIAS": "<seal>", "TABLE_NAME": "<table>", "COSTING": "true"}


def test_a_resource_cannot_hide_a_configured_setting():
    with pytest.raises(TypeError, match=r"\['top_features'\] come from the configuration"):
        full_config().function_settings(ReporterSettings, table_name="t", top_features="3", **SEAL)


def test_a_missing_resource_fails_the_synth():
    with pytest.raises(ValueError, match="event_bus_name"):
        full_config().function_settings(WatcherSettings, table_name="t", **SEAL)


def test_one_standalone_plan_named_by_the_context():
    config = full_config()
    assert deployment_plans(config) == (DeploymentPlan(kind="standalone", stack_name=config.stack_name, config=config),)
    plan = deployment_plans(config)[0]
    with pytest.raises(AttributeError):
        plan.kind = "hub"
