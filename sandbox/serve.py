"""`--serve`: after the run, the emulators stay up until SIGINT/SIGTERM, so the CLI, the AWS CLI or any
DynamoDB tool can query the result. `endpoint.json` in the output folder says where; it exists exactly
while the sandbox serves."""

from __future__ import annotations

import json
import signal
import socket
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from autopilot_reports.constants import KEY_SCOPE_ORGANIZATION

ENDPOINT_FILE = "endpoint.json"
PUMP_SECONDS = 0.5
DEFAULT_PORT = 4566
CREDENTIALS_HINT = (
    "export AWS_ACCESS_KEY_ID=sandbox AWS_SECRET_ACCESS_KEY=sandbox  # any value: the emulators check none"
)


def port_free(port: int) -> bool:
    """Whether the front can listen on `port` (0 always works): checked before the run, so a port in use
    says so at once instead of after it. With SO_REUSEADDR, as the servers themselves bind (http.server
    and werkzeug set it): the connections of a sandbox just stopped, still in TIME_WAIT, do not block it."""
    if port == 0:
        return True
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


CLI = ".venv/bin/autopilot-reports"  # installed by `make setup`; `source .venv/bin/activate` puts it on PATH


def query_hint(endpoint: dict[str, str], job: dict[str, Any] | None) -> str:
    """How to query the served table from a new shell in the project folder: our CLI (installed by `make
    setup`), and, for those who have the AWS CLI (`make setup` does not install it), GetItem and PartiQL.
    `job`: a record of the run (its name, account and region), if any. A hub's table (`key_scope`) keys a
    job by its account, region and name: the CLI reads it with --hub, a job with --account and its region."""
    url, region, table = endpoint["endpoint_url"], endpoint["region"], endpoint["table"]
    name = str(job["job_name"]) if job else "JOB"
    where = f"--endpoint-url {url} --region {region}"
    if endpoint.get("key_scope") == KEY_SCOPE_ORGANIZATION:
        account, job_region = (job["account_id"], job["region"]) if job else ("ACCOUNT", "REGION")
        job_id, cli, one = (
            f"{account}#{job_region}#{name}",
            f"{CLI} {where} --table {table} --hub",
            f"{name} --account {account} --region {job_region}",
        )
        commands = [f"{cli} list", f"{cli} show {one}", f"{cli} list --status Failed --output text", f"{cli} spokes"]
    else:
        job_id, cli, one = name, f"{CLI} {where} --table {table}", name
        commands = [f"{cli} list", f"{cli} show {one}", f"{cli} list --status Failed --output text", f"{cli} families"]
    key = json.dumps({"pk": {"S": f"JOB#{job_id}"}, "sk": {"S": "REPORT"}})
    statement = f"SELECT * FROM \"{table}\" WHERE pk = 'JOB#{job_id}' AND sk = 'REPORT'"
    return "\n".join(
        [
            CREDENTIALS_HINT,
            *commands,
            "# with the AWS CLI, if you have it (https://aws.amazon.com/cli/; make setup does not install it):",
            f"aws dynamodb get-item {where} --table-name {table} --key '{key}'",
            f'aws dynamodb execute-statement {where} --statement "' + statement.replace('"', '\\"') + '"',
        ]
    )


def first_job(out_dir: Path) -> dict[str, Any] | None:
    """The first record of the run, if any."""
    records = out_dir / "records.jsonl"
    if not records.exists():
        return None
    for line in records.read_text().splitlines():
        if line.strip():
            record = json.loads(line)
            return record if isinstance(record, dict) and record.get("job_name") else None
    return None


def write_endpoint(out_dir: Path, endpoint: dict[str, str]) -> Path:
    """Written atomically: a reader polling for the file never sees half of it."""
    path = out_dir / ENDPOINT_FILE
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps(endpoint, indent=2, sort_keys=True) + "\n")
    partial.replace(path)
    return path


def serve_until_signal(
    out_dir: Path, before_wait: Callable[[], None]
) -> Callable[[dict[str, str], Callable[[], None]], None]:
    """The `serve` callback for run_scenario: writes endpoint.json, calls `before_wait` (which prints),
    then, until SIGINT or SIGTERM, calls `pump` twice a second (the stack's functions run on the events
    they receive), and removes endpoint.json again."""

    def serve(endpoint: dict[str, str], pump: Callable[[], None]) -> None:
        stop = threading.Event()

        def request_stop(signum: int, frame: FrameType | None) -> None:
            stop.set()

        previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        path = write_endpoint(out_dir, endpoint)
        try:
            before_wait()
            print(f"serving on {endpoint['endpoint_url']} ({path}); query it with:")
            print(query_hint(endpoint, first_job(out_dir)))
            print("Ctrl-C (SIGINT) or SIGTERM stops it.", flush=True)
            while not stop.wait(PUMP_SECONDS):
                pump()
            print("sandbox: stopped serving", file=sys.stderr)
        finally:
            path.unlink(missing_ok=True)
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    return serve
