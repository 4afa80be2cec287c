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


def test_the_reporter_imports_no_other_functions_models():
    code = "import sys, autopilot_reports.handlers.reporter; print('\\n'.join(sorted(sys.modules)))"
    environment = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1"}
    loaded = subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=True
    ).stdout.split()
    assert "autopilot_reports.handlers.reporter" in loaded
    assert [name for name in OTHER_FUNCTIONS_MODULES if name in loaded] == []
