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


def query_hint(endpoint: dict[str, str], job: str | None) -> str:
    """How to query the served table from a new shell in the project folder: our CLI (installed by `make
    setup`), and, for those who have the AWS CLI (`make setup` does not install it), GetItem and PartiQL."""
    url, region, table = endpoint["endpoint_url"], endpoint["region"], endpoint["table"]
    job = job or "JOB"
    key = json.dumps({"pk": {"S": f"JOB#{job}"}, "sk": {"S": "REPORT"}})
    statement = f"SELECT * FROM \"{table}\" WHERE pk = 'JOB#{job}' AND sk = 'REPORT'"
    where = f"--endpoint-url {url} --region {region}"
    return "\n".join(
        [
            CREDENTIALS_HINT,
            f"{CLI} {where} --table {table} list",
            f"{CLI} {where} --table {table} show {job}",
            f"{CLI} {where} --table {table} list --status Failed --output text",
            f"{CLI} {where} --table {table} families",
            "# with the AWS CLI, if you have it (https://aws.amazon.com/cli/; make setup does not install it):",
            f"aws dynamodb get-item {where} --table-name {table} --key '{key}'",
            f'aws dynamodb execute-statement {where} --statement "' + statement.replace('"', '\\"') + '"',
        ]
    )


def first_job(out_dir: Path) -> str | None:
    records = out_dir / "records.jsonl"
    if not records.exists():
        return None
    for line in records.read_text().splitlines():
        if line.strip():
            name = json.loads(line).get("job_name")
            return str(name) if name else None
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
