"""Each function's settings model: what the stack writes into the environment is what the function reads
back, a missing required variable fails on first use naming it, and the variable names are today's."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from autopilot_reports.settings import (
    FunctionSettings,
    NotifierSettings,
    ReporterSettings,
    SettingsError,
    WatcherSettings,
    get_settings,
)

# The functions' environment contract, as deployed stacks have it (the stack writes these names).
ENV_NAMES = {
    WatcherSettings: [
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
        "TABLE_NAME",
        "TOP_FEATURES",
        "ANALYSIS_MAX_BYTES",
        "NOTIFY_STATUSES",
        "LEADERBOARD_SIZE",
        "JOB_FAMILY_PATTERN",
    ],
    NotifierSettings: ["TOPIC_ARN"],
}
REQUIRED = {  # and what the stack always writes
    WatcherSettings: {
        "table_name": "reports",
        "event_bus_name": "bus",
        "report_queue_url": "https://sqs.us-east-1.amazonaws.com/111122223333/ReporterQueue",
    },
    ReporterSettings: {"table_name": "reports"},
    NotifierSettings: {"topic_arn": "arn:aws:sns:us-east-1:111122223333:reports"},
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
    },
    ReporterSettings: {
        **REQUIRED[ReporterSettings],
        "top_features": 25,
        "analysis_max_bytes": 1024,
        "notify_statuses": ("Failed", "Completed"),
        "leaderboard_size": 0,
        "job_family_pattern": r"^(\w+)$",
    },
    NotifierSettings: REQUIRED[NotifierSettings],
}
MODELS = list(ENV_NAMES)


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_each_variable_is_its_field_name_upper_cased_as_deployed_today(model):
    settings = model(**REQUIRED[model])
    assert list(settings.to_env()) == ENV_NAMES[model]
    assert [model.env_name(field) for field in model.model_fields] == ENV_NAMES[model]


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
    settings = WatcherSettings.from_env({"TABLE_NAME": "t", "EVENT_BUS_NAME": "b", "STUCK_AFTER_MINUTES": ""})
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
    flags = Flags(costing=True, labels=("x", "y"))
    assert flags.to_env() == {"COSTING": "true", "LABELS": "x,y"}  # None is left out
    assert Flags.from_env(flags.to_env()) == flags
    assert Flags.from_env({"HUB_BUS_ARN": "arn:bus"}).hub_bus_arn == "arn:bus"


def test_an_item_holding_a_comma_cannot_travel_comma_separated():
    with pytest.raises(SettingsError, match="LABELS"):
        Flags(labels=("a,b",)).to_env()


def test_get_settings_reads_each_model_once_until_cleared(monkeypatch):
    get_settings.cache_clear()
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
