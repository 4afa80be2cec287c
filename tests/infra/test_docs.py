"""The docs run as written, and say what the template says.

Every `npx cdk synth` / `npx cdk deploy` command (and `make synth CONTEXT='...'`) in a fenced code block
of README.md or docs/*.md is read the way the shell reads it (backslash continuations, quotes, comments),
with each `<placeholder>` replaced by its example value below, and then:

- its context is parsed the way the CDK CLI parses `-c` (the value ends at the first newline) and
  validated on its own, in process, with cdk.json's defaults: milliseconds per snippet;
- it synthesizes through the real CLI (`deploy` becomes `synth`: no account here). A CLI synth costs
  10-20 s, so identical argument sets run once, snippets whose keys do not overlap share one synth
  (each was validated alone above), the headline deploy example of the README runs alone, and so does
  each command that deploys something else than the standalone stack (the organization's, whose
  context chooses other deployment plans); the synths run two at a time. Each synthesized template
  is checked for the values the command set. `--all` (deploy every stack of the app, as the roll-out
  needs) is dropped for the synth, which synthesizes every stack anyway.

docs/deploy.md's counts (stack outputs, queues, alarms and their cost, what destroy leaves behind) are
compared with the synthesized template.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from infra.assembly import template_path
from infra.config import ConfigError, StackConfig
from infra.plans import DeploymentPlan, deployment_plans
from tests.infra.helpers import resources

ROOT = Path(__file__).resolve().parents[2]
DOCS = (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")))
DEPLOY_GUIDE = ROOT / "docs" / "deploy.md"

# What each documented placeholder stands for in the test (the formats docs/deploy.md describes).
EXAMPLES = {
    "<region>": "eu-west-1",
    "<account-id>": "111122223333",
    "<key-id>": "1234abcd-12ab-34cd-56ef-1234567890ab",
    "<workspace-id>": "T0123ABCD",
    "<channel-id>": "C0123ABCD",
    "<groupId>": "01234567-89ab-cdef-0123-456789abcdef",
    "<tenantId>": "fedcba98-7654-3210-fedc-ba9876543210",
    "<teams-channel-id>": "19%3ab6ef35dc342d56ba5654e6fc6d25a071%40thread.tacv2",
    "<hub-account-id>": "444455556666",
    "<hub-region>": "us-east-1",
    "<ou-id>": "ou-ab12-11111111",
    "<org-id>": "o-exampleorg1",
}
# Flags a documented deploy may carry that `synth` does without (it synthesizes every stack anyway).
DEPLOY_ONLY_FLAGS = ("--all",)
PLACEHOLDER = re.compile(r"<[A-Za-z][A-Za-z0-9 _-]*>")
FENCE = re.compile(r"^(?P<indent>[ \t]*)```[^\n]*\n(?P<body>.*?)^(?P=indent)```[ \t]*$", re.MULTILINE | re.DOTALL)
CDK_COMMAND = re.compile(r"^\s*npx\s+cdk\s+(synth|deploy)\b")
MAKE_SYNTH = re.compile(r"^\s*make\s+synth\b")
# JavaScript's `.` stops at these; the CLI splits `key=value` with /=(.*)/ (parseStringContextListToObject).
JS_LINE_END = re.compile(r"[\n\r\u2028\u2029]")


@dataclass(frozen=True)
class Snippet:
    """One documented command, as the shell would pass it to the CDK CLI."""

    where: str  # file:line
    args: tuple[str, ...]  # after `npx cdk <command>`, placeholders replaced

    @property
    def context(self) -> dict[str, str]:
        """The `-c key=value` pairs as the CLI reads them: the value ends at its first line break."""
        context: dict[str, str] = {}
        words = iter(self.args)
        for word in words:
            if word in ("-c", "--context"):
                assignment = next(words)
            elif word.startswith(("-c=", "--context=")):
                assignment = word.split("=", 1)[1]
            else:
                continue
            key, equals, value = assignment.partition("=")
            if equals:
                context[key] = JS_LINE_END.split(value, maxsplit=1)[0]
        return context

    @property
    def other_args(self) -> tuple[str, ...]:
        """Arguments that are neither context, a deploy-only flag nor the name of a stack the command's
        context deploys (`npx cdk deploy AutopilotReportsHub -c ...`, which synth takes as it is); none
        today: such an argument would need handling here."""
        stacks = {plan.stack_name for plan in deployment_plans(validate(self))}
        rest: list[str] = []
        words = iter(self.args)
        for word in words:
            if word in ("-c", "--context"):
                next(words)
            elif not word.startswith(("-c=", "--context=")) and word not in (*DEPLOY_ONLY_FLAGS, *stacks):
                rest.append(word)
        return tuple(rest)

    @property
    def synth_args(self) -> tuple[str, ...]:
        return tuple(word for word in self.args if word not in DEPLOY_ONLY_FLAGS)


def shell_commands(block: str) -> Iterator[tuple[int, str]]:
    """(line offset, command) for each command of a code block, joined as the shell joins them:
    backslash-newline continues a line, a newline inside quotes stays in the word, `#` starts a comment."""
    command: list[str] = []
    quote: str | None = None
    line = start = 0
    i = 0
    while i < len(block):
        char = block[i]
        if quote:
            command.append(char)
            if char == quote:
                quote = None
            elif char == "\\" and quote == '"' and i + 1 < len(block):
                command.append(block[i + 1])
                i += 1
        elif char == "\\" and block[i + 1 : i + 2] == "\n":
            i += 1  # a continuation: both characters vanish
        elif char == "\\":
            command.append(block[i : i + 2])
            i += 1
        elif char in "'\"":
            quote = char
            command.append(char)
        elif char == "#" and (not command or command[-1].isspace()):
            while i + 1 < len(block) and block[i + 1] != "\n":
                i += 1
        elif char == "\n":
            yield start, "".join(command)
            command, start = [], line + 1
        else:
            command.append(char)
        if char == "\n" or block[i] == "\n":
            line += 1
        i += 1
    if command:
        yield start, "".join(command)


def fill_placeholders(command: str, where: str) -> str:
    for placeholder, example in EXAMPLES.items():
        command = command.replace(placeholder, example)
    unknown = PLACEHOLDER.findall(command)
    assert not unknown, f"{where}: placeholders without an example value in tests/infra/test_docs.py: {unknown}"
    return command


def snippets_in(text: str, name: str) -> list[Snippet]:
    found: list[Snippet] = []
    for fence in FENCE.finditer(text):
        indent = fence.group("indent")
        body = "".join(line.removeprefix(indent) for line in fence.group("body").splitlines(keepends=True))
        first_line = text[: fence.start("body")].count("\n") + 1
        for offset, command in shell_commands(body):
            where = f"{name}:{first_line + offset}"
            if CDK_COMMAND.match(command):
                words = shlex.split(fill_placeholders(command, where))
                found.append(Snippet(where, tuple(words[3:])))
            elif MAKE_SYNTH.match(command):
                words = shlex.split(fill_placeholders(command, where))
                passed = [word.split("=", 1)[1] for word in words if word.startswith("CONTEXT=")]
                if passed:
                    found.append(Snippet(where, tuple(shlex.split(passed[0]))))
    return found


def documented_snippets() -> list[Snippet]:
    return [
        snippet
        for path in DOCS
        for snippet in snippets_in(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    ]


SNIPPETS = documented_snippets()
HEADLINE = next(s for s in SNIPPETS if s.where.startswith("README.md") and s.context)


def cdk_json_context() -> dict[str, Any]:
    return dict(json.loads((ROOT / "cdk.json").read_text(encoding="utf-8"))["context"])


def validate(snippet: Snippet) -> StackConfig:
    """The snippet's context on top of cdk.json's, as the app sees it under the CLI."""
    context = {**cdk_json_context(), **snippet.context}
    return StackConfig.from_context(context.get, keys=context)


def main_plan(snippet: Snippet) -> DeploymentPlan:
    """The stack whose template shows what the snippet set: its plan (the first, when there are several)."""
    return deployment_plans(validate(snippet))[0]


def standalone(snippet: Snippet) -> bool:
    return [plan.kind for plan in deployment_plans(validate(snippet))] == ["standalone"]


# --- reading the docs ----------------------------------------------------------------------------------
def test_the_docs_have_the_snippets_this_test_expects():
    """A guard on the reader itself: the headline example and the guide's deploy commands are found."""
    assert HEADLINE.context.keys() == {"notificationEmails", "operatorEmails", "autopilotOutputLocations"}
    guide = [s for s in SNIPPETS if s.where.startswith("docs/deploy.md")]
    keys = set().union(*(s.context for s in guide))
    assert {"autopilotOutputKmsKeys", "slackWorkspaceId", "teamsChannelId", "stackName", "logRetentionDays"} <= keys
    assert any(main_plan(s).kind == "stackset" and "--all" in s.args for s in guide)  # the roll-out, section 16
    assert all(not s.other_args for s in SNIPPETS), [s for s in SNIPPETS if s.other_args]


def test_the_shell_reading_matches_the_shell():
    block = "npx cdk deploy \\\n  -c a='[1,\n 2]' \\\n  -c b=\"x y\"   # comment\nmake synth\n"
    commands = list(shell_commands(block))
    assert commands == [(0, "npx cdk deploy   -c a='[1,\n 2]'   -c b=\"x y\"   "), (4, "make synth")]
    (snippet,) = snippets_in(f"```sh\n{block}```\n", "probe.md")
    assert snippet.context == {"a": "[1,", "b": "x y"}  # what the CLI would pass on


def test_a_value_spread_over_lines_is_caught():
    """The README's old headline example: the CLI cut the JSON at its newline."""
    old = (
        "```sh\nnpx cdk deploy \\\n"
        """  -c notificationEmails='[{"address":"ml-team@example.com"},\n"""
        """                          {"address":"oncall@example.com","filterPolicy":{"status":["Failed"]}}]' \\\n"""
        """  -c operatorEmails='["platform@example.com"]'\n```\n"""
    )
    (snippet,) = snippets_in(old, "old-README.md")
    with pytest.raises(ConfigError, match=r"notificationEmails: is not valid JSON"):
        validate(snippet)


@pytest.mark.parametrize("snippet", SNIPPETS, ids=[s.where for s in SNIPPETS])
def test_each_snippet_is_valid_context_on_its_own(snippet):
    validate(snippet)


# --- through the real CDK CLI ------------------------------------------------------------------------
def synth_groups(snippets: list[Snippet]) -> list[list[Snippet]]:
    """The headline alone, each snippet of another deployment than the standalone stack alone; the others
    deduplicated, then packed into groups whose keys do not overlap."""
    groups: list[list[Snippet]] = [[HEADLINE]]
    seen = {HEADLINE.args}
    packed: list[list[Snippet]] = []
    for snippet in snippets:
        if snippet.args in seen:
            continue
        seen.add(snippet.args)
        if not standalone(snippet):
            groups.append([snippet])
            continue
        for group in packed:
            if not any(snippet.context.keys() & member.context.keys() for member in group):
                group.append(snippet)
                break
        else:
            packed.append([snippet])
    return groups + packed


def group_args(group: list[Snippet]) -> list[str]:
    """The words exactly as the shell would pass them: the CLI itself must cope with them."""
    return [word for snippet in group for word in snippet.synth_args]


@pytest.fixture(scope="module")
def cli_synths(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[list[Snippet], dict[str, Any]]]:
    """Each group through `npx cdk synth --quiet -o <tmp>`, two at a time (the machine has two cores)."""
    env = {
        **os.environ,
        "CDK_DISABLE_CLI_TELEMETRY": "true",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
    }
    groups = synth_groups(SNIPPETS)
    outdirs = [tmp_path_factory.mktemp(f"docs-synth-{n}") for n in range(len(groups))]
    results: list[tuple[list[Snippet], dict[str, Any]]] = []
    for batch in range(0, len(groups), 2):
        running = [
            (
                groups[n],
                outdirs[n],
                subprocess.Popen(
                    ["npx", "cdk", "synth", "--quiet", "--no-notices", "-o", str(outdirs[n]), *group_args(groups[n])],
                    cwd=ROOT,
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                ),
            )
            for n in range(batch, min(batch + 2, len(groups)))
        ]
        for group, outdir, process in running:
            _, stderr = process.communicate(timeout=600)
            where = ", ".join(s.where for s in group)
            assert process.returncode == 0, f"`npx cdk synth` of {where} failed:\n{stderr}"
            # A group of standalone snippets synthesizes one stack (whatever its name); another deployment
            # synthesizes alone, and its plan names the stack to read.
            stack = None if standalone(group[0]) else main_plan(group[0]).stack_name
            results.append((group, json.loads(template_path(outdir, stack).read_text(encoding="utf-8"))))
    return results


def test_the_headline_deploy_example_synthesizes_through_the_cli(cli_synths):
    group, template = cli_synths[0]
    assert group == [HEADLINE]
    subscriptions = {
        body["Properties"]["Endpoint"]: body["Properties"].get("FilterPolicy")
        for body in resources(template, "AWS::SNS::Subscription").values()
    }
    assert subscriptions == {
        "ml-team@example.com": None,
        "oncall@example.com": {"status": ["Failed"]},
        "platform@example.com": None,
    }


def test_every_snippet_synthesizes_through_the_cli_with_its_values(cli_synths):
    synthesized = [snippet for group, _ in cli_synths for snippet in group]
    assert {s.args for s in synthesized} == {s.args for s in SNIPPETS}
    for group, template in cli_synths:
        for snippet in group:
            assert_applied(template, validate(snippet), snippet)


def assert_applied(template: dict[str, Any], config: StackConfig, snippet: Snippet) -> None:
    """The settings the snippet names are visible in what the CLI synthesized."""
    text = json.dumps(template)
    keys = snippet.context.keys()
    endpoints = {body["Properties"]["Endpoint"] for body in resources(template, "AWS::SNS::Subscription").values()}
    addresses = {s.address for s in config.notification_emails} | set(config.operator_emails)
    assert addresses <= endpoints, snippet.where
    if "stackName" in keys:
        assert f"autopilot-reports --stack {config.stack_name} --region" in text, snippet.where
    if "slackWorkspaceId" in keys:
        (slack,) = resources(template, "AWS::Chatbot::SlackChannelConfiguration").values()
        assert slack["Properties"]["SlackWorkspaceId"] == config.slack_workspace_id, snippet.where
    if "teamsTeamId" in keys:
        (teams,) = resources(template, "AWS::Chatbot::MicrosoftTeamsChannelConfiguration").values()
        assert teams["Properties"]["TeamId"] == config.teams_team_id, snippet.where
    for key_arn in config.output_kms_keys:
        assert key_arn in text, snippet.where
    if "logRetentionDays" in keys:
        days = {body["Properties"]["RetentionInDays"] for body in resources(template, "AWS::Logs::LogGroup").values()}
        assert days == {config.log_retention_days}, snippet.where
    if "autopilotOutputLocations" in keys:
        for location in config.output_location_parts:
            assert location.bucket in text, snippet.where
    if config.stack_set_enabled:
        (stack_set,) = resources(template, "AWS::CloudFormation::StackSet").values()
        assert stack_set["Properties"]["CallAs"] == config.stack_set_call_as, snippet.where
        (targets,) = stack_set["Properties"]["StackInstancesGroup"]
        assert targets["DeploymentTargets"]["OrganizationalUnitIds"] == list(config.spoke_organizational_unit_ids)
        assert targets["Regions"] == list(config.spoke_regions), snippet.where


# --- docs/deploy.md's counts ---------------------------------------------------------------------------
NUMBERS = {
    word: n
    for n, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen".split()
    )
}


def guide() -> str:
    return DEPLOY_GUIDE.read_text(encoding="utf-8")


def section(number: int) -> str:
    return re.split(r"^## \d+\. ", guide(), flags=re.MULTILINE)[number]


def number(word: str) -> int:
    return NUMBERS[word.lower()] if not word.isdigit() else int(word)


def test_the_stack_outputs_listed_are_the_templates(template_json):
    paragraph = section(3).split("Stack outputs:", 1)[1].split("\n\n", 1)[0]
    assert set(re.findall(r"`([A-Za-z]+)`", paragraph)) == set(template_json["Outputs"])
    queue_outputs = {name for name in template_json["Outputs"] if name.endswith("QueueUrl")}
    (count,) = re.findall(r"the (\w+) queue\s+URLs", paragraph)
    assert number(count) == len(queue_outputs) == len(resources(template_json, "AWS::SQS::Queue"))


def test_the_redrive_table_covers_every_queue(template_json):
    rows = [line for line in section(13).splitlines() if line.startswith("| `")]
    assert {re.findall(r"`(\w+)`", row)[0] for row in rows} == {
        name for name in template_json["Outputs"] if name.endswith("QueueUrl")
    }


def test_the_first_hour_lists_every_alarm(template_json):
    bullet = section(10).split("**Errors and queues**", 1)[1].split("\n- ", 1)[0]
    assert set(re.findall(r"`(\w+Alarm)`", bullet)) == set(resources(template_json, "AWS::CloudWatch::Alarm"))


def test_the_cost_of_the_alarms_follows_their_number(template_json):
    alarms = len(resources(template_json, "AWS::CloudWatch::Alarm"))
    (row,) = [line for line in section(14).splitlines() if line.startswith("| CloudWatch alarms |")]
    count, dollars = re.findall(r"\| (\d+) standard-resolution alarms \| \$(\d+\.\d\d) \|", row)[0]
    assert int(count) == alarms
    assert dollars == f"{alarms * 0.10:.2f}"  # $0.10 per standard-resolution alarm metric a month


def test_what_destroy_leaves_behind_is_counted_right(template_json):
    text = section(15)
    queues = len(resources(template_json, "AWS::SQS::Queue"))
    log_groups = len(resources(template_json, "AWS::Logs::LogGroup"))
    ((queue_word, log_word),) = re.findall(r"the (\w+) queues and the (\w+) log\s+groups", text)
    assert (number(queue_word), number(log_word)) == (queues, log_groups)
    (each,) = re.findall(r"delete-queue .*# each of the (\w+)", text)
    assert number(each) == queues
