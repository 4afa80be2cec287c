"""`python -m sandbox run SCENARIO.json --out DIR`: the whole pipeline on local emulators."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sandbox.printing import print_reports
from sandbox.runner import run_scenario
from sandbox.scenario import ScenarioError, load_scenario
from sandbox.template import TemplateError, load_template


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run a scenario file through the pipeline")
    run.add_argument("scenario", type=Path)
    run.add_argument("--out", type=Path, required=True, help="directory for records.jsonl, summary.json, ...")
    run.add_argument("--template", type=Path, help="synthesized template (default: cdk.out, else synthesize)")
    run.add_argument("--quiet", action="store_true", help="do not print the reports")
    args = parser.parse_args(argv)

    try:
        scenario = load_scenario(args.scenario)
        template = load_template(args.template)
        summary = run_scenario(scenario, template, args.out)
    except (ScenarioError, TemplateError) as error:
        print(f"sandbox: {error}", file=sys.stderr)
        return 2
    if not args.quiet:
        print_reports(args.out)
        print(json.dumps({key: summary[key] for key in ("jobs", "records", "notifications", "queue_depths")}))
    failed = sum(stats["failed"] for stats in summary["invocations"].values())
    if failed:
        print(f"sandbox: {failed} invocations failed after retries (see {args.out}/lambda.log)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
