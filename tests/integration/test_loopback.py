"""Every port the sandbox opens answers local tools only (sandbox/loopback.py), and `make serve` binds
again at once on the port it just left. The served sandbox as a whole: tests/e2e/test_served_sandbox.py."""

from __future__ import annotations

import http.client
import socket

import boto3
import pytest

from sandbox.loopback import LoopbackMotoServer
from sandbox.scenario import load_scenario
from sandbox.serve import port_free
from sandbox.simulator import AutoMLSimulator


def request(port: int, headers: dict[str, str], path: str = "/", method: str = "GET") -> tuple[int, dict[str, str]]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status, {name.lower(): value for name, value in response.getheaders()}
    finally:
        connection.close()


@pytest.fixture
def moto_port():
    server = LoopbackMotoServer()
    server.start()
    yield server.get_host_and_port()[1]
    server.stop()


def test_moto_answers_local_tools_and_nothing_else(moto_port):
    sqs = boto3.client(
        "sqs",
        endpoint_url=f"http://127.0.0.1:{moto_port}",
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    assert sqs.list_queues()["ResponseMetadata"]["HTTPStatusCode"] == 200  # boto3 is answered
    local = f"127.0.0.1:{moto_port}"
    for headers, path in (
        ({"Host": f"rebound.example:{moto_port}"}, "/?Action=ListQueues"),  # DNS rebinding
        ({"Host": f"127.0.0.1:{moto_port + 1}"}, "/?Action=ListQueues"),  # another port's name
        ({"Host": local, "Origin": "https://evil.example"}, "/?Action=ListQueues"),  # a web page
        ({"Host": local}, "/moto-api/"),  # the dashboard
        ({"Host": local}, "/moto-api/data.json"),  # every backend's state
    ):
        status, answer = request(moto_port, headers, path)
        assert status == 403, (headers, path)
        assert not [name for name in answer if name.startswith("access-control-")]
    status, answer = request(
        moto_port,
        {"Host": local, "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        method="OPTIONS",
    )
    assert status == 403 and "access-control-allow-origin" not in answer
    status, answer = request(moto_port, {"Host": f"localhost:{moto_port}"}, "/?Action=ListQueues")
    assert status == 200 and not [name for name in answer if name.startswith("access-control-")]


def test_the_simulator_answers_local_tools_only():
    with AutoMLSimulator(load_scenario({"jobs": []})) as simulator:
        port = int(simulator.endpoint_url.rsplit(":", 1)[1])
        target = {"X-Amz-Target": "SageMaker.ListAutoMLJobs", "Content-Type": "application/x-amz-json-1.1"}
        assert request(port, {"Host": f"127.0.0.1:{port}", **target}, method="POST")[0] == 200
        assert request(port, {"Host": f"rebound.example:{port}", **target}, method="POST")[0] == 403
        assert request(port, {"Host": f"127.0.0.1:{port}", "Origin": "null", **target}, method="POST")[0] == 403


def time_wait_on_free_port() -> int:
    """A port whose server closed a connection first and stopped: the connection stays in TIME_WAIT (60 s on
    Linux), as after Ctrl-C on `make serve` with a client connected."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = listener.accept()
    accepted.close()  # the server's side closes first: its end of the connection is what waits
    listener.close()
    client.recv(1)
    client.close()
    return port


def test_serve_binds_again_at_once_on_the_port_it_just_left():
    port = time_wait_on_free_port()
    plain = socket.socket()
    try:
        with pytest.raises(OSError):  # what the probe did before: "port is in use" for a minute
            plain.bind(("127.0.0.1", port))
    finally:
        plain.close()
    assert port_free(port)
    with socket.socket() as listening:  # a port something listens on is still in use
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        assert not port_free(listening.getsockname()[1])
