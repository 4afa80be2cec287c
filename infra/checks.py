"""Template checks run after every synth: cfn-lint, failing on any error.

    python -m infra.checks cdk.out [--regions us-east-1 eu-west-1 ...]       # every template synthesized
    python -m infra.checks cdk.out/<stackName>.template.json                 # one template

cdk-nag already ran inside the synth (a finding fails it); this checks the CloudFormation itself.
Given the assembly directory, it lints the templates its manifest names (and the StackSet templates
their asset manifests name), whatever `stackName` was.
Warnings and informational findings are printed but do not fail (the stack has none today).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from cfnlint.api import ManualArgs, Match, lint_file

from infra.assembly import AssemblyError, all_templates

# The stack is region-agnostic: lint it against the regions people deploy it to most.
DEFAULT_REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2", "ap-northeast-1")


def lint(template: Path, regions: Sequence[str] = DEFAULT_REGIONS) -> list[Match]:
    """Every cfn-lint match (errors, warnings, informational) for the template in these regions."""
    if not template.is_file():
        raise FileNotFoundError(f"{template} does not exist; run `npx cdk synth --quiet` first")
    matches: list[Match] = lint_file(template, config=ManualArgs(regions=list(regions)))
    return matches


def errors(matches: Sequence[Match]) -> list[Match]:
    return [match for match in matches if match.rule.severity == "error"]


def _describe(match: Match) -> str:
    return f"{match.rule.severity.upper():7} {match.rule.id} line {match.linenumber}: {match.message}"


def templates(path: Path) -> list[Path]:
    """The template itself, or every template of a cloud assembly directory (its manifest): each stack's,
    and each one a stack deploys (a StackSet's spoke)."""
    if not path.is_dir():
        return [path]
    found = all_templates(path)
    if not found:
        raise AssemblyError(f"{path} holds no stack template")
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.checks", description=__doc__.splitlines()[0])
    parser.add_argument("template", type=Path, help="cloud assembly directory (cdk.out) or one template file")
    parser.add_argument("--regions", nargs="+", default=list(DEFAULT_REGIONS), help="regions to lint against")
    args = parser.parse_args(argv)
    status = 0
    try:
        for template in templates(args.template):
            status = max(status, _check(template, args.regions))
    except (FileNotFoundError, AssemblyError) as error:
        print(f"infra.checks: {error}", file=sys.stderr)
        return 2
    return status


def _check(template: Path, regions: Sequence[str]) -> int:
    matches = lint(template, regions)
    for match in matches:
        print(_describe(match))
    failed = errors(matches)
    print(
        f"cfn-lint: {len(failed)} error(s), {len(matches) - len(failed)} other finding(s) in {template} "
        f"({', '.join(regions)})"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
