"""Names the stack, the handlers, the sandbox, the CLI and the bench share are written once, in
`autopilot_reports/constants.py`, and imported everywhere else.

The rule: in the source tree (every `.py` file under lambdas/, infra/, sandbox/, bench/, tools/,
testsupport/, and app.py) none of the values below is written out but in constants.py, not even in a
comment or a docstring (prose that names a value goes stale with it: say "the default stack name").
The values are read from constants.py, so this test retypes none of them.

What the rule leaves alone, and why:
- tests/: a test may write a value where it means that value (a fixture's ARN in an account, the output
  name a contract pins, the physical name a test expects);
- data (scenarios, recordings, docs): inputs and prose for people, like a user's own;
- the output names `EventBusName` and `DashboardName`: they are also CloudFormation property and API
  parameter names (`AWS::Events::Rule.EventBusName`, PutEvents entries, `AWS::CloudWatch::Dashboard`);
- CloudTrail's event names (`CreateAutoMLJob`, ...): they are SageMaker's operation names too, which the
  simulator serves and messages name (the sandbox's CloudTrail events use the constants).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from autopilot_reports import constants as c
from autopilot_reports.adapters import clients
from autopilot_reports.cli import aws

ROOT = Path(__file__).resolve().parents[2]
SOURCE_TREE = ("lambdas", "infra", "sandbox", "bench", "tools", "testsupport", "app.py")
HOME = ROOT / "lambdas" / "autopilot_reports" / "constants.py"
ALSO_API_NAMES = {c.OUTPUT_EVENT_BUS_NAME, c.OUTPUT_DASHBOARD_NAME}

HANDLERS = (
    c.WATCHER_HANDLER,
    c.REPORTER_HANDLER,
    c.NOTIFIER_HANDLER,
    c.FORWARDER_HANDLER,
    c.HUB_RECORDER_HANDLER,
    c.SPOKE_MONITOR_HANDLER,
)
SHARED: dict[str, str] = {
    "the default stack name": c.DEFAULT_STACK_NAME,
    "the example account": c.EXAMPLE_ACCOUNT_ID,
    "CloudTrail's detail type": c.CLOUDTRAIL_DETAIL_TYPE,
    "SageMaker's event source": c.SAGEMAKER_EVENT_SOURCE,
    "CloudTrail's event source of SageMaker calls": c.SAGEMAKER_API_EVENT_SOURCE,
    # A handler id is refused from its module path on (`handlers.watcher.handler`), as lookups by suffix wrote it.
    **{f"handler id {handler}": handler.removeprefix("autopilot_reports.") for handler in HANDLERS},
    **{
        f"output {name}": value
        for name, value in vars(c).items()
        if name.startswith("OUTPUT_") and value not in ALSO_API_NAMES
    },
}


def source_files() -> list[Path]:
    files: list[Path] = []
    for entry in SOURCE_TREE:
        path = ROOT / entry
        files.extend([path] if path.is_file() else sorted(path.rglob("*.py")))
    return [path for path in files if path != HOME and "__pycache__" not in path.parts]


def occurrence(value: str) -> re.Pattern[str]:
    """The value as a whole name: `AutopilotReports` but not `AutopilotReportsStack`."""
    return re.compile(rf"(?<!\w){re.escape(value)}(?![\w])")


def test_the_source_tree_is_where_the_rule_looks():
    files = source_files()
    assert ROOT / "app.py" in files and ROOT / "sandbox" / "runner.py" in files
    assert HOME.is_file() and HOME not in files
    assert len(SHARED) == 5 + 6 + 18


@pytest.mark.parametrize("what", sorted(SHARED))
def test_a_shared_name_is_written_only_in_constants(what):
    pattern = occurrence(SHARED[what])
    assert pattern.search(HOME.read_text(encoding="utf-8")), f"{what} has its home in constants.py"
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in source_files()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if pattern.search(line)
    ]
    assert not found, f"{what} ({SHARED[what]!r}) is retyped; import it from autopilot_reports.constants:\n" + (
        "\n".join(found)
    )


def test_the_rule_would_find_a_retyped_name():
    pattern = occurrence(c.DEFAULT_STACK_NAME)
    assert pattern.search(f'STACK = "{c.DEFAULT_STACK_NAME}"')
    assert pattern.search(f"cdk.out/{c.DEFAULT_STACK_NAME}.template.json")
    assert not pattern.search(f"class {c.DEFAULT_STACK_NAME}Stack:")


def test_the_cli_and_the_functions_share_one_client_config():
    assert aws.CLIENT_CONFIG is clients.CLIENT_CONFIG
