"""A handler's imports are its cold start (bench/cold_start.py measures them against boto3 and Powertools):
the reporter, on every state change's path, imports no other function's models."""

from __future__ import annotations

import os
import subprocess
import sys

OTHER_FUNCTIONS_MODULES = (
    "autopilot_reports.models.cost",  # the coster's and the CLI's
    "autopilot_reports.models.digest",  # the watcher's digest and the notifier's
    "autopilot_reports.models.forwarded",  # a spoke's forwarder and a hub's recorder
    "autopilot_reports.domain.costing",
)


def fresh_lines(code: str) -> list[str]:
    """What `code` prints in a new interpreter, line by line."""
    environment = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1"}
    return subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=True
    ).stdout.splitlines()


def test_the_reporter_imports_no_other_functions_models():
    loaded = fresh_lines("import sys, autopilot_reports.handlers.reporter; print('\\n'.join(sorted(sys.modules)))")
    assert "autopilot_reports.handlers.reporter" in loaded
    assert [name for name in OTHER_FUNCTIONS_MODULES if name in loaded] == []


def test_the_reporter_builds_no_validator_it_does_not_use():
    """The watcher's triggers and the other functions' settings live in modules every function imports;
    their validators are built at first use (defer_build), so never in the reporter's cold start, and the
    reporter's own settings at its first invocation. Its queue's records are read by a model of two fields,
    not Powertools' SQS models (whose attribute models cost a cold start milliseconds)."""
    code = (
        "import sys, autopilot_reports.handlers.reporter\n"
        "from autopilot_reports import settings\n"
        "from autopilot_reports.models import events\n"
        "deferred = [events.ImportRequest, events.ImportProgress, events.WatcherTrigger, events.CloudTrailRequest,"
        " events.BackfillRequest, events.ScheduleTick, events.DigestTick, settings.WatcherSettings,"
        " settings.ReporterSettings, settings.NotifierSettings, settings.CosterSettings]\n"
        "print([model.__name__ for model in deferred if model.__pydantic_complete__])\n"
        "print(events.StateChangeEvent.__pydantic_complete__, events.QueuedMessage.__pydantic_complete__)\n"
        "print('aws_lambda_powertools.utilities.parser.models.sqs' in sys.modules)\n"
    )
    built, used, sqs_models = fresh_lines(code)
    assert built == "[]"
    assert used == "True True"  # what every invocation validates is built at import, as before
    assert sqs_models == "False"
