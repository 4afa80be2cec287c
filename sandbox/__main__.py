"""`python -m sandbox run SCENARIO.json --out DIR [--templates cdk.out | --template FILE] [--pages]
[--serve [--port N]]`: the whole pipeline on local emulators; with --pages, each job's report page and the
dashboard under DIR/pages/; with --serve, the emulators stay up afterwards for queries until SIGINT/SIGTERM.
A scenario with a `hub` runs an organization: the hub's outputs in DIR, each spoke's in DIR/spokes/."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from autopilot_reports.constants import DEFAULT_STACK_NAME
from sandbox.emulators import ENGINES, EngineError
from sandbox.organization import organization_templates, run_organization
from sandbox.pages import PagesError, page_writer, print_pages
from sandbox.printing import print_reports, print_summary
from sandbox.runner import ServeCallback, run_scenario
from sandbox.scenario import Scenario, ScenarioError, load_scenario
from sandbox.serve import DEFAULT_PORT, ENDPOINT_FILE, first_job, port_free, query_hint, serve_until_signal
from sandbox.template import TemplateError, load_template, load_templates, read_stack, standalone_stack

Endpoint = dict[str, str]  # endpoint.json's keys: region, table (and key_scope for a hub's), endpoint_url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run a scenario file through the pipeline")
    run.add_argument("scenario", type=Path)
    run.add_argument("--out", type=Path, required=True, help="directory for records.jsonl, summary.json, ...")
    source = run.add_mutually_exclusive_group()
    source.add_argument(
        "--templates",
        type=Path,
        help="a cloud assembly folder (its manifest lists every stack's template; default: cdk.out, else synthesize; "
        "with a hub, the hub's and the spoke's stacks, else synthesized for the scenario's hub)",
    )
    source.add_argument("--template", type=Path, help="one synthesized template file, instead of --templates (no hub)")
    run.add_argument("--stack", help="the standalone stack to run, where the assembly holds several")
    run.add_argument("--quiet", action="store_true", help="do not print the reports")
    run.add_argument(
        "--pages",
        action="store_true",
        help="after the run, write each job's report page and the dashboard (autopilot-reports report, dashboard) "
        "into DIR/pages/",
    )
    run.add_argument(
        "--serve",
        action="store_true",
        help=f"after the run, keep the emulators up (writes {ENDPOINT_FILE}) until SIGINT/SIGTERM",
    )
    run.add_argument("--port", type=int, default=0, help="the served endpoint's loopback port (default 0: a free one)")
    run.add_argument(
        "--dynamodb",
        choices=ENGINES,
        default="auto",
        help="DynamoDB engine: AWS's DynamoDB Local (needs java; fetched by make setup), moto, or auto (the first "
        "where it runs)",
    )
    args = parser.parse_args(argv)
    one_line_logs()

    if not 0 <= args.port <= 65535:
        parser.error("--port must be 0..65535")
    if args.serve and not port_free(args.port):
        print(f"sandbox: port {args.port} is in use (stop what serves there, or pass --port)", file=sys.stderr)
        return 2
    (args.out / ENDPOINT_FILE).unlink(missing_ok=True)  # only a serving sandbox leaves one

    def show() -> None:
        if not args.quiet:
            print_reports(args.out)
            print_summary(args.out)
            print_pages(args.out)

    try:
        scenario = load_scenario(args.scenario)
        pages = page_writer(args.out) if args.pages else None
        serve = serve_until_signal(args.out, show) if args.serve else None
        after = in_turn(pages, serve)
        summary, endpoint = run_stacks(scenario, args, after)
    except (ScenarioError, TemplateError, EngineError) as error:
        print(f"sandbox: {error}", file=sys.stderr)
        return 2
    except PagesError as error:
        print(f"sandbox: {error}", file=sys.stderr)
        return 1
    if not args.serve:
        show()
        if not args.quiet:
            print_query_hint(args.out, endpoint)
    return invocation_failures(summary, args.out)


def run_stacks(
    scenario: Scenario, args: argparse.Namespace, after: ServeCallback | None
) -> tuple[dict[str, Any], Endpoint]:
    """Runs the scenario: one standalone stack, or with a hub the organization (the hub's table is the one
    to query). Returns the summary and where the home's table is (region, table, its key scope)."""
    options: dict[str, Any] = {"serve": after, "port": args.port, "engine": args.dynamodb}
    if scenario.hub is None:
        stack_name, template = pick_template(args.templates, args.template, args.stack)
        summary = run_scenario(scenario, template, args.out, stack_name=stack_name, **options)
        table = read_stack(template, scenario.place, stack_name).tables[0].table_name
        return summary, {"region": scenario.region, "table": table}
    if args.template is not None or args.stack is not None:
        raise ScenarioError(
            "the scenario has a \"hub\": it runs the hub's and the spoke's stacks, from an assembly folder "
            "(--templates) or synthesized, not one --template or --stack"
        )
    templates = organization_templates(scenario.hub, args.templates)
    summary = run_organization(scenario, templates, args.out, **options)
    hub = read_stack(templates.hub, scenario.hub.place, templates.hub_stack_name)
    return summary, {"region": scenario.hub.region, "table": hub.tables[0].table_name, "key_scope": hub.key_scope}


def in_turn(*callbacks: ServeCallback | None) -> ServeCallback | None:
    """What runs while the emulators are up after the run (pages, then serving), one after another."""
    given = [callback for callback in callbacks if callback is not None]
    if not given:
        return None

    def each(endpoint: dict[str, str], pump: Any) -> None:
        for callback in given:
            callback(endpoint, pump)

    return each


def pick_template(folder: Path | None, file: Path | None, stack: str | None) -> tuple[str, dict[str, Any]]:
    """The standalone stack's name and template: from one file (named `stack`, default the default stack
    name), or from an assembly folder's stacks."""
    if file is not None:
        return stack or DEFAULT_STACK_NAME, load_template(file)
    return standalone_stack(load_templates(folder), stack)


class OneLine(logging.Filter):
    """An emulator's failed request is one line on the terminal, never a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage().strip().splitlines()
        record.msg, record.args = (message[0] if message else ""), ()
        record.exc_info = record.exc_text = record.stack_info = None
        return True


def one_line_logs() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("sandbox: %(name)s: %(message)s"))
    handler.addFilter(OneLine())
    logging.basicConfig(level=logging.WARNING, handlers=[handler], force=True)


def print_query_hint(out_dir: Path, table: Endpoint) -> None:
    endpoint = {"endpoint_url": f"http://127.0.0.1:{DEFAULT_PORT}", **table}
    print(
        f"\nTo query these reports, serve them (`make serve`: the same run, kept up on 127.0.0.1:{DEFAULT_PORT}, "
        "PORT=N to change), then, in another shell in this folder:"
    )
    print(query_hint(endpoint, first_job(out_dir)))


def invocation_failures(summary: dict[str, Any], out_dir: Path) -> int:
    failed = sum(stats["failed"] for stats in summary["invocations"].values())
    if failed:
        print(f"sandbox: {failed} invocations failed after retries (see {out_dir}/lambda.log)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
