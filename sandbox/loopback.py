"""Every port the sandbox opens answers this machine's tools, never a web page.

The emulators listen on 127.0.0.1 only, but a browser reaches loopback too: a page can send requests to
127.0.0.1:<port> itself (and read the answer if the server grants CORS), or rename itself to it by DNS
rebinding (its own host name, resolving to 127.0.0.1, then sent in `Host`). So each port (the served
front, moto server, the AutoML simulator and DynamoDB Local, whose launcher applies the same rule in
Java) answers a request only when

- its `Host` is the loopback address (or `localhost`) and that port: a rebound name never is;
- it carries no `Origin`: browsers send one with every cross-origin request and every POST, the AWS CLI,
  boto3 and the SDKs never do; so no preflight is granted either, and no response says
  `Access-Control-Allow-*` (moto's own CORS headers are dropped);
- on moto's port and through the front, it is not for `/moto-api` (moto's dashboard, its reset and its
  state): the sandbox resets moto in process instead.

A refused request gets 403 and one line saying why.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from werkzeug.serving import make_server

LOOPBACK = "127.0.0.1"
LOOPBACK_NAMES = (LOOPBACK, "localhost")
MOTO_API = "/moto-api"
REFUSED_STATUS = 403

StartResponse = Callable[..., Any]


def refusal(headers: Mapping[str, str] | Any, path: str, port: int, private_paths: Iterable[str] = ()) -> str | None:
    """Why the request must not be answered, or None. `headers`: any mapping with `.get` (case-insensitive
    where the server's is)."""
    host = headers.get("Host")
    if host not in {f"{name}:{port}" for name in LOOPBACK_NAMES}:
        return f"Host {host!r} is not this endpoint ({LOOPBACK}:{port}): the sandbox answers local tools only"
    if headers.get("Origin") is not None:
        return "a request from a web page (it has an Origin): the sandbox answers local tools only"
    if any(path == prefix or path.startswith(prefix + "/") for prefix in private_paths):
        return f"{path.split('?', 1)[0]} is not served"
    return None


def refusal_body(reason: str) -> bytes:
    """The refusal as an AWS JSON error, so an SDK that got here by mistake says something readable."""
    return json.dumps({"__type": "AccessDeniedException", "message": reason}).encode()


def is_cors_header(name: str) -> bool:
    return name.lower().startswith("access-control-")


class LoopbackOnly:
    """WSGI middleware for moto server: the rule above, and no CORS header on any response."""

    def __init__(self, app: Callable[..., Iterable[bytes]], port: Callable[[], int]) -> None:
        self.app = app
        self.port = port  # known once the server has bound (port 0 picks one)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        headers = {"Host": environ.get("HTTP_HOST"), "Origin": environ.get("HTTP_ORIGIN")}
        reason = refusal(headers, environ.get("PATH_INFO", ""), self.port(), private_paths=(MOTO_API,))
        if reason is not None:
            body = refusal_body(reason)
            start_response(
                f"{REFUSED_STATUS} Forbidden",
                [("Content-Type", "application/x-amz-json-1.1"), ("Content-Length", str(len(body)))],
            )
            return [body]

        def without_cors(status: str, response_headers: list[tuple[str, str]], *rest: Any) -> Any:
            return start_response(status, [(k, v) for k, v in response_headers if not is_cors_header(k)], *rest)

        return self.app(environ, without_cors)


class LoopbackMotoServer(ThreadedMotoServer):
    """moto server (in this process, on 127.0.0.1) behind `LoopbackOnly`."""

    def __init__(self, port: int = 0) -> None:
        super().__init__(ip_address=LOOPBACK, port=port, verbose=False)

    def _server_entry(self) -> None:
        # ThreadedMotoServer._server_entry, with the app wrapped; moto's own request handler kept.
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )

        app = LoopbackOnly(DomainDispatcherApplication(create_backend_app), self._bound_port)
        self._server = make_server(self._ip_address, self._port, app, True, request_handler=MotoRequestHandler)
        self._server_ready_event.set()
        self._server.serve_forever()

    def _bound_port(self) -> int:
        return self.get_host_and_port()[1]


def reset_moto() -> None:
    """What POST /moto-api/reset does, in process (moto server runs in this process): every backend empty,
    so a second run in one process starts clean. /moto-api itself is never served."""
    from moto.moto_api._internal.models import moto_api_backend

    moto_api_backend.reset()
