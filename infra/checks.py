"""Template checks run after every synth: cfn-lint, failing on any error.

    python -m infra.checks cdk.out/AutopilotReports.template.json [--regions us-east-1 eu-west-1 ...]

cdk-nag already ran inside the synth (a finding fails it); this checks the CloudFormation itself.
Warnings and informational findings are printed but do not fail (the stack has none today).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from cfnlint.api import ManualArgs, Match, lint_file

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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.checks", description=__doc__.splitlines()[0])
    parser.add_argument("template", type=Path, help="synthesized template, e.g. cdk.out/AutopilotReports.template.json")
    parser.add_argument("--regions", nargs="+", default=list(DEFAULT_REGIONS), help="regions to lint against")
    args = parser.parse_args(argv)
    try:
        matches = lint(args.template, args.regions)
    except FileNotFoundError as error:
        print(f"infra.checks: {error}", file=sys.stderr)
        return 2
    for match in matches:
        print(_describe(match))
    failed = errors(matches)
    print(
        f"cfn-lint: {len(failed)} error(s), {len(matches) - len(failed)} other finding(s) in {args.template} "
        f"({', '.join(args.regions)})"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
