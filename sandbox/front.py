"""One endpoint for a served sandbox: DynamoDB (and its streams) answered by DynamoDB Local, every other
service by moto server, behind one loopback port, so the CLI, the AWS CLI and PartiQL need one
`--endpoint-url`. Requests are routed by their `X-Amz-Target` (DynamoDB's JSON protocol names its
service there); nobody checks signatures on loopback, so the Host header may change on the way. Where
the served stack is not in moto's default account, each request is marked with the stack's account
(which a caller's credentials cannot say to moto). Each request that fails is logged as one line, never
a traceback."""

from __future__ import annotations

import http.client
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from sandbox.aws_hooks import ACCOUNT_HEADER

logger = logging.getLogger(__name__)
DYNAMODB_TARGETS = ("DynamoDB_", "DynamoDBStreams_")
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade", "te", "trailer"}


class Front:
    """Listens on `port` (0: a free one) and forwards each request to DynamoDB Local or moto (the same URL
    twice without DynamoDB Local), for `account` unless a request names one."""

    def __init__(self, moto_url: str, dynamodb_url: str, port: int = 0, account: str | None = None) -> None:
        self.upstreams = {"moto": urlsplit(moto_url), "dynamodb": urlsplit(dynamodb_url)}
        self.account = account
        self._server = _Server(("127.0.0.1", port), _Handler, self)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.1,), daemon=True, name="front")

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> Front:
        self._thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def upstream_for(self, target: str) -> Any:
        return self.upstreams["dynamodb" if target.startswith(DYNAMODB_TARGETS) else "moto"]


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
        self.send_response(response.status)
        for name, value in response.getheaders():
            if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _forward

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the stdlib's signature)
        """Quiet: failures are logged by _forward, one line each."""
