"""One endpoint for a served sandbox: DynamoDB (and its streams) answered by the run's DynamoDB engine
(DynamoDB Local, or moto), SageMaker's AutoML calls (ListAutoMLJobs, DescribeAutoMLJob(V2),
ListCandidatesForAutoMLJob, ...) by the AutoML simulator, every other call by moto server, behind one
loopback port, so the CLI, the AWS CLI, PartiQL or any tool (cloud-custodian) needs one `--endpoint-url`
and sees the jobs the stack saw. Requests are routed by their `X-Amz-Target` (the JSON protocols name
their operation there); nobody checks signatures on loopback, so the Host header may change on the way.
Where the served stack is not in moto's default account, each request is marked with the
stack's account (which a caller's credentials cannot say to moto). Only local tools are answered (sandbox/loopback.py: the loopback Host, no Origin, no /moto-api), and no
response grants CORS. Each request that fails is logged as one line, never a traceback."""

from __future__ import annotations

import http.client
import logging
import threading
from collections.abc import Collection
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from sandbox.aws_hooks import ACCOUNT_HEADER
from sandbox.loopback import LOOPBACK, MOTO_API, REFUSED_STATUS, is_cors_header, refusal, refusal_body

logger = logging.getLogger(__name__)
DYNAMODB_TARGETS = ("DynamoDB_", "DynamoDBStreams_")
SAGEMAKER_TARGET = "SageMaker."
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade", "te", "trailer"}


class Front:
    """Listens on `port` (0: a free one) and forwards each request to DynamoDB's engine, the AutoML
    simulator (the operations it serves) or moto, for `account` unless a request names one."""

    def __init__(
        self,
        moto_url: str,
        dynamodb_url: str,
        port: int = 0,
        sagemaker_url: str = "",
        automl: Collection[str] = (),
        account: str | None = None,
    ) -> None:
        self.upstreams = {"moto": urlsplit(moto_url), "dynamodb": urlsplit(dynamodb_url)}
        if sagemaker_url:
            self.upstreams["sagemaker"] = urlsplit(sagemaker_url)
        self.automl = frozenset(automl)  # SageMaker operations the simulator answers; moto answers the rest
        self.account = account
        self._server = _Server((LOOPBACK, port), _Handler, self)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.1,), daemon=True, name="front")

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def endpoint_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def __enter__(self) -> Front:
        self._thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def upstream_for(self, target: str) -> Any:
        if target.startswith(DYNAMODB_TARGETS):
            return self.upstreams["dynamodb"]
        if target.startswith(SAGEMAKER_TARGET) and target.removeprefix(SAGEMAKER_TARGET) in self.automl:
            return self.upstreams["sagemaker"]
        return self.upstreams["moto"]


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], front: Front) -> None:
        self.front = front
        super().__init__(address, handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def _forward(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        reason = refusal(self.headers, self.path, self.server.front.port, private_paths=(MOTO_API,))
        if reason is not None:
            logger.warning("sandbox front: refused %s %s: %s", self.command, self.path[:120], reason)
            self._send(REFUSED_STATUS, [("Content-Type", "application/x-amz-json-1.1")], refusal_body(reason))
            return
        upstream = self.server.front.upstream_for(self.headers.get("X-Amz-Target", ""))
        headers = {name: value for name, value in self.headers.items() if name.lower() not in HOP_BY_HOP}
        headers["Host"] = upstream.netloc
        if self.server.front.account and ACCOUNT_HEADER not in {name.lower() for name in headers}:
            headers[ACCOUNT_HEADER] = self.server.front.account
        connection = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=60)
        try:
            connection.request(self.command, self.path, body=body, headers=headers)
            response = connection.getresponse()
            payload = response.read()
        except OSError as error:
            logger.warning("sandbox front: %s %s failed: %s", self.command, self.path, error)
            self.send_error(502, "the sandbox's emulator did not answer")
            return
        finally:
            connection.close()
        if response.status >= 400:
            target = self.headers.get("X-Amz-Target") or self.path
            logger.warning("sandbox front: %s %s -> %s", self.command, target[:120], response.status)
        self._send(response.status, response.getheaders(), payload)

    def _send(self, status: int, headers: list[tuple[str, str]], payload: bytes) -> None:
        self.send_response(status)
        for name, value in headers:
            if name.lower() not in HOP_BY_HOP and name.lower() != "content-length" and not is_cors_header(name):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = _forward

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the stdlib's signature)
        """Quiet: failures are logged by _forward, one line each."""
