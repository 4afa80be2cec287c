"""The emulators the sandbox's world runs on: moto server (every service but SageMaker's AutoML, which our
simulator plays) and the DynamoDB engine, AWS's DynamoDB Local where Java runs, moto's otherwise."""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Iterator

import jsonpath_ng.ext

from sandbox.dynamodb_local import DynamoDBLocal, shared_engine
from sandbox.loopback import LoopbackMotoServer, reset_moto

ENGINES = ("auto", "dynamodb-local", "moto")  # the sandbox's DynamoDB: auto = DynamoDB Local where Java runs


class EngineError(ValueError):
    """The DynamoDB engine asked for cannot run here."""


def dynamodb_engine(choice: str) -> DynamoDBLocal | None:
    """DynamoDB Local (shared by every run of this process) or None for moto, as `choice` says."""
    if choice not in ENGINES:
        raise EngineError(f"unknown DynamoDB engine {choice!r}; choose one of {', '.join(ENGINES)}")
    if choice == "moto":
        return None
    reason = DynamoDBLocal().unavailable_reason()
    if reason is None:
        return shared_engine()
    if choice == "dynamodb-local":
        raise EngineError(f"DynamoDB Local cannot run here: {reason}")
    return None


@contextlib.contextmanager
def moto_server(port: int = 0) -> Iterator[str]:
    """moto server on loopback (`port` 0: a free one), answering local tools only, started clean; yields
    its URL."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto server's per-request log
    share_jsonpath_parsers()
    server = LoopbackMotoServer(port)
    server.start()
    try:
        host, bound = server.get_host_and_port()
        reset_moto()  # moto keeps its state in process-wide backends: a second run in one process starts clean
        yield f"http://{host}:{bound}"
    finally:
        server.stop()


def share_jsonpath_parsers() -> None:
    """moto's EventBridge parses the eight JSONPaths of its default input template again for every event
    it delivers to a target, and each parse builds a new parser (ply's tables): half of the time of a
    PutEvents of 10 (183 ms against 87 ms, measured on moto 5.2.5). A parsed path is only read by
    `find()`, so the same eight are parsed once for the process. Idempotent."""
    namespace = vars(jsonpath_ng.ext)  # moto imports `parse` from here at each call
    if not isinstance(namespace["parse"], functools._lru_cache_wrapper):
        namespace["parse"] = functools.lru_cache(maxsize=64)(namespace["parse"])
