"""Each function's settings model: what the stack writes into the environment is what the function reads
back, a missing required variable fails on first use naming it, and the variable names are today's."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from autopilot_reports.settings import (
    ForwarderSettings,
    FunctionSettings,
    HubRecorderSettings,
    NotifierSettings,
    ReporterSettings,
    SettingsError,
    SpokeMonitorSettings,
    WatcherSettings,
    get_settings,
)

# The functions' environment contract, as deployed stacks have it (the stack writes these names).
ENV_NAMES = {
    WatcherSettings: [
        "SEAL_ALIAS",
        "TABLE_NAME",
        "EVENT_BUS_NAME",
        "JOB_NAME_PREFIX",
        "WATERMARK_OVERLAP_SECONDS",
        "IMPORT_PAGES_PER_PIECE",
        "JOB_FAMILY_PATTERN",
        "STUCK_AFTER_MINUTES",
        "DIGEST_PERIOD_HOURS",
        "REPORT_QUEUE_URL",
    ],
    ReporterSettings: [
        "SEAL_ALIAS",
        "TABLE_NAME",
        "TOP_FEATURES",
        "ANALYSIS_MAX_BYTES",
        "NOTIFY_STATUSES",
        "LEADERBOARD_SIZE",
        "JOB_FAMILY_PATTERN",
    ],
    NotifierSettings: ["SEAL_ALIAS", "TOPIC_ARN"],
    # an organization's functions (issue 20)
    ForwarderSettings: ["SEAL_ALIAS", "EVENT_BUS_NAME"],
    HubRecorderSettings: ["SEAL_ALIAS", "TABLE_NAME", "ACCOUNT_NAMES", "NOTIFY_STATUSES"],
    SpokeMonitorSettings: [
        "SEAL_ALIAS",
        "TABLE_NAME",
        "SPOKE_SILENT_AFTER_MINUTES",
        "STUCK_AFTER_MINUTES",
        "DIGEST_PERIOD_HOURS",
    ],
}
# Settings an organization added to the standalone functions: left out of the environment at their default,
# so a standalone stack's functions keep the environment above.
ADDED_FOR_AN_ORGANIZATION = {WatcherSettings: ["HEARTBEAT_MINUTES"], NotifierSettings: ["ORGANIZATION"]}
SEAL = {"seal_alias": "alias/reports-seal"}  # every function's
REQUIRED = {
    WatcherSettings: {  # and the reporter's queue, which the stack always writes
        **SEAL,
        "table_name": "reports",
        "event_bus_name": "bus",
        "report_queue_url": "https://sqs.us-east-1.amazonaws.com/111122223333/ReporterQueue",
    },
    ReporterSettings: {**SEAL, "table_name": "reports"},
    NotifierSettings: {**SEAL, "topic_arn": "arn:aws:sns:us-east-1:111122223333:reports"},
    ForwarderSettings: {**SEAL, "event_bus_name": "bus"},
    HubRecorderSettings: {**SEAL, "table_name": "hub"},
    SpokeMonitorSettings: {**SEAL, "table_name": "hub"},
}
# A value other than the default for every field.
NOT_DEFAULT = {
    WatcherSettings: {
        **REQUIRED[WatcherSettings],
        "job_name_prefix": "team-a-",
        "watermark_overlap_seconds": 0,
        "import_pages_per_piece": 3,
        "job_family_pattern": r"^team-a-(\w+)-\d+$",
        "stuck_after_minutes": 0,
        "digest_period_hours": 48,
        "heartbeat_minutes": 60,
    },
    ReporterSettings: {
        **REQUIRED[ReporterSettings],
        "top_features": 25,
        "analysis_max_bytes": 1024,
        "notify_statuses": ("Failed", "Completed"),
        "leaderboard_size": 0,
        "job_family_pattern": r"^(\w+)$",
    },
    NotifierSettings: {**REQUIRED[NotifierSettings], "organization": True},
    ForwarderSettings: REQUIRED[ForwarderSettings],
    HubRecorderSettings: {
        **REQUIRED[HubRecorderSettings],
        "account_names": {"111122223333": "team-churn", "444455556666": 'Équipe, "prod"'},
        "notify_statuses": ("Failed",),
    },
    SpokeMonitorSettings: {
        **REQUIRED[SpokeMonitorSettings],
        "spoke_silent_after_minutes": 60,
        "stuck_after_minutes": 0,
        "digest_period_hours": 48,
    },
}
MODELS = list(ENV_NAMES)


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_each_variable_is_its_field_name_upper_cased_as_deployed_today(model):
    settings = model(**REQUIRED[model])
    assert list(settings.to_env()) == ENV_NAMES[model]
    added = ADDED_FOR_AN_ORGANIZATION.get(model, [])
    assert [model.env_name(field) for field in model.model_fields] == ENV_NAMES[model] + added
    assert set(model(**NOT_DEFAULT[model]).to_env()) >= set(added)  # written where they are not the default


def test_account_names_travel_as_one_json_object_and_come_back_sorted():
    settings = HubRecorderSettings(**NOT_DEFAULT[HubRecorderSettings])
    environment = settings.to_env()
    assert environment["ACCOUNT_NAMES"] == '{"111122223333":"team-churn","444455556666":"Équipe, \\"prod\\""}'
    assert settings.account_name("444455556666") == 'Équipe, "prod"' and settings.account_name("1") is None
    with pytest.raises(SettingsError, match="not an AWS account id"):
        HubRecorderSettings.from_env({"TABLE_NAME": "t", "ACCOUNT_NAMES": '{"1234": "short"}'})


@pytest.mark.parametrize("values", ["required", "every field"])
@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_the_environment_round_trip_gives_back_the_same_settings(model, values):
    settings = model(**(REQUIRED if values == "required" else NOT_DEFAULT)[model])
    environment = settings.to_env()
    assert all(isinstance(value, str) for value in environment.values())
    assert model.from_env(environment) == settings


def test_the_environment_holds_text_as_the_functions_always_read_it():
    environment = ReporterSettings(**NOT_DEFAULT[ReporterSettings]).to_env()
    assert environment == {
        "SEAL_ALIAS": "alias/reports-seal",
        "TABLE_NAME": "reports",
        "TOP_FEATURES": "25",
        "ANALYSIS_MAX_BYTES": "1024",
        "NOTIFY_STATUSES": "Completed,Failed",  # canonical order, comma-separated
        "LEADERBOARD_SIZE": "0",
        "JOB_FAMILY_PATTERN": r"^(\w+)$",
    }


@pytest.mark.parametrize(
    ("model", "missing"),
    [
        (WatcherSettings, ["TABLE_NAME", "EVENT_BUS_NAME"]),
        (ReporterSettings, ["TABLE_NAME"]),
        (NotifierSettings, ["TOPIC_ARN"]),
    ],
    ids=lambda value: value.__name__ if isinstance(value, type) else "",
)
def test_a_required_variable_that_is_missing_fails_at_start_naming_it(model, missing):
    with pytest.raises(SettingsError) as raised:
        model.from_env({})
    message = str(raised.value)
    assert message.startswith(f"{model.__name__} from the environment:")
    for variable in missing:
        assert f"{variable} is not set" in message


def test_an_empty_required_variable_counts_as_missing():
    with pytest.raises(SettingsError, match="TABLE_NAME is not set"):
        ReporterSettings.from_env({"TABLE_NAME": ""})


def test_an_invalid_value_is_named_by_its_variable_and_value():
    with pytest.raises(SettingsError) as raised:
        ReporterSettings.from_env({"TABLE_NAME": "t", "TOP_FEATURES": "many", "NOTIFY_STATUSES": "Completed,Done"})
    message = str(raised.value)
    assert "TOP_FEATURES='many': Input should be a valid integer" in message
    assert "NOTIFY_STATUSES=('Completed', 'Done'): unknown status ['Done']" in message


def test_an_empty_variable_means_the_default():
    settings = WatcherSettings.from_env(
        {"SEAL_ALIAS": "s", "TABLE_NAME": "t", "EVENT_BUS_NAME": "b", "STUCK_AFTER_MINUTES": ""}
    )
    assert settings.stuck_after_minutes == 240
    assert settings.stuck_after == timedelta(hours=4)
    assert WatcherSettings(**{**REQUIRED[WatcherSettings], "stuck_after_minutes": 0}).stuck_after is None


def test_the_bounds_hold_at_both_edges():
    with pytest.raises(ValidationError, match="less than or equal to 100"):
        ReporterSettings(table_name="t", top_features=101)
    with pytest.raises(SettingsError, match="LEADERBOARD_SIZE='21'"):
        ReporterSettings.from_env({"TABLE_NAME": "t", "LEADERBOARD_SIZE": "21"})
    with pytest.raises(SettingsError, match="JOB_NAME_PREFIX='a_b': 'a_b' cannot start an AutoML job name"):
        WatcherSettings.from_env({"TABLE_NAME": "t", "EVENT_BUS_NAME": "b", "JOB_NAME_PREFIX": "a_b"})


def test_settings_are_frozen_and_hashable_so_warm_state_can_be_keyed_by_them():
    settings = ReporterSettings(**NOT_DEFAULT[ReporterSettings])
    with pytest.raises(ValidationError, match="frozen"):
        settings.top_features = 3
    same = ReporterSettings.from_env(settings.to_env())
    assert hash(same) == hash(settings) and {settings: "warm"}[same] == "warm"


def test_a_model_refuses_what_it_does_not_know():
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        NotifierSettings(topic_arn="arn", table_name="t")
    with pytest.raises(KeyError, match="NotifierSettings has no field 'table_name'"):
        NotifierSettings.env_name("table_name")


class Flags(FunctionSettings):
    """A model with the kinds of field the existing ones lack: a flag, free text in a tuple, an option."""

    costing: bool = False
    labels: tuple[str, ...] = ("a",)
    hub_bus_arn: str | None = None


def test_every_kind_of_field_travels_through_the_environment():
    flags = Flags(seal_alias="s", costing=True, labels=("x", "y"))
    assert flags.to_env() == {"SEAL_ALIAS": "s", "COSTING": "true", "LABELS": "x,y"}  # None is left out
    assert Flags.from_env(flags.to_env()) == flags
    assert Flags.from_env({"SEAL_ALIAS": "s", "HUB_BUS_ARN": "arn:bus"}).hub_bus_arn == "arn:bus"


def test_an_item_holding_a_comma_cannot_travel_comma_separated():
    with pytest.raises(SettingsError, match="LABELS"):
        Flags(seal_alias="s", labels=("a,b",)).to_env()


def test_get_settings_reads_each_model_once_until_cleared(monkeypatch):
    get_settings.cache_clear()
    monkeypatch.setenv("SEAL_ALIAS", "alias/seal")
    monkeypatch.setenv("TABLE_NAME", "first")
    monkeypatch.setenv("TOPIC_ARN", "arn:topic")
    try:
        reporter = get_settings(ReporterSettings)
        assert reporter.table_name == "first"
        assert get_settings(NotifierSettings).topic_arn == "arn:topic"
        monkeypatch.setenv("TABLE_NAME", "second")
        assert get_settings(ReporterSettings) is reporter  # a function's environment does not change
        get_settings.cache_clear()
        assert get_settings(ReporterSettings).table_name == "second"
    finally:
        get_settings.cache_clear()
