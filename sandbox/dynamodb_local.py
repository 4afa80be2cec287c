"""AWS's own DynamoDB Local as the sandbox's DynamoDB engine (docs/design.md §6.6).

moto's DynamoDB copies the whole table on every TransactWriteItems and its stream keeps every image, so
a run's cost grows with the square of jobs x states; DynamoDB Local (SQLite underneath) stays linear and
answers as AWS does (expression parsing, TransactionCanceledException with CancellationReasons, the
dynamodbstreams API). It ships inside the npm package `amplify-dynamodb-simulator`, which `make setup`
fetches once, pinned, into `.tools/dynamodb-local/` (tools/fetch_dynamodb_local.py); nothing is
downloaded at run time. Java is optional: without it, `unavailable_reason()` says why and the sandbox
keeps moto.

The JVM runs `LoopbackDynamoDBLocal.java` beside this file rather than the jar's own main class: it
listens on 127.0.0.1 only (DynamoDB Local has no option for the address) and exits when its stdin
closes, so no JVM outlives the Python process that started it.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

if TYPE_CHECKING:  # stubs are a dev dependency
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodbstreams import DynamoDBStreamsClient

LOOPBACK = "127.0.0.1"
ROOT = Path(__file__).resolve().parents[1]
HOME = ROOT / ".tools" / "dynamodb-local"  # where `make setup` puts it (tools/fetch_dynamodb_local.py)
LAUNCHER_SOURCE = Path(__file__).with_name("LoopbackDynamoDBLocal.java")
LAUNCHER_CLASS = "LoopbackDynamoDBLocal"
# DynamoDB Local checks that a key is present, not what it is; with -sharedDb every key sees one database.
ACCESS_KEY = SECRET_KEY = "sandbox"
# Small and steady. Most of the resident set is SQLite's in-memory database (the table, its indexes and
# the stream's records), outside the heap: bench/dynamodb_local.py (1,000 jobs x 4 states of a ~5 KB
# item and its history item, the stream read after each) peaks near 320-345 MiB with -Xmx 128m, 256m or
# 384m alike (128m: slower, collecting), against 420-490 MiB with the JVM's defaults, at a throughput
# within the runs' noise of the defaults'. C1 alone (-XX:TieredStopAtLevel=1) gained nothing.
JVM_OPTIONS = (
    "-Xms64m",
    "-Xmx256m",
    "-XX:+UseSerialGC",
    "-XX:ReservedCodeCacheSize=64m",
    "-XX:MaxMetaspaceSize=128m",
    "-Xss512k",
    "-XX:-UsePerfData",  # no /tmp/hsperfdata_* file
    "-Djava.awt.headless=true",
)
DYNAMODB_LOCAL_OPTIONS = ("-inMemory", "-sharedDb", "-disableTelemetry")
START_TIMEOUT_SECONDS = 90.0  # a cold JVM on two busy cores takes 5-10 s
STOP_TIMEOUT_SECONDS = 5.0
PORT_ATTEMPTS = 3  # a free port may be taken between choosing it and the JVM binding it
BIND_FAILURE = "Could not start server on port"
OUTPUT_TAIL_LINES = 20


class DynamoDBLocalError(RuntimeError):
    """DynamoDB Local could not start, or is not running."""


class DynamoDBLocal:
    """One DynamoDB Local JVM on a free loopback port, in memory, with one database for every key and
    region (-sharedDb: the AWS CLI or any tool sees the sandbox's tables whatever credentials it has).

        with DynamoDBLocal() as local:
            boto3.client("dynamodb", endpoint_url=local.endpoint_url, ...)
    """

    def __init__(self, home: Path = HOME, java: str | None = None, jvm_options: tuple[str, ...] = JVM_OPTIONS) -> None:
        self.home = home
        self.java = java or shutil.which("java")
        self.jvm_options = jvm_options
        self._process: subprocess.Popen[bytes] | None = None
        self._output: IO[bytes] | None = None
        self._port: int | None = None

    # --- can it run here? ---------------------------------------------------------------------------

    @property
    def emulator(self) -> Path:
        return self.home / "emulator"

    @property
    def launcher_classes(self) -> Path:
        return self.home / "launcher"

    def unavailable_reason(self) -> str | None:
        """Why DynamoDB Local cannot start here (no java, not fetched, no way to run the launcher), or
        None when it can."""
        if not self.java:
            return "java is not on PATH (install a JDK, e.g. openjdk-17-jdk-headless)"
        if not (self.emulator / "DynamoDBLocal.jar").is_file():
            return f"DynamoDB Local is not in {self.emulator} (run `make setup`)"
        if not launcher_compiled(self.launcher_classes) and not shutil.which("javac"):
            return f"the launcher is not compiled in {self.launcher_classes} and javac is absent (run `make setup`)"
        return None

    def available(self) -> bool:
        return self.unavailable_reason() is None

    # --- lifecycle ----------------------------------------------------------------------------------

    def __enter__(self) -> DynamoDBLocal:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    def start(self, timeout: float = START_TIMEOUT_SECONDS) -> str:
        """Start the JVM and wait until it answers ListTables; return the endpoint URL."""
        if self._process is not None:
            return self.endpoint_url
        reason = self.unavailable_reason()
        if reason:
            raise DynamoDBLocalError(f"DynamoDB Local cannot start: {reason}")
        deadline = time.monotonic() + timeout
        for attempt in range(1, PORT_ATTEMPTS + 1):
            self._spawn(free_port())
            atexit.register(self.stop)  # normal exits and Ctrl-C; stdin closing covers the rest
            try:
                self._wait_until_ready(deadline)
                return self.endpoint_url
            except DynamoDBLocalError:
                output = self.output_tail()
                self.stop()
                if BIND_FAILURE not in output or attempt == PORT_ATTEMPTS:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def stop(self) -> None:
        """Terminate the JVM (then kill it), reap it, and forget its output. Safe to call twice."""
        process, output = self._process, self._output
        self._process = self._output = self._port = None
        atexit.unregister(self.stop)
        if process is not None:
            stop_process(process)
        if output is not None:
            output.close()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int:
        """The JVM's process id (for /proc/<pid>/status)."""
        return self._running_process().pid

    @property
    def port(self) -> int:
        if self._port is None:
            raise DynamoDBLocalError("DynamoDB Local is not running; call start() first")
        return self._port

    @property
    def endpoint_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def peak_rss_bytes(self) -> int | None:
        """The JVM's peak resident set (VmHWM), or None where /proc has no such line (not Linux)."""
        return proc_status_bytes(self.pid, "VmHWM")

    def output_tail(self, lines: int = OUTPUT_TAIL_LINES) -> str:
        """The last lines the JVM printed (stdout and stderr), for error messages."""
        if self._output is None:
            return ""
        self._output.flush()
        text = Path(self._output.name).read_bytes().decode("utf-8", "replace")
        return "\n".join(text.splitlines()[-lines:])

    # --- clients --------------------------------------------------------------------------------------

    def dynamodb_client(self, region: str = "us-east-1", **config: Any) -> DynamoDBClient:
        """A client of this engine (any credentials do); `config`: botocore Config options."""
        return boto3.client("dynamodb", **self._client_options(region, config))

    def streams_client(self, region: str = "us-east-1", **config: Any) -> DynamoDBStreamsClient:
        return boto3.client("dynamodbstreams", **self._client_options(region, config))

    def _client_options(self, region: str, config: dict[str, Any]) -> dict[str, Any]:
        return {
            "endpoint_url": self.endpoint_url,
            "region_name": region,
            "aws_access_key_id": ACCESS_KEY,
            "aws_secret_access_key": SECRET_KEY,
            "config": Config(**config),
        }

    # --- internals ----------------------------------------------------------------------------------

    def _spawn(self, port: int) -> None:
        """Output goes to a temporary file (deleted at stop), never a pipe nobody reads, which would
        stall the JVM once full. stdin is a pipe only this process holds: the launcher exits when it
        closes. A session of its own: Ctrl-C reaches this process, which stops the JVM in order."""
        self._output = tempfile.NamedTemporaryFile(prefix="dynamodb-local-", suffix=".log")
        self._port = port
        self._process = subprocess.Popen(
            self._command(port),
            cwd=self.emulator,
            stdin=subprocess.PIPE,
            stdout=self._output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def _command(self, port: int) -> list[str]:
        assert self.java is not None  # checked by unavailable_reason()
        library = self.emulator / "DynamoDBLocal_lib"
        classpath = [str(self.emulator / "DynamoDBLocal.jar"), f"{library}/*"]
        if launcher_compiled(self.launcher_classes):
            main = [LAUNCHER_CLASS]
            classpath.append(str(self.launcher_classes))
        else:
            main = [str(LAUNCHER_SOURCE)]  # Java's source-file mode compiles it in memory (a second or two)
        return [
            self.java,
            *self.jvm_options,
            f"-Djava.library.path={library}",
            "-cp",
            os.pathsep.join(classpath),
            *main,
            LOOPBACK,
            "-port",
            str(port),
            *DYNAMODB_LOCAL_OPTIONS,
        ]

    def _wait_until_ready(self, deadline: float) -> None:
        client = self.dynamodb_client(retries={"max_attempts": 0}, connect_timeout=1, read_timeout=10)
        while True:
            process = self._running_process()
            if process.poll() is not None or BIND_FAILURE in self.output_tail():
                raise DynamoDBLocalError(f"DynamoDB Local did not start:\n{self.output_tail()}")
            try:
                client.list_tables(Limit=1)
                return
            except (BotoCoreError, ClientError):
                pass
            if time.monotonic() > deadline:
                raise DynamoDBLocalError(f"DynamoDB Local did not answer within the timeout:\n{self.output_tail()}")
            time.sleep(0.1)

    def _running_process(self) -> subprocess.Popen[bytes]:
        if self._process is None:
            raise DynamoDBLocalError("DynamoDB Local is not running; call start() first")
        return self._process


def launcher_compiled(classes: Path) -> bool:
    """Compiled by `make setup`; older than its source (a pull without setup) counts as absent."""
    compiled = classes / f"{LAUNCHER_CLASS}.class"
    return compiled.is_file() and compiled.stat().st_mtime >= LAUNCHER_SOURCE.stat().st_mtime


def free_port() -> int:
    """A port nothing listens on right now (the OS's choice); the JVM binds it a moment later."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
        return port


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL if it lingers; always waited for, so no zombie is left behind."""
    if process.stdin is not None:
        process.stdin.close()  # the launcher's own signal to exit
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
    process.wait()


def proc_status_bytes(pid: int, field: str) -> int | None:
    """A memory line of /proc/<pid>/status (VmRSS, VmHWM, ...) in bytes; None where there is none."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        name, _, value = line.partition(":")
        if name == field:
            return int(value.split()[0]) * 1024  # reported in kB
    return None


_shared: DynamoDBLocal | None = None


def shared_engine() -> DynamoDBLocal:
    """One DynamoDB Local for the whole process, started on first use and stopped at exit: every sandbox
    run of a test session or a bench reuses it (each run recreates its table), so a JVM start is paid once."""
    global _shared
    if _shared is None or not _shared.running:
        engine = DynamoDBLocal()
        engine.start()
        _shared = engine
    return _shared
